"""The whole twin as a user meets it: find an item in the STAC API, sign it with the official SDK, stream a
window with rasterio through ``/vsicurl/`` (a handful of range requests), and get the planted NDVI back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
import rasterio
import requests
from pystac_client import Client
from rasterio.windows import Window

from dinamis_widgets.twin.scenes import expected_ndvi

GDAL_ENV = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_HTTP_MAX_RETRY": "0",
            "CPL_VSIL_CURL_USE_HEAD": "NO", "VSI_CACHE": "FALSE"}

SDK_SCRIPT = """
import json, sys
import teledetection.sdk.signing as signing
signing.S3_STORAGE_DOMAIN = sys.argv[1]
import teledetection
item = teledetection.sign(json.loads(sys.argv[2]))
print("RESULT " + json.dumps(item))
"""


def _sign(twin: Any, urls: list[str], **body: Any) -> requests.Response:
    return requests.post(twin.signing + "sign_urls", timeout=10, json={"urls": urls, **body},
                         headers={"access-key": twin.access_key, "secret-key": twin.secret_key})


def _band_index(asset: dict[str, Any], common_name: str) -> int:
    names = [b["common_name"] for b in asset["eo:bands"]]
    return names.index(common_name) + 1


@pytest.fixture(scope="module")
def ortho_item(twin: Any) -> dict[str, Any]:
    """A SPOT ORTHO item as the STAC API serves it."""
    client = Client.open(twin.stac_api)
    search = client.search(collections=["SPOT67_HCF_GS1"], max_items=1,
                           filter={"op": "=", "args": [{"property": "processing:level"}, "ORTHO"]},
                           filter_lang="cql2-json")
    items = list(search.items_as_dicts())
    assert items
    return items[0]


def test_sdk_signs_an_api_item_and_rasterio_streams_a_window(twin: Any, ortho_item: dict[str, Any]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLD_")}
    env.update(TLD_SIGNING_ENDPOINT=twin.signing, TLD_ACCESS_KEY=twin.access_key,
               TLD_SECRET_KEY=twin.secret_key, TLD_CONFIG_DIR=os.devnull + "-none")
    proc = subprocess.run([sys.executable, "-c", SDK_SCRIPT, twin.data_host, json.dumps(ortho_item)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    signed = json.loads(proc.stdout.split("RESULT ", 1)[1])
    ms = signed["assets"]["multispectral"]
    assert "X-Amz-Signature=" in ms["href"] and "X-Amz-Expires=28800" in ms["href"]
    assert "X-Amz-Signature=" in signed["assets"]["panchromatic"]["href"]

    size = int(requests.head(ms["href"], timeout=10).headers["Content-Length"])
    twin.reset_store_stats()
    window = Window(col_off=256, row_off=0, width=128, height=128)
    with rasterio.Env(**GDAL_ENV), rasterio.open(f"/vsicurl/{ms['href']}") as src:
        assert src.crs.to_epsg() == 32630
        red = src.read(_band_index(ms, "red"), window=window).astype("float64")
        nir = src.read(_band_index(ms, "nir"), window=window).astype("float64")
    stats = twin.store_stats()
    ranged = stats["bytes_by_status"].get("206", 0)  # not GDAL's abandoned size probe (a 200)
    print(f"window read: {stats['requests']} requests, {ranged} of {size} bytes asked for")
    assert stats["requests"] <= 6, stats
    assert ranged < size / 2

    # On the larger panchromatic file, a window costs a small fraction of the object.
    pan = signed["assets"]["panchromatic"]["href"]
    pan_size = int(requests.head(pan, timeout=10).headers["Content-Length"])
    twin.reset_store_stats()
    with rasterio.Env(**GDAL_ENV), rasterio.open(f"/vsicurl/{pan}") as src:
        assert src.read(1, window=Window(512, 512, 256, 256)).shape == (256, 256)
    stats = twin.store_stats()
    ranged = stats["bytes_by_status"].get("206", 0)
    print(f"PAN window read: {stats['requests']} requests, {ranged} of {pan_size} bytes asked for")
    assert stats["requests"] <= 6 and ranged < pan_size / 8, stats

    valid = (red > 0) & (nir > 0)
    ndvi = np.where(valid, (nir - red) / np.where(valid, nir + red, 1), np.nan)
    truth = expected_ndvi(ortho_item["id"], window=(0, 256, 128, 128))
    assert np.array_equal(np.isnan(ndvi), np.isnan(truth))
    assert np.nanmax(np.abs(ndvi - truth)) < 1e-9


def test_signed_url_expires_and_tampering_is_refused(twin: Any, ortho_item: dict[str, Any]) -> None:
    href = ortho_item["assets"]["multispectral"]["href"]
    assert urlsplit(href).netloc == twin.data_host
    assert requests.get(href, timeout=10, headers={"Range": "bytes=0-15"}).status_code == 403  # unsigned
    # 3 s: X-Amz-Date counts whole seconds, so a 1 s signature made late in a second lives a few ms
    r = _sign(twin, [href], duration_seconds=3)
    assert r.ok, r.text
    short = r.json()["hrefs"][href]
    assert "X-Amz-Expires=3&" in short or short.endswith("X-Amz-Expires=3")
    assert requests.get(short, timeout=10, headers={"Range": "bytes=0-15"}).status_code == 206
    tampered = short.replace("_MS.tif", "_PAN.tif")
    assert requests.get(tampered, timeout=10).status_code == 403
    time.sleep(4.2)
    expired = requests.get(short, timeout=10, headers={"Range": "bytes=0-15"})
    assert expired.status_code == 403 and b"expired" in expired.content
    with rasterio.Env(**GDAL_ENV), pytest.raises(rasterio.errors.RasterioIOError):
        rasterio.open(f"/vsicurl/{short}")


def test_path_escapes_are_never_served(twin: Any) -> None:
    for path in ("/dinamis-mtd/../../etc/passwd", "/dinamis-mtd/%2e%2e/%2e%2e/etc/passwd",
                 "/quicklooks/..%2f..%2fmanifest.json"):
        signed = _sign(twin, [twin.data + path]).json()["hrefs"][twin.data + path]
        r = requests.get(signed, timeout=10)
        assert r.status_code in (403, 404), (path, r.status_code)
        assert b"root:" not in r.content


def test_quicklooks_are_public_and_foreign_urls_pass_through(twin: Any, ortho_item: dict[str, Any]) -> None:
    thumb = next(a for a in ortho_item["assets"].values() if "thumbnail" in a.get("roles", []))
    r = requests.get(thumb["href"], timeout=10)
    assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    foreign = "https://regards.example.org/product.zip"
    assert _sign(twin, [foreign]).json()["hrefs"][foreign] == foreign


def test_unknown_api_key_is_refused(twin: Any) -> None:
    r = requests.post(twin.signing + "sign_urls", timeout=10, json={"urls": [twin.data + "/a/b.tif"]},
                      headers={"access-key": "nope", "secret-key": "nope"})
    assert r.status_code == 401
    assert "access-key" in r.json()["detail"] or "API key" in r.json()["detail"]
