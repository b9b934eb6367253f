"""Benchmark: bytes, requests and wall time of an NDVI computed from DINAMIS COGs, three ways.

Methods, measured in the same run against the twin's object store (its byte and request counters):

``dinamis``
    ``dw.ndvi(dw.load(items, ["red", "nir"]))``: the toolkit's reader (one shared read per asset and
    chunk, signed at read time, files pooled per worker).
``odc-stac``
    ``odc.stac.load(..., patch_url=sign)`` with odc-stac's default rasterio reader (one read per band
    and chunk, URLs signed when the graph is built).
``rasterio``
    A hand-written reader: one signed URL per file, tile-aligned windows read by a thread pool, each
    thread with its own dataset handle, both bands in one ``read`` call.

Each computes the mean NDVI (a reduction: nothing large is kept in memory). "minimal" is the compressed
size of the tiles the NDVI needs (the files' TileByteCounts, from ``dw.plan``). GDAL's cache of remote
blocks is emptied before every run; each run opens its files cold (GDAL's size probe and header
included).

Usage::

    python bench/bench_read.py                        # default scenes (small, 500 x 500 MS)
    DINAMIS_BENCH_SCENES=bench python bench/bench_read.py --repeat 3   # a 10000 x 10000 SPOT scene
    python bench/bench_read.py --json results.json --chunk 2048 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import dask
import numpy as np
import pystac

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout


@dataclass
class Run:
    method: str
    seconds: float
    bytes: int
    requests: int
    mean_ndvi: float


def _pick_items(twin: Any, scene_set: str) -> list[pystac.Item]:
    from dinamis_widgets.twin.scenes import DATA_URL_PLACEHOLDER

    items = [pystac.Item.from_dict(json.loads(line.replace(DATA_URL_PLACEHOLDER, twin.data)))
             for line in twin.scenes.items_path.read_text().splitlines() if line.strip()]
    ortho = [it for it in items if it.properties.get("processing:level") == "ORTHO"
             and it.collection_id == "SPOT67_HCF_GS1"
             and it.assets["multispectral"].extra_fields.get("proj:shape")]
    if scene_set == "bench":
        return [max(ortho, key=lambda it: it.assets["multispectral"].extra_fields["proj:shape"][0])]
    return [it for it in ortho if it.id.endswith("W001N46_SCENE1")]


def _dinamis(items: list[pystac.Item], chunk: int) -> float:
    import dinamis_widgets.analysis.indices as ix
    from dinamis_widgets.reading.loading import load

    return float(ix.ndvi(load(items, bands=["red", "nir"], chunks=chunk)).mean().compute())


def _odc_stac(items: list[pystac.Item], chunk: int) -> float:
    import odc.stac

    import dinamis_widgets.analysis.indices as ix
    from dinamis_widgets.signing.registry import get_signer

    signer = get_signer()
    ds = odc.stac.load(items, bands=["red", "nir"], chunks={"x": chunk, "y": chunk}, groupby="solar_day",
                       patch_url=lambda url: signer.sign_url(url).href)
    return float(ix.ndvi(ds).mean().compute())


def _rasterio(items: list[pystac.Item], chunk: int, threads: int) -> float:
    import rasterio
    from rasterio.windows import Window

    from dinamis_widgets.reading.gdal_io import DEFAULT_GDAL_OPTIONS
    from dinamis_widgets.signing.registry import get_signer

    signer = get_signer()
    local = threading.local()
    jobs = []
    for item in items:
        asset = item.assets["multispectral"]
        names = [b["common_name"] for b in asset.extra_fields["eo:bands"]]
        bands = [names.index("red") + 1, names.index("nir") + 1]
        url = "/vsicurl/" + signer.sign_url(asset.href).href
        rows, cols = asset.extra_fields["proj:shape"]
        jobs += [(url, bands, Window(c, r, min(chunk, cols - c), min(chunk, rows - r)))
                 for r in range(0, rows, chunk) for c in range(0, cols, chunk)]

    def work(job: tuple[str, list[int], Any]) -> tuple[float, int]:
        url, bands, window = job
        with rasterio.Env(**DEFAULT_GDAL_OPTIONS):
            handles = getattr(local, "handles", None) or {}
            local.handles = handles
            if url not in handles:
                handles[url] = rasterio.open(url)
            red, nir = handles[url].read(bands, window=window).astype(np.float32)
        ok = (red > 0) & (nir > 0) & (red + nir > 0)
        ndvi = (nir[ok] - red[ok]) / (nir[ok] + red[ok])
        return float(ndvi.sum()), int(ok.sum())

    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(work, jobs))
    total, count = sum(p[0] for p in parts), sum(p[1] for p in parts)
    return total / count if count else float("nan")


def _measure(twin: Any, method: str, fn: Callable[[], float]) -> Run:
    from dinamis_widgets.reading.gdal_io import clear_gdal_cache

    clear_gdal_cache()
    twin.reset_store_stats()
    start = time.perf_counter()
    mean = fn()
    seconds = time.perf_counter() - start
    stats = twin.store_stats()
    return Run(method, seconds, int(stats["bytes_served"]), int(stats["requests"]), mean)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", default=os.environ.get("DINAMIS_BENCH_SCENES", "default"),
                        choices=["default", "bench"], help="scene set (env DINAMIS_BENCH_SCENES)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (median time reported)")
    parser.add_argument("--chunk", type=int, default=2048, help="chunk / window side in pixels")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="worker threads")
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args(argv)

    from dinamis_widgets import twin as twin_mod
    from dinamis_widgets.reading.planning import plan

    with twin_mod.start(scene_set=args.scenes) as twin:
        items = _pick_items(twin, args.scenes)
        shape = items[0].assets["multispectral"].extra_fields["proj:shape"]
        p = plan(items, bands=["red", "nir"], chunks=args.chunk)
        minimal = p.tile_bytes
        methods: dict[str, Callable[[], float]] = {
            "dinamis": lambda: _dinamis(items, args.chunk),
            "odc-stac": lambda: _odc_stac(items, args.chunk),
            "rasterio": lambda: _rasterio(items, args.chunk, args.threads),
        }
        runs: list[Run] = []
        with dask.config.set(scheduler="threads", num_workers=args.threads):
            for _ in range(args.repeat):
                for name, fn in methods.items():  # interleaved, so drifts hit every method alike
                    runs.append(_measure(twin, name, fn))

    summary: dict[str, dict[str, float]] = {}
    for name in methods:
        mine = [r for r in runs if r.method == name]
        summary[name] = {
            "seconds": statistics.median(r.seconds for r in mine),
            "bytes": statistics.median(r.bytes for r in mine),
            "requests": statistics.median(r.requests for r in mine),
            "mean_ndvi": mine[0].mean_ndvi,
        }
    ref, odc = summary["rasterio"], summary["odc-stac"]
    print(f"scene set {args.scenes!r}: {len(items)} item(s) of {shape[0]} x {shape[1]} MS pixels, "
          f"chunks {args.chunk}, {args.threads} threads, {args.repeat} run(s) per method")
    print(f"minimal bytes (tiles needed, TileByteCounts): {minimal:,}; plan estimate {p.estimated_bytes:,}")
    header = (f"{'method':<10} {'bytes':>13} {'/minimal':>9} {'/rasterio':>10} {'/odc-stac':>10} "
              f"{'requests':>9} {'/rasterio':>10} {'seconds':>8} {'/rasterio':>10} {'/odc-stac':>10}")
    print(header)
    for name, s in summary.items():
        print(f"{name:<10} {s['bytes']:>13,.0f} {s['bytes'] / minimal:>9.2f} "
              f"{s['bytes'] / ref['bytes']:>10.2f} {s['bytes'] / odc['bytes']:>10.2f} "
              f"{s['requests']:>9.0f} {s['requests'] / ref['requests']:>10.2f} {s['seconds']:>8.2f} "
              f"{s['seconds'] / ref['seconds']:>10.2f} {s['seconds'] / odc['seconds']:>10.2f}")
    means = [s["mean_ndvi"] for s in summary.values()]
    print(f"mean NDVI: {', '.join(f'{m:.6f}' for m in means)} (should agree)")
    result = {"scenes": args.scenes, "items": [it.id for it in items], "chunk": args.chunk,
              "threads": args.threads, "minimal_bytes": minimal, "plan_estimate": p.estimated_bytes,
              "summary": summary, "runs": [asdict(r) for r in runs]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
