"""The twin's collections shaped like the MTD STAC API's (``spot-6-7-drs``, ``sentinel2-l2a-theia``,
``super-sentinel-2-l2a``): their JSON, searching them, and their planted truth read through signed
URLs, as a user of the real catalogue meets them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pystac
import pytest
import rasterio
import requests
from pyproj import Transformer
from pystac_client import Client
from rasterio.errors import NotGeoreferencedWarning
from shapely.geometry import shape

from dinamis_widgets.twin import scenes as sc
from tests.helpers import OfflineValidator

DRS, THEIA, SUPERRES = "spot-6-7-drs", "sentinel2-l2a-theia", "super-sentinel-2-l2a"
GDAL_ENV = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_HTTP_MAX_RETRY": "0",
            "CPL_VSIL_CURL_USE_HEAD": "NO", "VSI_CACHE": "FALSE"}
THEIA_BANDS = ["B02", "B03", "B04", "B08", "B05", "B06", "B07", "B8A", "B11", "B12"]
THEIA_MASKS = [f"{m}_{g}" for m in ("CLM", "EDG", "MG2") for g in ("R1", "R2")]


@pytest.fixture(scope="module")
def client(twin: Any) -> Client:
    return Client.open(twin.stac_api)


@pytest.fixture(scope="module")
def mtd_items(twin_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in twin_items if i["collection"] in sc.MTD_COLLECTIONS]


def _of(items: list[dict[str, Any]], collection: str) -> list[dict[str, Any]]:
    return [i for i in items if i["collection"] == collection]


def _sign(twin: Any, urls: list[str]) -> dict[str, str]:
    r = requests.post(twin.signing + "sign_urls", timeout=10, json={"urls": urls},
                      headers={"access-key": twin.access_key, "secret-key": twin.secret_key})
    r.raise_for_status()
    hrefs: dict[str, str] = r.json()["hrefs"]
    return hrefs


@contextmanager
def _open_signed(twin: Any, href: str) -> Iterator[Any]:
    url = _sign(twin, [href])[href]
    assert "X-Amz-Signature" in url
    with rasterio.Env(**GDAL_ENV), rasterio.open(url) as src:
        yield src


def _centres(asset: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    a, _, c, _, e, f = asset["proj:transform"][:6]
    rows, cols = asset["proj:shape"]
    return np.meshgrid(c + (np.arange(cols) + 0.5) * a, f + (np.arange(rows) + 0.5) * e)


# ----------------------------------------------------------------------------------- the JSON


def test_collections_are_named_and_versioned_as_the_real_ones(twin: Any) -> None:
    served = {c["id"]: c for c in twin.scenes.collections()}
    assert {DRS, THEIA, SUPERRES} <= set(served)
    assert {served[c]["stac_version"] for c in (DRS, THEIA, SUPERRES)} == {"1.1.0"}
    for cid in (DRS, THEIA, SUPERRES):
        c = served[cid]
        assert "dinamis:provider" not in json.dumps(c) and "item_assets" not in c
        assert any("host" in p["roles"] for p in c["providers"])
    assert served[DRS]["links"][0]["rel"] == "license"


def test_no_dinamis_shape_in_mtd_items(mtd_items: list[dict[str, Any]]) -> None:
    assert {i["collection"] for i in mtd_items} == {DRS, THEIA, SUPERRES}
    for it in mtd_items:
        text = json.dumps(it)
        for absent in ("eo:bands", "raster:bands", "processing:level", "dinamis:", "view:",
                       "thumbnail"):
            assert absent not in text, (it["id"], absent)
        assert it["stac_version"] == ("1.1.0" if it["collection"] == THEIA else "1.0.0")
        assert set(it["stac_extensions"]) <= set(sc.MTD_STAC_EXTENSIONS.values())


def test_drs_items(mtd_items: list[dict[str, Any]]) -> None:
    drs = _of(mtd_items, DRS)
    assert len(drs) == 3
    for it in drs:
        assert set(it["assets"]) == {"src_xs", "src_pan"}
        assert all(a["roles"] == ["data"] for a in it["assets"].values())
        assert it["id"].startswith(("SPOT6_MS_", "SPOT7_MS_")) and "_P_" in it["id"]
    ortho = [it for it in drs if "proj:epsg" in it["properties"]]
    assert len(ortho) == 2
    for it in ortho:
        assert set(it["properties"]) == {"datetime", "proj:epsg"}
        assert it["stac_extensions"] == [sc.MTD_STAC_EXTENSIONS["projection-v1"]]
        assert {a["type"] for a in it["assets"].values()} == {sc.COG_MEDIA_TYPE}
    # The raw product: nothing in its JSON says it is raw, but nothing georeferences it either.
    (raw,) = [it for it in drs if it not in ortho]
    assert set(raw["properties"]) == {"datetime"} and raw["stac_extensions"] == []
    assert {a["type"] for a in raw["assets"].values()} == {"image/tiff"}
    assert sc.get_spec(raw["id"]).level == sc.BRUT


def test_theia_items(mtd_items: list[dict[str, Any]]) -> None:
    theia = _of(mtd_items, THEIA)
    assert len(theia) == 5
    for it in theia:
        p = it["properties"]
        assert it["id"].startswith("SENTINEL2") and "_L2A_T" in it["id"]
        assert p["s2:mgrs_tile"] in {"30TXR", "31TEJ"} and f"_T{p['s2:mgrs_tile']}_" in it["id"]
        assert isinstance(p["sat:relative_orbit"], int)
        assert 0 <= p["eo:cloud_cover"] <= 100
        assert p["platform"] in {"sentinel-2b", "sentinel-2c"} and p["constellation"] == "sentinel-2"
        assert list(it["assets"]) == [*THEIA_BANDS, *THEIA_MASKS, "MD"]
        epsg = sc.get_spec(it["id"]).epsg
        for key, asset in it["assets"].items():
            if key == "MD":
                assert asset["type"] == "application/xml" and asset["roles"] == ["metadata"]
                continue
            assert asset["proj:code"] == f"EPSG:{epsg}"
            side = 600 if key in ("B02", "B03", "B04", "B08") or key.endswith("_R1") else 300
            assert asset["proj:shape"] == [side, side]
            assert asset["proj:transform"][0] == 6000 / side
            assert ("reflectance" in asset["roles"]) == key.startswith("B")
    assert {it["properties"]["sat:relative_orbit"] for it in theia} == {8, 51, 94, 137}


def test_superres_item(mtd_items: list[dict[str, Any]]) -> None:
    (it,) = _of(mtd_items, SUPERRES)
    assert set(it["properties"]) == {"datetime"}
    assert list(it["assets"]) == ["img"]
    assert it["assets"]["img"]["proj:epsg"] == 32631
    # Over Montpellier, one of the real collection's sites (dinamis-sdk docs).
    assert shape(it["geometry"]).within(shape({"type": "Polygon", "coordinates": [[
        [3.696201, 43.547450], [4.036414, 43.547450], [4.036414, 43.754317],
        [3.696201, 43.754317], [3.696201, 43.547450]]]}))


def test_montpellier_newest_first_starts_with_dinamis_products(twin_items: list[dict[str, Any]]
                                                               ) -> None:
    """The Explorer's browser test searches Montpellier and baskets the two newest signable results:
    they stay DINAMIS SPOT products."""
    site = shape(_of(twin_items, SUPERRES)[0]["geometry"])
    here = sorted((i for i in twin_items if shape(i["geometry"]).intersects(site)),
                  key=lambda i: i["properties"]["datetime"], reverse=True)
    ortho = [i for i in here if i["properties"].get("processing:level") != "BRUT"]
    assert [i["collection"] for i in ortho[:2]] == ["SPOT67_HCF_GS1"] * 2
    assert ortho[1]["properties"]["datetime"] > max(
        i["properties"]["datetime"] for i in here if i["collection"] in sc.MTD_COLLECTIONS)


def test_mtd_items_validate(mtd_items: list[dict[str, Any]], twin: Any) -> None:
    """Extensions as served; core against STAC 1.1.0 (the only core schema available offline),
    which the 1.0.0 items' fields also satisfy."""
    validator = OfflineValidator()
    item, collection = pystac.STACObjectType.ITEM, pystac.STACObjectType.COLLECTION
    for obj, kind in [(it, item) for it in mtd_items] + [
            (c, collection) for c in twin.scenes.collections() if c["id"] in sc.MTD_COLLECTIONS]:
        core = dict(obj, stac_version="1.1.0")
        assert validator.validate_core(core, kind, "1.1.0")
        for ext in obj["stac_extensions"]:
            assert validator.validate_extension(obj, kind, obj["stac_version"], ext)
    bad = json.loads(json.dumps(_of(mtd_items, THEIA)[0]))
    bad["properties"]["sat:relative_orbit"] = "eight"
    with pytest.raises(pystac.STACValidationError):
        validator.validate_extension(bad, item, "1.1.0", sc.MTD_STAC_EXTENSIONS["sat"])


