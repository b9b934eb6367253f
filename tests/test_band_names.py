"""Bands by name on every shape of item the twin serves (DINAMIS-shaped SPOT, ``spot-6-7-drs``, THEIA's
one asset per band, ``super-sentinel-2-l2a``'s multi-band ``img``): each naming rule, the tables and their
warning, ``band_map``, and errors that name the assets and show a call that works. Numbers are checked
against the planted truth and against the DINAMIS-shaped item of the same acquisition."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pystac
import pytest

from dinamis_widgets.errors import LoadError
from dinamis_widgets.reading.gdal_io import reader_stats, reset_reader_stats
from dinamis_widgets.reading.loading import load
from dinamis_widgets.reading.planning import plan
from dinamis_widgets.twin import scenes as sc
from dinamis_widgets.warnings import BandOrderWarning
from tests.helpers import DRS, SUPERRES, THEIA, ortho_items_of, strict_ndvi, window

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*")]




@pytest.fixture(scope="module")
def drs(twin_items: list[dict[str, Any]]) -> pystac.Item:
    return next(i for i in ortho_items_of(twin_items, DRS) if sc.get_spec(i.id).site.key == "rochefort")


@pytest.fixture(scope="module")
def dinamis_twin(twin_items: list[dict[str, Any]], drs: pystac.Item) -> pystac.Item:
    """The DINAMIS-shaped item of the DRS item's acquisition (same grid, same pixels)."""
    key = sc.get_spec(drs.id).acquisition_key
    spec = next(s for s in sc.catalogue() if s.layout == "dinamis" and s.acquisition_key == key
                and s.level == sc.ORTHO)
    return next(pystac.Item.from_dict(d) for d in twin_items if d["id"] == spec.item_id)


@pytest.fixture(scope="module")
def theia(twin_items: list[dict[str, Any]]) -> pystac.Item:
    return next(i for i in ortho_items_of(twin_items, THEIA) if i.properties["eo:cloud_cover"] == 0)


@pytest.fixture(scope="module")
def superres(twin_items: list[dict[str, Any]]) -> pystac.Item:
    (item,) = ortho_items_of(twin_items, SUPERRES)
    return item


@contextmanager
def no_band_order_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", BandOrderWarning)
        yield


def _assert_truth(values: np.ndarray, item: pystac.Item, ds: Any, asset: str) -> None:
    truth = sc.expected_ndvi(item.id, window=window(ds, item, asset))
    assert np.isfinite(truth).mean() > 0.3
    np.testing.assert_array_equal(np.isnan(values), np.isnan(truth))
    assert np.nanmax(np.abs(values - truth)) < 1e-6


def _aoi(item: pystac.Item) -> tuple[float, float, float, float]:
    assert item.bbox is not None
    w, s, e, n = item.bbox
    return (w + (e - w) * 0.25, s + (n - s) * 0.25, w + (e - w) * 0.7, s + (n - s) * 0.75)


# ----------------------------------------------------------------------------- spot-6-7-drs


def test_drs_red_nir_from_the_table_warn_and_equal_the_dinamis_ndvi(twin: Any, drs: pystac.Item,
                                                                    dinamis_twin: pystac.Item) -> None:
    aoi = _aoi(dinamis_twin)
    with pytest.warns(BandOrderWarning, match=r"R, G, B, NIR.*band_map=\{\"red\": \(\"src_xs\", 1\), "
                                              r"\"nir\": \(\"src_xs\", 4\)\}"):
        ds = load([drs], bands=["red", "nir"], aoi=aoi)
    ref = load([dinamis_twin], bands=["red", "nir"], aoi=aoi)
    assert ds.odc.geobox == ref.odc.geobox and ds.red.dtype == np.uint16 and ds.red.attrs["nodata"] == 0
    mine, theirs = strict_ndvi(ds), strict_ndvi(ref)
    both = np.isfinite(mine) & np.isfinite(theirs)
    assert both.mean() > 0.5
    assert np.abs(mine[both] - theirs[both]).max() < 1e-6
    _assert_truth(mine, drs, ds, "src_xs")


