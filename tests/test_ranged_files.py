"""Presigned URLs read through rasterio's opener with ranged GETs (reading/ranged_files.py, the default),
against the twin's store: no range-less size probe, the pixels GDAL's /vsicurl/ reads, one request per run of
tiles, failed fetches raised with their HTTP status, datasets used and closed from any thread, and the
setting that turns them off."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pystac
import pytest
import rasterio
import rasterio.warp
from rasterio.transform import from_origin
from rasterio.windows import Window

from dinamis_widgets.reading import ranged_files
from dinamis_widgets.reading.gdal_io import (
    DEFAULT_GDAL_OPTIONS,
    clear_gdal_cache,
    close_dataset,
    open_dataset,
    opened_dataset,
)
from dinamis_widgets.signing.client import Signer
from tests.helpers import expired_signature


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
    with opened_dataset(url) as rdr:
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
    with opened_dataset(url) as rdr:
        twin.set_faults(kind="error", status=404, match="_MS.tif")
        try:
            with pytest.raises(rasterio.errors.RasterioIOError, match="HTTP response code: 404"), \
                    ranged_files.checked():
                rdr.read([1, 4], window=Window(0, 0, rdr.width, 256))
        finally:
            twin.clear_faults()


def _warped_sum(rdr: Any) -> float:
    """A reprojecting read of band 1 onto a Web Mercator grid (what the live view does), summed, under the
    reader's GDAL options (without ``GDAL_DISABLE_READDIR_ON_OPEN``, GDAL's warp looks for side-car files
    of the dataset, which rasterio's opener answers only in the opening context)."""
    left, bottom, right, top = rasterio.warp.transform_bounds(rdr.crs, "EPSG:3857", *rdr.bounds)
    out = np.zeros((64, 64), "float32")
    with rasterio.Env(**DEFAULT_GDAL_OPTIONS):
        transform = from_origin(left, top, (right - left) / 64, (top - bottom) / 64)
        rasterio.warp.reproject(rasterio.band(rdr, 1), out, dst_crs="EPSG:3857", dst_transform=transform)
    return float(out.sum())


def test_a_file_opened_in_one_thread_is_read_warped_and_closed_in_others(twin: Any,
                                                                         scene: pystac.Item) -> None:
    """rasterio keeps a file opener in a context variable of the thread that opened it (rasterio #3636):
    read, warped or closed in another thread, such a dataset crashed the process (a segmentation fault in
    the warp) or raised ``LookupError``. The reader opens each in a context of its own."""
    url = Signer.from_settings().sign_url(scene.assets["multispectral"].href).href
    with opened_dataset(url) as rdr:
        expected = _warped_sum(rdr)
    assert expected > 0

    def open_() -> Any:
        return open_dataset(url)

    for _ in range(3):
        with ThreadPoolExecutor(1) as opener, ThreadPoolExecutor(1) as reader, \
                ThreadPoolExecutor(1) as closer:
            rdr = opener.submit(open_).result()
            assert reader.submit(_warped_sum, rdr).result() == expected
            closer.submit(close_dataset, rdr).result()
            assert rdr.closed

    # many at once: datasets opened, warped and closed by whichever of four threads comes next
    opened: list[Any] = []
    lock = threading.Lock()

    def step(i: int) -> float:
        with lock:
            rdr = opened.pop() if opened and i % 3 else None
        if rdr is None:
            rdr = open_()
        total = _warped_sum(rdr)
        if i % 2:
            close_dataset(rdr)
        else:
            with lock:
                opened.append(rdr)
        return total

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(step, range(24))) == {expected}
    for rdr in opened:
        close_dataset(rdr)


def test_ranged_reads_can_be_turned_off(twin: Any, scene: pystac.Item,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``DINAMIS_RANGED_READS=0`` sends presigned URLs through GDAL's ``/vsicurl/`` (its size probe: a
    ``GET`` without ``Range``, answered 200)."""
    url = Signer.from_settings().sign_url(scene.assets["multispectral"].href).href
    for setting, probes in (("0", 1), ("1", 0)):
        monkeypatch.setenv("DINAMIS_RANGED_READS", setting)
        clear_gdal_cache()
        twin.reset_store_stats()
        with opened_dataset(url) as rdr:
            assert rdr.name.startswith("/vsicurl/") == (setting == "0"), rdr.name
        assert twin.store_stats()["by_status"].get("200", 0) == probes, (setting, twin.store_stats())


def test_overlapping_runs_fetch_only_what_the_cache_lacks(twin: Any, scene: pystac.Item) -> None:
    """Two chunks reading the tile row at their seam: the second run fetches only its part not held, also
    when both ask at once (one waits for the other); the bytes are the file's."""
    href = scene.assets["multispectral"].href
    url = Signer.from_settings().sign_url(href).href
    local = (Path(twin.scenes.data_root) / urlsplit(href).path.lstrip("/")).read_bytes()
    a, b, c = 100_000, 300_000, 500_000
    clear_gdal_cache()
    twin.reset_store_stats()
    assert ranged_files.cached_range(url, a, b + 50_000) == local[a:b + 50_000]
    assert ranged_files.cached_range(url, b, c) == local[b:c]  # its first 50 kB are held
    stats = twin.store_stats()
    assert stats["requests"] == 2 and stats["bytes_served"] == c - a, stats
    # a run whose both ends are held: one request for the middle
    clear_gdal_cache()
    ranged_files.cached_range(url, 0, 20_000)
    ranged_files.cached_range(url, 60_000, 80_000)
    twin.reset_store_stats()
    assert ranged_files.cached_range(url, 10_000, 70_000) == local[10_000:70_000]
    assert twin.store_stats()["bytes_served"] == 40_000
    # at the end of the file: what there is
    size = len(local)
    assert ranged_files.cached_range(url, size - 1_000, size + 5_000) == local[size - 1_000:]
    # at once, from 8 threads asking overlapping runs: every byte fetched once
    for _ in range(3):
        clear_gdal_cache()
        twin.reset_store_stats()
        runs = [(k * 90_000, k * 90_000 + 120_000) for k in range(8)]
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda r: ranged_files.cached_range(url, *r), runs))
        assert got == [local[s:e] for s, e in runs]
        assert twin.store_stats()["bytes_served"] == runs[-1][1], twin.store_stats()
