"""Tests of the twin's scene generator: reproducibility, COG structure, truth, STAC validity.

The default set is generated once per session into a temporary folder (about 30 s on 2 cores).
Set ``DINAMIS_BENCH=1`` to also generate the benchmark set (10000 x 10000 MS scene).
Most tests here are about the DINAMIS-shaped items; tests/test_twin_mtd_shapes.py covers the
collections shaped like the MTD STAC API's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import pytest
import rasterio
from pyproj import Transformer
from pystac.validation import GetSchemaError, validate_dict
from rasterio.windows import Window
from shapely.geometry import Polygon, shape

from dinamis_widgets.twin import scenes as sc
from dinamis_widgets.twin.scenes import generation as gen_mod
from dinamis_widgets.twin.scenes.products import build_item_files
from dinamis_widgets.twin.scenes.stac import item_dict
from tests.helpers import OfflineValidator

SCHEMAS = Path(__file__).parent / "schemas"
PLACEHOLDER = sc.DATA_URL_PLACEHOLDER


# --------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def scene_set() -> sc.SceneSet:
    """The default set in the twin's cache: generated once per machine (by the set-up or the first twin),
    the same files the session's twin serves, so the suite does not generate it a second time (80 s)."""
    return sc.generate(seed=0)


@pytest.fixture(scope="session")
def items(scene_set: sc.SceneSet) -> list[dict[str, Any]]:
    return scene_set.items()


@pytest.fixture(scope="session")
def dinamis_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [it for it in items if it["collection"] in sc.DINAMIS_COLLECTIONS]


@pytest.fixture(scope="session")
def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {it["id"]: it for it in items}


@pytest.fixture(scope="session")
def collections(scene_set: sc.SceneSet) -> list[dict[str, Any]]:
    return scene_set.collections()


def _local(scene_set: sc.SceneSet, href: str) -> Path:
    assert href.startswith(PLACEHOLDER + "/"), href
    return scene_set.data_root / href[len(PLACEHOLDER) + 1 :]


