"""The peers of the read cases, each used as its documentation shows, on the URL the runner signed.

Each function takes the run's spec and case, computes the NDVI sum and valid pixel count, and returns
them with the bounds of its output grid. A peer that cannot do a case raises; the case reports why.
"""

from __future__ import annotations

from typing import Any

Result = dict[str, Any]


def _sum_count(red: Any, nir: Any, threads: int) -> tuple[float, int]:
    """NDVI sum and valid-pixel count of two lazy xarray bands (0 is nodata), computed with dask."""
    import dask

    red, nir = red.astype("float32"), nir.astype("float32")
    nd = ((nir - red) / (nir + red)).where((red > 0) & (nir > 0))
    with dask.config.set(scheduler="threads", num_workers=threads):
        total, count = dask.compute(nd.sum(), nd.count())
    return float(total), int(count)


def _bounds(da: Any) -> list[float]:
    x, y = da.x.values, da.y.values
    rx, ry = float(x[1] - x[0]), float(y[1] - y[0])
    return [float(x[0]) - rx / 2, float(y[-1]) + ry / 2, float(x[-1]) + rx / 2, float(y[0]) - ry / 2]


def _signed_item(spec: dict[str, Any]) -> Any:
    import pystac

    d = dict(spec["item"])
    d["assets"] = {k: dict(v) for k, v in d["assets"].items()}
    d["assets"][spec["asset"]]["href"] = spec["signed_href"]
    return pystac.Item.from_dict(d)


def odc_stac(spec: dict[str, Any], case: dict[str, Any]) -> Result:
    """``odc.stac.load`` (its default rasterio reader: one read per band and chunk)."""
    import odc.stac

    kw: dict[str, Any] = {"chunks": {"x": spec["chunk"], "y": spec["chunk"]}}
    if case.get("geojson"):
        kw["geopolygon"] = case["geojson"]
    kw["resolution"] = case.get("resolution") or spec["resolution"]
    ds = odc.stac.load([_signed_item(spec)], bands=["red", "nir"], **kw)
    total, count = _sum_count(ds.red, ds.nir, spec["threads"])
    return {"sum": total, "count": count, "bounds": list(ds.odc.geobox.boundingbox)}


def rioxarray_(spec: dict[str, Any], case: dict[str, Any]) -> Result:
    """``rioxarray.open_rasterio`` with dask chunks, ``rio.clip_box`` for the AOI, overviews by level."""
    import rioxarray

    kw: dict[str, Any] = {"chunks": {"band": -1, "x": spec["chunk"], "y": spec["chunk"]}, "lock": False}
    if case["level"]:
        kw["overview_level"] = case["level"] - 1
    da = rioxarray.open_rasterio(spec["signed_href"], **kw)
    if case.get("bbox"):
        da = da.rio.clip_box(*case["bbox"])
    red_band, nir_band = spec["bands"]
    total, count = _sum_count(da.sel(band=red_band), da.sel(band=nir_band), spec["threads"])
    return {"sum": total, "count": count, "bounds": _bounds(da)}


def stackstac_(spec: dict[str, Any], case: dict[str, Any]) -> Result:
    """``stackstac.stack`` of the multispectral asset (stackstac reads one band per asset)."""
    import stackstac

    kw: dict[str, Any] = {"resolution": case.get("resolution") or spec["resolution"],
                          "chunksize": spec["chunk"], "epsg": spec["epsg"]}
    if case.get("bbox"):
        kw["bounds"] = case["bbox"]
    da = stackstac.stack([_signed_item(spec)], assets=[spec["asset"]], **kw)
    total, count = _sum_count(da.isel(band=0), da.isel(band=0), spec["threads"])
    return {"sum": total, "count": count, "bounds": _bounds(da)}


class _SignedURLStore:
    """An obspec store (``get_range_async``, ``get_ranges_async``) over one presigned URL, with aiohttp:
    async-geotiff's stores (obstore) take a bucket and credentials, not a presigned URL."""

    def __init__(self, url: str, session: Any) -> None:
        self.url, self.session = url, session

    async def get_range_async(self, path: str, *, start: int, end: int | None = None,
                              length: int | None = None) -> bytes:
        stop = end if end is not None else start + (length or 0)
        async with self.session.get(self.url, headers={"Range": f"bytes={start}-{stop - 1}"}) as r:
            r.raise_for_status()
            return bytes(await r.read())

    async def get_ranges_async(self, path: str, *, starts: Any, ends: Any = None,
                               lengths: Any = None) -> list[bytes]:
        import asyncio

        stops = ends if ends is not None else [s + n for s, n in zip(starts, lengths, strict=True)]
        return list(await asyncio.gather(*(self.get_range_async(path, start=s, end=e)
                                           for s, e in zip(starts, stops, strict=True))))


def async_geotiff_(spec: dict[str, Any], case: dict[str, Any]) -> Result:
    """async-geotiff (Rust decoding in a thread pool) reading strips of tile rows, 2 strips at a time."""
    import asyncio

    import aiohttp
    import numpy as np
    from async_geotiff import GeoTIFF, Window

    r0, c0, h, w = case["level_window"]
    tile = spec["tile"]
    starts = [r0, *range((r0 // tile + 1) * tile, r0 + h, tile)]
    strips = [(r, min(h + r0, (r // tile + 1) * tile)) for r in starts]
    red_i, nir_i = (b - 1 for b in spec["bands"])

    async def run() -> tuple[float, int]:
        async with aiohttp.ClientSession() as session:
            tiff = await GeoTIFF.open("scene.tif", store=_SignedURLStore(spec["signed_href"], session))
            image = tiff.overviews[case["level"] - 1] if case["level"] else tiff
            gate = asyncio.Semaphore(spec["threads"])

            async def strip(rows: tuple[int, int]) -> tuple[float, int]:
                async with gate:
                    data = (await image.read(window=Window(c0, rows[0], w, rows[1] - rows[0]))).data
                red, nir = data[red_i].astype(np.float32), data[nir_i].astype(np.float32)
                ok = (red > 0) & (nir > 0)
                return float(((nir[ok] - red[ok]) / (nir[ok] + red[ok])).sum(dtype=np.float64)), int(ok.sum())

            parts = await asyncio.gather(*(strip(s) for s in strips))
        return sum(p[0] for p in parts), sum(p[1] for p in parts)

    total, count = asyncio.run(run())
    t = spec["level_transforms"][case["level"]]
    bounds = [t[2] + c0 * t[0], t[5] + (r0 + h) * t[4], t[2] + (c0 + w) * t[0], t[5] + r0 * t[4]]
    return {"sum": total, "count": count, "bounds": bounds}


METHODS = {"odc-stac": odc_stac, "rioxarray": rioxarray_, "stackstac": stackstac_,
           "async-geotiff": async_geotiff_}
