"""Concurrency without errors, not speed (``bench/bench_load.py`` measures that): the twin's STAC API,
signing service and store under 20 clients for a few seconds, and the signer under 8 threads signing the
same 500 URLs (one request per batch of 64, no URL asked twice, by the signing service's counters)."""

from __future__ import annotations

import math
import threading
from typing import Any

import requests

from bench.bench_load import mix_for, run_load
from dinamis_widgets.signing.apikeys import ApiKey
from dinamis_widgets.signing.client import MAX_URLS_PER_REQUEST, SignedURL, Signer
from dinamis_widgets.signing.credentials import ApiKeyAuth


def test_twin_under_20_clients_answers_every_request(twin: Any) -> None:
    mix = mix_for(twin.stac_api, twin.signing, twin.access_key, twin.secret_key)
    result = run_load(mix, clients=20, seconds=3.0)
    assert result.errors == {}, {k: v[:3] for k, v in result.errors.items()}  # after one retry of a reset
    assert set(result.latencies) == {t.kind for t in mix}
    assert all(result.latencies.values()), "every kind of request was sent"


def _signing_stats(twin: Any, reset: bool = False) -> dict[str, Any]:
    url = twin.signing + ("_twin/stats/reset" if reset else "_twin/stats")
    r = requests.request("POST" if reset else "GET", url, headers={"x-twin-admin": twin.admin_token},
                         timeout=10)
    r.raise_for_status()
    return dict(r.json())


def test_eight_threads_signing_the_same_500_urls_send_each_batch_once(twin: Any) -> None:
    urls = [f"{twin.data}/load-test/scene-{i:03d}/ms.tif" for i in range(500)]
    signer = Signer(twin.signing, credentials=ApiKeyAuth(ApiKey(twin.access_key, twin.secret_key)),
                    signable_hosts=[twin.data.split("://", 1)[1]])
    barrier = threading.Barrier(8)
    results: list[dict[str, SignedURL]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(signer.sign_urls(urls))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    _signing_stats(twin, reset=True)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stats = _signing_stats(twin)
    assert not errors
    assert len(results) == 8 and all(r == results[0] for r in results)
    assert all(s.signed for s in results[0].values())
    batches = math.ceil(len(urls) / MAX_URLS_PER_REQUEST)
    assert stats["sign_requests"] == stats["sign_requests_ok"] == batches
    assert stats["urls_requested"] == len(urls) and stats["urls_asked_again"] == 0
    assert signer.stats["requests"] == batches and signer.stats["urls_sent"] == len(urls)
