"""dinamis_widgets: find, sign and stream DINAMIS satellite imagery in Jupyter.

Importing the package is cheap and needs no display: only the typed errors and warnings load at once;
everything else (pystac, odc-stac, dask...) loads when first used.

Examples
--------
>>> import dinamis_widgets as dw
>>> q = dw.Query("SPOT67_HCF_GS1", datetime=("2025-06-01", None), filters={"eo:cloud_cover": ("<=", 20)})
>>> q.datetime_interval
'2025-06-01T00:00:00Z/..'

With a catalogue (``dinamis_widgets.twin.start()`` points the settings at the offline twin)::

    results = dw.search(q)                  # an ItemCollection, newest first
    results.to_dataframe()
    ds = dw.load(results, bands=["red", "nir"], aoi=...)
    ndvi = dw.ndvi(ds).compute()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    ConfigurationError,
    CubeTooLargeError,
    DinamisError,
    ExportError,
    HTTPServiceError,
    InputError,
    LoadError,
    MissingBandError,
    NoMaskError,
    NotSignableError,
    QueryError,
    SearchError,
    SigningError,
    TwinError,
    ValidityError,
)
from .warnings import (
    AOIWarning,
    BandOrderWarning,
    DinamisWarning,
    NoMaskWarning,
    NotSignableWarning,
    QueryWarning,
    SearchWarning,
    UnverifiedProductWarning,
)

__version__ = "0.1.0.dev0"

#: Public names loaded on first use: name -> module that defines it.
_LAZY: dict[str, str] = {
    "AOI": "catalog.aoi",
    "as_aoi": "catalog.aoi",
    "Query": "catalog.query",
    "Filter": "catalog.filters",
    "fetch_queryables": "catalog.queryables",
    "Results": "catalog.results",
    "open_catalog": "catalog.client",
    "search": "catalog.searching",
    "search_pages": "catalog.searching",
    "sign": "signing.dispatch",
    "sign_inplace": "signing.dispatch",
    "get_signer": "signing.registry",
    "Signer": "signing.client",
    "signability": "signing.rules",
    "explain_signability": "signing.rules",
    "get_settings": "settings",
    "set_settings": "settings",
    "profile_for": "settings",
    "login": "signing.credentials",
    "logout": "signing.credentials",
    "parse_validity": "signing.validity",
    "load": "reading.loading",
    "plan": "reading.planning",
    "ndvi": "analysis.indices",
    "to_vrt": "analysis.gis_handoff",
    "to_qlr": "analysis.gis_handoff",
    "otb_line": "analysis.gis_handoff",
    "render_view": "analysis.rendering",
    "ndwi": "analysis.indices",
    "savi": "analysis.indices",
    "normalized_difference": "analysis.indices",
    "LoadOptions": "reading.options",
    "pansharpen": "analysis.sharpening",
    "to_cog": "analysis.export",
    "to_zarr": "analysis.export",
    "to_netcdf": "analysis.export",
    "Explorer": "ui.explorer",
}

if TYPE_CHECKING:
    from .analysis.export import to_cog, to_netcdf, to_zarr
    from .analysis.gis_handoff import otb_line, to_qlr, to_vrt
    from .analysis.indices import ndvi, ndwi, normalized_difference, savi
    from .analysis.rendering import render_view
    from .analysis.sharpening import pansharpen
    from .catalog.aoi import AOI, as_aoi
    from .catalog.client import open_catalog
    from .catalog.filters import Filter
    from .catalog.query import Query
    from .catalog.queryables import fetch_queryables
    from .catalog.results import Results
    from .catalog.searching import search, search_pages
    from .reading.loading import load
    from .reading.options import LoadOptions
    from .reading.planning import plan
    from .settings import get_settings, profile_for, set_settings
    from .signing.client import Signer
    from .signing.credentials import login, logout
    from .signing.dispatch import sign, sign_inplace
    from .signing.registry import get_signer
    from .signing.rules import explain_signability, signability
    from .signing.validity import parse_validity

__all__ = [
    "AOI",
    "AOIWarning",
    "AuthenticationError",
    "BandOrderWarning",
    "ConfigurationError",
    "CubeTooLargeError",
    "DinamisError",
    "DinamisWarning",
    "Explorer",
    "ExportError",
    "Filter",
    "HTTPServiceError",
    "InputError",
    "LoadError",
    "LoadOptions",
    "MissingBandError",
    "NoMaskError",
    "NoMaskWarning",
    "NotSignableError",
    "NotSignableWarning",
    "Query",
    "QueryError",
    "QueryWarning",
    "Results",
    "SearchError",
    "SearchWarning",
    "Signer",
    "SigningError",
    "TwinError",
    "UnverifiedProductWarning",
    "ValidityError",
    "__version__",
    "as_aoi",
    "explain_signability",
    "fetch_queryables",
    "get_settings",
    "get_signer",
    "load",
    "login",
    "logout",
    "ndvi",
    "ndwi",
    "normalized_difference",
    "open_catalog",
    "otb_line",
    "pansharpen",
    "parse_validity",
    "plan",
    "profile_for",
    "render_view",
    "savi",
    "search",
    "search_pages",
    "set_settings",
    "sign",
    "sign_inplace",
    "signability",
    "to_cog",
    "to_netcdf",
    "to_qlr",
    "to_vrt",
    "to_zarr",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{module_name}", __name__)
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