def test_drs_band_map_overrides_the_table_without_warning(twin: Any, drs: pystac.Item) -> None:
    aoi = _aoi(drs)
    with no_band_order_warning():
        ds = load([drs], bands=["red", "nir"], aoi=aoi,
                  band_map={"red": ("src_xs", 1), "nir": "src_xs.4"}).compute()
        swapped = load([drs], aoi=aoi, band_map={"red": ("src_xs", 4), "nir": ("src_xs", 1)}).compute()
    assert list(swapped.data_vars) == ["red", "nir"]  # bands default to band_map's names
    np.testing.assert_array_equal(swapped.red.values, ds.nir.values)
    _assert_truth(strict_ndvi(ds), drs, ds, "src_xs")


@pytest.mark.parametrize(("bands", "names"), [
    (["src_xs"], ["src_xs.1", "src_xs.2", "src_xs.3", "src_xs.4"]),   # (d) all bands of an asset
    (["src_xs.4", "src_xs.1"], ["src_xs.4", "src_xs.1"]),               # (c) asset.N
    (["src_pan"], ["src_pan"]),                                          # (b) single-band asset key
    (["pan"], ["pan"]),                                                  # (e) the table's name
])
def test_drs_names_that_assume_nothing(twin: Any, drs: pystac.Item, bands: list[str],
                                       names: list[str]) -> None:
    aoi = _aoi(drs)
    with no_band_order_warning():
        ds = load([drs], bands=bands, aoi=aoi)
    assert list(ds.data_vars) == names
    if bands[0].startswith("src_xs"):
        values = ds.compute()
        truth = sc.expected_asset(drs.id, "src_xs", window=window(ds, drs, "src_xs"))
        for name in names:
            np.testing.assert_array_equal(values[name].values[0], truth[int(name[-1]) - 1])
    else:
        assert ds.odc.geobox.resolution.x == 1.5


def test_drs_with_eo_bands_but_no_raster_bands(twin: Any, drs: pystac.Item, dinamis_twin: pystac.Item
                                               ) -> None:
    """(a) Names from eo:bands: no table, no warning (odc-stac alone stops at a KeyError ('src_xs', 4))."""
    named = drs.clone()
    named.assets["src_xs"].extra_fields["eo:bands"] = [
        {"name": n, "common_name": c} for n, c in (("B2", "red"), ("B1", "green"), ("B0", "blue"),
                                                   ("B3", "nir"))]
    aoi = _aoi(drs)
    with no_band_order_warning():
        ds = load([named], bands=["red", "nir"], aoi=aoi)
        whole = load([named], bands=["src_xs"], aoi=aoi)
        by_band_name = load([named], bands=["B3"], aoi=aoi)
    assert list(whole.data_vars) == ["red", "green", "blue", "nir"]
    np.testing.assert_array_equal(by_band_name.B3.values, ds.nir.values)
    _assert_truth(strict_ndvi(ds), drs, ds, "src_xs")


def test_drs_headers_are_read_once_per_file_when_items_give_no_grid(twin: Any, drs: pystac.Item) -> None:
    reset_reader_stats()
    with pytest.warns(BandOrderWarning):
        p = plan([drs], bands=["red", "nir", "pan"], estimate=False)
    assert reader_stats()["probes"] == 2  # src_xs and src_pan, for their grids
    assert p.probed == 2 and p.resolution == (6.0, -6.0)
    assert p.band_sources == {"red": "src_xs.1 (assumed order)", "nir": "src_xs.4 (assumed order)",
                              "pan": "src_pan.1 (table)"}
    assert "from src_xs.1 (assumed order)" in str(p) and "headers" in str(p)


# ------------------------------------------------------------------------- DINAMIS-shaped SPOT


