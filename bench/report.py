"""Medians, ratios and targets of a benchmark run, and BENCHMARKS.md (``python bench/report.py RESULTS.json``
rewrites the report from the raw results that ``bench/run.py --json`` wrote)."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, as run.py

from bench.common import toolkit_chunk

READ_CASES = ("aoi", "scene", "coarse")
CASE_TITLES = {"aoi": "2 km AOI, NDVI", "scene": "whole scene, NDVI mean", "coarse": "overviews, 60 m NDVI"}
SKIP_NOTES = {
    "stackstac": "stackstac reads one band per asset; the SPOT `multispectral` asset holds 4 bands "
                 "(R, G, B, NIR) in one file",
}


def _chunks_text(spec: dict[str, Any]) -> str:
    if toolkit_chunk(spec) is None:
        return (f"{spec['chunk']} px for the peers, the toolkit's default for dw.load (bands of whole rows, "
                "256 px tall over 256-px tiles, 512 otherwise, at least one band per core)")
    return f"{spec['chunk']} px"


def one_line(run: dict[str, Any]) -> str:
    """A progress line for one run."""
    head = f"{run.get('case')}/{run.get('method', '-')}"
    if run.get("latency_ms"):
        head += f" +{run['latency_ms']:.0f}ms"
    if "skipped" in run:
        return f"{head}: skipped ({run['skipped']})"
    if "warm" in run:
        return (f"{head}: fresh {run['fresh']['wall']:.2f}s warm {run['warm']['wall']:.2f}s "
                f"{run['warm']['bytes']:,} B {run['warm']['requests']} req, RSS {run['peak_rss_mb']:.0f} MB, "
                f"NDVI {run['mean_ndvi']:.6f}")
    return f"{head}: " + ", ".join(f"{k} {v}" for k, v in run.items() if k not in ("case", "repeat"))


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Medians per case, latency and method; ratios to the minimal bytes and to the floor; targets."""
    spec = results["spec"]
    rows: dict[str, dict[str, Any]] = {}
    for run in results["runs"]:
        if run["case"] not in READ_CASES:
            continue
        key = f"{run['case']}|{run['latency_ms']:g}|{run['method']}"
        rows.setdefault(key, {"case": run["case"], "latency_ms": run["latency_ms"], "method": run["method"],
                              "runs": []})["runs"].append(run)
    table = []
    for row in rows.values():
        ok = [r for r in row["runs"] if "warm" in r]
        out = {k: row[k] for k in ("case", "latency_ms", "method")}
        if not ok:
            out["skipped"] = SKIP_NOTES.get(row["method"], row["runs"][0].get("skipped", "?"))
            table.append(out)
            continue
        for phase in ("fresh", "warm"):
            for k in ("wall", "bytes", "requests"):
                out[f"{phase}_{k}"] = _median([r[phase][k] for r in ok])
        out["peak_rss_mb"] = _median([r["peak_rss_mb"] for r in ok])
        out["mean_ndvi"] = ok[0]["mean_ndvi"]
        out["count"] = ok[0]["count"]
        out["n"] = len(ok)
        table.append(out)
    floor = {(r["case"], r["latency_ms"]): r for r in table if r["method"] == "floor" and "warm_wall" in r}
    for r in table:
        f = floor.get((r["case"], r["latency_ms"]))
        if "warm_wall" not in r:
            continue
        r["bytes_per_minimal"] = r["warm_bytes"] / spec["cases"][r["case"]]["minimal_bytes"]
        if f:
            for k in ("warm_wall", "fresh_wall", "warm_requests", "warm_bytes"):
                r[f"{k}_per_floor"] = r[k] / f[k] if f[k] else float("nan")
    return {"read": table, "targets": _targets(table, spec), "throughput": _throughput(table, spec),
            "others": _others(results["runs"])}


def _find(table: list[dict[str, Any]], case: str, latency: float, method: str = "dinamis") -> dict[str, Any]:
    return next((r for r in table if (r["case"], r["latency_ms"], r["method"]) == (case, latency, method)
                 and "warm_wall" in r), {})