# --------------------------------------------------------------------------------- searching


@pytest.mark.filterwarnings("ignore::pystac_client.warnings.DoesNotConformTo")
def test_search_like_the_maintainers_example(client: Client, mtd_items: list[dict[str, Any]]
                                             ) -> None:
    montpellier = shape(_of(mtd_items, SUPERRES)[0]["geometry"]).bounds
    found = list(client.search(
        collections=[THEIA], bbox=montpellier, datetime="2025-01-01/2025-12-31",
        query={"sat:relative_orbit": {"eq": 8}, "eo:cloud_cover": {"lt": 50}},
        sortby="datetime", max_items=6).items())
    expected = [i["id"] for i in _of(mtd_items, THEIA) if i["properties"]["sat:relative_orbit"] == 8]
    assert [i.id for i in found] == expected and len(found) == 1
    assert found[0].assets["B03"].ext.proj.code == "EPSG:32631"
    cloudy = list(client.search(collections=[THEIA], query={"eo:cloud_cover": {"gte": 10}},
                                max_items=None).items())
    assert sorted(i.id for i in cloudy) == sorted(
        i["id"] for i in _of(mtd_items, THEIA) if i["properties"]["eo:cloud_cover"] >= 10)
    assert len(cloudy) == 2


def test_search_drs_and_superres(client: Client, mtd_items: list[dict[str, Any]]) -> None:
    served = list(client.search(collections=[DRS], max_items=None).items_as_dicts())
    assert sorted(i["id"] for i in served) == sorted(i["id"] for i in _of(mtd_items, DRS))
    assert {i["stac_version"] for i in served} == {"1.0.0"}
    assert sorted(i["properties"].get("proj:epsg", 0) for i in served) == [0, 32630, 32631]
    # pystac migrates projection v1.1.0 to v2.0.0 when it reads them: proj:epsg becomes proj:code.
    drs = list(client.search(collections=[DRS], max_items=None).items())
    assert sorted(i.ext.proj.epsg for i in drs if i.stac_extensions) == [32630, 32631]
    (sr,) = client.search(collections=[SUPERRES], max_items=None).items()
    assert list(sr.assets) == ["img"] and sr.assets["img"].ext.proj.epsg == 32631