@pytest.mark.parametrize(("bands", "names", "first"), [
    (["multispectral"], ["red", "green", "blue", "nir"], "red"),   # (d), named by eo:bands
    (["multispectral.4", "multispectral.1"], ["multispectral.4", "multispectral.1"], "nir"),   # (c)
    (["B3", "B2"], ["B3", "B2"], "nir"),                             # (a) eo:bands band names
    (["panchromatic"], ["panchromatic"], "pan"),                     # (b)
])
def test_dinamis_names(twin: Any, dinamis_twin: pystac.Item, bands: list[str], names: list[str],
                       first: str) -> None:
    aoi = _aoi(dinamis_twin)
    with no_band_order_warning():
        ds = load([dinamis_twin], bands=bands, aoi=aoi)
    assert list(ds.data_vars) == names
    ref = load([dinamis_twin], bands=[first], aoi=aoi)
    assert ds.odc.geobox == ref.odc.geobox
    np.testing.assert_array_equal(ds.compute()[names[0]].values, ref.compute()[first].values)


def test_dinamis_item_stripped_of_its_band_metadata_falls_back_on_the_sensor_table(
        twin: Any, dinamis_twin: pystac.Item) -> None:
    bare = dinamis_twin.clone()
    for asset in bare.assets.values():
        for key in ("eo:bands", "raster:bands"):
            asset.extra_fields.pop(key, None)
    aoi = _aoi(bare)
    with pytest.warns(BandOrderWarning, match="SPOT 6/7 ORTHO products"):
        ds = load([bare], bands=["red", "nir"], aoi=aoi)
    ref = load([dinamis_twin], bands=["red", "nir"], aoi=aoi)
    np.testing.assert_array_equal(ds.compute().nir.values, ref.compute().nir.values)


def test_unknown_collection_of_a_recognised_sensor_uses_the_sensor_table(twin: Any, drs: pystac.Item
                                                                          ) -> None:
    other = drs.clone()
    other.collection_id = "my-spot-archive"
    with pytest.warns(BandOrderWarning, match="my-spot-archive.*SPOT 6/7"):
        ds = load([other], bands=["nir", "red"], aoi=_aoi(drs))
    _assert_truth(strict_ndvi(ds), drs, ds, "src_xs")


def test_dinamis_and_drs_items_in_one_cube(twin: Any, drs: pystac.Item, dinamis_twin: pystac.Item,
                                          twin_items: list[dict[str, Any]]) -> None:
    other_day = next(i for i in ortho_items_of(twin_items, "SPOT67_HCF_GS1") if "W001N46" in i.id
                     and i.datetime != dinamis_twin.datetime)
    aoi = _aoi(dinamis_twin)
    with pytest.warns(BandOrderWarning):
        ds = load([drs, other_day], bands=["red", "nir"], aoi=aoi)
    assert ds.sizes["time"] == 2
    params = json.loads(ds.attrs["dinamis_load"])
    assert "spot-6-7-drs" in params["band_sources"]["red"]


# ----------------------------------------------------------------------------- THEIA, super-S2


@pytest.mark.parametrize("bands", [["red", "nir"], ["B04", "B08"], ["B4", "B8"], ["B04.1", "B08.1"]])
def test_theia_bands_by_every_name(twin: Any, theia: pystac.Item, bands: list[str]) -> None:
    """(e) Sentinel-2 names, (b) asset keys, their unpadded form, (c) asset.N: the same numbers."""
    with no_band_order_warning():
        ds = load([theia], bands=bands)
    renamed = ds.rename(dict(zip(bands, ["red", "nir"], strict=True)))
    assert renamed.red.dtype == np.float32 and np.isnan(renamed.red.attrs["nodata"])
    _assert_truth(strict_ndvi(renamed), theia, ds, "B04")


def test_theia_20m_bands_and_stac_1_1_bands(twin: Any, theia: pystac.Item) -> None:
    named = theia.clone()
    named.assets["B8A"].extra_fields["bands"] = [{"name": "narrow-nir", "eo:common_name": "nir08"}]
    ds = load([named], bands=["narrow-nir", "swir16"], resolution=20).compute()
    truth = sc.expected_asset(theia.id, "B11", window=window(ds, theia, "B11"))[0]
    valid = truth != sc.THEIA_NODATA
    np.testing.assert_allclose(ds.swir16.values[0][valid], truth[valid] / 10000, rtol=1e-6)
    assert np.isnan(ds.swir16.values[0][~valid]).all()
    b8a = sc.expected_asset(theia.id, "B8A", window=window(ds, theia, "B8A"))[0]
    np.testing.assert_allclose(ds["narrow-nir"].values[0][valid], b8a[valid] / 10000, rtol=1e-6)


