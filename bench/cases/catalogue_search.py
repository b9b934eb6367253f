"""Search case: 2,000 items, in a fresh process. ``python bench/cases/catalogue_search.py EXTRA_JSON``

The runner adds :data:`N_ITEMS` (300 with ``--quick``) copies of a SPOT item to the twin's catalogue
(collection :data:`COLLECTION`, footprints on a grid over France, one date each) with
:func:`add_search_items`. The case times, with the toolkit: its import, the first page (100 items,
newest first), every page (``dw.search``), and the footprints ready for the map (the GeoJSON of the
results); and the same search with pystac-client (same page size and order).
"""

from __future__ import annotations

import copy
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import PROCESS_START, emit, peak_rss_mb

COLLECTION = "BENCH_SEARCH"
N_ITEMS = 2000
PAGE = 100


def add_search_items(twin: Any, template: dict[str, Any], n_items: int = N_ITEMS) -> dict[str, Any]:
    """Add ``n_items`` items shaped like ``template`` to the twin's catalogue; each asset href is
    unique (so that signing them is not one cached URL). Returns what the cases need to know."""
    from dinamis_widgets.twin.scenes import DATA_URL_PLACEHOLDER

    base = next(c for c in twin.scenes.collections() if c["id"] == template["collection"])
    collection = json.loads(json.dumps(base).replace(DATA_URL_PLACEHOLDER, twin.data))
    collection.update(id=COLLECTION, title=f"Benchmark: {n_items:,} SPOT items")
    w, s, e, n = template["bbox"]
    start = datetime(2024, 1, 1, 10, 30, tzinfo=UTC)
    items = []
    for i in range(n_items):
        it = copy.deepcopy(template)
        item_id = f"BENCH_{i:04d}_{template['id']}"
        dx, dy = -4.5 + (i % 50) * 0.2 - w, 43.0 + (i // 50) * 0.15 - s  # a 50 x 40 grid over France
        it.update(id=item_id, collection=COLLECTION, bbox=[w + dx, s + dy, e + dx, n + dy], links=[])
        it["geometry"] = {"type": "Polygon", "coordinates": [[
            [w + dx, s + dy], [e + dx, s + dy], [e + dx, n + dy], [w + dx, n + dy], [w + dx, s + dy]]]}
        when = (start + timedelta(hours=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        it["properties"].update(datetime=when, start_datetime=when, end_datetime=when)
        for asset in it["assets"].values():
            asset["href"] = asset["href"].replace(template["id"], item_id)
        items.append(it)
    twin.add_items(items, [collection])
    return {"collection": COLLECTION, "n_items": n_items, "page": PAGE, "stac_api": twin.stac_api}


def main(argv: list[str]) -> None:
    extra = json.loads(argv[0])["search_items"]
    import dinamis_widgets as dw

    search_pages, search = dw.search_pages, dw.search
    out: dict[str, Any] = {"import_s": time.perf_counter() - PROCESS_START}
    t = time.perf_counter()
    first = next(iter(search_pages(collections=[COLLECTION], limit=PAGE, max_items=None)))
    out["first_page_s"] = time.perf_counter() - t
    out["first_page_fresh_s"] = time.perf_counter() - PROCESS_START
    t = time.perf_counter()
    results = search(collections=[COLLECTION], limit=PAGE, max_items=None)
    out["all_pages_s"] = time.perf_counter() - t
    out["items"] = len(results)
    out["pages"] = -(-len(results) // PAGE)
    t = time.perf_counter()
    geojson = json.dumps(results.__geo_interface__)
    out["footprints_geojson_s"] = time.perf_counter() - t
    out["footprints_mb"] = len(geojson) / 1e6
    assert len(first) == PAGE and len(results) == extra["n_items"], (len(first), len(results))

    from pystac_client import Client

    t = time.perf_counter()
    client = Client.open(extra["stac_api"])
    found = client.search(collections=[COLLECTION], limit=PAGE, max_items=None, sortby="-datetime")
    next(iter(found.pages()))
    out["pystac_client_first_page_s"] = time.perf_counter() - t
    t = time.perf_counter()
    found = client.search(collections=[COLLECTION], limit=PAGE, max_items=None, sortby="-datetime")
    collection = found.item_collection()
    out["pystac_client_all_pages_s"] = time.perf_counter() - t
    t = time.perf_counter()
    json.dumps(collection.to_dict())
    out["pystac_client_geojson_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = peak_rss_mb()
    emit(out)


if __name__ == "__main__":
    main(sys.argv[1:])
