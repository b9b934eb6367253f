"""A map view of signed COGs, rendered in Web Mercator: true colour or NDVI, as an RGBA array.

:func:`render_view` reads what a web map shows, and nothing more: the view's bounds and its size in screen
pixels give a Web Mercator grid (``EPSG:3857``) whose pixel is the screen's; :func:`~dinamis_widgets.load`
reads it through the toolkit's signed, re-signing reader, from the COG overview that matches that
resolution (full resolution once zoomed in enough), with one chunk for the whole view. The values are
stretched (:class:`Stretch`: percentiles or fixed bounds) into an RGBA array whose alpha is 0 where no
item has data. No widget here: the explorer's live view (``dinamis_widgets.ui.live_view``) sends it to the
map as a PNG.

:func:`view_arguments` gives the load arguments of a view, so :func:`~dinamis_widgets.plan` tells what the
view costs before reading it (``dw.plan(items, bands, **view_arguments(bounds, size))``).

Examples
--------
>>> args = view_arguments((-1.0, 45.9, -0.9, 46.0), (512, 512))
>>> args["crs"], round(args["resolution"], 2)
('EPSG:3857', 21.74)
>>> zoom_resolution(12)  # metres of Web Mercator per screen pixel at zoom 12
38.21851414258813
>>> s = Stretch.minmax(0, 1000); s.limits(np.array([10.0, 500.0]))
(0.0, 1000.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..errors import LoadError

__all__ = ["RenderedView", "Stretch", "render_view", "view_arguments", "zoom_resolution"]

#: Half the Web Mercator world's width, in metres.
_HALF_WORLD = 20037508.342789244
#: Chunk side of a view's load: one chunk covers a view up to this many pixels a side.
_VIEW_CHUNK = 4096

Ramp = Sequence[tuple[float, tuple[int, int, int]]]
Kind = Literal["truecolor", "ndvi"]


def zoom_resolution(zoom: float) -> float:
    """Web Mercator metres per screen pixel at a web map's zoom level (256-pixel tiles)."""
    return 2 * _HALF_WORLD / (256 * 2 ** float(zoom))


def _mercator_x(lon: float) -> float:
    return _HALF_WORLD * lon / 180.0


def view_arguments(bounds: Sequence[float], size: Sequence[int]) -> dict[str, Any]:
    """Arguments of :func:`~dinamis_widgets.load` (and :func:`~dinamis_widgets.plan`) for a map view.

    Parameters
    ----------
    bounds
        The view ``(west, south, east, north)`` in degrees.
    size
        The view's ``(width, height)`` in screen pixels.

    Returns
    -------
    dict
        ``aoi``, ``crs="EPSG:3857"``, ``resolution`` (metres of Web Mercator per screen pixel), ``chunks``
        (one chunk for the view) and ``options`` (nearest resampling, overviews, the grid anchored on the
        view's edge).
    """
    from ..reading.options import LoadOptions

    west, south, east, north = (float(v) for v in bounds)
    width, height = int(size[0]), int(size[1])
    if not (east > west and north > south) or width <= 0 or height <= 0:
        raise LoadError(f"A view needs bounds (west, south, east, north) and a size in pixels, not "
                        f"{tuple(bounds)!r:.80} and {tuple(size)!r:.40}.")
    resolution = (_mercator_x(east) - _mercator_x(west)) / width
    return {"aoi": (west, south, east, north), "crs": "EPSG:3857", "resolution": resolution,
            "chunks": _VIEW_CHUNK,
            "options": LoadOptions(resampling="nearest", anchor="edge", use_overviews=True)}


