"""Writing rasters: Cloud Optimized GeoTIFFs, raw (non georeferenced) TIFFs and PNG quicklooks.

COGs are written block by block into an uncompressed temporary GeoTIFF, then copied by GDAL's COG
driver: 256 x 256 tiles, DEFLATE with horizontal differencing (PREDICTOR=2), AVERAGE overviews down
to one tile, nodata 0, pixel interleaving (the COG driver's default for multiband images).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import ColorInterp
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import Affine
from rasterio.windows import Window

__all__ = ["COG_OPTIONS", "write_cog", "write_png", "write_raw_tiff"]

#: Creation options of every COG of the twin.
COG_OPTIONS: dict[str, str] = {
    "BLOCKSIZE": "256",
    "COMPRESS": "DEFLATE",
    "PREDICTOR": "2",
    "LEVEL": "6",
    "OVERVIEWS": "AUTO",
    "OVERVIEW_RESAMPLING": "AVERAGE",
    "BIGTIFF": "IF_SAFER",
}

#: GDAL block cache while writing, in MB (keeps the 10000 x 10000 benchmark scene near 300 MB).
GDAL_CACHE_MB = 256

_COLORS = {"red": ColorInterp.red, "green": ColorInterp.green, "blue": ColorInterp.blue}


def _colorinterp(common_names: Sequence[str]) -> list[ColorInterp]:
    if list(common_names[:3]) == ["red", "green", "blue"]:
        return [_COLORS[n] for n in common_names[:3]] + [ColorInterp.undefined] * (
            len(common_names) - 3
        )
    return [ColorInterp.gray] + [ColorInterp.undefined] * (len(common_names) - 1)


def write_cog(
    path: Path,
    *,
    shape: tuple[int, int],
    transform: Sequence[float],
    epsg: int,
    band_names: Sequence[str],
    common_names: Sequence[str],
    blocks: Iterable[tuple[int, NDArray[np.uint16]]],
    num_threads: int = 1,
) -> None:
    """Write a uint16 COG from row blocks.

    Parameters
    ----------
    path
        Destination ``.tif``; its folder must exist. A temporary ``.tmp.tif`` sibling is used.
    shape
        ``(rows, cols)``.
    transform
        Affine ``(a, b, c, d, e, f)``.
    epsg
        EPSG code of the CRS.
    band_names, common_names
        Band descriptions written in the file, and the ``eo:bands`` common names (to set the
        colour interpretation of R, G, B files).
    blocks
        ``(row_offset, array)`` with arrays of shape ``(bands, rows, cols)``, covering the raster.
    num_threads
        Threads GDAL may use to compress.
    """
    rows, cols = shape
    count = len(band_names)
    tmp = path.with_name(path.name + ".tmp.tif")
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": count,
        "dtype": "uint16",
        "crs": CRS.from_epsg(epsg),
        "transform": Affine(*transform),
        "nodata": 0,
        "interleave": "pixel",
        "BIGTIFF": "IF_SAFER",
    }
    try:
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), rasterio.open(tmp, "w", **profile) as dst:
            for i, name in enumerate(band_names, start=1):
                dst.set_band_description(i, name)
            dst.colorinterp = _colorinterp(common_names)
            for row_off, data in blocks:
                window = Window(0, row_off, cols, data.shape[1])
                dst.write(data, window=window)
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            rasterio.shutil.copy(
                tmp, path, driver="COG", NUM_THREADS=str(num_threads), **COG_OPTIONS
            )
    finally:
        tmp.unlink(missing_ok=True)


def write_raw_tiff(path: Path, data: NDArray[np.uint16], band_names: Sequence[str]) -> None:
    """Write a plain, striped, uncompressed TIFF without any georeferencing (a BRUT product).

    Parameters
    ----------
    path
        Destination ``.tif``.
    data
        Array ``(bands, rows, cols)``.
    band_names
        Band descriptions.
    """
    count, rows, cols = data.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            path, "w", driver="GTiff", width=cols, height=rows, count=count, dtype="uint16",
            interleave="pixel", tiled=False, PROFILE="BASELINE",
        ) as dst:
            for i, name in enumerate(band_names, start=1):
                dst.set_band_description(i, name)
            dst.write(data)
    aux = path.with_name(path.name + ".aux.xml")
    aux.unlink(missing_ok=True)


def write_png(path: Path, rgba: NDArray[np.uint8]) -> None:
    """Write an RGBA (rows, cols, 4) uint8 array as PNG."""
    from PIL import Image

    Image.fromarray(rgba).save(path, format="PNG", compress_level=3)
