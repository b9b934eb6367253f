"""Map views of signed COGs (``analysis.rendering``): the overview that matches the zoom, the planted
NDVI, and no more bytes than the view's tiles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pystac
import pytest
from pyproj import Transformer

import dinamis_widgets as dw
from dinamis_widgets.analysis.rendering import Stretch, render_view, view_arguments
from dinamis_widgets.errors import LoadError
from dinamis_widgets.reading.gdal_io import clear_gdal_cache
from dinamis_widgets.twin.scenes import expected_ndvi
from tests.helpers import ranged_bytes

from .ui_helpers import TWO_DATES, item

SIZE = (512, 384)


@pytest.fixture(scope="module")
def scene(twin_items: list[dict[str, Any]]) -> pystac.Item:
    return item(twin_items, TWO_DATES[0])


def _centre_view(it: pystac.Item, fraction: float) -> tuple[float, float, float, float]:
    """A view around the item's centre, ``fraction`` of its bbox wide, at the aspect of :data:`SIZE`."""
    west, south, east, north = it.bbox  # type: ignore[misc]
    cx, cy = (west + east) / 2, (south + north) / 2
    half_w = (east - west) * fraction / 2
    half_h = half_w * SIZE[1] / SIZE[0] * np.cos(np.radians(cy))
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _crs(it: pystac.Item) -> str:
    for fields in (it.assets["multispectral"].extra_fields, it.properties):
        if fields.get("proj:code"):
            return str(fields["proj:code"])
        if fields.get("proj:epsg"):
            return f"EPSG:{fields['proj:epsg']}"
    raise AssertionError(f"no CRS on {it.id}")


def _truth_at(it: pystac.Item, view: Any) -> np.ndarray:
    """The planted NDVI at the view's pixel centres (nearest pixel of the item's multispectral grid)."""
    a, _, c, _, e, f = view.transform
    height, width = view.rgba.shape[:2]
    xs = c + a * (np.arange(width) + 0.5)
    ys = f + e * (np.arange(height) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    to_utm = Transformer.from_crs("EPSG:3857", _crs(it), always_xy=True)
    ux, uy = to_utm.transform(gx, gy)
    res, _, x0, _, neg_res, y0 = it.assets["multispectral"].extra_fields["proj:transform"][:6]
    rows_n, cols_n = it.assets["multispectral"].extra_fields["proj:shape"]
    cols = np.floor((ux - x0) / res).astype(int)
    rows = np.floor((uy - y0) / neg_res).astype(int)
    truth = expected_ndvi(it.id)
    inside = (cols >= 0) & (cols < cols_n) & (rows >= 0) & (rows < rows_n)
    out = np.full(gx.shape, np.nan)
    out[inside] = truth[rows[inside], cols[inside]]
    return out


def test_two_zooms_read_two_levels_and_show_the_planted_ndvi(twin: Any, scene: pystac.Item) -> None:
    wide, close = _centre_view(scene, 3.0), _centre_view(scene, 0.05)
    far = render_view([scene], wide, SIZE)
    near = render_view([scene], close, SIZE)
    assert far.resolution > 8 * near.resolution
    # no more pixels than the screen shows (the wide view is cut to the scene)
    assert far.rgba.shape[0] <= SIZE[1] + 1 and far.rgba.shape[1] <= SIZE[0] + 1 and far.rgba.shape[2] == 4
    assert abs(near.rgba.shape[0] - SIZE[1]) <= 1 and abs(near.rgba.shape[1] - SIZE[0]) <= 1
    assert far.coverage > 0.3 and near.coverage == 1.0
    assert not np.array_equal(far.rgba, near.rgba)
    wide_plan = dw.plan([scene], ["red", "green", "blue"], **view_arguments(wide, SIZE))
    close_plan = dw.plan([scene], ["red", "green", "blue"], **view_arguments(close, SIZE))
    assert min(wide_plan.files[0].levels) > 0 and close_plan.files[0].levels == (0,)
    # zoomed in (finer than the files), the view's NDVI is the planted one, pixel for pixel
    ndvi = render_view([scene], close, SIZE, "ndvi")
    assert ndvi.values is not None
    truth = _truth_at(scene, ndvi)
    both = np.isfinite(truth) & np.isfinite(ndvi.values)
    assert both.mean() > 0.95
    assert np.mean(np.abs(ndvi.values[both] - truth[both]) < 1e-3) > 0.97


def _view(it: pystac.Item, fx: float, fy: float, fraction: float) -> tuple[float, float, float, float]:
    """A view centred at ``(fx, fy)`` of the item's bbox (0-1 from the south-west corner)."""
    west, south, east, north = it.bbox  # type: ignore[misc]
    cx, cy = west + (east - west) * fx, south + (north - south) * fy
    half_w = (east - west) * fraction / 2
    half_h = half_w * SIZE[1] / SIZE[0] * np.cos(np.radians(cy))
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def test_bytes_per_view_within_one_and_a_half_times_its_tiles(twin: Any, scene: pystac.Item) -> None:
    """A session on a fresh cache, panning and zooming: each view fetches at most 1.5 times the bytes of the
    tiles its plan says it needs. (The plan, asked first, opens the file: its header and GDAL's size probe
    of a signed URL, which the plan does not count, are paid once per file and signature.)"""
    clear_gdal_cache()
    views = {"whole scene, zoomed out": _view(scene, 0.5, 0.5, 3.0),
             "north-west, zoomed in": _view(scene, 0.25, 0.75, 0.05),
             "panned south-east": _view(scene, 0.75, 0.25, 0.05),
             "zoomed out to half the scene": _view(scene, 0.5, 0.5, 0.6)}
    ratios = {}
    for name, bounds in views.items():
        planned = dw.plan([scene], ["red", "green", "blue"], **view_arguments(bounds, SIZE))
        view, fetched = _counted(twin, lambda b=bounds: render_view([scene], b, SIZE))
        ratios[name] = fetched / planned.estimated_bytes
        print(f"{name}: levels {planned.files[0].levels}, {planned.files[0].tiles} tile(s), "
              f"{planned.estimated_bytes} bytes planned, {fetched} fetched, ratio {ratios[name]:.2f}")
        assert view.coverage > 0.3
        assert fetched <= 1.5 * planned.estimated_bytes, (name, fetched, planned.estimated_bytes)


def _counted(twin: Any, fn: Any) -> tuple[Any, int]:
    twin.reset_store_stats()
    result = fn()
    return result, ranged_bytes(twin.store_stats())


def test_stretch_and_bad_input() -> None:
    values = np.array([0.0, 50.0, 100.0, np.nan])
    assert Stretch.percentile(0, 100).limits(values) == (0.0, 100.0)
    assert Stretch.minmax(10, 20).limits(values) == (10.0, 20.0)
    with pytest.raises(LoadError, match="vmin < vmax"):
        Stretch.minmax(5, 5)
    with pytest.raises(LoadError, match="Percentiles"):
        Stretch.percentile(90, 10)
    with pytest.raises(LoadError, match="size in pixels"):
        view_arguments((1, 1, 0, 2), (10, 10))
