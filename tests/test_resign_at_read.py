"""Read-time signing: a computation longer than the signatures' validity (2 s) against a slowed store
completes with the right numbers, with threads, processes and a dask.distributed LocalCluster; a read
meeting an expired signature re-signs and retries once, also while the store fails at rates; errors never
show a signature."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import dask
import numpy as np
import pystac
import pytest

from dinamis_widgets.analysis.indices import ndvi
from dinamis_widgets.errors import LoadError
from dinamis_widgets.reading.gdal_io import clear_gdal_cache, reader_stats, reset_reader_stats
from dinamis_widgets.reading.loading import load
from dinamis_widgets.reading.options import LoadOptions
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.signing.urls import SignedURL, parse_signed_url
from dinamis_widgets.twin.scenes import expected_ndvi
from tests.helpers import StaleFirst, expired_signature

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*"),
              pytest.mark.slow]

VALIDITY = 2  # seconds
LATENCY = 0.4  # seconds per request to the MS files (16 reads of few requests must outlast 1.5 x VALIDITY)


@pytest.fixture()
def short_signer(twin: Any) -> Signer:
    """Signatures valid 2 s, reused while at least 1 s is left."""
    return Signer.from_settings(validity=VALIDITY, margin=1.0)


@pytest.fixture()
def slow_store(twin: Any) -> Iterator[None]:
    clear_gdal_cache()
    twin.clear_faults()
    twin.set_faults(kind="latency", seconds=LATENCY, match="_MS.tif")
    try:
        yield
    finally:
        twin.clear_faults()


def _check(out: Any, item: pystac.Item) -> None:
    np.testing.assert_allclose(out.values[0], expected_ndvi(item.id), atol=1e-6, equal_nan=True)


def _run(ds: Any, **config: Any) -> tuple[Any, float]:
    start = time.monotonic()
    with dask.config.set(**config):
        out = ndvi(ds).compute()
    return out, time.monotonic() - start


def test_long_computation_with_threads(twin: Any, spot: pystac.Item, short_signer: Signer,
                                       slow_store: None) -> None:
    reset_reader_stats()
    ds = load([spot], bands=["red", "nir"], chunks=128, signer=short_signer)
    twin.reset_store_stats()
    out, elapsed = _run(ds, scheduler="threads", num_workers=2)
    _check(out, spot)
    assert elapsed > 1.5 * VALIDITY, elapsed
    assert short_signer.stats["requests"] >= 2  # signed again during the computation
    assert reader_stats()["reads"] == 16


def test_long_computation_with_processes(twin: Any, spot: pystac.Item, short_signer: Signer,
                                         slow_store: None) -> None:
    ds = load([spot], bands=["red", "nir"], chunks=128, signer=short_signer)
    out, elapsed = _run(ds, scheduler="processes", num_workers=2)
    _check(out, spot)
    assert elapsed > 1.5 * VALIDITY, elapsed


def test_long_computation_on_a_local_cluster(twin: Any, spot: pystac.Item, short_signer: Signer,
                                             slow_store: None) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        ds = load([spot], bands=["red", "nir"], chunks=128, signer=short_signer)
        start = time.monotonic()
        out = ndvi(ds).compute()
        elapsed = time.monotonic() - start
        per_worker = client.run(reader_stats)
    _check(out, spot)
    assert elapsed > 1.5 * VALIDITY, elapsed
    assert sum(s.get("reads", 0) for s in per_worker.values()) == 16  # one read per chunk, cluster-wide


def test_workers_can_sign_with_their_own_settings(twin: Any, spot: pystac.Item) -> None:
    """ship_signer=False: no credentials in the graph; each process signs with its environment."""
    import cloudpickle

    ds = load([spot], bands=["red", "nir"], chunks=256, options=LoadOptions(ship_signer=False))
    assert twin.secret_key.encode() not in cloudpickle.dumps(dict(ds.__dask_graph__()))
    out, _ = _run(ds, scheduler="processes", num_workers=2)
    _check(out, spot)


def test_a_read_meeting_an_expired_signature_resigns_and_retries_once(twin: Any, spot: pystac.Item) -> None:
    clear_gdal_cache()
    reset_reader_stats()
    href = spot.assets["multispectral"].href
    base = Signer.from_settings()
    signer = StaleFirst({href: expired_signature(twin, href)}, endpoint=base.endpoint,
                         signable_hosts=base.signable_hosts)
    ds = load([spot], bands=["red", "nir"], signer=signer)
    twin.reset_store_stats()
    out = ndvi(ds).compute(scheduler="synchronous")
    _check(out, spot)
    assert twin.store_stats()["by_status"].get("403", 0) >= 1
    assert reader_stats()["retries"] == 1 and signer.forced == 1


class _AlwaysStale(StaleFirst):
    def resign_url(self, url: str, validity: Any = None, *, force: bool = False) -> SignedURL:
        parsed = parse_signed_url(self.stale[url])
        assert parsed is not None
        return parsed


def test_a_read_failing_twice_raises_with_the_signature_masked(twin: Any, spot: pystac.Item) -> None:
    clear_gdal_cache()
    href = spot.assets["multispectral"].href
    base = Signer.from_settings()
    signer = _AlwaysStale({href: expired_signature(twin, href)}, endpoint=base.endpoint,
                          signable_hosts=base.signable_hosts)
    ds = load([spot], bands=["red", "nir"], signer=signer)
    with pytest.raises(LoadError) as info:
        ds.compute(scheduler="synchronous")
    text = str(info.value) + repr(info.value)
    assert "_MS.tif" in text
    assert not re.search(r"X-Amz-Signature=[0-9a-f]{16}", text)
    assert info.value.__cause__ is None and info.value.__context__ is None  # nothing quotes the URL


def _faults_at_rates(seed: int) -> list[dict[str, Any]]:
    """A slowed store (so that signatures expire mid-computation: 0.4 s per request made a computation
    of 5.9 s once the reader opened files at once, under the 6 s checked) that also fails at rates."""
    return [
        {"kind": "latency", "seconds": 0.6, "match": "_MS.tif"},
        {"kind": "error", "status": 503, "retry_after": None, "probability": 0.10, "seed": seed},
        {"kind": "reset", "probability": 0.05, "seed": seed},
        {"kind": "truncate", "probability": 0.02, "seed": seed},
    ]


@pytest.mark.parametrize("where", ["threads", "local cluster"])
def test_signatures_expiring_under_faults_are_renewed(twin: Any, spot: pystac.Item, where: str) -> None:
    # 4 s, not 2: a signature must outlive a read that GDAL retries after a 503 (0.5 s, then 1 s...), also
    # on a loaded machine; the computation still lasts several of them (checked below)
    short_signer = Signer.from_settings(validity=4, margin=1.0)
    clear_gdal_cache()
    twin.reset_store_stats()
    twin.set_faults(faults=_faults_at_rates(seed=3), replace=True)
    try:
        ds = load([spot], bands=["red", "nir"], chunks=128, signer=short_signer)
        start = time.monotonic()
        if where == "threads":
            out, _ = _run(ds, scheduler="threads", num_workers=2)
        else:
            distributed = pytest.importorskip("distributed")
            with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                          dashboard_address=None) as cluster, distributed.Client(cluster):
                out = ndvi(ds).compute()
        elapsed = time.monotonic() - start
        stats = twin.store_stats()
    finally:
        twin.clear_faults()
    _check(out, spot)
    assert elapsed > 1.5 * 4, elapsed
    assert sum(stats["faults"].get(k, 0) for k in ("error", "reset", "truncate")) > 0, stats
    if where == "threads":
        assert short_signer.stats["requests"] >= 2  # signed again during the computation