def test_queryables_of_theia(twin: Any) -> None:
    r = requests.get(f"{twin.stac_api}collections/{THEIA}/queryables", timeout=10)
    r.raise_for_status()
    props = r.json()["properties"]
    assert props["sat:relative_orbit"]["type"] == "integer"
    assert props["eo:cloud_cover"]["type"] == "number"
    assert set(props["s2:mgrs_tile"]["enum"]) == {"30TXR", "31TEJ"}


# ------------------------------------------------------------------------------ signing rules


def test_every_mtd_asset_needs_signing(twin: Any, mtd_items: list[dict[str, Any]]) -> None:
    hrefs = [a["href"] for it in mtd_items for a in it["assets"].values()]
    assert all(h.startswith(twin.data + "/sm1-gdc") for h in hrefs)
    signed: dict[str, str] = {}
    for i in range(0, len(hrefs), 64):
        signed.update(_sign(twin, hrefs[i : i + 64]))
    for href in hrefs[::7]:  # a sample: every kind of asset, every collection
        assert requests.get(href, timeout=10, headers={"Range": "bytes=0-15"}).status_code == 403
        ok = requests.get(signed[href], timeout=10, headers={"Range": "bytes=0-15"})
        assert ok.status_code == 206 and len(ok.content) == 16


# --------------------------------------------------------------------------- THEIA, the truth


