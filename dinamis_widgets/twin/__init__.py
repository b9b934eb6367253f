"""Offline twin of the DINAMIS services: STAC API, URL signing and object storage, on 127.0.0.1.

The twin speaks the real protocols (STAC API via stac-fastapi-pgstac, the signing service's
``sign_urls`` and API-key routes, SigV4 presigned URLs, HTTP range requests) over generated scenes, so
the toolkit, its notebooks and its tests run for real without the internet.

Examples
--------
:func:`start` starts a twin and points this process's settings at it until it stops (see its example);
``dinamis-widgets twin`` serves one for other processes and prints the variables to export. While one
runs, the toolkit finds, signs and reads on it, offline:

>>> import requests
>>> import dinamis_widgets as dw
>>> items = dw.search(collections=["SPOT67_HCF_GS1"], bbox=(-0.97, 45.93, -0.95, 45.95),
...                   filters={"processing:level": "ORTHO"})                  # its STAC API
>>> href = items[0].assets["multispectral"].href
>>> requests.head(href, timeout=10).status_code                     # its store serves signed URLs only
403
>>> signed = dw.sign(items[0]).assets["multispectral"].href        # signed by its signing service
>>> requests.get(signed, headers={"Range": "bytes=0-1"}, timeout=10).content   # a TIFF
b'II'
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
