"""Writing rasters: Cloud Optimized GeoTIFFs, raw (non georeferenced) TIFFs and PNG quicklooks.

COGs are written block by block into an uncompressed temporary GeoTIFF, then copied by GDAL's COG
driver: 256 x 256 tiles, DEFLATE with horizontal differencing (PREDICTOR=2), AVERAGE overviews down
to one tile (NEAREST for masks), pixel interleaving (the COG driver's default for multiband images).
SPOT and Pléiades files are uint16 with nodata 0; Sentinel-2 files int16 (nodata -10000 for THEIA's)
and THEIA's masks uint8.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import ColorInterp
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import Affine
from rasterio.windows import Window

__all__ = ["COG_OPTIONS", "CogWriter", "write_cog", "write_png", "write_raw_tiff"]

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


class CogWriter:
    """Write a COG from row blocks: an uncompressed temporary GeoTIFF, copied by GDAL's COG driver
    when the writer is closed (``with`` block). The temporary file is removed in any case.

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
    count, dtype, nodata
        Bands, data type, and nodata value (``None``: the file declares none).
    band_names
        Band descriptions written in the file (``None``: none).
    common_names
        The bands' ``eo:bands`` common names, to set the colour interpretation of R, G, B files.
    resampling
        Overview resampling (``AVERAGE``; ``NEAREST`` for masks).
    num_threads
        Threads GDAL may use to compress.
    """

    def __init__(
        self,
        path: Path,
        *,
        shape: tuple[int, int],
        transform: Sequence[float],
        epsg: int,
        count: int,
        dtype: str = "uint16",
        nodata: float | None = 0,
        band_names: Sequence[str] | None = None,
        common_names: Sequence[str] = (),
        resampling: str = "AVERAGE",
        num_threads: int = 1,
    ) -> None:
        self.path = path
        self.cols = shape[1]
        self.options = dict(COG_OPTIONS, OVERVIEW_RESAMPLING=resampling)
        self.num_threads = num_threads
        self._tmp = path.with_name(path.name + ".tmp.tif")
        profile: dict[str, Any] = {
            "driver": "GTiff",
            "width": shape[1],
            "height": shape[0],
            "count": count,
            "dtype": dtype,
            "crs": CRS.from_epsg(epsg),
            "transform": Affine(*transform),
            "nodata": nodata,
            "interleave": "pixel",
            "BIGTIFF": "IF_SAFER",
        }
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            self._dst = rasterio.open(self._tmp, "w", **profile)
        try:
            for i, name in enumerate(band_names or [], start=1):
                self._dst.set_band_description(i, name)
            if common_names:
                self._dst.colorinterp = _colorinterp(common_names)
        except BaseException:
            self.close(keep=False)
            raise

    def write(self, row_off: int, data: NDArray[np.generic]) -> None:
        """Write ``data`` (``(count, rows, cols)``) from row ``row_off``."""
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            self._dst.write(data, window=Window(0, row_off, self.cols, data.shape[1]))

    def close(self, *, keep: bool = True) -> None:
        """Close the temporary file and, if ``keep``, copy it as a COG to ``path``."""
        try:
            with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
                self._dst.close()
                if keep:
                    rasterio.shutil.copy(
                        self._tmp, self.path, driver="COG", NUM_THREADS=str(self.num_threads),
                        **self.options,
                    )
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> CogWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.close(keep=exc_type is None)


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
    """Write a uint16 COG (nodata 0) from row blocks ``(row_offset, (bands, rows, cols) array)``
    covering the raster (see :class:`CogWriter` for the parameters)."""
    with CogWriter(path, shape=shape, transform=transform, epsg=epsg, count=len(band_names),
                   band_names=band_names, common_names=common_names,
                   num_threads=num_threads) as writer:
        for row_off, data in blocks:
            writer.write(row_off, data)


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
