"""Signing case: 500 assets (the ``multispectral`` and, where there is one, ``panchromatic`` assets of
the search case's items: 250 or 500 items), in a fresh process. ``python bench/cases/signing.py EXTRA_JSON``

Times ``dw.sign`` and counts the signing service's requests, then signs the same items again (answered
from the signer's cache); then the same with the official SDK (``teledetection.sign``), fresh and again.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Counters, emit, peak_rss_mb

N_ASSETS = 500
ASSETS = ("multispectral", "panchromatic")


def _signed(collection: Any) -> int:
    return sum("X-Amz-Signature=" in a.href for it in collection.items for a in it.assets.values())


def main(argv: list[str]) -> None:
    extra = json.loads(argv[0])["search_items"]
    import pystac

    import dinamis_widgets as dw

    found = dw.search(collections=[extra["collection"]], max_items=N_ASSETS)
    items, n = [], 0
    for item in found.items:
        if n >= N_ASSETS:
            break
        d = item.to_dict()
        d["assets"] = {k: v for k, v in d["assets"].items() if k in ASSETS}
        items.append(pystac.Item.from_dict(d))
        n += len(d["assets"])
    collection = pystac.ItemCollection(items)
    counters = Counters()
    out: dict[str, Any] = {"assets": sum(len(it.assets) for it in items)}
    for tool, sign in (("dinamis", dw.sign), ("teledetection", None)):
        if sign is None:  # the SDK signs only URLs of its storage's domain: point it at the twin's store
            import teledetection
            import teledetection.sdk.signing

            teledetection.sdk.signing.S3_STORAGE_DOMAIN = counters.store.split("://", 1)[1]
            sign = teledetection.sign
        for run in ("first", "again"):
            counters.reset()
            t = time.perf_counter()
            signed = sign(collection)
            out[f"{tool}_{run}_s"] = time.perf_counter() - t
            out[f"{tool}_{run}_requests"] = counters.read()["sign_requests"]
            out[f"{tool}_{run}_signed"] = _signed(signed)
    out["peak_rss_mb"] = peak_rss_mb()
    emit(out)


if __name__ == "__main__":
    main(sys.argv[1:])
