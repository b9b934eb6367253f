"""dinamis_widgets: find, sign and stream DINAMIS satellite imagery in Jupyter.

Importing the package is cheap and needs no display: only the typed errors load at once; everything
else (pystac, odc-stac, dask...) loads when first used.

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
import sys
import types
from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    ConfigurationError,
    DinamisError,
    HTTPServiceError,
    LoadError,
    NotSignableError,
    QueryError,
    SearchError,
    SigningError,
    TwinError,
    ValidityError,
)

__version__ = "0.1.0.dev0"

#: Public names loaded on first use: name -> module that defines it.
_LAZY: dict[str, str] = {
    "AOI": "aoi",
    "as_aoi": "aoi",
    "Query": "query",
    "Filter": "query",
    "fetch_queryables": "query",
    "Results": "results",
    "open_catalog": "catalog",
    "search": "search",
    "search_pages": "search",
    "sign": "signer",
    "sign_inplace": "signer",
    "get_signer": "signer",
    "Signer": "signer",
    "signability": "signer",
    "get_settings": "settings",
    "set_settings": "settings",
    "profile_for": "settings",
    "login": "auth",
    "logout": "auth",
    "parse_validity": "validity",
    "load": "load",
    "plan": "load",
    "ndvi": "indices",
    "ndwi": "indices",
    "savi": "indices",
    "normalized_difference": "indices",
    "LoadOptions": "load",
    "pansharpen": "pansharpen",
    "to_cog": "export",
    "to_zarr": "export",
    "to_netcdf": "export",
    "Explorer": "ui.explorer",
}

if TYPE_CHECKING:
    from .aoi import AOI, as_aoi
    from .auth import login, logout
    from .catalog import open_catalog
    from .export import to_cog, to_netcdf, to_zarr
    from .indices import ndvi, ndwi, normalized_difference, savi
    from .load import LoadOptions, load, plan
    from .pansharpen import pansharpen
    from .query import Filter, Query, fetch_queryables
    from .results import Results
    from .search import search, search_pages
    from .settings import get_settings, profile_for, set_settings
    from .signer import Signer, get_signer, sign, sign_inplace, signability
    from .validity import parse_validity

__all__ = [
    "AOI",
    "AuthenticationError",
    "ConfigurationError",
    "DinamisError",
    "Explorer",
    "Filter",
    "HTTPServiceError",
    "LoadError",
    "LoadOptions",
    "NotSignableError",
    "Query",
    "QueryError",
    "Results",
    "SearchError",
    "Signer",
    "SigningError",
    "TwinError",
    "ValidityError",
    "__version__",
    "as_aoi",
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
    "pansharpen",
    "parse_validity",
    "plan",
    "profile_for",
    "savi",
    "search",
    "search_pages",
    "set_settings",
    "sign",
    "sign_inplace",
    "signability",
    "to_cog",
    "to_netcdf",
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


class _Package(types.ModuleType):
    """Keeps ``dinamis_widgets.search`` (and ``load``, ``pansharpen``) the function, not the submodule.

    Importing a submodule sets it as an attribute of its package, which would hide the function of the
    same name (``dw.search(...)`` would then call a module). Here the function takes the place; the
    submodule stays in :data:`sys.modules` (``from dinamis_widgets.search import search_pages`` works).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
