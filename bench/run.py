"""Run the benchmark and write BENCHMARKS.md: ``python bench/run.py [--quick] [--repeat N]``.

Starts the offline twin, then runs every case in a fresh process, repetitions interleaved (run 1 of every
method, then run 2...), so that drifts of a shared machine hit every method alike; reports medians.

Read cases (``bench/cases/read.py``): ``aoi`` (2 km AOI NDVI), ``scene`` (whole-scene NDVI mean),
``coarse`` (60 m NDVI from the overviews), each also with 20 ms of latency added to every request by the
twin's store (its fault injection). Methods: the toolkit, odc-stac, rioxarray, stackstac, async-geotiff,
and the floor (hand-written rasterio strips). Then a search of 2,000 items
(``bench/cases/catalogue_search.py``), signing 500 assets (``bench/cases/signing.py``) and the toolkit's
import (``bench/cases/imports.py``).

``--quick`` runs once on the default small scenes (a smoke test); without it, the ``bench`` scene set
(one 10000 x 10000 SPOT scene, generated on first use: ~2 min, 1 GB) unless ``DINAMIS_BENCH_SCENES``
says ``default``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report

HERE = Path(__file__).resolve().parent
READ_CASES = ("aoi", "scene", "coarse")
METHODS = ("dinamis", "floor", "odc-stac", "rioxarray", "stackstac", "async-geotiff")
LATENCY_S = 0.020
#: Case scripts not named after their case (no module is named like a public function: ``search``).
CASE_FILES = {"search": "catalogue_search.py"}


def _case(args: list[str], timeout: float) -> dict[str, Any]:
    """Run a case script in a fresh process; its result is the last line of its output."""
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=HERE.parent, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"skipped": f"exit {proc.returncode}: {tail[:300]}"}
    return dict(json.loads(lines[-1]))


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("dinamis_widgets", "numpy", "dask", "xarray", "rasterio", "odc-stac", "odc-loader",
                 "rioxarray", "stackstac", "async-geotiff", "async-tiff", "pystac-client"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    import rasterio

    out["GDAL"] = rasterio.__gdal_version__
    return out


def _machine() -> dict[str, Any]:
    import psutil

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run on the default small scenes")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per method (default 3; 1 with --quick)")
    parser.add_argument("--cases", default="aoi,scene,coarse,search,signing,imports",
                        help="comma-separated cases")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated read methods")
    parser.add_argument("--no-latency", action="store_true", help="skip the runs with 20 ms of latency")
    parser.add_argument("--chunk", type=int, default=None,
                        help="chunk side for every method (default: 2048 for the peers, the toolkit's own "
                             "default chunks for dw.load)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(HERE.parent / "BENCHMARKS.md"), help="the report (Markdown)")
    parser.add_argument("--json", default=None, help="also write the raw results here")
    args = parser.parse_args(argv)
    scenes = "default" if args.quick else os.environ.get("DINAMIS_BENCH_SCENES", "bench")
    repeat = args.repeat or (1 if args.quick else 3)
    cases = [c for c in args.cases.split(",") if c]
    methods = [m for m in args.methods.split(",") if m]
    latencies = [0.0] if args.no_latency else [0.0, LATENCY_S]
    command = " ".join(["python bench/run.py", *(sys.argv[1:] if argv is None else argv)])

    from bench.spec import build_spec
    from dinamis_widgets import twin as twin_mod

    started = time.time()
    runs: list[dict[str, Any]] = []
    with twin_mod.start(scene_set=scenes) as twin, tempfile.TemporaryDirectory() as tmp:
        spec = build_spec(twin, args.chunk or 2048, args.threads)
        spec["toolkit_chunk"] = args.chunk
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        extra: dict[str, Any] = {}
        if "search" in cases or "signing" in cases:
            from bench.cases.catalogue_search import add_search_items

            extra["search_items"] = add_search_items(twin, spec["item"], 300 if args.quick else 2000)
        for rep in range(repeat):
            for case in [c for c in cases if c in READ_CASES]:
                for latency in latencies:
                    for method in methods:
                        if latency:
                            twin.set_faults(kind="latency", seconds=latency)
                        try:
                            out = _case([str(HERE / "cases" / "read.py"), str(spec_path), case, method], 1800)
                        finally:
                            twin.clear_faults()
                        out.update(case=case, method=method, latency_ms=latency * 1000, repeat=rep)
                        runs.append(out)
                        print(report.one_line(out), flush=True)
            for case in [c for c in cases if c not in READ_CASES]:
                script = HERE / "cases" / CASE_FILES.get(case, f"{case}.py")
                out = _case([str(script), json.dumps(extra)], 900)
                out.update(case=case, repeat=rep)
                runs.append(out)
                print(report.one_line(out), flush=True)
            # After each repetition: a long run stopped early still leaves a report of what it measured.
            results = {"scenes": scenes, "repeat": rep + 1, "quick": args.quick, "command": command, "spec": {
                k: v for k, v in spec.items() if k not in ("item", "signed_href")},
                "versions": _versions(), "machine": _machine(), "seconds": round(time.time() - started, 1),
                "runs": runs}
            results["summary"] = report.summarize(results)
            Path(args.out).write_text(report.markdown(results))
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1))
    print(report.targets_text(results["summary"]))
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
