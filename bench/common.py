"""What the benchmark's cases share: the twin's counters, peak memory, and how a case reports.

A case is a script run in a fresh process (``python bench/cases/<case>.py SPEC METHOD ...``) with the
twin's variables in its environment (``DINAMIS_TWIN_DATA``, ``DINAMIS_TWIN_ADMIN_TOKEN``...); it prints
one JSON object on its last line of output.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

#: The checkout holding ``dinamis_widgets`` and ``bench`` (cases run from a checkout).
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))



def _peak_rss_kb() -> int:
    """Peak resident memory of this process (``VmHWM``: unlike ``ru_maxrss``, not inherited from the
    parent through ``fork``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: ru_maxrss, in KB on Linux


#: When the process started, and its peak memory then (a bare interpreter with ``json``): what every
#: case's import time and peak RSS are measured from.
PROCESS_START = time.perf_counter()
BASE_RSS_KB = _peak_rss_kb()

ADMIN_HEADER = "x-twin-admin"  # as dinamis_widgets.twin.config.ADMIN_HEADER (not imported: cases stay light)


class Counters:
    """The object store's and the signing service's counters of the running twin (its control routes)."""

    def __init__(self) -> None:
        import requests

        self._session = requests.Session()
        self._session.headers[ADMIN_HEADER] = os.environ["DINAMIS_TWIN_ADMIN_TOKEN"]
        self.store = os.environ["DINAMIS_TWIN_DATA"].rstrip("/")
        self.signing = os.environ["TLD_SIGNING_ENDPOINT"].rstrip("/")

    def _call(self, method: str, url: str) -> dict[str, Any]:
        r = self._session.request(method, url, timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def reset(self) -> None:
        """Set the store's and the signing service's counters to zero."""
        self._call("POST", f"{self.store}/_twin/stats/reset")
        self._call("POST", f"{self.signing}/_twin/stats/reset")

    def read(self) -> dict[str, int]:
        """Bytes and requests the store served, and signing requests, since :meth:`reset`."""
        store = self._call("GET", f"{self.store}/_twin/stats")
        signing = self._call("GET", f"{self.signing}/_twin/stats")
        return {"bytes": int(store["bytes_served"]), "requests": int(store["requests"]),
                "sign_requests": int(signing["sign_requests"]), "urls_signed": int(signing["urls_signed"])}


def peak_rss_mb() -> float:
    """Peak resident memory of this process above the bare interpreter's, in MB."""
    return (_peak_rss_kb() - BASE_RSS_KB) / 1024


def forget_remote_files(urls: list[str]) -> None:
    """Make GDAL forget what it cached of these URLs (GDAL's ``CPL_VSIL_CURL_NON_CACHED``: a file
    opened under it has its cached data dropped when closed), so that a second run fetches again."""
    import rasterio

    for url in urls:
        path = url if url.startswith("/vsicurl/") else "/vsicurl/" + url
        with rasterio.Env(CPL_VSIL_CURL_NON_CACHED=path), rasterio.open(path):
            pass


def emit(result: dict[str, Any]) -> None:
    """Print a case's result: one JSON line, the last of the output."""
    print(json.dumps(result), flush=True)


def toolkit_chunk(spec: dict[str, Any]) -> int | None:
    """The chunk side ``dw.load`` is given in the bench; None: its own default chunks. Specs written
    before the toolkit had defaults of its own gave every method ``spec["chunk"]``."""
    value = spec.get("toolkit_chunk", spec["chunk"])
    return None if value is None else int(value)
