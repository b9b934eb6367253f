"""The georeferenced raster files of an item, and how rendered values become their pixels.

:func:`raster_assets` describes every COG an item's products hold (grid, data type, nodata, bands or
mask); :func:`encode` turns the renderer's output on that grid into the file's pixels. The generator
writes what :func:`encode` returns, and the truth helpers return it too, by re-rendering.

THEIA's masks, as its Sentinel-2 L2A format describes them:

``CLM`` (cloud mask), one bit per flag
    bit 0 (1): all clouds except the thinnest, and all shadows; bit 1 (2): all clouds except the
    thinnest; bit 2 (4): clouds detected by mono-temporal thresholds; bit 3 (8): by multi-temporal
    thresholds; bit 4 (16): the thinnest clouds; bit 5 (32): shadows of detected clouds; bit 6 (64):
    shadows of clouds outside the image; bit 7 (128): high clouds (1.38 µm band).
    The twin sets bits 0, 1 and 2 on planted clouds and bit 4 on their thin fringe (the soft edge
    where the cloud's opacity is below one half); it plants no shadow and no high cloud.
``MG2`` (geophysical mask)
    bit 0: water, bit 1: clouds (all), bit 2: snow, bit 3: cloud shadows, bit 4: topographic
    shadows, bit 5: hidden by the relief, bits 6 and 7: sun too low, tangent sun. The twin sets bits
    0, 1 and 2.
``EDG`` (edge mask)
    1 outside the swath (where the reflectances are nodata), 0 inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .landcover import LandCover, Rendered, to_dn
from .mtd_shapes import THEIA_NODATA
from .sensors import Band
from .specs import (
    DINAMIS,
    DRS,
    ORTHO,
    SUPERRES,
    THEIA,
    THEIA_MASKS,
    SceneSpec,
    Transform,
    theia_asset_key,
)

__all__ = [
    "CLM_BITS",
    "MG2_BITS",
    "RasterAsset",
    "encode",
    "main_keys",
    "needed_keys",
    "pan_value",
    "raster_assets",
    "theia_grid",
]

#: THEIA ``CLM`` bits (value of each flag).
CLM_BITS = {
    "clouds_and_shadows": 1, "clouds": 2, "mono_temporal": 4, "multi_temporal": 8, "thin": 16,
    "shadows": 32, "shadows_outside": 64, "high_clouds": 128,
}
#: THEIA ``MG2`` bits (value of each flag).
MG2_BITS = {
    "water": 1, "clouds": 2, "snow": 4, "cloud_shadows": 8, "topographic_shadows": 16,
    "hidden": 32, "sun_too_low": 64, "tangent_sun": 128,
}
_PLANTED_CLOUD = CLM_BITS["clouds_and_shadows"] | CLM_BITS["clouds"] | CLM_BITS["mono_temporal"]


@dataclass(frozen=True)
class RasterAsset:
    """One georeferenced raster file of an item.

    Attributes
    ----------
    key
        STAC asset key.
    kind
        ``"bands"`` (spectral bands, ``bands`` in file order), ``"pan"`` (panchromatic), or a THEIA
        mask: ``"clm"``, ``"edg"``, ``"mg2"``.
    shape, transform
        Grid of the file (``(rows, cols)``, affine ``(a, b, c, d, e, f)`` in the item's CRS).
    dtype, nodata
        Data type of the pixels and the nodata value (``None``: the file declares none).
    """

    key: str
    kind: str
    bands: tuple[Band, ...]
    shape: tuple[int, int]
    transform: Transform
    dtype: str
    nodata: float | None

    @property
    def render_keys(self) -> tuple[str, ...]:
        """Land-cover spectra needed to render this file."""
        return tuple(b.key for b in self.bands)


def main_keys(spec: SceneSpec) -> tuple[str, str]:
    """Asset keys of the multispectral and panchromatic products of a SPOT/Pléiades item."""
    return ("src_xs", "src_pan") if spec.layout == DRS else ("multispectral", "panchromatic")


def theia_grid(spec: SceneSpec, group: str) -> tuple[tuple[int, int], Transform]:
    """Grid of THEIA's resolution group ``R1`` (10 m, the item's main grid) or ``R2`` (20 m)."""
    if group == "R1":
        return spec.ms_shape, spec.ms_transform
    a, b, c, d, e, f = spec.ms_transform
    rows, cols = spec.ms_shape
    return (rows // 2, cols // 2), (2 * a, b, c, d, 2 * e, f)


def raster_assets(spec: SceneSpec) -> list[RasterAsset]:
    """The georeferenced raster files of ``spec``, in asset order (empty for BRUT and Regards
    items, whose files are not georeferenced or not hosted)."""
    if spec.level != ORTHO or not spec.hosted:
        return []
    sensor = spec.sensor
    if spec.layout in (DINAMIS, DRS):
        ms_key, pan_key = main_keys(spec)
        out = [RasterAsset(ms_key, "bands", sensor.ms_bands, spec.ms_shape, spec.ms_transform,
                           "uint16", 0)]
        if spec.pan_shape is not None and spec.pan_transform is not None:
            out.append(RasterAsset(pan_key, "pan", (sensor.pan,), spec.pan_shape,
                                   spec.pan_transform, "uint16", 0))
        return out
    if spec.layout == SUPERRES:
        return [RasterAsset("img", "bands", sensor.ms_bands, spec.ms_shape, spec.ms_transform,
                            "int16", None)]
    assert spec.layout == THEIA, spec.layout
    out = []
    for b in sensor.ms_bands:
        shape, transform = theia_grid(spec, "R1" if b.gsd == 10.0 else "R2")
        out.append(RasterAsset(theia_asset_key(b.name), "bands", (b,), shape, transform, "int16",
                               THEIA_NODATA))
    for mask in THEIA_MASKS:
        for group in ("R1", "R2"):
            shape, transform = theia_grid(spec, group)
            out.append(RasterAsset(f"{mask}_{group}", mask.lower(), (), shape, transform, "uint8",
                                   None))
    return out


def _reflectance(value: NDArray[np.float64], valid: NDArray[np.bool_],
                 nodata: float | None) -> NDArray[np.int16]:
    out = np.clip(np.rint(value), 1, 32767).astype(np.int16)
    if nodata is None:
        if not valid.all():
            raise ValueError("pixels outside the footprint in a file without nodata")
    else:
        out[~valid] = nodata
    return out


def pan_value(spec: SceneSpec, bands: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
    """The panchromatic value: the sensor's weighted sum of the rendered multispectral bands."""
    total: NDArray[np.float64] | None = None
    for name, weight in spec.sensor.pan_weights:
        term = bands[name] * weight
        total = term if total is None else total + term
    assert total is not None
    return total