@dataclass(frozen=True)
class Stretch:
    """How values become colours: percentiles of the view (``Stretch.percentile(2, 98)``) or fixed bounds
    (``Stretch.minmax(0, 1200)``), the same for every band.

    Attributes
    ----------
    mode : str
        ``"percentile"`` or ``"minmax"``.
    low, high : float
        Percentiles (0-100) or values.
    """

    mode: Literal["percentile", "minmax"] = "percentile"
    low: float = 2.0
    high: float = 98.0

    @classmethod
    def percentile(cls, low: float = 2.0, high: float = 98.0) -> Stretch:
        """Stretch between two percentiles of the view's valid values."""
        if not 0 <= low < high <= 100:
            raise LoadError(f"Percentiles must satisfy 0 <= low < high <= 100, not {low!r}, {high!r}.")
        return cls("percentile", float(low), float(high))

    @classmethod
    def minmax(cls, vmin: float, vmax: float) -> Stretch:
        """Stretch between two values (DNs, reflectances)."""
        if not vmax > vmin:
            raise LoadError(f"A stretch needs vmin < vmax, not {vmin!r}, {vmax!r}.")
        return cls("minmax", float(vmin), float(vmax))

    def limits(self, values: NDArray[np.floating]) -> tuple[float, float]:
        """The ``(low, high)`` values of this stretch over ``values`` (NaN ignored)."""
        if self.mode == "minmax":
            return self.low, self.high
        valid = values[np.isfinite(values)]
        if valid.size == 0:
            return 0.0, 1.0
        low, high = (float(v) for v in np.percentile(valid, [self.low, self.high]))
        return (low, high) if high > low else (low, low + 1.0)


@dataclass(frozen=True)
class RenderedView:
    """A view rendered: an RGBA image in Web Mercator and where it goes.

    Attributes
    ----------
    rgba : numpy.ndarray
        ``(height, width, 4)`` ``uint8``; alpha 0 where no item has data.
    bounds : tuple
        ``(west, south, east, north)`` in degrees of the image's edges.
    resolution : float
        Web Mercator metres per pixel.
    kind : str
        ``"truecolor"`` or ``"ndvi"``.
    limits : dict
        The stretch applied: band -> ``(low, high)``.
    transform : tuple
        The image's affine transform in Web Mercator ``(a, b, c, d, e, f)``, rows north to south.
    values : numpy.ndarray or None
        The NDVI of each pixel (``float32``, NaN without data), for an NDVI view.
    """

    rgba: NDArray[np.uint8]
    bounds: tuple[float, float, float, float]
    resolution: float
    kind: str
    limits: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    transform: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 0.0, -1.0, 0.0)
    values: NDArray[np.floating] | None = None

    @property
    def coverage(self) -> float:
        """Share of the image's pixels that have data."""
        return float((self.rgba[..., 3] > 0).mean()) if self.rgba.size else 0.0


def _newest_valid(values: NDArray[np.floating]) -> NDArray[np.floating]:
    """``(time, y, x)`` -> ``(y, x)``: the newest valid value of each pixel (times ascending)."""
    out = values[-1].copy()
    for index in range(values.shape[0] - 2, -1, -1):
        holes = ~np.isfinite(out)
        if not holes.any():
            break
        out[holes] = values[index][holes]
    return out


def _as_float(da: Any) -> NDArray[np.floating]:
    values = np.asarray(da.values, dtype=np.float32)
    nodata = da.attrs.get("nodata")
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        values[values == nodata] = np.nan
    return values if values.ndim == 2 else _newest_valid(values)


def _scale(values: NDArray[np.floating], low: float, high: float) -> NDArray[np.uint8]:
    scaled = np.clip((values - low) / (high - low), 0.0, 1.0) * 255.0
    return np.nan_to_num(scaled, nan=0.0).astype(np.uint8)


def _ramp(values: NDArray[np.floating], ramp: Ramp, low: float, high: float) -> NDArray[np.uint8]:
    stops = np.array([v for v, _ in ramp], dtype=np.float64)
    stops = low + (stops - stops[0]) / (stops[-1] - stops[0]) * (high - low)
    colours = np.array([c for _, c in ramp], dtype=np.float64)
    filled = np.nan_to_num(values, nan=low)
    channels = [np.interp(filled, stops, colours[:, i]) for i in range(3)]
    return np.stack(channels, axis=-1).round().astype(np.uint8)


