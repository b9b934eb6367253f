"""Faults at rates: under 503 answers, resets, truncated bodies and latency drawn at rates (seeded) in the
object store and the signing service, NDVI over an AOI (20 runs) and over a whole scene equals the
fault-free result value for value, or fails with a LoadError naming the asset and the window, never with a
partial result; a retried read reaches the network even when its re-signed URL is byte-identical; downloads
resume to identical files."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pystac
import pytest

from dinamis_widgets.analysis.indices import ndvi
from dinamis_widgets.errors import LoadError
from dinamis_widgets.reading.download import download
from dinamis_widgets.reading.gdal_io import clear_gdal_cache, reader_stats, reset_reader_stats
from dinamis_widgets.reading.loading import load
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.signing.urls import SignedURL, parse_signed_url
from dinamis_widgets.twin.scenes import expected_ndvi

from .ui_helpers import DECK_ITEM, TWO_DATES, item

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*"),
              pytest.mark.slow]

RUNS = 20


def store_faults(seed: int) -> list[dict[str, Any]]:
    """The store's faults of one run: 10 % 503, 5 % resets, 2 % truncated bodies, 10 % slow answers."""
    return [
        {"kind": "latency", "seconds": 0.05, "probability": 0.10, "seed": seed},
        {"kind": "error", "status": 503, "retry_after": None, "probability": 0.10, "seed": seed},
        {"kind": "reset", "probability": 0.05, "seed": seed},
        {"kind": "truncate", "probability": 0.02, "seed": seed},
    ]


def signing_faults(seed: int) -> list[dict[str, Any]]:
    """The signing service's faults of one run: 10 % 500 answers, 5 % resets."""
    return [
        {"kind": "error", "status": 500, "retry_after": None, "probability": 0.10, "seed": seed},
        {"kind": "reset", "probability": 0.05, "seed": seed},
    ]


@pytest.fixture(scope="module")
def dates(twin_items: list[dict[str, Any]]) -> list[pystac.Item]:
    return [item(twin_items, i) for i in TWO_DATES]


@pytest.fixture()
def faults(twin: Any) -> Iterator[Any]:
    twin.clear_faults()
    yield twin
    twin.clear_faults()


def quick_signer() -> Signer:
    """The session's signer with short backoffs (the signing service's faults are retried quickly)."""
    return Signer.from_settings(backoff_factor=0.02)


def run_with_faults(twin: Any, seed: int, compute: Any) -> tuple[Any, dict[str, Any]]:
    """Clear GDAL's cache (so that every read reaches the store), set the faults of ``seed``, compute."""
    twin.clear_faults()
    clear_gdal_cache()
    for service in ("store", "signing"):
        twin.reset_fault_stats(service)
    twin.set_faults(faults=store_faults(seed), replace=True)
    twin.set_faults("signing", faults=signing_faults(seed), replace=True)
    try:
        return compute(), twin.store_stats()
    finally:
        twin.clear_faults()


def test_ndvi_over_an_aoi_is_exact_or_a_load_error_over_twenty_runs(faults: Any, dates: list[pystac.Item]
                                                                    ) -> None:
    west, south, east, north = dates[0].bbox  # type: ignore[misc]
    aoi = (west + 0.2 * (east - west), south + 0.2 * (north - south),
           west + 0.7 * (east - west), south + 0.7 * (north - south))

    def compute() -> Any:
        ds = load(dates, bands=["red", "nir"], aoi=aoi, chunks=128, signer=quick_signer())
        return ndvi(ds).compute(scheduler="threads", num_workers=4).values

    clear_gdal_cache()
    truth = compute()
    assert np.isfinite(truth).mean() > 0.5
    injected: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    reset_reader_stats()
    for seed in range(RUNS):
        try:
            values, stats = run_with_faults(faults, seed, compute)
        except LoadError as exc:
            outcomes["load_error"] += 1
            assert "_MS.tif" in exc.message and "over the window" in exc.message, exc.message
            continue
        injected.update(stats["faults"])
        np.testing.assert_array_equal(values, truth, err_msg=f"seed {seed}")
        outcomes["equal"] += 1
    print(f"\nAOI NDVI, {RUNS} runs: {dict(outcomes)}; store faults injected: {dict(injected)}; "
          f"reader: {reader_stats()}")
    assert outcomes["equal"] >= RUNS - 2, outcomes  # a LoadError needs three failed attempts of one read
    assert injected["error"] > 0 and injected["reset"] > 0 and injected["truncate"] > 0, injected


