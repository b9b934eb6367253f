"""Write cubes and indices: Cloud Optimized GeoTIFF, Zarr, NetCDF, with provenance and a progress bar.

Every writer computes the (lazy) input while writing (:func:`compute` does the same for a plain
computation), shows a progress bar (dask's in a terminal or a
notebook; ``distributed``'s when a client is active; ``progress=False`` to hide it), and records
provenance: the items, their *unsigned* hrefs, the load's parameters, the toolkit's version and the time
of writing. Signatures never reach a file: every text attribute is passed through
:func:`~dinamis_widgets.errors.mask_signatures`.

Examples
--------
>>> import numpy as np, xarray as xr, tempfile, os
>>> da = xr.DataArray(np.ones((2, 3), "float32"), dims=("y", "x"), name="ndvi",
...                   coords={"y": [1.5, 0.5], "x": [0.5, 1.5, 2.5]})
>>> path = to_netcdf(da, os.path.join(tempfile.mkdtemp(), "ndvi.nc"), progress=False)
>>> xr.open_dataset(path).attrs["dinamis_version"] == provenance(da)["dinamis_version"]
True
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import xarray as xr

from ..errors import ExportError, InputError, mask_signatures, quote

__all__ = ["ExportError", "compute", "provenance", "to_cog", "to_netcdf", "to_zarr"]


PathLike = str | os.PathLike[str]
ZarrMode = Literal["w", "w-", "a", "a-", "r+"]
NetCDFEngine = Literal["netcdf4", "h5netcdf"]


# --------------------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return mask_signatures(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def provenance(obj: xr.Dataset | xr.DataArray) -> dict[str, Any]:
    """Provenance attributes to write with ``obj``: its ``dinamis_*`` attributes, the toolkit's version
    and the time of writing (UTC), signatures masked.

    Examples
    --------
    >>> import xarray as xr
    >>> p = provenance(xr.DataArray([1], attrs={"dinamis_hrefs": ["https://h/a.tif?X-Amz-Signature=s"]}))
    >>> p["dinamis_hrefs"]
    ['https://h/a.tif?X-Amz-Signature=***']
    """
    from .. import __version__

    attrs = {k: _clean(v) for k, v in obj.attrs.items() if k.startswith("dinamis_") or k == "pansharpening"}
    attrs["dinamis_version"] = __version__
    attrs["dinamis_written"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    attrs.setdefault("dinamis_items", [])
    history = f"{attrs['dinamis_written']} written by dinamis_widgets {__version__}"
    attrs["history"] = "\n".join(h for h in (str(obj.attrs.get("history", "")), history) if h)
    return attrs


def _flat_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes for formats that take only scalars and strings: lists become JSON text."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if v is None:
            continue
        if isinstance(v, list | tuple | dict):
            v = json.dumps(_clean(list(v) if not isinstance(v, dict) else v))
        out[k] = _clean(v)
    return out


def _with_provenance(obj: xr.Dataset | xr.DataArray, flat: bool) -> xr.Dataset:
    ds = obj.to_dataset(name=obj.name or "data") if isinstance(obj, xr.DataArray) else obj.copy()
    attrs = provenance(obj)
    ds.attrs = _flat_attrs(attrs) if flat else attrs
    for name in ds.variables:
        var_attrs = {k: v for k, v in ds[name].attrs.items() if not k.startswith("dinamis_")}
        ds[name].attrs = _flat_attrs(var_attrs) if flat else {k: _clean(v) for k, v in var_attrs.items()}
    return ds


# --------------------------------------------------------------------------------------------------
# Running a computation with a progress bar
# --------------------------------------------------------------------------------------------------


def _checked(obj: Any, path: Any, what: str, *, directory: bool = False) -> Path:
    """Refuse, before computing anything, what cannot be written: not an xarray object, a destination
    that is not a path, whose folder is missing or not writable, or that is a folder (a file is asked)."""
    if not isinstance(obj, xr.Dataset | xr.DataArray):
        hint = (" Wrap a numpy array in an xarray.DataArray with y/x coordinates and a CRS "
                "(.rio.write_crs), or write a cube made by dinamis_widgets.load."
                if isinstance(obj, np.ndarray) else " Give a cube made by dinamis_widgets.load, or an index.")
        raise InputError(f"Cannot write {what} from a {type(obj).__name__} ({quote(obj)}): an xarray "
                         f"Dataset or DataArray is needed.{hint}")
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise InputError(f"The destination {quote(path)} of the {what} is not a path: give a file name such "
                         f"as 'out{'.zarr' if directory else '.tif' if what == 'COG' else '.nc'}'.")
    dest = Path(os.fspath(path)).expanduser()
    parent = dest.parent
    if not parent.is_dir():
        raise ExportError(f"Cannot write the {what} {quote(os.fspath(path))}: its folder "
                          f"{quote(str(parent))} "
                          f"does not exist. Create it first (os.makedirs({str(parent)!r}, exist_ok=True)) "
                          "or choose another folder.")
    try:  # what the writer will do: os.access says yes to root on read-only folders
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError:
        raise ExportError(f"Cannot write the {what} {quote(os.fspath(path))}: the folder "
                          f"{quote(str(parent))} "
                          "is not writable by you. Choose a folder of yours (e.g. your home or the "
                          "notebook's folder).") from None
    if dest.is_dir() and not directory:
        raise ExportError(f"Cannot write the {what} {quote(os.fspath(path))}: it is a folder. Give a file "
                          f"name inside it, e.g. {str(dest / ('out.tif' if what == 'COG' else 'out.nc'))!r}.")
    if directory and dest.exists() and not dest.is_dir():
        raise ExportError(f"Cannot write the {what} {quote(os.fspath(path))}: a file of that name exists "
                          "and a Zarr store is a folder. Remove it or choose another name.")
    return dest


def _active_client() -> Any | None:
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed is optional
        return None
    try:
        return default_client()
    except ValueError:
        return None


def compute(task: Any, *, progress: bool = True) -> Any:
    """Compute a lazy cube, index or write with a progress bar: ``distributed.progress`` when a client is
    active, ``dask.diagnostics.ProgressBar`` otherwise.

    Parameters
    ----------
    task
        A dask collection: a lazy Dataset or DataArray (``dw.ndvi(ds)``), a delayed write...
    progress
        Show the progress bar.

    Returns
    -------
    Any
        The computed result.

    Examples
    --------
    >>> import dask.array as da
    >>> int(compute(da.ones(4, chunks=2).sum(), progress=False))
    4
    """
    import dask

    client = _active_client()
    if client is not None:
        future = client.compute(task)
        if progress:
            from distributed import progress as dist_progress

            dist_progress(future)
        return future.result()
    if progress:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            return dask.compute(task)[0]
    return dask.compute(task)[0]


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------


def to_zarr(obj: xr.Dataset | xr.DataArray, path: PathLike, *, mode: ZarrMode = "w", progress: bool = True,
            **kwargs: Any) -> Path:
    """Write a cube or an index to a Zarr store, with provenance attributes.

    Parameters
    ----------
    obj
        Dataset or DataArray (lazy or not).
    path
        Destination folder.
    mode
        ``"w"`` (replace), ``"w-"`` (fail if it exists) or ``"a"`` (append/replace variables).
    progress
        Show a progress bar.
    **kwargs
        Passed to :meth:`xarray.Dataset.to_zarr`. The store is Zarr format 2 with consolidated metadata
        unless ``zarr_format=3`` is passed: format 2 is what GDAL (hence QGIS) and most tools read, and
        consolidated metadata opens in one request over HTTP (format 3 has no consolidated metadata in
        its specification yet).

    Returns
    -------
    pathlib.Path
        ``path``. Reopen with ``xarray.open_zarr(path, decode_coords="all")`` (the CRS is in
        ``spatial_ref``).

    Examples
    --------
    >>> import numpy as np, xarray as xr, tempfile, os
    >>> ds = xr.Dataset({"red": (("y", "x"), np.ones((2, 2), "uint16"))}, attrs={"dinamis_items": ["A"]})
    >>> path = to_zarr(ds, os.path.join(tempfile.mkdtemp(), "cube.zarr"), progress=False)
    >>> xr.open_zarr(path).attrs["dinamis_items"]
    ['A']
    """
    _checked(obj, path, "Zarr store", directory=True)
    ds = _with_provenance(obj, flat=False)
    for name in ds.variables:
        ds[name].encoding.pop("chunks", None)
        ds[name].encoding.pop("preferred_chunks", None)
    try:
        kwargs.setdefault("zarr_format", 2)
        compute(ds.to_zarr(os.fspath(path), mode=mode, compute=False, **kwargs), progress=progress)
    except (OSError, ValueError, TypeError) as exc:
        raise ExportError(f"Writing Zarr {os.fspath(path)!r} failed: {mask_signatures(str(exc))}") from None
    return Path(path)


def to_netcdf(obj: xr.Dataset | xr.DataArray, path: PathLike, *, engine: NetCDFEngine | None = None,
              progress: bool = True, **kwargs: Any) -> Path:
    """Write a cube or an index to NetCDF-4, with provenance attributes (lists stored as JSON text).

    Parameters
    ----------
    obj
        Dataset or DataArray (lazy or not).
    path
        Destination ``.nc`` file (replaced).
    engine
        ``"h5netcdf"`` or ``"netcdf4"``; the first installed by default.
    progress
        Show a progress bar.
    **kwargs
        Passed to :meth:`xarray.Dataset.to_netcdf`.

    Returns
    -------
    pathlib.Path
        ``path``. Reopen with ``xarray.open_dataset(path, decode_coords="all")``.

    Examples
    --------
    See the module's example.
    """
    _checked(obj, path, "NetCDF file")
    ds = _with_provenance(obj, flat=True)
    try:
        delayed = ds.to_netcdf(os.fspath(path), engine=engine or _netcdf_engine(), compute=False,
                               **kwargs)
        compute(delayed, progress=progress)
    except (OSError, ValueError, TypeError, ImportError) as exc:
        raise ExportError(f"Writing NetCDF {os.fspath(path)!r} failed: {mask_signatures(str(exc))}") from None
    return Path(path)


def _netcdf_engine() -> NetCDFEngine:
    for name in ("h5netcdf", "netCDF4"):
        with contextlib.suppress(ImportError):
            __import__(name)
            return cast(NetCDFEngine, name.lower())
    raise ExportError("Writing NetCDF needs h5netcdf or netCDF4: pip install h5netcdf")


def _as_bands(obj: xr.Dataset | xr.DataArray) -> xr.DataArray:
    """A (band, y, x) array: variables and time steps become bands, with descriptions."""
    if isinstance(obj, xr.Dataset):
        arrays = [obj[name] for name in obj.data_vars]
        if not arrays:
            raise ExportError("The dataset has no variable to write.")
        dtype = np.result_type(*[a.dtype for a in arrays])
        layers = [a.astype(dtype).expand_dims(band=[str(a.name)]) for a in arrays]
        obj = xr.concat(layers, dim="band")
    else:
        obj = obj.expand_dims(band=[str(obj.name or "data")])
    extra = [d for d in obj.dims if d not in ("band", "y", "x")]
    if any(d not in obj.dims for d in ("y", "x")):
        raise ExportError(f"A GeoTIFF needs y and x dimensions; this array has {obj.dims}.")
    if extra:
        obj = obj.stack(layer=["band", *extra]).transpose("layer", "y", "x")
        names = [" ".join(str(v)[:19] for v in idx) for idx in obj.indexes["layer"]]
        obj = obj.drop_vars(["layer", "band", *extra]).rename(layer="band")
        obj = obj.assign_coords(band=names)
    return obj.transpose("band", "y", "x")


def _odc_crs(obj: xr.Dataset | xr.DataArray) -> Any:
    try:
        import odc.geo.xr  # noqa: F401  (the .odc accessor)

        crs = obj.odc.crs
    except (ImportError, AttributeError, ValueError):
        return None
    return None if crs is None else str(crs)


def _nodata_of(obj: xr.Dataset | xr.DataArray, *, floating: bool) -> Any:
    if floating:
        return np.nan
    if isinstance(obj, xr.DataArray):
        return obj.attrs.get("nodata")
    values = [obj[v].attrs.get("nodata") for v in obj.data_vars]
    return next((v for v in values if v is not None), None)


def to_cog(obj: xr.Dataset | xr.DataArray, path: PathLike, *, compress: str = "DEFLATE",
           blocksize: int = 512, overviews: bool = True, progress: bool = True) -> Path:
    """Write a cube or an index as a Cloud Optimized GeoTIFF (tiled, compressed, with overviews).

    Variables (and time steps, when there are several) become bands, described by name (and date).
    Provenance is written as GeoTIFF metadata (lists as JSON text).

    Parameters
    ----------
    obj
        Dataset or DataArray with ``y`` and ``x`` dimensions and a CRS (as loaded).
    path
        Destination ``.tif`` (replaced).
    compress
        Compression (``"DEFLATE"``, ``"ZSTD"``, ``"LZW"``...).
    blocksize
        Tile side in pixels.
    overviews
        Build overviews (``AUTO``: halving until one tile).
    progress
        Show a progress bar while computing.

    Returns
    -------
    pathlib.Path
        ``path``, readable by rasterio, GDAL and QGIS.

    Raises
    ------
    ExportError
        No CRS, no ``y``/``x`` dimensions, or GDAL failed to write.

    Examples
    --------
    >>> import numpy as np, xarray as xr, rasterio, rioxarray, tempfile, os
    >>> da = xr.DataArray(np.array([[0.1, 0.2], [0.3, np.nan]], "float32"), dims=("y", "x"), name="ndvi",
    ...                   coords={"y": [5091003.0, 5090997.0], "x": [656721.0, 656727.0]})
    >>> path = to_cog(da.rio.write_crs("EPSG:32630"), os.path.join(tempfile.mkdtemp(), "n.tif"),
    ...               progress=False)
    >>> with rasterio.open(path) as src:
    ...     print(src.crs, src.descriptions, src.read(1)[0].tolist())
    EPSG:32630 ('ndvi',) [0.10000000149011612, 0.20000000298023224]
    """
    import rasterio
    import rasterio.shutil
    import rioxarray  # noqa: F401  (the .rio accessor)

    dest = _checked(obj, path, "COG")
    bands = _as_bands(obj)
    crs = bands.rio.crs or _odc_crs(obj)
    if crs is not None and bands.rio.crs is None:
        bands = bands.rio.write_crs(crs)
    if crs is None:
        raise ExportError("The array has no CRS: write arrays made by dinamis_widgets.load (they carry "
                          "their CRS in 'spatial_ref'), or set one with .rio.write_crs().")
    nodata = _nodata_of(obj, floating=bool(np.issubdtype(bands.dtype, np.floating)))
    tags = _flat_attrs(provenance(obj))
    descriptions = [str(b) for b in bands["band"].values]
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        tiff = os.path.join(tmp, "data.tif")
        data = bands.drop_vars("band")
        if nodata is not None:
            data = data.rio.write_nodata(nodata, encoded=False)
        try:
            if _active_client() is not None and data.chunks is not None:
                data = data.copy(data=compute(data.data, progress=progress))
                data.rio.to_raster(tiff, tiled=True, compress=compress)
            else:
                delayed = data.rio.to_raster(tiff, tiled=True, compress=compress, lock=threading.Lock(),
                                             compute=False)
                if delayed is not None:
                    compute(delayed, progress=progress)
            with rasterio.open(tiff, "r+") as dst:
                for i, name in enumerate(descriptions, start=1):
                    dst.set_band_description(i, name)
                dst.update_tags(**{k: str(v) for k, v in tags.items()})
            rasterio.shutil.copy(tiff, dest, driver="COG", COMPRESS=compress, BLOCKSIZE=str(blocksize),
                                 OVERVIEWS="AUTO" if overviews else "NONE", BIGTIFF="IF_SAFER")
        except Exception as exc:  # GDAL's CPLE_* errors are not public: told apart by their module
            if not isinstance(exc, OSError | ValueError | rasterio.errors.RasterioError) and not \
                    type(exc).__module__.startswith("rasterio"):
                raise
            message = mask_signatures(str(exc))
            raise ExportError(f"Writing COG {quote(os.fspath(path))} failed: {message}") from None
    return dest
