"""Offline twin of the DINAMIS services: STAC API, URL signing and object storage, on 127.0.0.1.

The twin speaks the real protocols (STAC API via stac-fastapi-pgstac, the signing service's
``sign_urls`` and API-key routes, SigV4 presigned URLs, HTTP range requests) over generated scenes, so
the toolkit, its notebooks and its tests run for real without the internet.

Examples
--------
>>> from dinamis_widgets import twin
>>> with twin.start() as t:                       # doctest: +SKIP
...     print(t.stac_api)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import Twin, start

__all__ = ["Twin", "start"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