def test_whole_scene_ndvi_is_exact_under_faults(faults: Any, twin_items: list[dict[str, Any]]) -> None:
    scene = item(twin_items, DECK_ITEM)

    def compute() -> Any:
        ds = load([scene], bands=["red", "nir"], chunks=256, signer=quick_signer())
        return ndvi(ds).compute(scheduler="threads", num_workers=4).values[0]

    # The reader fetches this scene in a handful of requests: a seed may draw no fault at all. Every run must
    # be exact; runs go on (at most 10 seeds) until two of them met faults.
    met = []
    for seed in range(101, 111):
        values, stats = run_with_faults(faults, seed, compute)
        np.testing.assert_allclose(values, expected_ndvi(scene.id), atol=1e-6, equal_nan=True)
        if sum(stats["faults"].values()) > 0:
            met.append(seed)
        if len(met) == 2:
            break
    assert len(met) == 2, f"only seeds {met} of 101-110 met a fault"


class _SameURL(Signer):
    """Hands out one signed URL, even when asked for a new one: what a re-signing within the same second
    gives (the same ``X-Amz-Date``, so byte for byte the same URL)."""

    def __init__(self, hrefs: dict[str, str], **kw: Any) -> None:
        super().__init__(**kw)
        self.hrefs = hrefs

    def resign_url(self, url: str, validity: Any = None, *, force: bool = False) -> SignedURL:
        parsed = parse_signed_url(self.hrefs[url])
        assert parsed is not None
        return parsed


@pytest.mark.parametrize("ranged", ["1", "0"], ids=["ranged-reads", "vsicurl"])
@pytest.mark.parametrize("kind", ["truncate", "reset"])
def test_a_retried_read_reaches_the_store_even_with_the_same_url(faults: Any, kind: str, ranged: str,
                                                                 twin_items: list[dict[str, Any]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the ranged reads (the default) a broken fetch is fetched again by the reader of ranges
    itself; through GDAL's ``/vsicurl/`` (``DINAMIS_RANGED_READS=0``) a truncated body reaches the driver,
    which retries the read with GDAL's cache bypassed."""
    monkeypatch.setenv("DINAMIS_RANGED_READS", ranged)
    scene = item(twin_items, DECK_ITEM)
    href = scene.assets["multispectral"].href
    base = Signer.from_settings()
    signer = _SameURL({href: base.sign_url(href).href}, endpoint=base.endpoint,
                      signable_hosts=base.signable_hosts)
    ds = load([scene], bands=["red", "nir"], signer=signer)  # one chunk: one read of the file
    name = urlsplit(href).path
    clear_gdal_cache()
    faults.reset_store_stats()
    clean = ndvi(ds).compute(scheduler="synchronous").values[0]
    clean_requests = faults.store_stats()["paths"][name]
    clear_gdal_cache()
    reset_reader_stats()
    faults.reset_store_stats()
    # the tiles' request (after the size and the header) is cut after 20 kB, once
    faults.set_faults(kind=kind, match=name.rsplit("/", 1)[-1], count=1, skip=2, after_bytes=20_000)
    out = ndvi(ds).compute(scheduler="synchronous").values[0]
    np.testing.assert_array_equal(out, clean)
    stats = faults.store_stats()
    assert stats["faults"] == {kind: 1}, stats
    # the failed read was asked again from the store, not served from GDAL's cache
    assert stats["paths"][name] > clean_requests, (stats["paths"][name], clean_requests)
    if ranged == "1":  # the ranged reader fetched the run again: the driver saw no failure
        assert reader_stats().get("retries", 0) == 0, reader_stats()
    elif kind == "truncate":  # GDAL retries a reset connection itself; a truncated body comes to the driver
        assert reader_stats()["retries"] == 1, reader_stats()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_downloads_resume_to_identical_files_under_faults(faults: Any, twin_items: list[dict[str, Any]],
                                                          tmp_path: Path) -> None:
    product = item(twin_items, DECK_ITEM)
    href = product.assets["multispectral"].href
    original = Path(faults.scenes.data_root) / urlsplit(href).path.lstrip("/")
    attempts = 0
    for seed in range(5):
        faults.reset_store_stats()
        faults.set_faults(faults=[
            {"kind": "error", "status": 503, "retry_after": None, "probability": 0.10, "seed": seed},
            {"kind": "reset", "after_bytes": 50_000, "probability": 0.3, "seed": seed},
            {"kind": "truncate", "after_bytes": 80_000, "probability": 0.3, "seed": seed},
        ], replace=True)
        seen: list[Any] = []
        path = download(href, tmp_path / str(seed), signer=quick_signer(), progress=seen.append,
                        chunk_size=16 * 1024, backoff=0.01, retries=8)
        assert _sha256(path) == _sha256(original)
        attempts += seen[-1].attempts
    assert attempts > 5  # some downloads were cut and resumed
