"""Correct numbers by default: ``raster:bands`` (or the table's) scale, offset and nodata applied; THEIA's
cloud and saturation masks with ``mask="clouds"``, per item before the items of a day are fused, read once
per chunk through the signed, re-signing reader; collections without a cloud mask said so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pystac
import pytest

from dinamis_widgets.errors import LoadError, NoMaskError
from dinamis_widgets.reading.driver import read_bands
from dinamis_widgets.reading.gdal_io import clear_gdal_cache, reader_stats, reset_reader_stats
from dinamis_widgets.reading.loading import load
from dinamis_widgets.reading.options import LoadOptions
from dinamis_widgets.reading.planning import plan
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.twin import scenes as sc
from dinamis_widgets.warnings import NoMaskWarning
from tests.helpers import (
    THEIA,
    StaleFirst,
    bytes_served_by,
    expired_signature,
    native_window,
    ortho_items_of,
    strict_ndvi,
    window,
)

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*")]


@pytest.fixture(scope="module")
def theia_items(twin_items: list[dict[str, Any]]) -> list[pystac.Item]:
    return ortho_items_of(twin_items, THEIA)


@pytest.fixture(scope="module")
def cloudy(theia_items: list[pystac.Item]) -> pystac.Item:
    return max(theia_items, key=lambda i: i.properties["eo:cloud_cover"])


def _cloudy_ones(theia_items: list[pystac.Item]) -> list[pystac.Item]:
    return [i for i in theia_items if i.properties["eo:cloud_cover"] > 0]


# ------------------------------------------------------------------------------------- clouds


@pytest.mark.parametrize("which", [0, 1, 2])
def test_theia_ndvi_with_clouds_masked_equals_the_truth_where_clear(twin: Any, theia_items: list[pystac.Item],
                                                                   which: int) -> None:
    item = _cloudy_ones(theia_items)[which]
    ds = load([item], bands=["red", "nir"], mask="clouds", chunks=256)
    assert ds.red.dtype == np.float32 and np.isnan(ds.red.attrs["nodata"])
    values = strict_ndvi(ds)
    win = window(ds, item, "B04")
    truth, clouds = sc.expected_ndvi(item.id, window=win), sc.expected_clouds(item.id, window=win)
    assert clouds.any() and (~clouds & np.isfinite(truth)).mean() > 0.3
    np.testing.assert_array_equal(np.isnan(values), np.isnan(truth) | clouds)
    clear = ~clouds & np.isfinite(truth)
    assert np.abs(values[clear] - truth[clear]).max() < 1e-6
    # Unmasked, the clouds hold (bright) numbers.
    raw = strict_ndvi(load([item], bands=["red", "nir"], chunks=256))
    np.testing.assert_array_equal(np.isnan(raw), np.isnan(truth))


def test_20m_bands_use_the_20m_cloud_mask(twin: Any, cloudy: pystac.Item) -> None:
    ds = load([cloudy], bands=["swir16"], mask="clouds", resolution=20).compute()
    win = window(ds, cloudy, "B11")
    clouds = sc.expected_clouds(cloudy.id, window=win, asset="CLM_R2")
    raw = sc.expected_asset(cloudy.id, "B11", window=win)[0]
    values = ds.swir16.values[0]
    np.testing.assert_array_equal(np.isnan(values), clouds | (raw == sc.THEIA_NODATA))
    keep = ~np.isnan(values)
    np.testing.assert_allclose(values[keep], raw[keep] / sc.THEIA_QUANTIFICATION, rtol=1e-6)


def test_a_cloud_of_one_item_lets_the_other_item_of_the_day_show(twin: Any, theia_items: list[pystac.Item],
                                                                 ) -> None:
    """Masks apply to each item before the items of a time step are fused."""
    tile = [i for i in theia_items if i.properties["s2:mgrs_tile"] == "30TXR"
            and i.properties["sat:relative_orbit"] == 137]
    first = next(i for i in tile if i.properties["eo:cloud_cover"] > 0)
    second = next(i for i in tile if i.properties["eo:cloud_cover"] == 0).clone()
    assert first.datetime is not None and second.id > first.id
    second.datetime = first.datetime + timedelta(seconds=1)
    ds = load([second, first], bands=["red", "nir"], mask="clouds")
    assert ds.sizes["time"] == 1
    values = strict_ndvi(ds)
    clouds = sc.expected_clouds(first.id)
    expected = np.where(clouds, sc.expected_ndvi(second.id), sc.expected_ndvi(first.id))
    assert clouds.any() and not np.isnan(values).any()
    assert np.abs(values - expected).max() < 1e-6


def test_the_mask_is_read_once_per_chunk_by_the_signing_reader(twin: Any, cloudy: pystac.Item) -> None:
    ds = load([cloudy], bands=["red", "nir", "green"], mask="clouds", chunks=256)
    graph = dict(ds.__dask_graph__())
    masks = [k for k in graph if isinstance(k, str) and k.startswith("dinamis-mask-")]
    assert len(masks) == 9  # 600 x 600 pixels in 256-pixel chunks: one CLM_R1 read per chunk, three bands
    for key in masks:
        assert graph[key].func is read_bands
        assert graph[key].args[0] == cloudy.assets["CLM_R1"].href  # unsigned: signed at read time
    p = plan([cloudy], bands=["red", "nir", "green"], mask="clouds", chunks=256, estimate=False)
    assert p.n_reads == 9 * 4  # B02, B03, B04... one read per file and chunk, masks included
    assert any("CLM_R1" in m for m in p.masks) and "masks" in str(p) and "scaled" in str(p)


def test_a_mask_read_meeting_an_expired_signature_is_signed_again(twin: Any, cloudy: pystac.Item) -> None:
    clear_gdal_cache()
    reset_reader_stats()
    href = cloudy.assets["CLM_R1"].href
    base = Signer.from_settings()
    signer = StaleFirst({href: expired_signature(twin, href)}, endpoint=base.endpoint,
                         signable_hosts=base.signable_hosts)
    one_chunk = {"time": 1, "y": -1, "x": -1}  # one read meets the expired signature
    ds = load([cloudy], bands=["red", "nir"], mask="clouds", signer=signer, chunks=one_chunk)
    values = strict_ndvi(ds)
    assert reader_stats()["retries"] == 1 and signer.forced == 1
    truth, clouds = sc.expected_ndvi(cloudy.id), sc.expected_clouds(cloudy.id)
    np.testing.assert_array_equal(np.isnan(values), np.isnan(truth) | clouds)


def test_plan_estimates_the_mask_reads(twin: Any, cloudy: pystac.Item) -> None:
    clear_gdal_cache()
    p = plan([cloudy], bands=["red", "nir"], mask="clouds", chunks=256)
    measured = bytes_served_by(twin, load([cloudy], bands=["red", "nir"], mask="clouds", chunks=256))
    assert len(p.files) == 3 and abs(measured - p.estimated_bytes) <= 0.25 * p.estimated_bytes


def test_saturation_masks_where_the_items_have_them(twin: Any, cloudy: pystac.Item) -> None:
    """SAT_R1 holds one bit per 10 m band (B2, B3, B4, B8). A stand-in SAT_R1 (the CLM_R1 file, whose bit
    2 is set on clouds) masks B4 on the clouds and leaves B8 alone; without a CLM, clouds are not met."""
    item = cloudy.clone()
    item.assets["SAT_R1"] = item.assets.pop("CLM_R1")
    with pytest.raises(NoMaskError):
        load([item], bands=["red"], mask="clouds")
    with pytest.warns(NoMaskWarning, match="sentinel2-l2a-theia"):
        ds = load([item], bands=["red", "nir"], mask="clouds-if-any").compute()
    clouds = sc.expected_clouds(item.id)
    assert np.isnan(ds.red.values[0][clouds]).all()
    assert not np.isnan(ds.nir.values[0][clouds]).any()


@pytest.mark.filterwarnings("ignore::dinamis_widgets.warnings.BandOrderWarning")
@pytest.mark.parametrize("collection", ["spot-6-7-drs", "super-sentinel-2-l2a", "SPOT67_HCF_GS1"])
def test_collections_without_a_cloud_mask_say_so(twin: Any, twin_items: list[dict[str, Any]],
                                                 collection: str) -> None:
    item = ortho_items_of(twin_items, collection)[0]
    with pytest.raises(NoMaskError, match=f"no cloud mask for {collection}"):
        load([item], bands=["red", "nir"], mask="clouds")
    with pytest.warns(NoMaskWarning, match=collection):
        ds = load([item], bands=["red", "nir"], mask="clouds-if-any")
    assert ds.red.dtype == (np.uint16 if collection != "super-sentinel-2-l2a" else np.float32)
    with pytest.raises(LoadError, match="mask='cloud'"):
        load([item], bands=["red"], mask="cloud")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- scale, offset


def _scaled(spot: pystac.Item, **band: Any) -> pystac.Item:
    item = spot.clone()
    for entry in item.assets["multispectral"].extra_fields["raster:bands"]:
        entry.update(band)
    return item


def test_raster_bands_scale_and_offset_are_applied(twin: Any, spot: pystac.Item) -> None:
    item = _scaled(spot, scale=0.5, offset=10.0)
    ds = load([item], bands=["red"]).compute()
    dn = sc.expected_bands(spot.id, ["red"], window=native_window(ds, spot))["red"]
    values = ds.red.values[0]
    assert values.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(values), dn == 0)
    np.testing.assert_allclose(values[dn > 0], dn[dn > 0] * 0.5 + 10.0, rtol=0, atol=1e-3)
    kept = load([item], bands=["red"], options=LoadOptions(rescale=False)).compute()
    assert kept.red.dtype == np.uint16
    np.testing.assert_array_equal(kept.red.values[0], dn)
    with pytest.raises(LoadError, match="float dtype"):
        load([item], bands=["red"], options=LoadOptions(dtype="uint16"))


def test_scale_declared_in_stac_1_1_bands_wins_over_the_table(twin: Any, cloudy: pystac.Item) -> None:
    item = cloudy.clone()
    item.assets["B04"].extra_fields["bands"] = [{"name": "B4", "eo:common_name": "red", "data_type": "int16",
                                                 "nodata": -10000, "raster:scale": 0.001}]
    ds = load([item], bands=["red"]).compute()
    raw = sc.expected_asset(item.id, "B04", window=window(ds, item, "B04"))[0]
    ok = raw != sc.THEIA_NODATA
    np.testing.assert_allclose(ds.red.values[0][ok], raw[ok] * 0.001, rtol=1e-6)


def test_integers_kept_on_request(twin: Any, cloudy: pystac.Item) -> None:
    ds = load([cloudy], bands=["red", "nir"], options=LoadOptions(rescale=False))
    assert ds.red.dtype == np.int16 and ds.red.attrs["nodata"] == sc.THEIA_NODATA
    values = strict_ndvi(ds)
    truth = sc.expected_ndvi(cloudy.id, window=window(ds, cloudy, "B04"))
    np.testing.assert_array_equal(np.isnan(values), np.isnan(truth))
    assert np.nanmax(np.abs(values - truth)) < 1e-6


def test_masked_loads_run_in_other_processes(twin: Any, cloudy: pystac.Item) -> None:
    import dask

    ds = load([cloudy], bands=["red", "nir"], mask="clouds", chunks=256)
    with dask.config.set(scheduler="processes", num_workers=2):
        values = strict_ndvi(ds)
    truth, clouds = sc.expected_ndvi(cloudy.id), sc.expected_clouds(cloudy.id)
    np.testing.assert_array_equal(np.isnan(values), np.isnan(truth) | clouds)