@pytest.fixture(scope="module")
def partial_theia(mtd_items: list[dict[str, Any]]) -> dict[str, Any]:
    """The THEIA item at the edge of its swath, with clouds."""
    return next(i for i in _of(mtd_items, THEIA) if i["properties"]["sat:relative_orbit"] == 94)


@pytest.mark.parametrize("which", ["partial", "cloudy"])
def test_theia_ndvi_from_signed_b04_b08_where_clm_is_clear(
    which: str, twin: Any, mtd_items: list[dict[str, Any]], partial_theia: dict[str, Any]
) -> None:
    it = partial_theia if which == "partial" else max(
        _of(mtd_items, THEIA), key=lambda i: i["properties"]["eo:cloud_cover"])
    data = {}
    for key in ("B04", "B08", "CLM_R1", "EDG_R1"):
        with _open_signed(twin, it["assets"][key]["href"]) as src:
            data[key] = src.read(1)
            if key.startswith("B"):
                assert src.dtypes[0] == "int16" and src.nodata == sc.THEIA_NODATA
            else:
                assert src.dtypes[0] == "uint8" and src.nodata is None
            assert list(src.shape) == it["assets"][key]["proj:shape"]
    red, nir, clm, edg = data["B04"], data["B08"], data["CLM_R1"], data["EDG_R1"]
    outside = edg == 1
    assert ((red == sc.THEIA_NODATA) == outside).all() and ((nir == sc.THEIA_NODATA) == outside).all()
    assert (clm[outside] == 0).all()
    if which == "partial":
        assert 0.3 < outside.mean() < 0.6
    else:
        assert not outside.any()
    clear = (clm == 0) & ~outside
    assert clear.mean() > 0.3
    r, n = red / sc.THEIA_QUANTIFICATION, nir / sc.THEIA_QUANTIFICATION
    assert r[clear].min() > 0 and n[clear].max() < 1
    ndvi = (n - r) / (n + r)
    x, y = _centres(it["assets"]["B04"])
    planted = sc.planted_ndvi_at(it["id"], x, y)
    assert np.abs(ndvi[clear] - planted[clear]).max() < 1e-3
    truth = sc.expected_ndvi(it["id"])
    np.testing.assert_array_equal(np.isnan(truth), outside)
    np.testing.assert_allclose(truth[~outside], ndvi[~outside], atol=1e-12, rtol=0)
    # The clear pixels hold the land cover's NDVI: vegetation is green, water is not.
    classes = sc.planted_classes(it["id"])
    forest = clear & (classes == sc.LandCover.FOREST)
    water = clear & (classes == sc.LandCover.WATER)
    assert ndvi[forest].mean() > 0.6 and ndvi[water].mean() < 0.1


