"""Indices and pan-sharpening: lazy float32, nodata and zero denominators as NaN without warnings, and
numbers equal to the twin's planted truth."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pystac
import pytest
import xarray as xr

from dinamis_widgets.analysis.indices import ndvi, ndwi, normalized_difference, savi
from dinamis_widgets.analysis.sharpening import pansharpen
from dinamis_widgets.reading.loading import load
from dinamis_widgets.reading.options import LoadOptions
from dinamis_widgets.twin.scenes import expected_bands, expected_ndvi, planted_classes, planted_ndvi_at
from tests.helpers import native_window

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*")]


def _ortho(twin_items: list[dict[str, Any]], contains: str) -> pystac.Item:
    return next(pystac.Item.from_dict(d) for d in twin_items
                if contains in d["id"] and d["properties"]["processing:level"] == "ORTHO"
                and "REGARDS" not in d["collection"])


@pytest.fixture(scope="module")
def spot(twin_items: list[dict[str, Any]]) -> pystac.Item:
    return _ortho(twin_items, "W001N46_SCENE1")


@pytest.mark.parametrize("contains", ["W001N46_SCENE1", "PNEO3", "PHR1B_202509"])
def test_ndvi_over_an_aoi_equals_the_planted_truth(twin: Any, twin_items: list[dict[str, Any]],
                                                   contains: str) -> None:
    item = _ortho(twin_items, contains)
    assert item.bbox is not None
    w, s, e, n = item.bbox
    aoi = (w + (e - w) * 0.2, s + (n - s) * 0.3, w + (e - w) * 0.7, s + (n - s) * 0.8)
    ds = load([item], bands=["red", "nir"], aoi=aoi, chunks=128)
    index = ndvi(ds)
    assert index.dtype == np.float32 and index.chunks is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        values = index.values[0]
    truth = expected_ndvi(item.id, window=native_window(ds, item))
    assert values.shape == truth.shape and np.isfinite(truth).mean() > 0.5
    np.testing.assert_array_equal(np.isnan(values), np.isnan(truth))
    np.testing.assert_allclose(values, truth, atol=1e-3, equal_nan=True)
    assert np.nanmax(np.abs(values - truth)) < 1e-6


def test_ndwi_is_mcfeeters(twin: Any, spot: pystac.Item) -> None:
    ds = load([spot], bands=["green", "nir"])
    truth = expected_bands(spot.id, ["green", "nir"], window=native_window(ds, spot))
    g, nir = truth["green"].astype(float), truth["nir"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where((g > 0) & (nir > 0), (g - nir) / (g + nir), np.nan)
    np.testing.assert_allclose(ndwi(ds).values[0], expected, atol=1e-6, equal_nan=True)


def test_nodata_and_zero_denominator_are_nan_without_warnings() -> None:
    red = xr.DataArray(np.array([[100, 0, 0, 50]], "uint16"), dims=("y", "x"), attrs={"nodata": 0})
    nir = xr.DataArray(np.array([[300, 200, 0, 50]], "uint16"), dims=("y", "x"), attrs={"nodata": 0})
    ds = xr.Dataset({"red": red, "nir": nir}).chunk({"x": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = ndvi(ds).values
    assert out.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(out), [[False, True, True, False]])
    assert out[0, 0] == pytest.approx(0.5) and out[0, 3] == 0
    floats = xr.Dataset({"a": ("x", np.array([1.0, -1.0, np.nan])), "b": ("x", np.array([1.0, 1.0, 1.0]))})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        nd = normalized_difference(floats, "a", "b").values
    assert nd[0] == 0 and np.isnan(nd[1]) and np.isnan(nd[2])


def test_savi_and_missing_band_message() -> None:
    ds = xr.Dataset({"red": ("x", np.array([1000.0])), "nir": ("x", np.array([5000.0]))})
    assert float(savi(ds, scale=1e-4)[0]) == pytest.approx(1.5 * 0.4 / 1.1, rel=1e-5)
    with pytest.raises(KeyError, match="green"):
        ndwi(ds)


def test_indices_keep_provenance_and_crs(twin: Any, spot: pystac.Item) -> None:
    ds = load([spot], bands=["red", "nir"])
    index = ndvi(ds)
    assert index.attrs["dinamis_items"] == [spot.id]
    import odc.geo.xr  # noqa: F401
    import rioxarray  # noqa: F401

    assert index.rio.crs == "EPSG:32630" and index.odc.crs == "EPSG:32630"


def _interior(classes: np.ndarray) -> np.ndarray:
    """MS pixels whose 3 x 3 neighbourhood has one planted class (away from class edges)."""
    same = np.ones(classes.shape, bool)
    padded = np.pad(classes, 1, mode="edge")
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            same &= padded[1 + dy:1 + dy + classes.shape[0], 1 + dx:1 + dx + classes.shape[1]] == classes
    return same


@pytest.mark.parametrize("resampling", ["nearest", "bilinear"])
def test_brovey_ndvi_at_pan_resolution_matches_the_planted_ndvi(twin: Any, spot: pystac.Item,
                                                                resampling: str) -> None:
    assert spot.bbox is not None
    w, s, e, n = spot.bbox
    aoi = (w + (e - w) * 0.25, s + (n - s) * 0.25, w + (e - w) * 0.6, s + (n - s) * 0.6)
    ds = load([spot], bands=["red", "green", "blue", "nir", "pan"], aoi=aoi, resolution="pan",
              options=LoadOptions(resampling={"pan": "nearest", "*": resampling}))
    sharp = pansharpen(ds)
    assert sharp.red.dtype == np.float32 and sharp.red.chunks is not None
    assert sharp.odc.geobox.resolution.x == 1.5
    index = ndvi(sharp).values[0]
    x, y = np.meshgrid(sharp.x.values, sharp.y.values)
    truth = planted_ndvi_at(spot.id, x, y)
    # Keep PAN pixels of MS pixels away from class edges (and from the MS pixel borders for bilinear).
    res, _, x0, _, _, y0 = spot.assets["multispectral"].extra_fields["proj:transform"]
    ms_rows = ((y0 - y) // res).astype(int)
    ms_cols = ((x - x0) // res).astype(int)
    r0, c0 = ms_rows.min(), ms_cols.min()
    classes = planted_classes(spot.id, window=(r0, c0, ms_rows.max() - r0 + 1, ms_cols.max() - c0 + 1))
    inner = _interior(_interior(classes)) if resampling == "bilinear" else _interior(classes)
    keep = inner[ms_rows - r0, ms_cols - c0] & np.isfinite(truth) & np.isfinite(index)
    assert keep.mean() > 0.3
    err = np.abs(index - truth)[keep]
    assert np.median(err) < 2e-3, np.median(err)
    # Nearest: NDVI of the MS pixel; bilinear blends neighbouring MS pixels of the planted texture.
    tail = 0.02 if resampling == "nearest" else 0.08
    assert np.percentile(err, 95) < tail, np.percentile(err, 95)
    # Brovey keeps band ratios: NDVI of the sharpened cube equals NDVI of the resampled MS bands.
    np.testing.assert_allclose(index, ndvi(ds).values[0], atol=1e-5, equal_nan=True)


def test_gihs_and_errors() -> None:
    ds = xr.Dataset({"red": ("x", np.array([100.0, 200.0])), "nir": ("x", np.array([300.0, 400.0])),
                     "pan": ("x", np.array([250.0, 300.0]))})
    out = pansharpen(ds, "gihs")
    np.testing.assert_allclose(out.red.values, [100 + 250 - 200, 200 + 300 - 300])
    with pytest.raises(ValueError, match="brovey"):
        pansharpen(ds, "pca")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="pan"):
        pansharpen(ds.drop_vars("pan"))


def test_indices_by_row_blocks_equal_the_formula() -> None:
    """The kernels run a block of rows at a time (bounded temporaries): the same values, exactly, as the
    formula on whole float arrays, with NaN where ``nir + red == 0`` and on nodata, on shapes that do and do
    not fill the blocks, and on arrays that are not contiguous."""
    rng = np.random.default_rng(0)
    for shape in [(1, 700, 900), (3000,), (2, 1, 5), (1, 2049, 257), (600, 1100)]:
        nir = rng.integers(0, 50, shape).astype("uint16")
        red = rng.integers(0, 50, shape).astype("uint16")
        nir.flat[::3], red.flat[::3] = 0, 0  # sums of zero: NaN
        red.flat[1::7] = 65535  # nodata
        if len(shape) == 2:
            nir, red = nir.T, red.T  # views, not contiguous
        dims = [f"d{i}" for i in range(nir.ndim)]
        ds = xr.Dataset({"nir": (dims, nir), "red": (dims, red, {"nodata": 65535})})
        a, b = nir.astype("float32"), red.astype("float32")
        b[red == 65535] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = (a - b) / (a + b)
            expected[(a + b) == 0] = np.nan
            savi_expected = ((1.5 * (a * 1e-4 - b * 1e-4)) / (a * 1e-4 + b * 1e-4 + 0.5)).astype("float32")
        got = ndvi(ds).values
        np.testing.assert_array_equal(got, expected)
        assert np.isnan(got).any() and got.dtype == np.float32
        np.testing.assert_allclose(savi(ds, scale=1e-4).values, savi_expected, rtol=1e-6)
