"""Computed layers as map overlays: a 2-D array of a cube, coloured, placed on a web map.

:func:`array_overlay` reprojects a georeferenced 2-D DataArray (the cube's CRS, e.g. UTM) to Web
Mercator, the map's projection, so that an image stretched between its south-west and north-east corners
lands on the right pixels; colours it with a ramp (NaN transparent) and encodes it as a ``data:`` PNG URL.

Examples
--------
With a computed NDVI (``ndvi = dw.ndvi(cube).compute()``)::

    url, bounds = array_overlay(ndvi.isel(time=-1))
    explorer_map.show_overlay(url, bounds, "NDVI")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .png import NDVI_RAMP, colorize, data_url, encode_png, shrink

__all__ = ["Frame", "array_overlay", "array_png", "time_frames"]


def array_png(values: Any, max_side: int = 512, ramp: Any = NDVI_RAMP) -> bytes:
    """A 2-D array as a coloured PNG (longest side at most ``max_side`` pixels)."""
    return encode_png(colorize(shrink(np.asarray(values, dtype=np.float64), max_side), ramp))


def array_overlay(array: Any, max_side: int = 1024,
                  ramp: Any = NDVI_RAMP) -> tuple[str, tuple[float, float, float, float]]:
    """A georeferenced 2-D DataArray as a map overlay.

    Parameters
    ----------
    array
        A 2-D :class:`xarray.DataArray` with a CRS (odc-geo's ``.odc`` accessor must know its grid),
        computed or lazy (it is computed).
    max_side
        Longest side of the image, in pixels.
    ramp
        Colour ramp (:data:`~dinamis_widgets.ui.png.NDVI_RAMP` by default).

    Returns
    -------
    tuple
        The ``data:`` PNG URL and the bounds ``(west, south, east, north)`` in degrees.
    """
    import odc.geo.xr  # noqa: F401  (the .odc accessor)

    da = array.squeeze(drop=True)
    if da.ndim != 2:
        raise ValueError(f"An overlay needs a 2-D array, not dims {da.dims}.")
    mercator = da.astype("float32").odc.reproject("EPSG:3857", resampling="nearest")
    bbox = mercator.odc.geobox.boundingbox.to_crs("EPSG:4326")
    values = np.asarray(mercator.values, dtype=np.float64)
    nodata = mercator.attrs.get("nodata")
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        values[values == nodata] = np.nan
    png = encode_png(colorize(shrink(values, max_side), ramp))
    return data_url(png), (float(bbox.left), float(bbox.bottom), float(bbox.right), float(bbox.top))


@dataclass(frozen=True)
class Frame:
    """One date of a computed index, ready to show: its plot image and its map overlay.

    Attributes
    ----------
    label : str
        The date (``2025-06-19 10:41:05``), or ``"NDVI"`` without a time axis.
    mean : float
        Mean of the valid values (NaN when none).
    png : bytes
        The array as a PNG (at most ``plot_side`` pixels a side), for a plot.
    url, bounds
        The overlay: a ``data:`` PNG URL in Web Mercator and its ``(west, south, east, north)``.
    """

    label: str
    mean: float
    png: bytes
    url: str
    bounds: tuple[float, float, float, float]


def time_frames(array: Any, plot_side: int = 320) -> list[Frame]:
    """Every date of a computed, georeferenced DataArray as a :class:`Frame` (the heavy part of showing
    it: meant for a background thread)."""
    times = list(array["time"].values) if "time" in array.dims else [None]
    frames = []
    for i, when in enumerate(times):
        frame = array.isel(time=i) if when is not None else array
        values = np.asarray(frame.values, dtype=np.float64)
        mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        url, bounds = array_overlay(frame)
        frames.append(Frame(str(when)[:19].replace("T", " ") if when is not None else "NDVI", mean,
                            array_png(values, max_side=plot_side), url, bounds))
    return frames
