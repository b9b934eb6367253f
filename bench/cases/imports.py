"""Import case: what ``import dinamis_widgets`` costs, in a fresh process.

``python bench/cases/imports.py {}``.

Times ``import dinamis_widgets`` and then the first use of ``dw.search``, ``dw.sign`` and ``dw.load``
(exported lazily), counting the modules each step pulls in, and names the heavy packages loaded
after the import and after ``dw.load``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import emit, peak_rss_mb

HEAVY = ("numpy", "pandas", "xarray", "dask", "rasterio", "odc", "pystac", "pystac_client", "shapely",
         "pyproj", "requests", "ipywidgets", "ipyleaflet", "geopandas", "scipy", "matplotlib")


def _heavy() -> list[str]:
    return [name for name in HEAVY if name in sys.modules]


def main() -> None:
    out: dict[str, object] = {}
    before = len(sys.modules)
    t = time.perf_counter()
    import dinamis_widgets as dw

    out["import_s"] = time.perf_counter() - t
    out["import_modules"] = len(sys.modules) - before
    out["heavy_after_import"] = " ".join(_heavy()) or "none"
    for name in ("search", "sign", "load"):
        before = len(sys.modules)
        t = time.perf_counter()
        getattr(dw, name)
        out[f"dw.{name}_s"] = time.perf_counter() - t
        out[f"dw.{name}_modules"] = len(sys.modules) - before
    out["heavy_after_load"] = " ".join(_heavy())
    out["modules_total"] = len(sys.modules)
    out["peak_rss_mb"] = peak_rss_mb()
    emit(out)


if __name__ == "__main__":
    main()