def _ortho(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The DINAMIS-shaped ORTHO items the twin hosts."""
    return [
        it for it in items
        if it["collection"] in sc.DINAMIS_COLLECTIONS
        and it["properties"]["processing:level"] == "ORTHO"
        and it["assets"]["multispectral"]["href"].startswith(PLACEHOLDER)
    ]


def _read_by_name(path: Path, asset: dict[str, Any], window: Window | None = None) -> dict[
    str, np.ndarray
]:
    names = [b["common_name"] for b in asset["eo:bands"]]
    with rasterio.open(path) as src:
        data = src.read(window=window)
    return {n: data[i] for i, n in enumerate(names)}


def _ndvi(red: np.ndarray, nir: np.ndarray) -> np.ndarray:
    r = red.astype(np.float64)
    n = nir.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (n - r) / (n + r)
    out[(red == 0) | (nir == 0)] = np.nan
    return out


def _pixel_hash(path: Path) -> str:
    with rasterio.open(path) as src:
        return hashlib.sha256(src.read().tobytes()).hexdigest()


# ------------------------------------------------------------------------ generation and cache


def test_generation_time_is_reported(scene_set: sc.SceneSet, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    manifest = scene_set.manifest()
    size = sum(p.stat().st_size for p in scene_set.root.rglob("*") if p.is_file())
    with capsys.disabled():
        print(
            f"\n[scenes] default set: {manifest['items']} items, {manifest['files']} files, "
            f"{size / 1e6:.1f} MB, generated in {manifest['seconds']} s "
            f"with {manifest['workers']} workers"
        )
    assert manifest["generator_version"] == sc.GENERATOR_VERSION


def test_layout(scene_set: sc.SceneSet) -> None:
    assert scene_set.data_root == scene_set.root / "data"
    assert scene_set.collections_path == scene_set.root / "stac" / "collections.json"
    assert scene_set.items_path == scene_set.root / "stac" / "items.ndjson"
    assert (scene_set.root / "manifest.json").is_file()
    buckets = sorted(p.name for p in scene_set.data_root.iterdir())
    assert buckets == ["dinamis-mtd", "dinamis-seasguyane", "quicklooks", "sm1-gdc",
                       "sm1-gdc-theia"]
    assert not list(scene_set.root.parent.glob(".*tmp-*"))


def test_warm_start_is_instant(scene_set: sc.SceneSet) -> None:
    start = time.perf_counter()
    again = sc.generate(scene_set.root, seed=0)
    assert time.perf_counter() - start < 0.5
    assert again == scene_set


def test_other_generation_in_dest_is_refused(scene_set: sc.SceneSet, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="another generation"):
        sc.generate(scene_set.root, seed=1)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("keep")
    with pytest.raises(ValueError, match="not empty"):
        sc.generate(tmp_path / "mine")
    assert (tmp_path / "mine" / "precious.txt").read_text() == "keep"
    with pytest.raises(ValueError, match="unknown scene set"):
        sc.generate(tmp_path / "x", scene_set="huge")


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DINAMIS_TWIN_CACHE", str(tmp_path / "c"))
    assert sc.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("DINAMIS_TWIN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sc.default_cache_dir() == tmp_path / "xdg" / "dinamis_widgets" / "twin"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert sc.default_cache_dir() == Path.home() / ".cache" / "dinamis_widgets" / "twin"


def test_cache_folder_name_and_lock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two threads asking for the same set: one generates, the other waits and reuses it."""
    monkeypatch.setenv("DINAMIS_TWIN_CACHE", str(tmp_path))
    calls: list[Path] = []

    def fake_generate_into(root: Path, seed: int, scene_set: str, workers: int) -> None:
        calls.append(root)
        time.sleep(0.3)
        (root / "stac").mkdir()
        (root / "manifest.json").write_text(json.dumps({
            "generator_version": sc.GENERATOR_VERSION, "seed": seed, "scene_set": scene_set}))

    monkeypatch.setattr(gen_mod, "_generate_into", fake_generate_into)
    results: list[sc.SceneSet] = []
    threads = [threading.Thread(target=lambda: results.append(sc.generate(seed=7)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    expected = tmp_path / f"{sc.GENERATOR_VERSION}-default-seed7"
    assert [r.root for r in results] == [expected, expected]
    assert results[0].seed == 7 and results[0].scene_set == "default"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{expected.name}.lock", expected.name]


def test_failed_generation_leaves_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gen_mod, "build_item_files", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        sc.generate(tmp_path / "set", workers=1)
    assert [p.name for p in tmp_path.iterdir()] == [".set.lock"]


def test_worker_failure_is_reported(tmp_path: Path) -> None:
    from dataclasses import replace

    from dinamis_widgets.twin.scenes.worker import run_workers

    spec = sc.catalogue()[0]
    specs = [replace(spec, item_id="NOT_AN_ITEM"), sc.catalogue()[-1]]
    with pytest.raises(RuntimeError, match="NOT_AN_ITEM"):
        run_workers(specs, tmp_path, 2, "default")


def test_cli_prints_folder(scene_set: sc.SceneSet, capsys: pytest.CaptureFixture[str]) -> None:
    assert sc.main(["--dest", str(scene_set.root)]) == 0
    assert capsys.readouterr().out.strip() == str(scene_set.root)


# ------------------------------------------------------------------------------ reproducibility


_PICKS = {
    "spot-ortho": lambda s: s.level == sc.ORTHO and s.sensor.key == "spot67",
    "spot-brut-snow": lambda s: s.level == sc.BRUT and s.snow_fraction > 0,
    "pneo-ortho": lambda s: s.sensor.key == "pneo",
}


@pytest.mark.parametrize("pick", sorted(_PICKS))
@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_reproducible_from_seed(
    pick: str, scene_set: sc.SceneSet, by_id: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    spec = next(s for s in sc.catalogue(0) if _PICKS[pick](s))
    original = by_id[spec.item_id]

    again = item_dict(spec, build_item_files(spec, tmp_path / "same"))
    assert json.dumps(again, sort_keys=True) == json.dumps(original, sort_keys=True)
    for key in ("multispectral", "panchromatic"):
        rel = original["assets"][key]["href"][len(PLACEHOLDER) + 1 :]
        assert _pixel_hash(tmp_path / "same" / rel) == _pixel_hash(scene_set.data_root / rel)

    other = sc.get_spec(spec.item_id, seed=1)
    changed = item_dict(other, build_item_files(other, tmp_path / "other"))
    assert changed["id"] == original["id"]
    assert changed["geometry"] != original["geometry"]
    for key in ("multispectral", "panchromatic"):
        rel = original["assets"][key]["href"][len(PLACEHOLDER) + 1 :]
        assert _pixel_hash(tmp_path / "other" / rel) != _pixel_hash(scene_set.data_root / rel)


# ------------------------------------------------------------------------------------ catalogue


def test_catalogue_shape(items: list[dict[str, Any]], dinamis_items: list[dict[str, Any]]) -> None:
    assert 15 <= len(dinamis_items) <= 25
    assert len(items) - len(dinamis_items) == 9  # MTD-shaped (tests/test_twin_mtd_shapes.py)
    assert [it["id"] for it in items] == [s.item_id for s in sc.catalogue()]
    assert items[: len(dinamis_items)] == dinamis_items  # DINAMIS-shaped items come first
    ids = [it["id"] for it in items]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_\-]+", i) for i in ids)
    assert "SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1" in ids
    levels = {it["properties"]["processing:level"] for it in dinamis_items}
    assert levels == {"ORTHO", "BRUT"}
    for it in dinamis_items:
        brut = it["properties"]["processing:level"] == "BRUT"
        assert it["id"].endswith("_BRUT") == brut
    providers = {it["properties"]["dinamis:provider"] for it in dinamis_items}
    assert providers == {"MTD", "SEAS Guyane", "Regards"}
    assert {it["collection"] for it in items} == set(sc.COLLECTIONS)


def test_time_series_overlap_and_phenology(items: list[dict[str, Any]]) -> None:
    by_city: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in _ortho(items):
        by_city[it["properties"]["dinamis:city"]].append(it)
    long_series = {c: v for c, v in by_city.items() if len(v) >= 3}
    assert len(long_series) >= 2
    for series in long_series.values():
        polys = [shape(it["geometry"]) for it in series]
        for p in polys[1:]:
            assert p.intersection(polys[0]).area / p.union(polys[0]).area > 0.7
    # Crops follow a phenology: their mean planted NDVI changes between dates.
    rochefort = sorted(by_city["Rochefort"], key=lambda it: it["properties"]["datetime"])
    means = []
    for it in rochefort:
        classes = sc.planted_classes(it["id"])
        ndvi = sc.expected_ndvi(it["id"])
        means.append(float(np.nanmean(ndvi[classes == sc.LandCover.CROPS])))
    assert max(means) - min(means) > 0.1


def test_properties(dinamis_items: list[dict[str, Any]]) -> None:
    items = dinamis_items
    for it in items:
        p = it["properties"]
        spec = sc.get_spec(it["id"])
        assert p["platform"] in {"spot-6", "spot-7", "phr-1a", "phr-1b", "pneo-3", "pneo-4"}
        assert p["constellation"] == spec.sensor.constellation
        assert p["gsd"] == spec.sensor.pan_gsd
        assert p["dinamis:sensor"] in {"SPOT 6/7", "PLEIADES", "PLEIADES NEO"}
        for key in ("country", "department", "region", "city"):
            assert isinstance(p[f"dinamis:{key}"], str) and p[f"dinamis:{key}"]
        assert 0 <= p["eo:cloud_cover"] <= 100 and 0 <= p["eo:snow_cover"] <= 100
        assert 0 < p["view:incidence_angle"] < 45
        assert 0 <= p["view:off_nadir"] < p["view:incidence_angle"]
        assert 10 < p["view:sun_elevation"] < 90
        assert p["datetime"].endswith("Z")
        assert ("proj:code" in p) == (p["processing:level"] == "ORTHO")
        # Only the relative collection link core STAC requires (the API rewrites it).
        assert [(ln["rel"], ln["href"]) for ln in it["links"]] == [
            ("collection", "../collection.json")]
    spot = next(it for it in items if it["id"] == "SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1")
    assert spot["properties"]["gsd"] == 1.5
    assert spot["properties"]["view:incidence_angle"] == pytest.approx(24.7784)
    assert spot["properties"]["proj:code"] == "EPSG:32630"


def test_geometry_and_bbox(items: list[dict[str, Any]]) -> None:
    for it in items:
        poly = shape(it["geometry"])
        assert isinstance(poly, Polygon) and poly.is_valid
        assert poly.exterior.is_ccw
        ring = it["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) == 5
        assert list(poly.bounds) == pytest.approx(it["bbox"], abs=1e-9)


def test_hrefs_and_buckets(scene_set: sc.SceneSet, dinamis_items: list[dict[str, Any]],
                           collections: list[dict[str, Any]]) -> None:
    buckets = {"MTD": "dinamis-mtd", "SEAS Guyane": "dinamis-seasguyane"}
    for it in dinamis_items:
        provider = it["properties"]["dinamis:provider"]
        for key, asset in it["assets"].items():
            href = asset["href"]
            if provider == "Regards" and key != "thumbnail":
                assert href.startswith("https://regards.cnes.fr/")
                assert "orderable" in asset["roles"]
                assert not href.startswith(PLACEHOLDER)
                continue
            path = _local(scene_set, href)
            assert path.is_file(), href
            bucket, coll, item_id, _name = href[len(PLACEHOLDER) + 1 :].split("/")
            assert (coll, item_id) == (it["collection"], it["id"])
            if key == "thumbnail":
                assert bucket == "quicklooks"
                assert asset["roles"] == ["thumbnail", "overview"]
                assert asset["type"] == "image/png"
            else:
                assert bucket == buckets[provider]
    for c in collections:
        if c["id"] in sc.DINAMIS_COLLECTIONS:
            assert c["links"] == []


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_brut_assets_are_plain_tiffs(scene_set: sc.SceneSet,
                                    dinamis_items: list[dict[str, Any]]) -> None:
    bruts = [it for it in dinamis_items if it["properties"]["processing:level"] == "BRUT"]
    assert len(bruts) >= 2
    for it in bruts:
        assert "proj:code" not in it["properties"]
        for key in ("multispectral", "panchromatic"):
            asset = it["assets"][key]
            assert asset["type"] == "image/tiff"
            assert not any(k.startswith("proj:") for k in asset)
            with rasterio.open(_local(scene_set, asset["href"])) as src:
                assert src.crs is None
                assert src.transform.is_identity
                assert not src.profile.get("tiled")
                assert src.overviews(1) == []
                assert src.count == len(asset["eo:bands"])
                assert src.read().min() >= 1


def test_collections(collections: list[dict[str, Any]], items: list[dict[str, Any]]) -> None:
    assert [c["id"] for c in collections] == list(sc.COLLECTIONS)
    for c in collections:
        members = [it for it in items if it["collection"] == c["id"]]
        box = c["extent"]["spatial"]["bbox"][0]
        for it in members:
            b = it["bbox"]
            assert box[0] <= b[0] and box[1] <= b[1] and b[2] <= box[2] and b[3] <= box[3]
        start, end = c["extent"]["temporal"]["interval"][0]
        assert start == min(it["properties"]["datetime"] for it in members)
        assert end == max(it["properties"]["datetime"] for it in members)
        if c["id"] not in sc.DINAMIS_COLLECTIONS:
            continue  # tests/test_twin_mtd_shapes.py
        assert set(c["item_assets"]) == {"multispectral", "panchromatic", "thumbnail"}
        assert c["summaries"]["eo:cloud_cover"]["maximum"] == max(
            it["properties"]["eo:cloud_cover"] for it in members)
        assert c["license"] == "proprietary" and c["providers"]


# -------------------------------------------------------------------------------- COG structure


def test_cog_structure(scene_set: sc.SceneSet, items: list[dict[str, Any]]) -> None:
    orthos = _ortho(items)
    assert len(orthos) >= 12
    for it in orthos:
        lon = shape(it["geometry"]).centroid.x
        zone_epsg = 32600 + int((lon + 180) // 6) + 1
        assert it["properties"]["proj:code"] == f"EPSG:{zone_epsg}"
        grids = []
        for key in ("multispectral", "panchromatic"):
            asset = it["assets"][key]
            assert asset["type"] == sc.COG_MEDIA_TYPE
            with rasterio.open(_local(scene_set, asset["href"])) as src:
                structure = src.tags(ns="IMAGE_STRUCTURE")
                assert structure["LAYOUT"] == "COG"
                assert structure["COMPRESSION"] == "DEFLATE"
                assert structure["PREDICTOR"] == "2"
                assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)
                if src.count > 1:
                    assert structure["INTERLEAVE"] == "PIXEL"
                assert src.nodata == 0
                assert src.crs.to_epsg() == zone_epsg
                assert all(dt == "uint16" for dt in src.dtypes)
                factors = src.overviews(1)
                assert factors
                assert max(src.shape) // factors[-1] <= 256 < max(src.shape) // factors[-1] * 2
                data = src.read()
                assert data.max() <= 4095
                assert src.count == len(asset["eo:bands"]) == len(asset["raster:bands"])
                assert [b["data_type"] for b in asset["raster:bands"]] == ["uint16"] * src.count
                assert list(src.shape) == asset["proj:shape"]
                assert list(src.transform)[:6] == pytest.approx(asset["proj:transform"])
                assert src.transform.b == 0 and src.transform.d == 0 and src.transform.e < 0
                assert list(src.bounds) == pytest.approx(asset["proj:bbox"])
                # Nodata collar: all bands 0 together, valid pixels >= 1.
                zero = data == 0
                assert (zero.all(axis=0) == zero.any(axis=0)).all()
                valid = ~zero[0]
                assert 0.5 < valid.mean() < 0.97
                assert not valid[0].any() and not valid[-1].any()
                grids.append((src.res, src.bounds, valid.mean()))
        # MS and PAN grids differ in resolution but cover the same area.
        (ms_res, ms_bounds, ms_valid), (pan_res, pan_bounds, pan_valid) = grids
        assert ms_res[0] == pytest.approx(4 * pan_res[0])
        assert tuple(ms_bounds) == pytest.approx(tuple(pan_bounds))
        assert ms_valid == pytest.approx(pan_valid, abs=0.01)


def test_footprint_matches_valid_pixels(scene_set: sc.SceneSet, items: list[dict[str, Any]]) -> None:
    for it in _ortho(items)[:4]:
        asset = it["assets"]["multispectral"]
        epsg = int(it["properties"]["proj:code"].split(":")[1])
        to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
        lons, lats = zip(*it["geometry"]["coordinates"][0], strict=True)
        poly = Polygon(zip(*to_utm.transform(lons, lats), strict=True))
        with rasterio.open(_local(scene_set, asset["href"])) as src:
            valid = src.read(1) > 0
            pixel_area = abs(src.transform.a * src.transform.e)
        assert valid.sum() * pixel_area == pytest.approx(poly.area, rel=0.01)


# ------------------------------------------------------------------------- bands and NDVI truth


@pytest.mark.parametrize("collection", ["SPOT67_HCF_GS1", "SEASG-TA-PNeo-FR-GUF"])
def test_band_order_matches_planted(
    collection: str, scene_set: sc.SceneSet, items: list[dict[str, Any]]
) -> None:
    it = next(i for i in _ortho(items) if i["collection"] == collection)
    asset = it["assets"]["multispectral"]
    names = [b["common_name"] for b in asset["eo:bands"]]
    expected_order = ["red", "green", "blue", "nir"] + (
        ["rededge", "coastal"] if collection.startswith("SEASG-TA-PNeo") else [])
    assert names == expected_order
    from_file = _read_by_name(_local(scene_set, asset["href"]), asset)
    planted = sc.expected_bands(it["id"])
    for name in names:
        np.testing.assert_array_equal(from_file[name], planted[name])
    # Physically sensible: over forest, NIR >> red and green > red; clouds are bright.
    classes = sc.planted_classes(it["id"])
    forest = classes == sc.LandCover.FOREST
    assert from_file["nir"][forest].mean() > 3 * from_file["red"][forest].mean()
    assert from_file["green"][forest].mean() > from_file["red"][forest].mean()
    with rasterio.open(_local(scene_set, it["assets"]["panchromatic"]["href"])) as src:
        np.testing.assert_array_equal(src.read(1), sc.expected_pan(it["id"]))


def test_expected_ndvi_equals_file_ndvi(scene_set: sc.SceneSet, items: list[dict[str, Any]]) -> None:
    for it in _ortho(items):
        asset = it["assets"]["multispectral"]
        path = _local(scene_set, asset["href"])
        bands = _read_by_name(path, asset)
        from_file = _ndvi(bands["red"], bands["nir"])
        truth = sc.expected_ndvi(it["id"])
        np.testing.assert_array_equal(np.isnan(truth), np.isnan(from_file))
        np.testing.assert_array_equal(np.isnan(truth), bands["red"] == 0)
        np.testing.assert_allclose(truth, from_file, atol=1e-9, rtol=0, equal_nan=True)
        window = (37, 120, 211, 173)  # (row_off, col_off, height, width)
        bands_w = _read_by_name(path, asset, Window(120, 37, 173, 211))
        truth_w = sc.expected_ndvi(it["id"], window=window)
        assert truth_w.shape == (211, 173)
        np.testing.assert_allclose(
            truth_w, _ndvi(bands_w["red"], bands_w["nir"]), atol=1e-9, rtol=0, equal_nan=True)
        np.testing.assert_array_equal(truth_w, truth[37:248, 120:293])


def test_expected_ndvi_rejects_unservable_items(items: list[dict[str, Any]],
                                                dinamis_items: list[dict[str, Any]]) -> None:
    brut = next(it for it in dinamis_items if it["properties"]["processing:level"] == "BRUT")
    regards = next(it for it in dinamis_items
                   if it["properties"]["dinamis:provider"] == "Regards")
    for it in (brut, regards):
        with pytest.raises(ValueError, match="no georeferenced file"):
            sc.expected_ndvi(it["id"])
    with pytest.raises(KeyError):
        sc.expected_ndvi("NOPE")
    ortho = _ortho(items)[0]
    with pytest.raises(ValueError, match="outside"):
        sc.expected_ndvi(ortho["id"], window=(400, 400, 200, 10))


def test_planted_ndvi_close_to_expected(items: list[dict[str, Any]]) -> None:
    for it in _ortho(items):
        asset = it["assets"]["multispectral"]
        a, _, c, _, e, f = asset["proj:transform"]
        rows, cols = asset["proj:shape"]
        x, y = np.meshgrid(c + (np.arange(cols) + 0.5) * a, f + (np.arange(rows) + 0.5) * e)
        planted = sc.planted_ndvi_at(it["id"], x, y)
        truth = sc.expected_ndvi(it["id"])
        np.testing.assert_array_equal(np.isnan(planted), np.isnan(truth))
        assert np.nanmax(np.abs(planted - truth)) < 1e-3
    # Outside the footprint: NaN; scalars work.
    it = _ortho(items)[0]
    c, f = it["assets"]["multispectral"]["proj:transform"][2::3]
    assert np.isnan(sc.planted_ndvi_at(it["id"], c + 1.0, f - 1.0))


def test_planted_ndvi_at_pan_resolution(scene_set: sc.SceneSet, items: list[dict[str, Any]]) -> None:
    """Averaging the PAN-resolution truth over MS pixels gives the MS NDVI away from edges."""
    it = next(i for i in _ortho(items) if i["collection"] == "SEASG-TA-PHR-FR-GUF")
    a, _, c, _, e, f = it["assets"]["panchromatic"]["proj:transform"]
    r0, c0, n = 800, 800, 400
    x, y = np.meshgrid(c + (np.arange(c0, c0 + n) + 0.5) * a, f + (np.arange(r0, r0 + n) + 0.5) * e)
    fine = sc.planted_ndvi_at(it["id"], x, y).reshape(n // 4, 4, n // 4, 4)
    coarse = fine.mean(axis=(1, 3))
    truth = sc.expected_ndvi(it["id"], window=(r0 // 4, c0 // 4, n // 4, n // 4))
    agree = np.abs(coarse - truth) < 0.02
    assert agree.mean() > 0.8


# --------------------------------------------------------------------------------- cloud, snow


def test_cloud_and_snow_cover_are_measured(scene_set: sc.SceneSet,
                                           dinamis_items: list[dict[str, Any]]) -> None:
    items = dinamis_items
    snowy = 0
    for it in items:
        classes = sc.planted_classes(it["id"])
        valid = classes != sc.LandCover.NODATA
        cloud = round(100 * float((classes == sc.LandCover.CLOUD).sum()) / valid.sum(), 2)
        snow = round(100 * float((classes == sc.LandCover.SNOW).sum()) / valid.sum(), 2)
        assert it["properties"]["eo:cloud_cover"] == cloud
        assert it["properties"]["eo:snow_cover"] == snow
        snowy += snow > 0
        if it in _ortho(items) and cloud > 1:
            asset = it["assets"]["multispectral"]
            bands = _read_by_name(_local(scene_set, asset["href"]), asset)
            is_cloud = classes == sc.LandCover.CLOUD
            assert bands["blue"][is_cloud].mean() > 2500
            assert bands["blue"][valid & ~is_cloud & (classes != sc.LandCover.SNOW)].mean() < 1800
    assert snowy >= 1
    covers = [it["properties"]["eo:cloud_cover"] for it in items]
    assert min(covers) == 0 and max(covers) > 15


# ------------------------------------------------------------------------------- STAC validity


def test_offline_validator_never_fetches() -> None:
    with pytest.raises(GetSchemaError):
        OfflineValidator()._get_schema("https://example.com/schema.json")


def test_items_and_collections_validate(dinamis_items: list[dict[str, Any]],
                                        collections: list[dict[str, Any]]) -> None:
    """DINAMIS-shaped ones; tests/test_twin_mtd_shapes.py validates the MTD-shaped ones."""
    validator = OfflineValidator()
    used = set()
    for it in dinamis_items:
        used.update(it["stac_extensions"])
        assert validate_dict(it, validator=validator)  # the JSON exactly as served
        pystac.Item.from_dict(it).validate(validator=validator)
    for c in collections:
        if c["id"] not in sc.DINAMIS_COLLECTIONS:
            continue
        used.update(c["stac_extensions"])
        assert validate_dict(c, validator=validator)
        pystac.Collection.from_dict(c).validate(validator=validator)
    assert used == set(sc.STAC_EXTENSIONS.values())
    for url in used:  # every extension schema is checked from a local copy
        name, version = url.split("/")[3:5]
        assert (SCHEMAS / name / version / "schema.json").is_file()


def test_invalid_item_is_caught(items: list[dict[str, Any]]) -> None:
    bad = json.loads(json.dumps(items[0]))
    bad["assets"]["multispectral"]["eo:bands"][0]["common_name"] = "infrared"
    with pytest.raises(pystac.STACValidationError):
        validate_dict(bad, validator=OfflineValidator())


# ---------------------------------------------------------------------------------- benchmark


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("DINAMIS_BENCH") != "1", reason="set DINAMIS_BENCH=1")
def test_bench_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    bench = sc.generate(tmp_path / "bench", scene_set="bench")
    seconds = time.perf_counter() - start
    big = next(it for it in bench.items() if "SCENE2" in it["id"])
    asset = big["assets"]["multispectral"]
    assert "panchromatic" not in big["assets"]
    path = _local(bench, asset["href"])
    with capsys.disabled():
        print(f"\n[scenes] bench set generated in {seconds:.1f} s; big MS "
              f"{path.stat().st_size / 1e6:.0f} MB")
    with rasterio.open(path) as src:
        assert src.shape == (10_000, 10_000)
        assert src.block_shapes[0] == (256, 256)
        assert max(src.shape) // src.overviews(1)[-1] <= 256
        window = Window(4000, 5000, 300, 200)
        bands = _read_by_name(path, asset, window)
    truth = sc.expected_ndvi(big["id"], scene_set="bench", window=(5000, 4000, 200, 300))
    np.testing.assert_allclose(truth, _ndvi(bands["red"], bands["nir"]), atol=1e-9,
                               equal_nan=True)
