"""``Range`` requests on the store's objects (RFC 9110, section 14).

One byte range (``bytes=N-M``, ``bytes=N-``, ``bytes=-N``) gives ``206`` with ``Content-Range``;
several give ``206`` ``multipart/byteranges`` (overlapping ranges merged); an unsatisfiable range gives
``416``; a syntactically invalid header is ignored (``200``).

Examples
--------
>>> plan_range("bytes=0-99", 1000)
('bytes=0-99', False)
>>> plan_range("bytes=0-9, 5000-", 1000)
('bytes=0-9', False)
>>> plan_range("bytes=5000-", 1000)
(None, True)
>>> plan_range("bytes=9-0", 1000)
(None, False)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

__all__ = ["ObjectResponse", "plan_range"]

_RANGE_SPEC = re.compile(r"^(?:([0-9]+)-([0-9]*)|-([0-9]+))$")


def plan_range(header: str | None, size: int) -> tuple[str | None, bool]:
    """Decide what to do with a ``Range`` header (RFC 9110, section 14).

    Returns
    -------
    (str or None, bool)
        The ``Range`` value to hand to the file response (None: answer the whole object) and
        whether the range is unsatisfiable (416). Invalid headers are ignored; unsatisfiable parts
        of a multi-range request are dropped.
    """
    if header is None:
        return None, False
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None, False
    satisfiable: list[str] = []
    for raw in specs.split(","):
        spec = raw.strip()
        match = _RANGE_SPEC.match(spec)
        if match is None:
            return None, False
        first, last, suffix = match.groups()
        if first is not None and last and int(last) < int(first):
            return None, False
        if first is not None:
            if int(first) < size:
                satisfiable.append(spec)
        elif int(suffix) > 0 and size > 0:
            satisfiable.append(spec)
    if not satisfiable:
        return None, True
    return "bytes=" + ",".join(satisfiable), False


class ObjectResponse(FileResponse):
    """A :class:`FileResponse` that reads its ``Range`` from :func:`plan_range`, not the request."""

    def __init__(self, path: Path, stat_result: os.stat_result, range_header: str | None,
                 headers: dict[str, str]) -> None:
        super().__init__(path, stat_result=stat_result, headers=headers)
        self._range_header = range_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"range", b"if-range")]
        if self._range_header is not None:
            raw.append((b"range", self._range_header.encode("latin-1")))
            if_range = Request(scope).headers.get("if-range")
            if if_range is not None:
                raw.append((b"if-range", if_range.encode("latin-1")))
        await super().__call__({**scope, "headers": raw}, receive, send)