def _targets(table: list[dict[str, Any]], spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []

    def target(name: str, value: float | None, limit: float) -> None:
        ok = value is not None and value == value and value <= limit
        out.append({"target": name, "value": value, "limit": limit, "pass": bool(ok)})

    latencies = sorted({r["latency_ms"] for r in table})
    for case in READ_CASES:
        for lat in latencies:
            r = _find(table, case, lat)
            if not r:
                continue
            tag = f"{case}{f' +{lat:g} ms' if lat else ''}"
            target(f"bytes / minimal, {tag}", r.get("bytes_per_minimal"), 1.02)
            target(f"requests / floor, {tag}", r.get("warm_requests_per_floor"), 1.5)
    for lat in latencies:
        r = _find(table, "scene", lat)
        if r:
            target(f"whole scene warm wall / floor{f' +{lat:g} ms' if lat else ''}",
                   r.get("warm_wall_per_floor"), 1.2)
    r = _find(table, "aoi", 0.0)
    if r:
        target("AOI wall in a fresh process / floor's", r.get("fresh_wall_per_floor"), 1.5)
    r = _find(table, "scene", 0.0)
    if r:
        target("peak RSS above the interpreter, whole scene (MB)", r.get("peak_rss_mb"), 300.0)
    r = _find(table, "coarse", 0.0)
    if r:
        target("coarse (60 m) warm wall / floor", r.get("warm_wall_per_floor"), 1.05)
    return out


def _throughput(table: list[dict[str, Any]], spec: dict[str, Any]) -> list[dict[str, Any]]:
    """DEFLATE decoding throughput of the whole-scene read (no latency, warm): compressed MB fetched and
    decoded MB produced per second of wall time (reading, decoding and the NDVI together)."""
    case = spec["cases"]["scene"]
    out = []
    for r in table:
        if r["case"] == "scene" and r["latency_ms"] == 0 and "warm_wall" in r:
            wall = r["warm_wall"]
            out.append({"method": r["method"], "compressed_mb_s": case["minimal_bytes"] / wall / 1e6,
                        "decoded_mb_s": case["decoded_bytes"] / wall / 1e6})
    floor = next((t for t in out if t["method"] == "floor"), None)
    for t in out:  # the issue asks for the decoding throughput against the floor's
        t["per_floor"] = t["decoded_mb_s"] / floor["decoded_mb_s"] if floor else None
    return out


def _others(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Medians of the numeric fields of the search, signing and import cases."""
    out: dict[str, dict[str, Any]] = {}
    for case in sorted({r["case"] for r in runs if r["case"] not in READ_CASES}):
        mine = [r for r in runs if r["case"] == case and "skipped" not in r]
        if not mine:
            out[case] = {"skipped": next(r["skipped"] for r in runs if r["case"] == case)}
            continue
        fields: dict[str, Any] = {}
        for k, v in mine[0].items():
            if k in ("case", "repeat"):
                continue
            if isinstance(v, bool) or not isinstance(v, int | float):
                fields[k] = v
            else:
                fields[k] = _median([r[k] for r in mine])
        out[case] = fields
    return out


def targets_text(summary: dict[str, Any]) -> str:
    """PASS/FAIL per target, one a line (the run never fails on them)."""
    return "\n".join(f"{'PASS' if t['pass'] else 'FAIL'}  {t['target']}: "
                     f"{'n/a' if t['value'] is None else format(t['value'], '.3g')} "
                     f"(target <= {t['limit']:g})"
                     for t in summary["targets"])


def _fmt(v: Any, spec: str = ".2f") -> str:
    return "" if v is None else format(v, spec)


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.3f}"
    return str(v)


def _read_table(summary: dict[str, Any], case: str) -> list[str]:
    lines = ["| method | latency | fresh s | /floor | warm s | /floor | bytes | /minimal | requests | /floor "
             "| peak RSS MB | mean NDVI |", "|" + "---|" * 12]
    for r in summary["read"]:
        if r["case"] != case:
            continue
        lat = f"{r['latency_ms']:g} ms"
        if "skipped" in r:
            lines.append(f"| {r['method']} | {lat} | skipped: {r['skipped']} |" + " |" * 9)
            continue
        lines.append(
            f"| {r['method']} | {lat} | {_fmt(r['fresh_wall'])} | {_fmt(r.get('fresh_wall_per_floor'))} "
            f"| {_fmt(r['warm_wall'])} | {_fmt(r.get('warm_wall_per_floor'))} | {r['warm_bytes']:,.0f} "
            f"| {_fmt(r['bytes_per_minimal'], '.3f')} | {r['warm_requests']:.0f} "
            f"| {_fmt(r.get('warm_requests_per_floor'))} | {r['peak_rss_mb']:.0f} | {r['mean_ndvi']:.6f} |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    """BENCHMARKS.md."""
    s, spec = results["summary"], results["spec"]
    m, v = results["machine"], results["versions"]
    cmd = results.get("command") or (  # the command as run (older results: rebuilt from its options)
        "python bench/run.py" + (" --quick" if results["quick"] else f" --repeat {results['repeat']}"))
    rows, cols = spec["shape"]
    out = [
        "# Benchmarks", "",
        f"`{cmd}` (scene set `{results['scenes']}`, {results['repeat']} run(s) per method, medians; "
        f"{results['seconds']:.0f} s in all). Written by `bench/report.py`; see `bench/README.md` for what "
        "each number means.", "",
        f"Machine: {m['platform']}, {m['cpus']} CPUs ({m['processor']}), {m['memory_gb']} GB; load average "
        f"at the end {m['load_average']} (shared machine). Versions: "
        + ", ".join(f"{k} {val}" for k, val in v.items()) + ".", "",
        f"Scene `{spec['item_id']}`: {rows} x {cols} pixels of {spec['resolution']:g} m, "
        f"{spec['file_bytes']:,} bytes, tiles {spec['tile']} px, {spec['interleave']} interleave, overviews "
        f"{spec['overview_factors']}; chunks {_chunks_text(spec)}, {spec['threads']} threads.", "",
        "## Targets (ratios in the same run)", "", "```", targets_text(s), "```", "",
    ]
    for case in READ_CASES:
        if not any(r["case"] == case for r in s["read"]):
            continue
        c = spec["cases"][case]
        out += [f"## {CASE_TITLES[case]}", "",
                f"Minimal bytes {c['minimal_bytes']:,} ({c['tiles']} tiles at level {c['level']}).", "",
                *_read_table(s, case), ""]
    if s["throughput"]:
        out += ["## DEFLATE decoding throughput (whole scene, no latency, warm)", "",
                "| method | compressed MB/s | decoded MB/s | / floor's |", "|---|---|---|---|",
                *[f"| {t['method']} | {t['compressed_mb_s']:.1f} | {t['decoded_mb_s']:.1f} "
                  f"| {_fmt(t.get('per_floor'))} |" for t in s["throughput"]], ""]
    for case, fields in s["others"].items():
        out += [f"## {case}", "", "| measure | value |", "|---|---|",
                *[f"| {k} | {_value(val)} |" for k, val in fields.items()], ""]
    return "\n".join(out)


if __name__ == "__main__":
    res = json.loads(Path(sys.argv[1]).read_text())
    res["summary"] = summarize(res)
    Path(sys.argv[2] if len(sys.argv) > 2 else "BENCHMARKS.md").write_text(markdown(res))
