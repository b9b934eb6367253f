"""Route the JSON-schema downloads of STAC validators to local copies; block every other remote URL.

Validators (stac-api-validator, stac-validator, stac-check, pystac) fetch schemas with ``requests`` or
``urllib``. :func:`offline_schemas` patches both for the duration of a ``with`` block:

- ``https://schemas.stacspec.org/v1.1.0/.../<file>.json`` -> pystac's bundled core schemas;
- ``https://geojson.org/schema/<file>.json`` -> pystac's bundled GeoJSON schemas;
- ``https://stac-extensions.github.io/<name>/<version>/schema.json`` -> ``tests/schemas/`` (copied
  from ``shared/stac-schemas``);
- loopback URLs go through untouched; any other URL raises ``ConnectionError`` at once, so a test can
  never depend on the internet (nor hang on it).
"""

from __future__ import annotations

import contextlib
import io
import re
import urllib.request
import urllib.response
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pystac.validation.jsonschemas as _pystac_schemas
import requests
import requests.adapters

HERE = Path(__file__).parent
PYSTAC_SCHEMAS = Path(_pystac_schemas.__file__).parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

_CORE = re.compile(r"^https?://schemas\.stacspec\.org/(v[^/]+)/(?:[a-z-]+/)*([A-Za-z-]+\.json)$")
_GEOJSON = re.compile(r"^https?://geojson\.org/schema/([A-Za-z]+\.json)$")
_EXT = re.compile(r"^https?://stac-extensions\.github\.io/([a-z0-9-]+)/(v[^/]+)/schema\.json$")


def local_schema(url: str) -> Path | None:
    """The local file standing for a schema URL, or None."""
    url = url.split("#", 1)[0]
    if m := _CORE.match(url):
        p = PYSTAC_SCHEMAS / "stac-spec" / m.group(1) / m.group(2)
        return p if p.exists() else None
    if m := _GEOJSON.match(url):
        p = PYSTAC_SCHEMAS / "geojson" / m.group(1)
        return p if p.exists() else None
    if m := _EXT.match(url):
        p = HERE / "schemas" / m.group(1) / m.group(2) / "schema.json"
        return p if p.exists() else None
    return None


def _is_loopback(url: str) -> bool:
    return (urlparse(url).hostname or "") in LOOPBACK


class _SchemaHandler(urllib.request.BaseHandler):
    """urllib handler answering schema URLs from disk and refusing other remote URLs."""

    handler_order = 100  # before the default HTTP(S) handlers

    def _open(self, req: urllib.request.Request) -> Any:
        url = req.full_url
        if _is_loopback(url):
            return None  # let the normal handler do it
        path = local_schema(url)
        if path is None:
            raise ConnectionError(f"blocked non-loopback URL in tests: {url}")
        headers = Message()
        headers["Content-Type"] = "application/json"
        return urllib.response.addinfourl(io.BytesIO(path.read_bytes()), headers, url, 200)

    http_open = _open
    https_open = _open


@contextlib.contextmanager
def offline_schemas() -> Iterator[list[str]]:
    """Patch ``requests`` and ``urllib`` so schemas come from disk; yield the list of URLs served."""
    served: list[str] = []
    original_send = requests.adapters.HTTPAdapter.send

    def send(self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest,
             *args: Any, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if _is_loopback(url):
            return original_send(self, request, *args, **kwargs)
        path = local_schema(url)
        if path is None:
            raise requests.ConnectionError(f"blocked non-loopback URL in tests: {url}")
        served.append(url)
        resp = requests.Response()
        resp.status_code = 200
        resp._content = path.read_bytes()
        resp.headers["Content-Type"] = "application/json"
        resp.url = url
        resp.request = request
        return resp

    previous_opener = urllib.request._opener  # type: ignore[attr-defined]
    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    urllib.request.install_opener(urllib.request.build_opener(_SchemaHandler()))
    try:
        yield served
    finally:
        requests.adapters.HTTPAdapter.send = original_send  # type: ignore[method-assign]
        urllib.request.install_opener(previous_opener)  # type: ignore[arg-type]
