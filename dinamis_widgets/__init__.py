"""dinamis_widgets: find, sign and stream DINAMIS satellite imagery in Jupyter.

Importing the package is cheap: heavy dependencies load when first used.
"""

from __future__ import annotations

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

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "DinamisError",
    "HTTPServiceError",
    "LoadError",
    "NotSignableError",
    "QueryError",
    "SearchError",
    "SigningError",
    "TwinError",
    "ValidityError",
    "__version__",
]