def test_theia_clm_bits_mark_the_planted_clouds(mtd_items: list[dict[str, Any]]) -> None:
    bits = sc.CLM_BITS
    cloudy = [i for i in _of(mtd_items, THEIA) if i["properties"]["eo:cloud_cover"] > 0]
    assert len(cloudy) >= 3
    for it in cloudy:
        for group in ("R1", "R2"):
            clm = sc.expected_asset(it["id"], f"CLM_{group}")[0]
            clouds = sc.expected_clouds(it["id"], asset=f"CLM_{group}")
            for flag in ("clouds_and_shadows", "clouds", "mono_temporal"):
                np.testing.assert_array_equal((clm & bits[flag]) > 0, clouds)
            thin = (clm & bits["thin"]) > 0
            assert thin.any() and not (thin & clouds).any()
            for flag in ("multi_temporal", "shadows", "shadows_outside", "high_clouds"):
                assert not (clm & bits[flag]).any()
            mg2 = sc.expected_asset(it["id"], f"MG2_{group}")[0]
            np.testing.assert_array_equal((mg2 & sc.MG2_BITS["clouds"]) > 0, clouds | thin)
        classes = sc.planted_classes(it["id"])
        valid = classes != sc.LandCover.NODATA
        clouds = sc.expected_clouds(it["id"])
        assert it["properties"]["eo:cloud_cover"] == round(
            100.0 * float(clouds.sum()) / int(valid.sum()), 2)
        # Clouds are bright in every band, thin clouds brighter than the ground below.
        blue = sc.expected_asset(it["id"], "B02")[0]
        assert blue[clouds].mean() > 2500 > blue[valid & ~clouds & ~thin_of(it)].mean()
    water = sc.expected_asset(cloudy[0]["id"], "MG2_R1")[0] & sc.MG2_BITS["water"]
    classes = sc.planted_classes(cloudy[0]["id"])
    np.testing.assert_array_equal(water > 0, classes == sc.LandCover.WATER)


def thin_of(it: dict[str, Any]) -> np.ndarray:
    return (sc.expected_asset(it["id"], "CLM_R1")[0] & sc.CLM_BITS["thin"]) > 0


def test_theia_files_are_what_the_truth_says(twin: Any, partial_theia: dict[str, Any]) -> None:
    scenes = twin.scenes
    for key, asset in partial_theia["assets"].items():
        if key == "MD":
            continue
        path = scenes.data_root / asset["href"].split("/", 3)[3]
        with rasterio.open(path) as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert src.crs.to_epsg() == 32630 and src.count == 1
            assert list(src.transform)[:6] == pytest.approx(asset["proj:transform"])
            np.testing.assert_array_equal(src.read(), sc.expected_asset(partial_theia["id"], key))
    # 20 m bands: the same scene, a coarser grid; SWIR: water and snow dark, vegetation below soil.
    b11 = sc.expected_asset(partial_theia["id"], "B11")[0]
    edg = sc.expected_asset(partial_theia["id"], "EDG_R2")[0]
    assert ((b11 == sc.THEIA_NODATA) == (edg == 1)).all()


def test_theia_metadata_file(twin: Any, mtd_items: list[dict[str, Any]]) -> None:
    it = _of(mtd_items, THEIA)[0]
    url = _sign(twin, [it["assets"]["MD"]["href"]])[it["assets"]["MD"]["href"]]
    root = ET.fromstring(requests.get(url, timeout=10).content)
    assert root.tag == "Muscate_Metadata_Document"
    assert root.findtext(".//REFLECTANCE_QUANTIFICATION_VALUE") == "10000"
    assert root.find(".//SPECIAL_VALUE[@name='nodata']").text == "-10000"  # type: ignore[union-attr]
    assert root.findtext(".//PRODUCT_ID") == it["id"]
    assert float(root.findtext(".//QUALITY_INDEX[@name='CloudPercent']") or "nan") == round(
        it["properties"]["eo:cloud_cover"])
    assert root.findtext(".//ORBIT_NUMBER") == str(it["properties"]["sat:relative_orbit"])


# ------------------------------------------------------------------------- DRS and super-S2


