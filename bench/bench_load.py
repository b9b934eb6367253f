"""Load: the twin's STAC API, signing service and object store under concurrent clients (loopback only).

Each client is a thread with its own ``requests.Session`` that, until the time is up, picks one request at
random from a fixed mix and records its latency and whether it succeeded:

==========  ======  =======================================================================
kind        share   request
==========  ======  =======================================================================
search      30 %    ``POST /search`` (one collection, a bbox, ``limit=10``)
item        15 %    ``GET /collections/{c}/items/{id}``
collections  5 %    ``GET /collections``
range       45 %    ``GET`` of a signed COG with ``Range: bytes=N-N+16383`` (16 KiB, random offset)
sign         5 %    ``POST /sign_urls`` with the demo API key (4 URLs)
==========  ======  =======================================================================

An error is an exception (connection refused or reset, timeout) or a status other than the one expected
(200; 206 for ranges). A connection reset is retried once, at once, and counted apart (``retried``): the
twin's servers close keep-alive connections idle for 5 s, and a request sent on one just as it closes is
reset (RFC 9112, section 9.3.1: clients retry idempotent requests; the toolkit's HTTP client and GDAL do).
It prints, per kind and overall, the number of requests, errors, retries, p50 and p99 (ms).

Usage::

    python bench/bench_load.py                           # 20 clients, 60 s, on a twin it starts
    python bench/bench_load.py --clients 8 --seconds 10 --json load.json

``tests/test_load_small.py`` runs the same mix for a few seconds and checks only that nothing failed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

__all__ = ["LoadResult", "Target", "mix_for", "run_load"]

#: 16 KiB per range request, like a COG tile read.
RANGE_BYTES = 16 * 1024


@dataclass(frozen=True)
class Target:
    """One kind of request of the mix."""

    kind: str
    weight: float
    method: str
    urls: tuple[str, ...]
    expected: int = 200
    json_bodies: tuple[Any, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    sizes: tuple[int, ...] = ()  # range targets: object sizes, one per URL


@dataclass
class LoadResult:
    """Latencies (seconds) and errors of a run, per kind."""

    clients: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    retried: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(map(len, self.latencies.values())) + self.error_count

    @property
    def error_count(self) -> int:
        return sum(map(len, self.errors.values()))

    def summary(self) -> dict[str, Any]:
        """Per kind and overall: requests, errors, p50 and p99 in ms, and requests per second."""
        kinds = sorted(set(self.latencies) | set(self.errors))
        out: dict[str, Any] = {k: _figures(self.latencies.get(k, []), len(self.errors.get(k, [])),
                                           self.retried.get(k, 0)) for k in kinds}
        out["all"] = _figures([x for v in self.latencies.values() for x in v], self.error_count,
                              sum(self.retried.values()))
        out["all"]["per_second"] = round(self.requests / self.seconds, 1) if self.seconds else 0.0
        return out


def _figures(latencies: list[float], errors: int, retried: int) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    if not ms:
        return {"requests": errors, "errors": errors, "retried": retried, "p50_ms": None, "p99_ms": None}
    p99 = statistics.quantiles(ms, n=100)[98] if len(ms) > 1 else ms[0]
    return {"requests": len(ms) + errors, "errors": errors, "retried": retried,
            "p50_ms": round(statistics.median(ms), 1), "p99_ms": round(p99, 1)}


def mix_for(stac_api: str, signing: str, access_key: str, secret_key: str,
            collection: str = "SPOT67_HCF_GS1", bbox: tuple[float, ...] = (-0.99, 45.92, -0.93, 45.96)
            ) -> list[Target]:
    """The request mix over a running twin (its items are found, and their COGs signed, once)."""
    session = requests.Session()
    search = {"collections": [collection], "bbox": list(bbox), "limit": 10}
    features = session.post(stac_api + "search", json=search, timeout=30).json()["features"]
    ortho = [f for f in features if f["properties"].get("processing:level") == "ORTHO"]
    if not ortho:
        raise RuntimeError(f"no ORTHO item of {collection} in {bbox}")
    key_headers = {"access-key": access_key, "secret-key": secret_key}
    cogs = [a["href"] for f in ortho for a in f["assets"].values()
            if a.get("type", "").startswith("image/tiff") and a["href"].startswith("http")]
    answer = session.post(signing + "sign_urls", json={"urls": cogs[:64], "duration_seconds": 7200},
                          headers=key_headers, timeout=30)
    answer.raise_for_status()
    signed = [answer.json()["hrefs"][u] for u in cogs[:64]]
    sizes = [int(session.head(u, timeout=30).headers["Content-Length"]) for u in signed]
    items = [f"{stac_api}collections/{f['collection']}/items/{f['id']}" for f in ortho]
    return [
        Target("search", 0.30, "POST", (stac_api + "search",), json_bodies=(search,)),
        Target("item", 0.15, "GET", tuple(items)),
        Target("collections", 0.05, "GET", (stac_api + "collections",)),
        Target("range", 0.45, "GET", tuple(signed), expected=206, sizes=tuple(sizes)),
        Target("sign", 0.05, "POST", (signing + "sign_urls",), json_bodies=({"urls": cogs[:4]},),
               headers=tuple(key_headers.items())),
    ]


def _one(session: requests.Session, target: Target, rng: random.Random) -> tuple[str | None, int]:
    """Send one request of ``target``; return None when it succeeded, else what went wrong, and the number
    of retries after a connection reset (0 or 1)."""
    i = rng.randrange(len(target.urls))
    headers = dict(target.headers)
    if target.sizes:
        start = rng.randrange(max(1, target.sizes[i] - RANGE_BYTES))
        headers["Range"] = f"bytes={start}-{start + RANGE_BYTES - 1}"
    body = target.json_bodies[rng.randrange(len(target.json_bodies))] if target.json_bodies else None
    for attempt in (0, 1):
        try:
            r = session.request(target.method, target.urls[i], json=body, headers=headers, timeout=30)
            content = r.content
            break
        except requests.ConnectionError as exc:
            if attempt == 0 and any(w in str(exc) for w in ("reset", "aborted", "RemoteDisconnected")):
                continue  # a keep-alive connection closed as the request left: retried at once
            return f"{type(exc).__name__}: {str(exc)[:200]}", attempt
        except requests.RequestException as exc:
            return f"{type(exc).__name__}: {str(exc)[:200]}", attempt
    if r.status_code != target.expected:
        return f"HTTP {r.status_code}: {content[:200]!r}", attempt
    if target.sizes and len(content) != min(RANGE_BYTES, target.sizes[i]):
        return f"short body: {len(content)} bytes", attempt
    return None, attempt


def run_load(mix: list[Target], clients: int = 20, seconds: float = 60.0, seed: int = 0) -> LoadResult:
    """Run ``clients`` threads for ``seconds``, each sending requests of the mix one after the other."""
    result = LoadResult(clients, seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    weights = [t.weight for t in mix]

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        latencies: dict[str, list[float]] = {t.kind: [] for t in mix}
        errors: dict[str, list[str]] = {t.kind: [] for t in mix}
        retried: dict[str, int] = {t.kind: 0 for t in mix}
        with requests.Session() as session:
            while time.monotonic() < deadline:
                target = rng.choices(mix, weights)[0]
                start = time.perf_counter()
                problem, retries = _one(session, target, rng)
                retried[target.kind] += retries
                if problem is None:
                    latencies[target.kind].append(time.perf_counter() - start)
                else:
                    errors[target.kind].append(problem)
        with lock:
            for kind, values in latencies.items():
                result.latencies.setdefault(kind, []).extend(values)
            for kind, values in errors.items():
                if values:
                    result.errors.setdefault(kind, []).extend(values)
            for kind, n in retried.items():
                result.retried[kind] = result.retried.get(kind, 0) + n

    threads = [threading.Thread(target=client, args=(n,), name=f"load-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    from dinamis_widgets import twin as twin_mod

    with twin_mod.start() as t:
        mix = mix_for(t.stac_api, t.signing, t.access_key, t.secret_key)
        print(f"{args.clients} clients for {args.seconds:g} s on the twin (127.0.0.1)...", flush=True)
        result = run_load(mix, args.clients, args.seconds)
    figures = result.summary()
    print(f"{'kind':12} {'requests':>9} {'errors':>7} {'retried':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, f in figures.items():
        p50, p99 = f["p50_ms"] or 0.0, f["p99_ms"] or 0.0
        print(f"{kind:12} {f['requests']:9d} {f['errors']:7d} {f['retried']:8d} {p50:8.1f} {p99:8.1f}")
    print(f"{figures['all']['per_second']} requests/s")
    for kind, problems in result.errors.items():
        print(f"first {kind} error: {problems[0]}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"clients": args.clients, "seconds": args.seconds, "figures": figures}, fh, indent=1)
    return 1 if result.error_count else 0


if __name__ == "__main__":
    sys.exit(main())
