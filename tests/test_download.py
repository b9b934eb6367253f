"""Resumable downloads (reading.download) against the twin's object store, with injected faults."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from dinamis_widgets.errors import NotSignableError
from dinamis_widgets.reading.download import (
    DownloadCancelledError,
    DownloadError,
    DownloadProgress,
    download,
    download_asset,
    fetch_bytes,
    target_name,
)
from dinamis_widgets.signing.client import Signer

from .ui_helpers import DECK_ITEM, first, item, wait_for


def _local(twin: Any, href: str) -> Path:
    return Path(twin.scenes.data_root) / urlsplit(href).path.lstrip("/")


@pytest.fixture
def ms(twin: Any, twin_items: list[dict[str, Any]]) -> Any:
    yield item(twin_items, DECK_ITEM).assets["multispectral"]
    twin.clear_faults()


def test_plain_download_is_byte_exact_and_reports_progress(twin: Any, ms: Any, tmp_path: Path) -> None:
    seen: list[DownloadProgress] = []
    path = download(ms.href, tmp_path, progress=seen.append, chunk_size=64 * 1024)
    assert path.name == target_name(ms.href) and path.name.endswith("_MS.tif")
    assert path.read_bytes() == _local(twin, ms.href).read_bytes()
    assert seen[-1].done == seen[-1].total == path.stat().st_size
    assert all(a.done <= b.done for a, b in itertools.pairwise(seen))
    assert not list(tmp_path.glob("*.part*"))
    # an existing file is not fetched again
    again = download(ms.href, tmp_path)
    assert again == path


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_a_broken_connection_resumes_with_a_range_request(twin: Any, ms: Any, tmp_path: Path,
                                                          kind: str) -> None:
    name = urlsplit(ms.href).path.rsplit("/", 1)[-1]
    size = _local(twin, ms.href).stat().st_size
    assert size > 200_000
    twin.reset_store_stats()
    twin.set_faults(kind=kind, match=name, count=1, after_bytes=100_000)
    seen: list[DownloadProgress] = []
    path = download(ms.href, tmp_path, progress=seen.append, chunk_size=16 * 1024, backoff=0.01)
    assert path.read_bytes() == _local(twin, ms.href).read_bytes()
    stats = twin.store_stats()
    assert stats["range_requests"] >= 1, stats
    # the resumed request asked only for the rest: far fewer bytes than two whole files
    assert stats["bytes_served"] < 2 * size - 50_000
    assert seen[-1].attempts >= 2


def _settle(twin: Any, quiet: float = 0.3, timeout: float = 10.0) -> None:
    """Wait until the store's byte counter stops moving."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        now = twin.store_stats()["bytes_served"]
        if now == last:
            return
        last = now
        time.sleep(quiet)


def test_a_part_file_left_by_an_earlier_attempt_is_resumed(twin: Any, ms: Any, tmp_path: Path) -> None:
    whole = _local(twin, ms.href).read_bytes()
    cancel = threading.Event()

    def stop_early(p: DownloadProgress) -> None:
        if p.done >= 120_000:
            cancel.set()

    with pytest.raises(DownloadCancelledError):
        download(ms.href, tmp_path, progress=stop_early, cancel=cancel, chunk_size=16 * 1024)
    part = next(tmp_path.glob("*.part"))
    kept = part.stat().st_size
    assert 0 < kept < len(whole)
    _settle(twin)  # the cancelled response may still be draining into the closed connection
    twin.reset_store_stats()
    seen: list[DownloadProgress] = []
    path = download(ms.href, tmp_path, progress=seen.append)
    assert path.read_bytes() == whole
    assert seen[0].resumed_from == kept
    assert twin.store_stats()["bytes_served"] <= len(whole) - kept + 1024


def test_errors_are_typed_and_masked(twin: Any, ms: Any, tmp_path: Path) -> None:
    missing = ms.href.replace("_MS.tif", "_NOPE.tif")
    with pytest.raises(DownloadError) as info:
        download(missing, tmp_path)
    assert info.value.status == 404
    assert "X-Amz-Signature=" not in info.value.message or "X-Amz-Signature=***" in info.value.message
    # a host the signer does not sign: the store refuses unsigned requests
    unsigned = Signer(None)
    with pytest.raises(DownloadError) as info:
        download(ms.href, tmp_path / "u", signer=unsigned, retries=0)
    assert info.value.status == 403


def test_download_asset_refuses_products_that_cannot_be_streamed(twin_items: list[dict[str, Any]],
                                                                 tmp_path: Path) -> None:
    brut = first(twin_items, lambda d: d["properties"]["processing:level"] == "BRUT")
    with pytest.raises(NotSignableError, match="BRUT"):
        download_asset(brut, "multispectral", tmp_path)
    regards = first(twin_items, lambda d: d["properties"].get("dinamis:provider") == "Regards")
    with pytest.raises(NotSignableError, match="Regards"):
        download_asset(regards, "multispectral", tmp_path)
    assert not list(tmp_path.iterdir())


def test_fetch_bytes_reads_a_public_quicklook(twin: Any, twin_items: list[dict[str, Any]]) -> None:
    thumb = item(twin_items, DECK_ITEM).assets["thumbnail"]
    data = fetch_bytes(thumb.href)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_download_view_cancels_and_resumes(twin: Any, twin_items: list[dict[str, Any]],
                                               tmp_path: Path) -> None:
    from dinamis_widgets.ui.download_view import DownloadView

    product = item(twin_items, DECK_ITEM)
    name = urlsplit(product.assets["multispectral"].href).path.rsplit("/", 1)[-1]
    twin.set_faults(kind="throttle", rate=400_000, match=name)
    try:
        view = DownloadView(product, folder=str(tmp_path), lang="en")
        view.start_button.click()
        wait_for(lambda: list(tmp_path.glob("*.part")) and next(tmp_path.glob("*.part")).stat().st_size > 0,
                 30, "the first bytes")
        view.cancel_button.click()
        assert view.wait(30)
        assert view.status.level == "warning" and "resume" in view.status.message and not view.path
    finally:
        twin.clear_faults()
    view.start_button.click()
    assert view.wait(60), view.status.message
    assert Path(view.path).read_bytes() == _local(twin, product.assets["multispectral"].href).read_bytes()
    assert view.bar.value == view.bar.max and "Downloaded" in view.status.message
