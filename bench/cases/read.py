"""Read case: an NDVI over an AOI, a whole scene or its overviews, by one method, in a fresh process.

``python bench/cases/read.py SPEC.json CASE METHOD`` (the runner writes SPEC: the item, its signed URL,
each case's window and overview level). Prints one JSON line: the method's NDVI sum and pixel count (a
reduction: the whole scene is never held in memory), the bounds of its output, and two runs:

``fresh``
    The first run, timed from the process's start: imports, opening the file, reading.
``warm``
    The same again in the same process, GDAL's cache of remote blocks emptied first (same bytes).

Each run has its wall time and the bytes and requests the twin's object store served; the result also
has the peak RSS of the process above the bare interpreter's.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import PROCESS_START, Counters, emit, forget_remote_files, peak_rss_mb, toolkit_chunk

Result = dict[str, Any]
#: The floor's GDAL settings: GDAL's advice for cloud-optimized files (no directory listing, HTTP/2
#: multiplexing, consecutive ranges merged), the same as the toolkit's reader sets.
FLOOR_GDAL_OPTIONS = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_HTTP_MULTIPLEX": "YES",
                      "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES"}


def _dinamis(spec: dict[str, Any], case: dict[str, Any]) -> Result:
    """``dw.ndvi(dw.load(...))``: the toolkit (signs at read time)."""
    import dask
    import pystac

    import dinamis_widgets as dw

    item = pystac.Item.from_dict(spec["item"])
    chunk = toolkit_chunk(spec)
    kw: dict[str, Any] = {} if chunk is None else {"chunks": chunk}
    if case.get("geojson"):
        kw["aoi"] = case["geojson"]
    if case.get("resolution"):
        kw["resolution"] = case["resolution"]
    ds = dw.load([item], bands=["red", "nir"], **kw)
    nd = dw.ndvi(ds)
    with dask.config.set(scheduler="threads", num_workers=spec["threads"]):
        total, count = dask.compute(nd.sum(), nd.count())
    return {"sum": float(total), "count": int(count), "bounds": list(ds.odc.geobox.boundingbox)}


def _floor(spec: dict[str, Any], case: dict[str, Any]) -> Result:
    """Hand-written: rasterio reads strips of whole tile rows (both bands in one read), 2 threads."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import rasterio
    from rasterio.windows import Window

    url = "/vsicurl/" + spec["signed_href"]
    level = case["level"]
    r0, c0, h, w = case["level_window"]
    tile = spec["tile"]
    strips = [(r, min(h + r0, (r // tile + 1) * tile)) for r in
              [r0, *range((r0 // tile + 1) * tile, r0 + h, tile)]]
    local = threading.local()
    handles: list[Any] = []
    lock = threading.Lock()

    def strip(rows: tuple[int, int]) -> tuple[float, int]:
        with rasterio.Env(**FLOOR_GDAL_OPTIONS):  # per thread: rasterio's environment is thread-local
            src = getattr(local, "src", None)
            if src is None:
                opts = {"overview_level": level - 1} if level else {}
                src = local.src = rasterio.open(url, **opts)
                with lock:
                    handles.append(src)
            window = Window(c0, rows[0], w, rows[1] - rows[0])
            red, nir = src.read(spec["bands"], window=window).astype(np.float32)
        ok = (red > 0) & (nir > 0)
        return float(((nir[ok] - red[ok]) / (nir[ok] + red[ok])).sum(dtype=np.float64)), int(ok.sum())

    with ThreadPoolExecutor(spec["threads"]) as pool:
        parts = list(pool.map(strip, strips))
    for src in handles:
        src.close()
    t = spec["level_transforms"][level]
    bounds = [t[2] + c0 * t[0], t[5] + (r0 + h) * t[4], t[2] + (c0 + w) * t[0], t[5] + r0 * t[4]]
    return {"sum": sum(p[0] for p in parts), "count": sum(p[1] for p in parts), "bounds": bounds}


def _methods() -> dict[str, Any]:
    from bench import peers

    return {"dinamis": _dinamis, "floor": _floor, **peers.METHODS}


def _run(fn: Any, spec: dict[str, Any], case: dict[str, Any], counters: Counters, start: float) -> Result:
    counters.reset()
    out = fn(spec, case)
    wall = time.perf_counter() - start
    return {**out, **counters.read(), "wall": wall}


def main(argv: list[str]) -> None:
    spec_path, case_name, method = argv
    spec = json.loads(Path(spec_path).read_text())
    case = spec["cases"][case_name]
    counters = Counters()
    fn = _methods()[method]
    result: dict[str, Any] = {"case": case_name, "method": method}
    try:
        fresh = _run(fn, spec, case, counters, PROCESS_START)
        if method == "dinamis":
            from dinamis_widgets.reading.gdal_io import clear_gdal_cache

            clear_gdal_cache()
        forget_remote_files([spec["signed_href"]])
        warm = _run(fn, spec, case, counters, time.perf_counter())
    except Exception as exc:  # a peer that cannot do the case: say why, in the report
        result["skipped"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        emit(result)
        return
    keys = ("wall", "bytes", "requests", "sign_requests")
    result.update({
        "sum": warm["sum"], "count": warm["count"], "bounds": warm["bounds"],
        "mean_ndvi": warm["sum"] / warm["count"] if warm["count"] else None,
        "fresh": {k: fresh[k] for k in keys}, "warm": {k: warm[k] for k in keys},
        "peak_rss_mb": peak_rss_mb(),
    })
    emit(result)


if __name__ == "__main__":
    main(sys.argv[1:])
