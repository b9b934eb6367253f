"""The functions vendored from odc-loader (dinamis_widgets.reading.odc_read) behave as upstream's, and
upstream has not changed since they were copied.

When a test here fails after an odc-loader upgrade: compare dinamis_widgets/reading/odc_read.py with
odc/loader/_rio.py (``_do_read``) and odc/loader/_reader.py (``pick_overview``, ``same_nodata``,
``nodata_mask``) of the new release, port the changes, then update ``UPSTREAM`` and ``ODC_LOADER_VERSION``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import itertools
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from odc.geo.geobox import GeoBox
from odc.geo.overlap import compute_reproject_roi
from odc.loader import RasterLoadParams

from dinamis_widgets.reading import odc_read

#: (module, function) of odc-loader -> (vendored function, sha256 prefix of upstream's source when copied).
UPSTREAM: dict[tuple[str, str], tuple[Callable[..., Any], str]] = {
    ("odc.loader._rio", "_do_read"): (odc_read.do_read, "7b8dfc12d5a1b298"),
    ("odc.loader._reader", "pick_overview"): (odc_read.pick_overview, "7f1e091a69eb38f6"),
    ("odc.loader._reader", "same_nodata"): (odc_read.same_nodata, "1da7d16c2f3e56f4"),
    ("odc.loader._reader", "nodata_mask"): (odc_read.nodata_mask, "e723e5d992459360"),
}


def upstream(module: str, name: str) -> Callable[..., Any]:
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("module", "name"), sorted(UPSTREAM))
def test_upstream_source_is_the_one_vendored(module: str, name: str) -> None:
    digest = hashlib.sha256(inspect.getsource(upstream(module, name)).encode()).hexdigest()[:16]
    assert digest == UPSTREAM[module, name][1], (
        f"odc-loader {version('odc-loader')} changed {module}.{name} (vendored from odc-loader "
        f"{odc_read.ODC_LOADER_VERSION} in dinamis_widgets/reading/odc_read.py): re-check the copy against "
        f"the new source, then update the hash in tests/test_odc_read.py.")


def test_pick_overview_same_as_upstream() -> None:
    theirs = upstream("odc.loader._reader", "pick_overview")
    for shrink in range(1, 40):
        for overviews in ([], [2], [2, 4, 8, 16], [3, 9], [4, 8]):
            assert odc_read.pick_overview(shrink, overviews) == theirs(shrink, overviews), (shrink, overviews)


def test_nodata_helpers_same_as_upstream() -> None:
    same, mask = upstream("odc.loader._reader", "same_nodata"), upstream("odc.loader._reader", "nodata_mask")
    values = [None, 0, 0.0, 5, float("nan")]
    for a, b in itertools.product(values, values):
        assert odc_read.same_nodata(a, b) == same(a, b), (a, b)
    for pix in (np.array([[0, 1], [5, 0]], dtype="uint16"), np.array([[np.nan, 0.0], [5.0, 1.0]])):
        for nodata in values:
            np.testing.assert_array_equal(odc_read.nodata_mask(pix, nodata), mask(pix, nodata))


# -- do_read on a synthetic raster -------------------------------------------------------------------

CRS = "EPSG:32630"
ORIGIN = (600000.0, 5000000.0)


@pytest.fixture(scope="module")
def raster() -> Iterator[Any]:
    """A 3-band uint16 GeoTIFF (200 x 300 pixels of 10 m, nodata 0 in a corner) with overviews."""
    rng = np.random.default_rng(3)
    data = rng.integers(1, 4000, size=(3, 200, 300), dtype="uint16")
    data[:, :20, :30] = 0
    profile = {"driver": "GTiff", "width": 300, "height": 200, "count": 3, "dtype": "uint16", "crs": CRS,
               "transform": Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1]), "nodata": 0, "tiled": True,
               "blockxsize": 64, "blockysize": 64}
    with rasterio.MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data)
            dst.build_overviews([2, 4])
        with mem.open() as src:
            yield src


def _grids() -> dict[str, GeoBox]:
    x0, y0 = ORIGIN
    return {
        "same": GeoBox((200, 300), Affine(10, 0, x0, 0, -10, y0), CRS),
        "inside": GeoBox((50, 70), Affine(10, 0, x0 + 400, 0, -10, y0 - 300), CRS),
        "half-pixel": GeoBox((50, 70), Affine(10, 0, x0 + 405, 0, -10, y0 - 305), CRS),
        "overhanging": GeoBox((80, 80), Affine(10, 0, x0 - 200, 0, -10, y0 + 100), CRS),
        "coarser": GeoBox((40, 60), Affine(50, 0, x0, 0, -50, y0), CRS),
        "finer": GeoBox((60, 60), Affine(5, 0, x0 + 1000, 0, -5, y0 - 500), CRS),
        "other crs": GeoBox((40, 40), Affine(0.0005, 0, -1.7, 0, -0.0005, 45.135), "EPSG:4326"),
        "disjoint": GeoBox((10, 10), Affine(10, 0, x0 + 10000, 0, -10, y0), CRS),
    }


CONFIGS = {
    "default": RasterLoadParams(),
    "float": RasterLoadParams(dtype="float32"),
    "fill": RasterLoadParams(dtype="int32", fill_value=-1),
    "bilinear": RasterLoadParams(dtype="float32", resampling="bilinear"),
    "override": RasterLoadParams(src_nodata_override=7),
    "no overviews": RasterLoadParams(use_overviews=False, resampling="average"),
}


@pytest.mark.parametrize("grid", sorted(_grids()))
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("bands", [2, [1, 3]])
@pytest.mark.parametrize("into_dst", [False, True])
def test_do_read_same_as_upstream(raster: Any, grid: str, config: str, bands: Any, into_dst: bool) -> None:
    theirs = upstream("odc.loader._rio", "_do_read")
    dst_geobox, cfg = _grids()[grid], CONFIGS[config]
    rr = compute_reproject_roi(GeoBox.from_rio(raster), dst_geobox, ttol=0.9 if cfg.nearest else 0.05)
    results = []
    for read in (odc_read.do_read, theirs):
        dst = None
        if into_dst:
            shape = (len(bands), *dst_geobox.shape.yx) if isinstance(bands, list) else dst_geobox.shape.yx
            dst = np.full(shape, 99, dtype=np.dtype(cfg.dtype or "uint16"))
        roi, pix = read(rasterio.band(raster, bands), cfg, dst_geobox, rr, dst=dst)
        results.append((roi, pix.copy(), None if dst is None else dst.copy()))
    (roi, pix, dst), (roi_up, pix_up, dst_up) = results
    assert roi == roi_up
    assert pix.dtype == pix_up.dtype
    np.testing.assert_array_equal(pix, pix_up)
    if into_dst:
        np.testing.assert_array_equal(dst, dst_up)
