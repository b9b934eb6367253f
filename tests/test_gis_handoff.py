"""Hand-off to a GIS (``analysis.gis_handoff``): GDAL (rasterio) opens the signed VRT and reads the files'
pixels and the planted NDVI; the QGIS layer definition's layers open; the expiry is written."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import pytest
import rasterio

import dinamis_widgets as dw
from dinamis_widgets.errors import LoadError
from dinamis_widgets.reading.gdal_io import DEFAULT_GDAL_OPTIONS
from dinamis_widgets.twin.scenes import expected_ndvi

from .ui_helpers import TWO_DATES, item

OTHER_ZONE = "SPOT67_HCF_202505121031446_GS1_E004N44_SCENE1"  # UTM 31, the others UTM 30


def _read(path: str) -> tuple[np.ndarray, Any]:
    with rasterio.Env(**DEFAULT_GDAL_OPTIONS), rasterio.open(path) as ds:
        return ds.read(), ds.transform


def _direct(it: pystac.Item, asset: str = "multispectral") -> tuple[np.ndarray, Any]:
    return _read(dw.sign(it.assets[asset].href, "1h").replace("http", "/vsicurl/http", 1))


def test_vrt_of_one_item_reads_its_pixels_and_the_planted_ndvi(twin: Any, twin_items: list[dict[str, Any]],
                                                                tmp_path: Path) -> None:
    it = item(twin_items, TWO_DATES[0])
    path, expiry = dw.to_vrt([it], tmp_path / "one.vrt", asset="multispectral", validity="3h")
    assert expiry is not None
    assert timedelta(hours=2, minutes=50) < expiry - datetime.now(UTC) <= timedelta(hours=3, minutes=1)
    text = path.read_text()
    assert "/vsicurl/" in text and "X-Amz-Signature" in text and expiry.strftime("%Y-%m-%d %H:%M") in text
    vrt, transform = _read(str(path))
    direct, direct_transform = _direct(it)
    assert transform == direct_transform
    np.testing.assert_array_equal(vrt, direct)
    red, nir = vrt[0].astype(float), vrt[3].astype(float)  # SPOT files: R, G, B, NIR
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = np.where((red == 0) | (nir == 0), np.nan, (nir - red) / (nir + red))
    np.testing.assert_allclose(ndvi, expected_ndvi(it.id), atol=1e-9, equal_nan=True)


def test_vrt_mosaics_items_newest_on_top(twin: Any, twin_items: list[dict[str, Any]], tmp_path: Path) -> None:
    first, second = item(twin_items, TWO_DATES[0]), item(twin_items, TWO_DATES[1])
    path, _ = dw.to_vrt([second, first], tmp_path / "two.vrt")  # in any order: the newest on top
    vrt, transform = _read(str(path))
    for it, on_top in ((second, True), (first, False)):
        data, t = _direct(it)
        col, row = ~transform @ (t.c, t.f)
        window = vrt[:, round(row):round(row) + data.shape[1], round(col):round(col) + data.shape[2]]
        assert window.shape == data.shape
        valid = data[0] != 0
        if on_top:  # the last source wins wherever it has data
            np.testing.assert_array_equal(window[:, valid], data[:, valid])
        else:  # the first shows where the second has none
            s_data, s_t = _direct(second)
            s_col, s_row = ~transform @ (s_t.c, s_t.f)
            covered = np.zeros(vrt.shape[1:], bool)
            covered[round(s_row):round(s_row) + s_data.shape[1],
                    round(s_col):round(s_col) + s_data.shape[2]] = s_data[0] != 0
            under = covered[round(row):round(row) + data.shape[1], round(col):round(col) + data.shape[2]]
            alone = valid & ~under
            assert alone.sum() > 100
            np.testing.assert_array_equal(window[:, alone], data[:, alone])


def test_panchromatic_vrt_and_qlr(twin: Any, twin_items: list[dict[str, Any]], tmp_path: Path) -> None:
    items = [item(twin_items, i) for i in TWO_DATES]
    pan, _ = dw.to_vrt(items[:1], tmp_path / "pan.vrt", asset="panchromatic")
    np.testing.assert_array_equal(_read(str(pan))[0], _direct(items[0], "panchromatic")[0])
    qlr, expiry = dw.to_qlr(items, tmp_path / "basket.qlr", validity="2h")
    root = ET.parse(qlr).getroot()
    assert root.tag == "qlr"
    group = root.find("layer-tree-group/layer-tree-group")
    assert group is not None and expiry is not None
    assert expiry.strftime("%Y-%m-%d %H:%M UTC") in group.get("name", "")
    layers = root.findall("maplayers/maplayer")
    assert [layer.findtext("layername") for layer in layers] == list(TWO_DATES)
    for layer, it in zip(layers, items, strict=True):
        assert layer.findtext("provider") == "gdal"
        assert layer.findtext("srs/spatialrefsys/authid") == "EPSG:32630"
        np.testing.assert_array_equal(_read(layer.findtext("datasource") or "")[0], _direct(it)[0])
    line = dw.otb_line(pan, expiry)
    assert line.startswith(f'import pyotb; image = pyotb.Input("{pan}")') and "valid until" in line


def test_bad_inputs_say_what_to_do(twin: Any, twin_items: list[dict[str, Any]], tmp_path: Path) -> None:
    it = item(twin_items, TWO_DATES[0])
    with pytest.raises(LoadError, match=r"no asset 'pansharpened'.*multispectral"):
        dw.to_vrt([it], tmp_path / "x.vrt", asset="pansharpened")
    with pytest.raises(LoadError, match=r"different CRS.*one VRT per group"):
        dw.to_vrt([it, item(twin_items, OTHER_ZONE)], tmp_path / "x.vrt")


def test_explorer_basket_writes_the_vrt_and_the_qlr(twin: Any, twin_items: list[dict[str, Any]],
                                                    tmp_path: Path) -> None:
    ex = dw.Explorer(lang="en", download_folder=str(tmp_path))
    assert ex.wait(60)
    box = ex.gis_export
    assert box in ex.basket.children and box.vrt_button.disabled
    for item_id in TWO_DATES:
        ex.basket.add(item(twin_items, item_id))
    assert not box.vrt_button.disabled and box.signer is not None
    box.vrt_button.click()
    assert box.wait(60)
    box.qlr_button.click()
    assert box.wait(60)
    (vrt, expiry), (qlr, _) = box.written
    assert vrt == tmp_path / "dinamis_multispectral.vrt" and qlr == tmp_path / "dinamis_multispectral.qlr"
    assert _read(str(vrt))[0].shape[0] == 4 and expiry is not None
    assert "pyotb.Input" not in box.output.value  # the .qlr last
    assert "valid until" in box.status.message and box.status in box.children  # its one status line
    assert expiry.strftime("%Y") in box.status.message and "UTC" in box.status.message


def test_a_result_writes_its_own_vrt_from_its_details(twin: Any, twin_items: list[dict[str, Any]],
                                                       tmp_path: Path) -> None:
    from dinamis_widgets.ui.result_card import ResultCard

    it = item(twin_items, TWO_DATES[0])
    card = ResultCard(it, lang="fr", download_folder=str(tmp_path))
    card.gis_button.click()
    box = card.gis_export
    assert box is not None and box in card.action_area.children and card.details.layout.display == ""
    assert [v for _, v in box.asset_menu.options] == [a for a in ("multispectral", "panchromatic")
                                                       if a in it.assets]
    box.vrt_button.click()
    assert box.wait(60), box.status.message
    ((vrt, expiry),) = box.written
    assert vrt == tmp_path / f"{it.id}_multispectral.vrt" and expiry is not None
    np.testing.assert_array_equal(_read(str(vrt))[0], _direct(it)[0])
    assert "valables jusqu'au" in box.status.message and "pyotb.Input" in box.output.value
    card.gis_button.click()  # folded again
    assert box not in card.action_area.children


def test_a_product_that_cannot_be_signed_has_no_gis_button(twin_items: list[dict[str, Any]]) -> None:
    from dinamis_widgets.ui.result_card import ResultCard

    brut = next(it for it in twin_items if it["id"].endswith("_BRUT"))
    card = ResultCard(pystac.Item.from_dict(brut), lang="en")
    assert card.gis_button.layout.display == "none" and card.sign_url_button.layout.display == "none"