#: Grey to green, for NDVI when no ramp is given.
_GREENS: Ramp = ((-1.0, (110, 110, 110)), (0.0, (230, 220, 180)), (0.5, (120, 190, 80)), (1.0, (0, 100, 40)))


def render_view(items: Any, bounds: Sequence[float], size: Sequence[int], kind: Kind = "truecolor",
                stretch: Stretch | None = None, *, ramp: Ramp | None = None, signer: Any = None,
                bands: Sequence[str] | None = None) -> RenderedView:
    """Read and render a map view of items (signed COGs) as an RGBA image in Web Mercator.

    Parameters
    ----------
    items
        STAC items (anything :func:`~dinamis_widgets.load` takes); where several cover a pixel, the newest
        date shows.
    bounds, size
        The view ``(west, south, east, north)`` in degrees and its ``(width, height)`` in screen pixels
        (see :func:`view_arguments`).
    kind
        ``"truecolor"`` (red, green, blue) or ``"ndvi"``.
    stretch
        For true colour; ``Stretch.percentile(2, 98)`` by default. NDVI is drawn between -1 and 1 unless
        a ``minmax`` stretch says otherwise.
    ramp
        NDVI colours: ``(value, (r, g, b))`` stops from -1 to 1 (stretched to the limits).
    signer
        The signer of the reads (:func:`~dinamis_widgets.get_signer` by default).
    bands
        The three bands of a true-colour image (``("red", "green", "blue")`` by default).

    Returns
    -------
    RenderedView
    """
    from ..reading.loading import load

    kind_ = str(kind)
    if kind_ not in ("truecolor", "ndvi"):
        raise LoadError(f"Unknown view kind {kind_!r:.40}: use 'truecolor' or 'ndvi'.")
    args = view_arguments(bounds, size)
    names = list(bands or ("red", "green", "blue")) if kind_ == "truecolor" else ["red", "nir"]
    extra = {"signer": signer} if signer is not None else {}
    ds = load(items, bands=names, **args, **extra)
    box = ds.odc.geobox.boundingbox.to_crs("EPSG:4326")
    place = (float(box.left), float(box.bottom), float(box.right), float(box.top))
    computed = ds.compute()
    if kind_ == "truecolor":
        chosen = stretch or Stretch.percentile()
        planes = [_as_float(computed[name]) for name in names]
        limits = {name: chosen.limits(plane) for name, plane in zip(names, planes, strict=True)}
        rgb = np.stack([_scale(p, *limits[n]) for n, p in zip(names, planes, strict=True)], axis=-1)
        valid = np.all(np.stack([np.isfinite(p) for p in planes]), axis=0)
    else:
        red, nir = _as_float(computed["red"]), _as_float(computed["nir"])
        with np.errstate(divide="ignore", invalid="ignore"):
            values = (nir - red) / (nir + red)
        fixed = stretch is not None and stretch.mode == "minmax"
        low, high = stretch.limits(values) if stretch is not None and fixed else (-1.0, 1.0)
        limits = {"ndvi": (low, high)}
        rgb = _ramp(values, ramp or _GREENS, low, high)
        valid = np.isfinite(values)
    alpha = np.where(valid, 255, 0).astype(np.uint8)[..., None]
    affine = ds.odc.geobox.affine
    if affine.e > 0:  # odc-geo grids go north to south; an image must
        raise LoadError("A view's grid must have rows from north to south.")
    return RenderedView(np.ascontiguousarray(np.concatenate([rgb, alpha], axis=-1)), place,
                        float(args["resolution"]), kind_, limits,
                        (affine.a, affine.b, affine.c, affine.d, affine.e, affine.f),
                        values if kind_ == "ndvi" else None)
