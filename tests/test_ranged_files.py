"""Presigned URLs read through rasterio's opener with ranged GETs (reading/ranged_files.py), against the
twin's store: no range-less size probe, the pixels GDAL's /vsicurl/ reads, one request per run of tiles, and
failed fetches raised with their HTTP status."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pystac
import pytest
import rasterio
from rasterio.windows import Window

from dinamis_widgets.reading import ranged_files
from dinamis_widgets.reading.gdal_io import clear_gdal_cache, open_dataset
from dinamis_widgets.signing.client import Signer
from tests.helpers import expired_signature


@pytest.fixture(autouse=True)
def ranged_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """These reads are opt-in (``DINAMIS_RANGED_READS=1``): GDAL's ``/vsicurl/`` is the default."""
    monkeypatch.setenv("DINAMIS_RANGED_READS", "1")


@pytest.fixture(scope="module")
def scene(twin_items: list[dict[str, Any]]) -> pystac.Item:
    return next(pystac.Item.from_dict(d) for d in twin_items
                if d["id"].endswith("W001N46_SCENE1") and d["properties"]["processing:level"] == "ORTHO")


def test_open_asks_one_ranged_get_and_reads_the_pixels_of_vsicurl(twin: Any, scene: pystac.Item) -> None:
    href = scene.assets["multispectral"].href
    url = Signer.from_settings().sign_url(href).href
    local = Path(twin.scenes.data_root) / urlsplit(href).path.lstrip("/")
    clear_gdal_cache()
    twin.reset_store_stats()
    with open_dataset(url) as rdr:
        opened = twin.store_stats()
        assert opened["requests"] == 1 and opened["bytes_served"] <= ranged_files.HEAD_BYTES, opened
        h, w = rdr.height // 2, rdr.width
        with ranged_files.checked():
            mine = rdr.read([1, 4], window=Window(0, h // 2, w, 256))
    with rasterio.open(local) as src:
        truth = src.read([1, 4], window=Window(0, h // 2, w, 256))
        tiles = {(r, c) for r in range(h // 2 // 256, (h // 2 + 255) // 256 + 1)
                 for c in range((w + 255) // 256)}
    np.testing.assert_array_equal(mine, truth)
    # the tiles of a window crossing two tile rows, fetched once: one request per row's run of tiles
    assert twin.store_stats()["requests"] <= 1 + len({r for r, _ in tiles}), twin.store_stats()
    assert ranged_files.file_size(url) == local.stat().st_size


def test_a_refused_url_is_an_http_error_with_its_status(twin: Any, scene: pystac.Item) -> None:
    url = expired_signature(twin, scene.assets["multispectral"].href)
    with pytest.raises(rasterio.errors.RasterioIOError, match="HTTP response code: 403"):
        open_dataset(url)


def test_a_fetch_failing_under_gdal_is_raised_after_the_read(twin: Any, scene: pystac.Item) -> None:
    url = Signer.from_settings().sign_url(scene.assets["multispectral"].href).href
    clear_gdal_cache()
    with open_dataset(url) as rdr:
        twin.set_faults(kind="error", status=404, match="_MS.tif")
        try:
            with pytest.raises(rasterio.errors.RasterioIOError, match="HTTP response code: 404"), \
                    ranged_files.checked():
                rdr.read([1, 4], window=Window(0, 0, rdr.width, 256))
        finally:
            twin.clear_faults()
