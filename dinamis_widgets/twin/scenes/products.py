"""Render and write the files of one item, and measure its cloud and snow cover.

This is the unit of work of the generator (one call per item, run in worker processes). Each grid
of an item is rendered once, block by block, and every file on that grid is written from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .landcover import LandCover, render_grid, render_points, to_dn
from .rasters import RasterAsset, encode, main_keys, needed_keys, pan_value, raster_assets
from .specs import BRUT, DINAMIS, DRS, THEIA, SceneSpec

__all__ = ["ItemResult", "build_item_files", "cover_fractions", "raw_points"]

#: Pixels rendered per block (a few MB of float64 per array keeps numpy in the CPU caches).
BLOCK_PIXELS = 262_144
#: Longest side of a quicklook, in pixels.
QUICKLOOK_SIDE = 512
#: DN shown as full white in quicklooks.
QUICKLOOK_WHITE = 2600.0


@dataclass(frozen=True)
class ItemResult:
    """What the STAC writer needs to know after the files of an item are written.

    Attributes
    ----------
    cloud_cover, snow_cover
        Percentages of the valid MS pixels classed cloud or snow, rounded to 0.01.
    sizes
        Size in bytes of each written asset file, by asset key.
    """

    item_id: str
    cloud_cover: float
    snow_cover: float
    sizes: dict[str, int]


def _row_blocks(rows: int, cols: int) -> Iterator[tuple[int, int]]:
    step = max(1, BLOCK_PIXELS // cols)
    for r0 in range(0, rows, step):
        yield r0, min(rows, r0 + step)


class _Counter:
    def __init__(self) -> None:
        self.counts = np.zeros(len(LandCover), dtype=np.int64)

    def add(self, classes: NDArray[np.uint8]) -> None:
        self.counts += np.bincount(classes.ravel(), minlength=len(LandCover))

    def percent(self, cls: LandCover) -> float:
        valid = int(self.counts[1:].sum())
        return round(100.0 * float(self.counts[cls]) / valid, 2) if valid else 0.0


def cover_fractions(spec: SceneSpec) -> tuple[float, float]:
    """Cloud and snow cover (percent of valid MS pixels, rounded to 0.01) of an item."""
    counter = _Counter()
    rows, cols = spec.ms_shape
    col_idx = np.arange(cols)
    for r0, r1 in _row_blocks(rows, cols):
        out = render_grid(spec, spec.ms_transform, np.arange(r0, r1), col_idx, ())
        counter.add(out.classes)
    return counter.percent(LandCover.CLOUD), counter.percent(LandCover.SNOW)


def _quicklook(
    red: NDArray[np.uint16], green: NDArray[np.uint16], blue: NDArray[np.uint16]
) -> NDArray[np.uint8]:
    rgb = np.stack([red, green, blue], axis=-1).astype(np.float64)
    scaled = np.clip(rgb / QUICKLOOK_WHITE, 0.0, 1.0) ** 0.8 * 255.0
    alpha = np.where(red > 0, 255, 0)[..., None]
    return np.concatenate([np.rint(scaled), alpha], axis=-1).astype(np.uint8)


def _ortho_quicklook(spec: SceneSpec) -> NDArray[np.uint8]:
    rows, cols = spec.ms_shape
    step = max(1, -(-max(rows, cols) // QUICKLOOK_SIDE))
    out = render_grid(
        spec, spec.ms_transform, np.arange(0, rows, step), np.arange(0, cols, step),
        ("red", "green", "blue"),
    )
    return _quicklook(*(to_dn(out.bands[b], out.valid) for b in ("red", "green", "blue")))


def raw_points(spec: SceneSpec, shape: tuple[int, int]) -> tuple[
    NDArray[np.float64], NDArray[np.float64]
]:
    """UTM coordinates of the pixel centres of a raw (sensor geometry) image of the footprint.

    The raw image maps the footprint quadrilateral bilinearly: its first row runs along the
    footprint's first edge, as a push-broom sensor's lines would.
    """
    rows, cols = shape
    s = (np.arange(cols) + 0.5) / cols
    t = (np.arange(rows) + 0.5) / rows
    s, t = np.meshgrid(s, t)
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = spec.footprint
    # Corners: 3 = top-left of the image, 2 = top-right, 1 = bottom-right, 0 = bottom-left.
    x = (1 - s) * (1 - t) * x3 + s * (1 - t) * x2 + s * t * x1 + (1 - s) * t * x0
    y = (1 - s) * (1 - t) * y3 + s * (1 - t) * y2 + s * t * y1 + (1 - s) * t * y0
    return x, y


def _file_bands(spec: SceneSpec, asset: RasterAsset) -> tuple[list[str] | None, list[str]]:
    """Band descriptions and common names (for the colour interpretation) written in a file.

    SPOT and Pléiades files name their bands; Sentinel-2 files do not.
    """
    common = [b.common_name for b in asset.bands]
    if spec.layout in (DINAMIS, DRS):
        return [b.name for b in asset.bands], common
    return None, common if len(asset.bands) > 1 else []


def _write_rasters(spec: SceneSpec, assets: list[RasterAsset], paths: dict[str, Path],
                   counter: _Counter, num_threads: int) -> None:
    from .cog import CogWriter

    grids: dict[tuple[object, ...], list[RasterAsset]] = {}
    for asset in assets:
        grids.setdefault((asset.shape, asset.transform), []).append(asset)
    for group in grids.values():
        first = group[0]
        keys = needed_keys(spec, group)
        rows, cols = first.shape
        main = (first.shape, first.transform) == (spec.ms_shape, spec.ms_transform)
        with contextlib.ExitStack() as stack:
            writers = []
            for asset in group:
                names, common = _file_bands(spec, asset)
                writers.append(stack.enter_context(CogWriter(
                    paths[asset.key], shape=asset.shape, transform=asset.transform,
                    epsg=spec.epsg, count=max(1, len(asset.bands)), dtype=asset.dtype,
                    nodata=asset.nodata, band_names=names, common_names=common,
                    resampling="AVERAGE" if asset.kind in ("bands", "pan") else "NEAREST",
                    num_threads=num_threads,
                )))
            col_idx = np.arange(cols)
            for r0, r1 in _row_blocks(rows, cols):
                out = render_grid(spec, first.transform, np.arange(r0, r1), col_idx, keys)
                if main:
                    counter.add(out.classes)
                for asset, writer in zip(group, writers, strict=True):
                    writer.write(r0, encode(spec, asset, out))


def _write_raw(spec: SceneSpec, paths: dict[str, Path]) -> NDArray[np.uint8]:
    from .cog import write_raw_tiff

    assert spec.raw_shape is not None
    sensor = spec.sensor
    ms_key, pan_key = main_keys(spec)
    ms_names = [b.key for b in sensor.ms_bands]
    x, y = raw_points(spec, spec.raw_shape)
    out = render_points(spec, x, y, ms_names)
    valid = np.ones(x.shape, dtype=bool)
    ms = np.stack([to_dn(out.bands[n], valid) for n in ms_names])
    write_raw_tiff(paths[ms_key], ms, [b.name for b in sensor.ms_bands])
    f = sensor.pan_factor
    px, py = raw_points(spec, (spec.raw_shape[0] * f, spec.raw_shape[1] * f))
    pan_out = render_points(spec, px, py, [n for n, _ in sensor.pan_weights])
    pan = to_dn(pan_value(spec, pan_out.bands), np.ones(px.shape, dtype=bool))
    write_raw_tiff(paths[pan_key], pan[None], [sensor.pan.name])
    return _quicklook(*(ms[ms_names.index(b)] for b in ("red", "green", "blue")))


def build_item_files(spec: SceneSpec, data_root: Path, num_threads: int = 1) -> ItemResult:
    """Write every twin-hosted file of one item under ``data_root`` and measure its covers.

    Parameters
    ----------
    spec
        The item.
    data_root
        Folder of the object store (its sub-folders are buckets).
    num_threads
        Threads GDAL may use to compress COGs.

    Returns
    -------
    ItemResult
    """
    from .cog import write_png

    paths = {k: data_root / spec.object_key(k) for k in spec.file_names}
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    counter = _Counter()
    assets = raster_assets(spec)
    if assets:
        _write_rasters(spec, assets, paths, counter, num_threads)
        cloud = counter.percent(LandCover.CLOUD)
        snow = counter.percent(LandCover.SNOW)
    else:
        cloud, snow = cover_fractions(spec)
    quicklook = _write_raw(spec, paths) if spec.level == BRUT and spec.hosted else None
    if "thumbnail" in paths:
        write_png(paths["thumbnail"], quicklook if quicklook is not None else _ortho_quicklook(spec))
    if spec.layout == THEIA:
        from .theia_metadata import metadata_xml

        paths["MD"].write_bytes(metadata_xml(spec, cloud))
    sizes = {k: p.stat().st_size for k, p in paths.items()}
    return ItemResult(spec.item_id, cloud, snow, sizes)