def test_drs_src_xs_bands_4_and_1_give_the_dinamis_ndvi(twin: Any, twin_items: list[dict[str, Any]],
                                                       mtd_items: list[dict[str, Any]]) -> None:
    """The maintainers' NDVI on src_xs, ``(b4 - b1) / (b4 + b1)``, equals the NDVI of the DINAMIS
    item of the same acquisition (bands by eo:bands names): both products are on one grid."""
    by_id = {i["id"]: i for i in twin_items}
    for it in _of(mtd_items, DRS):
        spec = sc.get_spec(it["id"])
        if spec.level == sc.BRUT:
            continue
        twin_id = next(s.item_id for s in sc.catalogue() if s.layout == "dinamis"
                       and s.acquisition_key == spec.acquisition_key and s.level == sc.ORTHO)
        with _open_signed(twin, it["assets"]["src_xs"]["href"]) as src:
            assert src.count == 4 and src.crs.to_epsg() == it["properties"]["proj:epsg"]
            xs = src.read().astype(np.float64)
            drs_transform = src.transform
        with np.errstate(invalid="ignore", divide="ignore"):
            ndvi_drs = (xs[3] - xs[0]) / (xs[3] + xs[0])
        ms = by_id[twin_id]["assets"]["multispectral"]
        names = [b["common_name"] for b in ms["eo:bands"]]
        with _open_signed(twin, ms["href"]) as src:
            data = src.read().astype(np.float64)
            assert src.transform == drs_transform
        red, nir = data[names.index("red")], data[names.index("nir")]
        with np.errstate(invalid="ignore", divide="ignore"):
            ndvi_dinamis = (nir - red) / (nir + red)
        both = (xs[0] > 0) & (red > 0)
        assert both.mean() > 0.5
        assert np.abs(ndvi_drs[both] - ndvi_dinamis[both]).max() < 1e-6
        np.testing.assert_allclose(sc.expected_ndvi(it["id"])[both], ndvi_drs[both], atol=1e-12)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_raw_drs_product_is_served_but_not_georeferenced(twin: Any,
                                                         mtd_items: list[dict[str, Any]]) -> None:
    (raw,) = [i for i in _of(mtd_items, DRS) if "proj:epsg" not in i["properties"]]
    for key in ("src_xs", "src_pan"):
        with pytest.warns(NotGeoreferencedWarning), _open_signed(twin, raw["assets"][key]["href"]
                                                                 ) as src:
            assert src.crs is None and src.transform.is_identity
            assert not src.profile.get("tiled") and src.overviews(1) == []
            assert src.count == (4 if key == "src_xs" else 1)
    with pytest.raises(ValueError, match="no georeferenced file"):
        sc.expected_ndvi(raw["id"])


def test_superres_img_is_the_planted_scene_at_1_5_m(twin: Any, mtd_items: list[dict[str, Any]]
                                                    ) -> None:
    (it,) = _of(mtd_items, SUPERRES)
    with _open_signed(twin, it["assets"]["img"]["href"]) as src:
        assert src.count == 4 and src.dtypes == ("int16",) * 4 and src.nodata is None
        assert src.res == (1.5, 1.5)
        img = src.read().astype(np.float64)
        a, _, c, _, e, f = list(src.transform)[:6]
        rows, cols = src.shape
    red, nir = img[0], img[3]  # R, G, B, NIR, as SR4RS orders them
    ndvi = (nir - red) / (nir + red)
    x, y = np.meshgrid(c + (np.arange(cols) + 0.5) * a, f + (np.arange(rows) + 0.5) * e)
    assert np.abs(ndvi - sc.planted_ndvi_at(it["id"], x, y)).max() < 1e-3
    np.testing.assert_allclose(sc.expected_ndvi(it["id"]), ndvi, atol=1e-12)
    bands = sc.expected_bands(it["id"])
    assert list(bands) == ["red", "green", "blue", "nir"]
    # The same physics as its Sentinel-2 acquisition at 10 m: same land cover, same date.
    theia_id = next(s.item_id for s in sc.catalogue() if s.layout == "theia"
                    and s.acquisition_key == sc.get_spec(it["id"]).acquisition_key)
    epsg = sc.get_spec(it["id"]).epsg
    to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    px, py = to_utm.transform(*shape(it["geometry"]).centroid.coords[0])
    assert sc.planted_ndvi_at(theia_id, px, py) == pytest.approx(
        sc.planted_ndvi_at(it["id"], px, py), abs=1e-12)
