"""The benchmark's quick mode runs end to end (its own twin, every case in a fresh process) and writes a
report of the expected shape, and every method's NDVI equals the twin's planted truth. No timing is
checked: speed is what the benchmark reports, as ratios."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dinamis_widgets.twin.scenes import expected_ndvi

ROOT = Path(__file__).resolve().parent.parent
#: Read methods every set-up has (the toolkit's extras); the ``bench`` extra adds async-geotiff and stackstac.
READ_METHODS = ("dinamis", "floor", "odc-stac", "rioxarray")
OPTIONAL_PEERS = {"async-geotiff": "async_geotiff", "stackstac": "stackstac"}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DINAMIS_", "TLD_"))
           or k in ("DINAMIS_TWIN_CACHE", "DINAMIS_PG_BINDIR")}  # its own twin, not the session's
    proc = subprocess.run([sys.executable, "bench/run.py", "--quick", "--out", str(tmp / "BENCHMARKS.md"),
                           "--json", str(tmp / "results.json")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads((tmp / "results.json").read_text())
    out["markdown"] = (tmp / "BENCHMARKS.md").read_text()
    out["stdout"] = proc.stdout
    return out


def _window(bounds: list[float], spec: dict[str, Any]) -> tuple[int, int, int, int]:
    """A method's output bounds as a window of the item's full-resolution grid."""
    a, _, c, _, e, f = spec["level_transforms"][0]
    left, bottom, right, top = bounds
    r0, c0 = round((top - f) / e), round((left - c) / a)
    return r0, c0, round((bottom - f) / e) - r0, round((right - c) / a) - c0


pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_the_report_has_every_case_target_and_the_machine(results: dict[str, Any]) -> None:
    md = results["markdown"]
    for title in ("## Targets", "## 2 km AOI, NDVI", "## whole scene, NDVI mean", "## overviews, 60 m NDVI",
                  "## DEFLATE decoding throughput", "## search", "## signing", "## imports", "Machine:",
                  "GDAL"):
        assert title in md
    targets = results["summary"]["targets"]
    assert len(targets) == 6 * 2 + 2 + 3 and all(isinstance(t["pass"], bool) for t in targets)
    assert md.count("PASS") + md.count("FAIL") == len(targets)
    assert "stackstac" in md and "4 bands" in md  # said why it is skipped
    assert results["versions"]["odc-stac"] != "not installed" and results["machine"]["cpus"]


@pytest.mark.parametrize("case", ["aoi", "scene", "coarse"])
def test_every_method_computes_the_planted_ndvi(results: dict[str, Any], case: str) -> None:
    spec = results["spec"]
    rows = [r for r in results["summary"]["read"] if r["case"] == case]
    assert {r["latency_ms"] for r in rows} == {0.0, 20.0}
    runs = [r for r in results["runs"] if r["case"] == case]
    expected = set(READ_METHODS) | ({"async-geotiff"} if _installed("async_geotiff") else set())
    assert {r["method"] for r in runs if "warm" in r} == expected
    for method, module in OPTIONAL_PEERS.items():  # a peer not installed is skipped, and says so
        if not _installed(module):
            assert all("No module named" in r["skipped"] for r in runs if r["method"] == method)
    if _installed("stackstac"):
        assert all("Multi-band" in r["skipped"] for r in runs if r["method"] == "stackstac")
    whole = expected_ndvi(spec["item_id"])
    for run in (r for r in runs if "warm" in r):
        assert run["warm"]["bytes"] > 0 and run["warm"]["requests"] > 0 and run["peak_rss_mb"] > 0
        if case == "coarse":  # the overview's pixels are not the full grid's: the same mean, nearly
            assert abs(run["mean_ndvi"] - np.nanmean(whole)) < 0.01, run
            continue
        truth = expected_ndvi(spec["item_id"], window=_window(run["bounds"], spec))
        assert run["count"] == np.isfinite(truth).sum(), run
        assert run["mean_ndvi"] == pytest.approx(np.nanmean(truth), abs=1e-5), run


def test_search_signing_and_imports(results: dict[str, Any]) -> None:
    others = results["summary"]["others"]
    assert others["search"]["items"] == 300 and others["search"]["pages"] == 3
    signing = others["signing"]
    assert signing["assets"] == 500 and signing["dinamis_first_signed"] == 500
    assert signing["dinamis_first_requests"] == 8 and signing["dinamis_again_requests"] == 0
    assert signing["teledetection_first_signed"] == 500
    assert others["imports"]["modules_total"] > 100