@pytest.mark.parametrize(("bands", "warns"), [
    (["red", "nir"], True),          # the table's names, in SR4RS's order: an assumption
    (["B4", "B8"], True),
    (["img.1", "img.4"], False),     # (c)
])
def test_superres_img(twin: Any, superres: pystac.Item, bands: list[str], warns: bool) -> None:
    if warns:
        with pytest.warns(BandOrderWarning, match="SR4RS"):
            ds = load([superres], bands=bands)
    else:
        with no_band_order_warning():
            ds = load([superres], bands=bands)
    renamed = ds.rename(dict(zip(bands, ["red", "nir"], strict=True)))
    assert renamed.red.dtype == np.float32  # reflectance x 10000 in the table: scaled
    _assert_truth(strict_ndvi(renamed), superres, ds, "img")


def test_superres_whole_img(twin: Any, superres: pystac.Item) -> None:
    with no_band_order_warning():
        ds = load([superres], bands=["img"])
    assert list(ds.data_vars) == ["img.1", "img.2", "img.3", "img.4"]


# --------------------------------------------------------------------------------- the errors


def _works(message: str) -> list[str]:
    found = re.search(r"A call that works: dw\.load\(items, bands=(\[.*?\])\)", message)
    assert found, message
    return list(json.loads(found[1]))


def _anonymous(item: pystac.Item) -> pystac.Item:
    """The item as an unknown collection would serve it: no name, no id or property to recognise."""
    out = item.clone()
    out.id, out.collection_id = "item-0001", "some-archive"
    for key in ("constellation", "platform", "instruments"):
        out.properties.pop(key, None)
    return out


@pytest.mark.parametrize("shape", ["drs", "theia", "superres"])
def test_errors_name_the_assets_and_show_a_call_that_works(twin: Any, drs: pystac.Item,
                                                           theia: pystac.Item, superres: pystac.Item,
                                                           shape: str) -> None:
    item = _anonymous({"drs": drs, "theia": theia, "superres": superres}[shape])
    with pytest.raises(LoadError) as info:
        load([item], bands=["red", "nir"])
    message = str(info.value)
    assert "'red', 'nir'" in message and "some-archive" in message
    for key, asset in item.assets.items():
        if asset.media_type and asset.media_type.startswith("image/"):
            assert key in message
    if shape != "theia":
        assert 'band_map={"red": (' in message
    ds = load([item], bands=_works(message), chunks=256)
    assert ds.sizes["x"] > 0


def test_errors_for_bad_indices_and_band_maps(twin: Any, drs: pystac.Item, theia: pystac.Item) -> None:
    with pytest.raises(LoadError, match=r"src_xs of collection spot-6-7-drs has 4 band\(s\), not 7"):
        load([drs], bands=["src_xs.7"])
    with pytest.raises(LoadError, match=r"names asset 'xs', which no item has; assets: src_pan, src_xs"):
        load([drs], bands=["red"], band_map={"red": ("xs", 1)})
    with pytest.raises(LoadError, match=r"band_map values are \(asset, band\) pairs"):
        load([drs], bands=["red"], band_map={"red": ("src_xs", 0)})
    with pytest.raises(LoadError, match=r"(?s)No band 'pan'.*B02"):
        load([theia], bands=["pan"])


def test_drs_resolution_names(twin: Any, drs: pystac.Item) -> None:
    with pytest.warns(BandOrderWarning):
        pan = load([drs], bands=["red", "nir"], resolution="pan", aoi=_aoi(drs))
        ms = load([drs], bands=["red", "nir"], resolution="ms", aoi=_aoi(drs))
    assert pan.odc.geobox.resolution.x == 1.5 and ms.odc.geobox.resolution.x == 6.0
