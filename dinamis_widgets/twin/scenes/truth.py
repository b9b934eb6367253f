"""Ground truth of the generated scenes, computed by re-rendering (never by reading the files).

Everything here re-runs the generator's deterministic renderer on the requested pixels or points
only, so a window of a 10000 x 10000 scene costs what the window costs.

Windows are ``(row_off, col_off, height, width)`` on an item's *main grid*: the MS grid of a SPOT
or Pléiades item (``proj:shape``/``proj:transform`` of its ``multispectral`` or ``src_xs`` asset),
the 10 m grid of a THEIA item (``B02``, ``B03``, ``B04``, ``B08``, ``CLM_R1``...), the grid of a
super-resolved ``img``; or on the grid of the asset asked for (:func:`expected_asset`,
:func:`expected_clouds`), or the PAN grid for :func:`expected_pan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .landcover import LandCover, render_grid, render_points
from .products import BLOCK_PIXELS
from .rasters import RasterAsset, encode, needed_keys, raster_assets
from .registry import get_spec
from .specs import THEIA, SceneSpec

__all__ = [
    "LandCover",
    "expected_asset",
    "expected_bands",
    "expected_clouds",
    "expected_ndvi",
    "expected_pan",
    "planted_classes",
    "planted_ndvi_at",
]

Window = tuple[int, int, int, int]
FloatArray = NDArray[np.float64]


def _rasters(item_id: str, seed: int, scene_set: str) -> tuple[SceneSpec, list[RasterAsset]]:
    spec = get_spec(item_id, seed, scene_set)
    rasters = raster_assets(spec)
    if not rasters:
        raise ValueError(
            f"{item_id} has no georeferenced file on the twin "
            f"(level {spec.level}, provider {spec.collection.provider})"
        )
    return spec, rasters


def _blocks(
    shape: tuple[int, int], window: Window | None
) -> tuple[tuple[int, int], list[tuple[NDArray[np.int64], NDArray[np.int64]]]]:
    rows, cols = shape
    if window is None:
        window = (0, 0, rows, cols)
    r0, c0, h, w = (int(v) for v in window)
    if h <= 0 or w <= 0 or r0 < 0 or c0 < 0 or r0 + h > rows or c0 + w > cols:
        raise ValueError(f"window {window} is outside the {rows} x {cols} grid")
    step = max(1, BLOCK_PIXELS // w)
    col_idx = np.arange(c0, c0 + w, dtype=np.int64)
    blocks = [
        (np.arange(r, min(r0 + h, r + step), dtype=np.int64), col_idx)
        for r in range(r0, r0 + h, step)
    ]
    return (h, w), blocks


def _render_assets(spec: SceneSpec, assets: list[RasterAsset], window: Window | None
                   ) -> list[NDArray[Any]]:
    """The pixels of ``assets`` (all on one grid) in ``window``, as the generator writes them."""
    shape, blocks = _blocks(assets[0].shape, window)
    keys = needed_keys(spec, assets)
    out = [np.zeros((max(1, len(a.bands)), *shape), dtype=a.dtype) for a in assets]
    r = 0
    for rows, cols in blocks:
        rendered = render_grid(spec, assets[0].transform, rows, cols, keys)
        for asset, array in zip(assets, out, strict=True):
            array[:, r : r + len(rows)] = encode(spec, asset, rendered)
        r += len(rows)
    return out


def expected_asset(
    item_id: str, key: str, *, seed: int = 0, scene_set: str = "default",
    window: Window | None = None,
) -> NDArray[Any]:
    """The pixels of one raster asset of an item, exactly as the generator writes them.

    Parameters
    ----------
    item_id
        An ORTHO item hosted by the twin.
    key
        Its asset key: ``multispectral``, ``panchromatic``, ``src_xs``, ``src_pan``, ``img``, a
        THEIA band (``B04``...) or mask (``CLM_R1``, ``EDG_R2``, ``MG2_R1``...).
    seed, scene_set
        The generation.
    window
        ``(row_off, col_off, height, width)`` on the asset's grid, or ``None`` for all of it.

    Returns
    -------
    numpy.ndarray
        ``(bands, height, width)``, in the file's data type, nodata included.

    Examples
    --------
    >>> from dinamis_widgets.twin.scenes import expected_asset
    >>> clm = expected_asset("SENTINEL2B_20250410-110721-458_L2A_T30TXR_C_V4-0", "CLM_R2",
    ...                      window=(0, 0, 4, 5))
    >>> clm.shape, clm.dtype.name
    ((1, 4, 5), 'uint8')
    """
    spec, rasters = _rasters(item_id, seed, scene_set)
    try:
        asset = next(r for r in rasters if r.key == key)
    except StopIteration:
        keys = ", ".join(r.key for r in rasters)
        raise KeyError(f"{item_id} has no raster asset {key!r} (it has {keys})") from None
    return _render_assets(spec, [asset], window)[0]


def _bands_asset(spec: SceneSpec, rasters: list[RasterAsset]) -> RasterAsset:
    if spec.layout == THEIA:
        raise ValueError(f"{spec.item_id} stores one band per asset: use expected_asset")
    return rasters[0]


def expected_bands(
    item_id: str,
    common_names: Sequence[str] | None = None,
    *,
    seed: int = 0,
    scene_set: str = "default",
    window: Window | None = None,
) -> dict[str, NDArray[Any]]:
    """The MS values the generator writes, by band (``eo:bands`` common name).

    Parameters
    ----------
    item_id
        An ORTHO item hosted by the twin whose bands share one file (not a THEIA item).
    common_names
        Bands to render (default: all the item's MS bands).
    seed, scene_set
        The generation.
    window
        ``(row_off, col_off, height, width)`` on the MS grid, or ``None`` for the whole grid.

    Returns
    -------
    dict
        ``(height, width)`` arrays in the file's data type: ``uint16`` DNs, 0 is nodata, for
        SPOT and Pléiades; ``int16`` reflectance x 10000 for super-resolved images.
    """
    spec, rasters = _rasters(item_id, seed, scene_set)
    asset = _bands_asset(spec, rasters)
    names = list(common_names or [b.common_name for b in asset.bands])
    by_name = {b.common_name: b for b in asset.bands}
    subset = replace(asset, bands=tuple(by_name[n] for n in names))  # render only these
    data = _render_assets(spec, [subset], window)[0]
    return {n: data[i] for i, n in enumerate(names)}


def expected_pan(
    item_id: str, *, seed: int = 0, scene_set: str = "default", window: Window | None = None
) -> NDArray[np.uint16]:
    """The PAN DNs the generator writes (``uint16`` array on the PAN grid, 0 = nodata)."""
    spec, rasters = _rasters(item_id, seed, scene_set)
    pan = [r for r in rasters if r.kind == "pan"]
    if not pan:
        raise ValueError(f"{item_id} has no panchromatic asset")
    data: NDArray[np.uint16] = _render_assets(spec, pan, window)[0][0]
    return data


def _red_nir(spec: SceneSpec, rasters: list[RasterAsset]) -> tuple[list[RasterAsset], int, int]:
    """Assets holding red and NIR, and the indices of both in their pixels."""
    if spec.layout == THEIA:
        by_key = {r.key: r for r in rasters}
        return [by_key["B04"], by_key["B08"]], 0, 1
    asset = rasters[0]
    red_nir = tuple(b for k in ("red", "nir") for b in asset.bands if b.key == k)
    return [replace(asset, bands=red_nir)], 0, 1  # render only red and NIR


def expected_ndvi(
    item_id: str, *, seed: int = 0, scene_set: str = "default", window: Window | None = None
) -> FloatArray:
    """NDVI of the values the generator writes, on the item's main grid.

    Computed as ``(nir - red) / (nir + red)`` in float64 from the same integers as the files:
    the ``multispectral`` or ``src_xs`` COG (bands chosen by name: SPOT files store R, G, B,
    NIR), the ``img`` of a super-resolved image, ``B04`` and ``B08`` of a THEIA item (reflectance
    scales cancel out); by re-rendering only ``window``.

    Parameters
    ----------
    item_id
        An ORTHO item hosted by the twin (MTD or SEAS Guyane).
    seed, scene_set
        The generation.
    window
        ``(row_off, col_off, height, width)`` on the main grid, or ``None`` for the whole grid.

    Returns
    -------
    numpy.ndarray
        Float64 ``(height, width)``, NaN exactly where the files hold nodata (0 in SPOT and
        Pléiades files, -10000 in THEIA's), clouds included (see :func:`expected_clouds`).

    Raises
    ------
    KeyError
        Unknown item.
    ValueError
        BRUT or Regards item (no georeferenced file), or window outside the grid.

    Notes
    -----
    Versus :func:`planted_ndvi_at` at the same pixel centres the only difference is the
    rounding of red and NIR to integers, so ``|expected - planted| <= 1 / (nir + red - 1)``;
    land-cover spectra keep ``nir + red >= 1225``, hence a bound of 8.2e-4 (< 1e-3) everywhere,
    class edges included (both are point samples of the same model). Items of one acquisition
    on one grid (a ``spot-6-7-drs`` item and its DINAMIS twin) have the same NDVI.

    Examples
    --------
    >>> from dinamis_widgets.twin.scenes import catalogue, expected_ndvi
    >>> item = catalogue()[0].item_id
    >>> expected_ndvi(item, window=(200, 200, 2, 3)).shape
    (2, 3)
    """
    spec, rasters = _rasters(item_id, seed, scene_set)
    assets, i_red, i_nir = _red_nir(spec, rasters)
    pixels = _render_assets(spec, assets, window)
    if len(assets) == 1:
        red, nir, nodata = pixels[0][i_red], pixels[0][i_nir], assets[0].nodata
    else:
        red, nir, nodata = pixels[0][i_red], pixels[1][0], assets[0].nodata
    valid = np.ones(red.shape, dtype=bool) if nodata is None else (red != nodata) & (nir != nodata)
    r = red.astype(np.float64)
    n = nir.astype(np.float64)
    ndvi = np.full(r.shape, np.nan)
    ndvi[valid] = (n[valid] - r[valid]) / (n[valid] + r[valid])
    return ndvi


def expected_clouds(
    item_id: str, *, seed: int = 0, scene_set: str = "default", window: Window | None = None,
    asset: str | None = None,
) -> NDArray[np.bool_]:
    """Where the generator planted clouds, on the item's main grid or on ``asset``'s grid.

    Parameters
    ----------
    item_id
        Any item (BRUT and Regards items use the ortho grid their product would have).
    seed, scene_set, window
        As for :func:`expected_ndvi`.
    asset
        A raster asset whose grid to use (``CLM_R2``: THEIA's 20 m grid); default: the main grid.

    Returns
    -------
    numpy.ndarray
        Boolean ``(height, width)``: pixels classed cloud (the cloud's opacity is at least one
        half). THEIA's ``CLM`` masks set bits 0, 1 and 2 exactly there, and bit 4 ("thinnest
        clouds") on the thin fringe around them, where the pixels are hazy but not classed cloud.
        ``eo:cloud_cover`` is the percentage of cloud pixels among the valid ones of the main grid.
    """
    spec = get_spec(item_id, seed, scene_set)
    shape, transform = spec.ms_shape, spec.ms_transform
    if asset is not None:
        _, rasters = _rasters(item_id, seed, scene_set)
        found = [r for r in rasters if r.key == asset]
        if not found:
            raise KeyError(f"{item_id} has no raster asset {asset!r}")
        shape, transform = found[0].shape, found[0].transform
    size, blocks = _blocks(shape, window)
    out = np.zeros(size, dtype=bool)
    r = 0
    for rows, cols in blocks:
        classes = render_grid(spec, transform, rows, cols, ()).classes
        out[r : r + len(rows)] = classes == LandCover.CLOUD
        r += len(rows)
    return out


def planted_ndvi_at(
    item_id: str,
    x: FloatArray | Sequence[float] | float,
    y: FloatArray | Sequence[float] | float,
    *,
    seed: int = 0,
    scene_set: str = "default",
) -> FloatArray:
    """Target NDVI of the planted scene at UTM points, independent of any pixel grid.

    It is the NDVI of the renderer's continuous (unrounded) band values, clouds and snow
    included, so it suits checks at any resolution (PAN grid, resampled cubes) with a tolerance.

    Parameters
    ----------
    item_id
        Any item of the scene set (the land cover exists for all of them).
    x, y
        Coordinates in the item's UTM CRS (``proj:code``/``proj:epsg``), broadcastable arrays.
    seed, scene_set
        The generation.

    Returns
    -------
    numpy.ndarray
        Float64, NaN outside the item's footprint. Within 8.2e-4 of :func:`expected_ndvi` at
        pixel centres of its main grid.
    """
    spec = get_spec(item_id, seed, scene_set)
    xa, ya = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    out = render_points(spec, xa, ya, ("red", "nir"))
    red, nir = out.bands["red"], out.bands["nir"]
    ndvi = (nir - red) / (nir + red)
    return np.where(out.valid, ndvi, np.nan)


def planted_classes(
    item_id: str, *, seed: int = 0, scene_set: str = "default", window: Window | None = None
) -> NDArray[np.uint8]:
    """Planted class of each pixel of the main grid (:class:`LandCover` codes, clouds and snow on
    top).

    ``eo:cloud_cover`` (``eo:snow_cover``) is ``round(100 * n_cloud / n_valid, 2)`` over the full
    grid, with ``n_valid`` the pixels not ``NODATA``. Works for every item: BRUT and Regards
    items use the ortho grid their product would have.
    """
    spec = get_spec(item_id, seed, scene_set)
    shape, blocks = _blocks(spec.ms_shape, window)
    out = np.zeros(shape, dtype=np.uint8)
    r = 0
    for rows, cols in blocks:
        out[r : r + len(rows)] = render_grid(spec, spec.ms_transform, rows, cols, ()).classes
        r += len(rows)
    return out
