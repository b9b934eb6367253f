"""Planted land cover and its rendering to 12-bit digital numbers (DN).

The scene is a deterministic function of UTM coordinates, per site and seed (land cover, texture)
and per acquisition (clouds, snow, crop phenology), so the MS and PAN grids of an item, its raw
(BRUT) image and all the dates of a site agree.

Model, per point:

* a land-cover class (water, forest, crops, bare soil, town), then snow and clouds on top;
* a linear mixture of endmember spectra: ``ground = k * t * ((1 - f) * E[base] + f * V)`` with
  ``E[base]`` the soil, urban, water or snow spectrum, ``V`` green vegetation, ``f`` the vegetation
  fraction (crop phenology, forest season), ``k`` a per-parcel or per-block brightness and ``t`` a
  small texture (1 ± 3.5 %);
* clouds: ``dn = ground * (1 - alpha) + alpha * C`` with soft cloud edges;
* DN = ``clip(rint(value), 1, 4095)`` inside the footprint, 0 (nodata) outside. PAN is the same
  rounding of a weighted mean of the band values at the PAN pixel centre.

Multiplicative factors (``k``, ``t``) leave NDVI unchanged, so the NDVI of a clear pixel is the one
set by its class and ``f``. Spectra are bright enough that NIR + red >= 1225 everywhere, which bounds
the NDVI error of integer rounding by ``1 / (NIR + red - 1) < 8.2e-4``.

Only additions, multiplications, divisions, ``sqrt``, ``floor``, comparisons and integer hashing
touch the 2-D arrays (no transcendental functions), so a pixel gets the same DN whatever window or
block it is rendered in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .noise import ValueNoise, derive_key, hash_unit, smoothstep
from .specs import SceneSpec

__all__ = [
    "CANONICAL_BANDS",
    "MAX_DN",
    "PHENOLOGY",
    "LandCover",
    "SceneModel",
    "render_grid",
    "render_points",
    "scene_model",
]

FloatArray = NDArray[np.float64]
MAX_DN = 4095
#: Order of the columns of the endmember tables: STAC ``eo:bands`` common names, and the second
#: and third red-edge bands of Sentinel-2 (``rededge2``, ``rededge3``: 740 and 783 nm).
CANONICAL_BANDS = (
    "coastal", "blue", "green", "red", "rededge", "nir",
    "rededge2", "rededge3", "nir08", "swir16", "swir22",
)


class LandCover(IntEnum):
    """Class codes of :func:`dinamis_widgets.twin.scenes.planted_classes`."""

    NODATA = 0
    WATER = 1
    FOREST = 2
    CROPS = 3
    BARE = 4
    TOWN = 5
    CLOUD = 6
    SNOW = 7


# Endmember spectra in DN (Sentinel-2 products store them as reflectance x 10000), columns as
# CANONICAL_BANDS. In the short-wave infrared, water and snow are dark, vegetation darker than soil.
_SOIL = (1150.0, 1250.0, 1500.0, 1750.0, 1950.0, 2100.0, 2000.0, 2050.0, 2150.0, 2700.0, 2400.0)
_URBAN = (1500.0, 1600.0, 1700.0, 1800.0, 1900.0, 2000.0, 1950.0, 1980.0, 2050.0, 2200.0, 2100.0)
_WATER = (1400.0, 1300.0, 1150.0, 850.0, 560.0, 420.0, 480.0, 440.0, 400.0, 250.0, 180.0)
_SNOW = (3800.0, 3800.0, 3750.0, 3700.0, 3500.0, 3300.0, 3400.0, 3350.0, 3250.0, 400.0, 350.0)
_VEGETATION = np.array(
    (700.0, 620.0, 1050.0, 330.0, 1900.0, 3500.0, 2900.0, 3400.0, 3550.0, 1700.0, 800.0))
_CLOUD = np.array(
    (3700.0, 3650.0, 3600.0, 3550.0, 3550.0, 3500.0, 3500.0, 3480.0, 3450.0, 3000.0, 2500.0))
_BASE_SOIL, _BASE_URBAN, _BASE_WATER, _BASE_SNOW = 0, 1, 2, 3
_TEXTURE_AMPLITUDE = 0.035
_CLOUD_EDGE = 0.12  # width of the cloud edge, in cloud-noise units
_TRACK_WIDTH = 4.0  # farm tracks between parcels, metres
_BLOCK, _STREET = 45.0, 7.0  # town blocks and streets, metres

#: Vegetation fraction through the year: ``(day-of-year knots, fractions)`` per crop.
PHENOLOGY: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "wheat": (
        (0, 45, 75, 105, 140, 165, 185, 200, 280, 300, 330, 366),
        (0.30, 0.40, 0.60, 0.85, 0.90, 0.60, 0.25, 0.05, 0.05, 0.10, 0.20, 0.30),
    ),
    "maize": (
        (0, 130, 160, 190, 215, 245, 270, 290, 366),
        (0.03, 0.03, 0.20, 0.70, 0.92, 0.85, 0.50, 0.05, 0.03),
    ),
    "sunflower": (
        (0, 110, 140, 170, 195, 220, 245, 260, 366),
        (0.02, 0.02, 0.20, 0.75, 0.85, 0.45, 0.10, 0.02, 0.02),
    ),
    "grassland": ((0, 90, 140, 200, 240, 290, 366), (0.55, 0.70, 0.85, 0.55, 0.45, 0.65, 0.55)),
    "vineyard": ((0, 100, 140, 190, 250, 300, 366), (0.08, 0.10, 0.35, 0.45, 0.40, 0.20, 0.08)),
    "pasture": ((0, 120, 240, 300, 366), (0.70, 0.80, 0.60, 0.55, 0.70)),
    "banana": ((0, 180, 366), (0.78, 0.82, 0.78)),
    "cane_a": ((0, 60, 150, 300, 340, 366), (0.20, 0.45, 0.80, 0.90, 0.50, 0.20)),
    "bare": ((0, 366), (0.04, 0.04)),
    "forest-temperate": (
        (0, 90, 120, 160, 250, 300, 330, 366),
        (0.55, 0.62, 0.85, 0.95, 0.93, 0.75, 0.60, 0.55),
    ),
    "forest-tropical": ((0, 366), (0.95, 0.95)),
}
_SHIFTED = {"cane_b": ("cane_a", 120.0), "cane_c": ("cane_a", 240.0)}


def vegetation_fraction(crop: str, day_of_year: float) -> float:
    """Vegetation fraction of a crop (or ``forest-temperate``/``forest-tropical``) on a day.

    Parameters
    ----------
    crop
        A key of :data:`PHENOLOGY`, or ``cane_b``/``cane_c`` (sugar cane planted later).
    day_of_year
        Day of the year, 0 to 366.
    """
    base, shift = _SHIFTED.get(crop, (crop, 0.0))
    days, fractions = PHENOLOGY[base]
    return float(np.interp((day_of_year - shift) % 366.0, days, fractions))


@dataclass(frozen=True)
class SceneModel:
    """The prepared, per-item parameters of the land-cover model (see the module docstring)."""

    spec: SceneSpec
    origin: tuple[float, float]
    texture: ValueNoise
    wood: ValueNoise
    relief: ValueNoise
    wobble: ValueNoise
    vigour: ValueNoise
    clouds: ValueNoise
    forest_threshold: float
    cloud_threshold: float | None
    snow_threshold: float | None
    forest_f: float
    crop_cumulative: tuple[float, ...]
    crop_f: tuple[float, ...]
    crop_bare: tuple[bool, ...]
    parcel_key: int
    town_key: int
    endmembers: tuple[tuple[float, ...], ...]  # soil, urban, water, snow


def _sample_square(centre: tuple[float, float], half: float, n: int = 64) -> tuple[
    FloatArray, FloatArray
]:
    axis = np.linspace(-half, half, n)
    return centre[0] + axis, centre[1] + axis


@lru_cache(maxsize=256)
def scene_model(spec: SceneSpec) -> SceneModel:
    """Prepare the land-cover model of one item (cached).

    Thresholds that set the share of forest, clouds and snow are quantiles of the noise fields on a
    fixed 64 x 64 sample, so they are deterministic too.
    """
    site, seed = spec.site, spec.seed
    land = site.landscape
    ox, oy = site.origin

    def key(*parts: object) -> int:
        return derive_key(seed, site.key, *parts)

    a, _, c, _, e, f = spec.ms_transform
    rows, cols = spec.ms_shape
    extent = max(abs(a) * cols, abs(e) * rows)
    centre = (c + a * cols / 2 - ox, f + e * rows / 2 - oy)

    wood = ValueNoise(key("wood"), land.forest_scale, 3)
    relief = ValueNoise(key("relief"), 1800.0, 2)
    clouds = ValueNoise(derive_key(seed, "clouds", spec.acquisition_key), extent / 3.5, 4)

    xs, ys = _sample_square((0.0, 0.0), 4000.0)
    forest_threshold = float(np.quantile(wood.grid(xs, ys), 1.0 - land.forest_fraction))
    xs, ys = _sample_square(centre, extent / 2)
    cloud_threshold = None
    if spec.cloudiness > 0:
        cloud_threshold = float(np.quantile(clouds.grid(xs, ys), 1.0 - spec.cloudiness))
    snow_threshold = None
    if spec.snow_fraction > 0:
        snow_threshold = float(np.quantile(relief.grid(xs, ys), 1.0 - spec.snow_fraction))

    doy = spec.acquired.timetuple().tm_yday + spec.acquired.hour / 24.0
    names = [name for name, _ in land.crops]
    probs = np.array([p for _, p in land.crops], dtype=float)
    cumulative = np.cumsum(probs / probs.sum())
    cumulative[-1] = 1.0
    water = tuple(
        (1 - land.turbidity) * w + land.turbidity * s for w, s in zip(_WATER, _SOIL, strict=True)
    )
    return SceneModel(
        spec=spec,
        origin=(ox, oy),
        texture=ValueNoise(key("texture"), 6.0, 2),
        wood=wood,
        relief=relief,
        wobble=ValueNoise(key("wobble"), 300.0, 2),
        vigour=ValueNoise(key("vigour"), 90.0, 2),
        clouds=clouds,
        forest_threshold=forest_threshold,
        cloud_threshold=cloud_threshold,
        snow_threshold=snow_threshold,
        forest_f=vegetation_fraction(f"forest-{land.climate}", doy),
        crop_cumulative=tuple(float(v) for v in cumulative),
        crop_f=tuple(vegetation_fraction(n, doy) for n in names),
        crop_bare=tuple(n == "bare" for n in names),
        parcel_key=key("parcels"),
        town_key=key("town"),
        endmembers=(_SOIL, _URBAN, water, _SNOW),
    )


NoiseEval = Callable[[ValueNoise], FloatArray]


@dataclass
class Rendered:
    """Float band values (before rounding), classes and validity of rendered points.

    ``haze`` is the cloud opacity (0: clear, 1: opaque); points classed ``CLOUD`` have
    ``haze >= 0.5``, and a thin fringe around clouds has ``0 < haze < 0.5``. ``None``: no cloud.
    """

    bands: dict[str, FloatArray]
    classes: NDArray[np.uint8]
    valid: NDArray[np.bool_]
    haze: FloatArray | None = None


def _unit_dir(azimuth_deg: float) -> tuple[float, float]:
    r = math.radians(azimuth_deg)
    return math.sin(r), math.cos(r)


def _render(
    model: SceneModel,
    x: FloatArray,
    y: FloatArray,
    noise: NoiseEval,
    bands: Sequence[str],
    shape: tuple[int, ...],
) -> Rendered:
    """Core renderer on local coordinates ``x``, ``y`` (broadcastable to ``shape``)."""
    spec = model.spec
    land = spec.site.landscape
    ox, oy = model.origin

    # Valid footprint: left of every counter-clockwise edge.
    valid = np.ones(shape, dtype=bool)
    corners = [(px - ox, py - oy) for px, py in spec.footprint]
    for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1], strict=True):
        valid &= (y - y1) * (x2 - x1) - (x - x1) * (y2 - y1) >= 0.0

    wob = noise(model.wobble)
    water = np.zeros(shape, dtype=bool)
    if land.coast is not None:
        nx, ny = _unit_dir(land.coast[0])
        water |= x * nx + y * ny + 60.0 * wob > land.coast[1]
    if land.river is not None:
        az, offset, width = land.river
        rx, ry = _unit_dir(az + 90.0)
        water |= np.abs(x * rx + y * ry - offset + 90.0 * wob) < width / 2
    for dx, dy, ex, ey in land.lakes:
        u = (x - dx) / ex
        v = (y - dy) / ey
        water |= u * u + v * v + 0.25 * wob < 1.0
    tx, ty, radius = land.town
    town = (np.sqrt((x - tx) * (x - tx) + (y - ty) * (y - ty)) / radius + 0.25 * wob < 1.0) & ~water
    forest = (noise(model.wood) > model.forest_threshold) & ~water & ~town
    fields = ~(water | town | forest)

    # Agricultural parcels in a rotated frame; farm tracks along their borders.
    length, width_p, az_p = land.parcels
    sx, sy = _unit_dir(az_p)
    gu = (x * sx + y * sy) / length
    gv = (x * sy - y * sx) / width_p
    pu = np.floor(gu)
    pv = np.floor(gv)
    h = hash_unit(pu.astype(np.int64), pv.astype(np.int64), model.parcel_key)
    crop = np.searchsorted(np.asarray(model.crop_cumulative), h, side="right")
    crop = np.minimum(crop, len(model.crop_f) - 1)
    h2 = (h * 1024.0) % 1.0
    h3 = (h * 1048576.0) % 1.0
    track = ((gu - pu) * length < _TRACK_WIDTH) | ((gv - pv) * width_p < _TRACK_WIDTH)
    bare = np.asarray(model.crop_bare)[crop] | track

    vig = noise(model.vigour)
    f = np.zeros(shape)
    k = np.ones(shape)
    base = np.zeros(shape, dtype=np.uint8)
    classes = np.full(shape, LandCover.CROPS, dtype=np.uint8)

    crop_f = np.asarray(model.crop_f)[crop] * (0.9 + 0.1 * h2) + 0.04 * vig
    f = np.where(fields, crop_f, f)
    f = np.where(fields & track, 0.15, f)
    k = np.where(fields & bare, 0.85 + 0.2 * h3, k)
    classes[fields & bare] = LandCover.BARE

    f = np.where(forest, model.forest_f + 0.03 * vig, f)
    classes[forest] = LandCover.FOREST

    hb = hash_unit(
        np.floor(x / _BLOCK).astype(np.int64), np.floor(y / _BLOCK).astype(np.int64),
        model.town_key,
    )
    street = ((x / _BLOCK) % 1.0 * _BLOCK < _STREET) | ((y / _BLOCK) % 1.0 * _BLOCK < _STREET)
    f = np.where(town, np.where(street, 0.0, 0.3 * hb * hb), f)
    k = np.where(town, np.where(street, 0.62, 0.8 + 0.35 * ((hb * 4096.0) % 1.0)), k)
    base[town] = _BASE_URBAN
    classes[town] = LandCover.TOWN

    f = np.where(water, 0.0, f)
    base[water] = _BASE_WATER
    classes[water] = LandCover.WATER

    if model.snow_threshold is not None:
        snow = (noise(model.relief) > model.snow_threshold) & ~water
        f = np.where(snow, 0.0, f)
        k = np.where(snow, 1.0, k)
        base[snow] = _BASE_SNOW
        classes[snow] = LandCover.SNOW

    alpha: FloatArray | None = None
    if model.cloud_threshold is not None:
        cn = noise(model.clouds)
        alpha = smoothstep((cn - model.cloud_threshold) / _CLOUD_EDGE + 0.5)
        classes[cn >= model.cloud_threshold] = LandCover.CLOUD
    classes[~valid] = LandCover.NODATA

    f = np.clip(f, 0.0, 1.0)
    g = 1.0 - f
    kt = k * (1.0 + _TEXTURE_AMPLITUDE * noise(model.texture))
    table = np.asarray(model.endmembers)
    out: dict[str, FloatArray] = {}
    for name in bands:
        j = CANONICAL_BANDS.index(name)
        value = (table[:, j][base] * g + _VEGETATION[j] * f) * kt
        if alpha is not None:
            value = value * (1.0 - alpha) + _CLOUD[j] * alpha
        out[name] = value
    return Rendered(out, classes, valid, alpha)


def render_grid(
    spec: SceneSpec,
    transform: Sequence[float],
    rows: NDArray[np.integer],
    cols: NDArray[np.integer],
    bands: Sequence[str],
) -> Rendered:
    """Render the pixel centres ``rows x cols`` of a north-up grid.

    Parameters
    ----------
    spec
        The item.
    transform
        Affine ``(a, 0, c, 0, e, f)`` of the grid (MS or PAN).
    rows, cols
        1-D global pixel indices (a window, or a strided subset for quicklooks).
    bands
        Canonical common names to render.
    """
    model = scene_model(spec)
    a, _, c, _, e, f = transform
    ox, oy = model.origin
    xs = (c + (np.asarray(cols, dtype=np.float64) + 0.5) * a) - ox
    ys = (f + (np.asarray(rows, dtype=np.float64) + 0.5) * e) - oy
    return _render(
        model,
        xs[None, :],
        ys[:, None],
        lambda n: n.grid(xs, ys),
        bands,
        (len(ys), len(xs)),
    )


def render_points(
    spec: SceneSpec, x: FloatArray, y: FloatArray, bands: Sequence[str]
) -> Rendered:
    """Render arbitrary UTM points ``x``, ``y`` (same shape) of the item's CRS."""
    model = scene_model(spec)
    ox, oy = model.origin
    xl = np.asarray(x, dtype=np.float64) - ox
    yl = np.asarray(y, dtype=np.float64) - oy
    xl, yl = np.broadcast_arrays(xl, yl)
    return _render(model, xl, yl, lambda n: n.points(xl, yl), bands, xl.shape)


def to_dn(value: FloatArray, valid: NDArray[np.bool_]) -> NDArray[np.uint16]:
    """Round float values to 12-bit DNs in ``[1, 4095]``, 0 outside ``valid``."""
    dn = np.clip(np.rint(value), 1, MAX_DN).astype(np.uint16)
    dn[~valid] = 0
    return dn
