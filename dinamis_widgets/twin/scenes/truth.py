"""Ground truth of the generated scenes, computed by re-rendering (never by reading the files).

Everything here re-runs the generator's deterministic renderer on the requested pixels or points
only, so a window of a 10000 x 10000 scene costs what the window costs.

Windows are ``(row_off, col_off, height, width)`` on the item's MS grid (``proj:shape`` /
``proj:transform`` of its ``multispectral`` asset), or on its PAN grid for :func:`expected_pan`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .landcover import LandCover, render_grid, render_points, to_dn
from .products import BLOCK_PIXELS
from .sites import ORTHO, SceneSpec, get_spec

__all__ = [
    "LandCover",
    "expected_bands",
    "expected_ndvi",
    "expected_pan",
    "planted_classes",
    "planted_ndvi_at",
]

Window = tuple[int, int, int, int]
FloatArray = NDArray[np.float64]


def _ortho_spec(item_id: str, seed: int, scene_set: str) -> SceneSpec:
    spec = get_spec(item_id, seed, scene_set)
    if spec.level != ORTHO or not spec.hosted:
        raise ValueError(
            f"{item_id} has no georeferenced file on the twin "
            f"(level {spec.level}, provider {spec.collection.provider})"
        )
    return spec


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


def expected_bands(
    item_id: str,
    common_names: Sequence[str] | None = None,
    *,
    seed: int = 0,
    scene_set: str = "default",
    window: Window | None = None,
) -> dict[str, NDArray[np.uint16]]:
    """The MS DNs the generator writes, by ``eo:bands`` common name.

    Parameters
    ----------
    item_id
        An ORTHO item hosted by the twin.
    common_names
        Bands to render (default: all the item's MS bands).
    seed, scene_set
        The generation.
    window
        ``(row_off, col_off, height, width)`` on the MS grid, or ``None`` for the whole grid.

    Returns
    -------
    dict
        ``uint16`` arrays ``(height, width)``; 0 is nodata.
    """
    spec = _ortho_spec(item_id, seed, scene_set)
    names = list(common_names or [b.common_name for b in spec.sensor.ms_bands])
    shape, blocks = _blocks(spec.ms_shape, window)
    out = {n: np.zeros(shape, dtype=np.uint16) for n in names}
    r = 0
    for rows, cols in blocks:
        rendered = render_grid(spec, spec.ms_transform, rows, cols, names)
        for n in names:
            out[n][r : r + len(rows)] = to_dn(rendered.bands[n], rendered.valid)
        r += len(rows)
    return out


def expected_pan(
    item_id: str, *, seed: int = 0, scene_set: str = "default", window: Window | None = None
) -> NDArray[np.uint16]:
    """The PAN DNs the generator writes (``uint16`` array on the PAN grid, 0 = nodata)."""
    spec = _ortho_spec(item_id, seed, scene_set)
    if spec.pan_shape is None or spec.pan_transform is None:
        raise ValueError(f"{item_id} has no panchromatic asset")
    names = [n for n, _ in spec.sensor.pan_weights]
    shape, blocks = _blocks(spec.pan_shape, window)
    out = np.zeros(shape, dtype=np.uint16)
    r = 0
    for rows, cols in blocks:
        rendered = render_grid(spec, spec.pan_transform, rows, cols, names)
        total: FloatArray | None = None
        for name, weight in spec.sensor.pan_weights:
            term = rendered.bands[name] * weight
            total = term if total is None else total + term
        assert total is not None
        out[r : r + len(rows)] = to_dn(total, rendered.valid)
        r += len(rows)
    return out


def expected_ndvi(
    item_id: str, *, seed: int = 0, scene_set: str = "default", window: Window | None = None
) -> FloatArray:
    """NDVI of the DNs the generator writes, on the item's MS grid.

    Computed as ``(nir - red) / (nir + red)`` in float64 from the same integer DNs as the
    ``multispectral`` COG (bands chosen by common name), by re-rendering only ``window``.

    Parameters
    ----------
    item_id
        An ORTHO item hosted by the twin (MTD or SEAS Guyane).
    seed, scene_set
        The generation.
    window
        ``(row_off, col_off, height, width)`` on the MS grid, or ``None`` for the whole grid.

    Returns
    -------
    numpy.ndarray
        Float64 ``(height, width)``, NaN exactly where the file holds nodata (0).

    Raises
    ------
    KeyError
        Unknown item.
    ValueError
        BRUT or Regards item (no georeferenced file), or window outside the grid.

    Notes
    -----
    Versus :func:`planted_ndvi_at` at the same MS pixel centres the only difference is the
    rounding of red and NIR to integers, so ``|expected - planted| <= 1 / (nir + red - 1)``;
    land-cover spectra keep ``nir + red >= 1225``, hence a bound of 8.2e-4 (< 1e-3) everywhere,
    class edges included (both are point samples of the same model).

    Examples
    --------
    >>> from dinamis_widgets.twin.scenes import catalogue, expected_ndvi
    >>> item = catalogue()[0].item_id
    >>> expected_ndvi(item, window=(200, 200, 2, 3)).shape
    (2, 3)
    """
    bands = expected_bands(
        item_id, ("red", "nir"), seed=seed, scene_set=scene_set, window=window
    )
    red = bands["red"].astype(np.float64)
    nir = bands["nir"].astype(np.float64)
    valid = (bands["red"] > 0) & (bands["nir"] > 0)
    ndvi = np.full(red.shape, np.nan)
    ndvi[valid] = (nir[valid] - red[valid]) / (nir[valid] + red[valid])
    return ndvi


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
        Coordinates in the item's UTM CRS (``proj:code``), broadcastable arrays.
    seed, scene_set
        The generation.

    Returns
    -------
    numpy.ndarray
        Float64, NaN outside the item's footprint. Within 8.2e-4 of :func:`expected_ndvi` at MS
        pixel centres.
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
    """Planted class of each MS pixel (:class:`LandCover` codes, clouds and snow on top).

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