def _masks(rendered: Rendered) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Planted clouds and their thin fringe (inside the footprint)."""
    cloud = rendered.classes == LandCover.CLOUD
    if rendered.haze is None:
        return cloud, np.zeros_like(cloud)
    return cloud, (rendered.haze > 0.0) & ~cloud & rendered.valid


def encode(spec: SceneSpec, asset: RasterAsset, rendered: Rendered) -> NDArray[np.generic]:
    """The pixels of ``asset`` (``(count, rows, cols)``) from the renderer's output on its grid.

    ``rendered`` must hold the bands of :attr:`RasterAsset.render_keys` (the pan weights' bands for
    a panchromatic file).
    """
    valid = rendered.valid
    if asset.kind == "bands" and asset.dtype == "uint16":
        return np.stack([to_dn(rendered.bands[b.key], valid) for b in asset.bands])
    if asset.kind == "bands":
        return np.stack([_reflectance(rendered.bands[b.key], valid, asset.nodata)
                         for b in asset.bands])
    if asset.kind == "pan":
        return to_dn(pan_value(spec, rendered.bands), valid)[None]
    if asset.kind == "edg":
        return (~valid).astype(np.uint8)[None]
    cloud, thin = _masks(rendered)
    out = np.zeros(valid.shape, dtype=np.uint8)
    if asset.kind == "clm":
        out[cloud] |= _PLANTED_CLOUD
        out[thin] |= CLM_BITS["thin"]
    elif asset.kind == "mg2":
        out[rendered.classes == LandCover.WATER] |= MG2_BITS["water"]
        out[cloud | thin] |= MG2_BITS["clouds"]
        out[rendered.classes == LandCover.SNOW] |= MG2_BITS["snow"]
    else:
        raise ValueError(f"unknown raster kind {asset.kind!r}")
    out[~valid] = 0
    return out[None]


def needed_keys(spec: SceneSpec, assets: list[RasterAsset]) -> tuple[str, ...]:
    """Land-cover spectra to render for ``assets`` (pan weights included)."""
    keys: list[str] = []
    for asset in assets:
        wanted = [n for n, _ in spec.sensor.pan_weights] if asset.kind == "pan" else list(
            asset.render_keys)
        keys.extend(k for k in wanted if k not in keys)
    return tuple(keys)
