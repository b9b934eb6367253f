"""Object store of the twin: files under a folder, served over HTTP to valid SigV4 presigned URLs.

``GET`` and ``HEAD`` on ``/<bucket>/<key...>`` answer like S3: ``Accept-Ranges: bytes``,
``Content-Length``, ``ETag``, ``Last-Modified``, ``Content-Type``; one byte range (``bytes=N-M``,
``bytes=N-``, ``bytes=-N``) gives ``206`` with ``Content-Range``; several ranges give ``206``
``multipart/byteranges`` (overlapping ranges merged); an unsatisfiable range gives ``416`` with
``Content-Range: bytes */<size>``; a syntactically invalid ``Range`` header is ignored (``200``), as
RFC 9110 says. Errors are S3-like XML documents (``<Error><Code>...</Code><Message>...``).

Access rules:

- every request needs a valid presigned URL (see :mod:`.sigv4`), checked against the request's
  ``Host`` header, which must also be the host of ``config.data_url``; otherwise ``403``;
- buckets of ``config.public_buckets`` are served without a signature; a request that carries one is
  still checked, as S3 does, so an expired signed URL of a public object is refused too;
- ``404 NoSuchKey`` is only answered once the signature is valid, so unsigned callers learn nothing
  about which objects exist;
- keys with empty, ``.`` or ``..`` segments (also percent-encoded), backslashes or NUL are refused
  (``403``) before any file system access; a key resolving outside ``data_root`` (symbolic links) is
  ``404``.

The store counts requests and bytes (:class:`StoreState`) and injects faults on demand
(:class:`Fault`): latency, ``5xx`` answers, connection resets, truncated bodies and a bandwidth
throttle. Both are driven from Python or over HTTP by the control routes under ``/_twin/``
(``x-twin-admin`` header), so that tests in another process can use them.

Examples
--------
>>> from dinamis_widgets.twin.config import ServicesConfig
>>> config = ServicesConfig(data_root="/tmp", data_url="http://127.0.0.1:9000",
...                         signing_url="http://127.0.0.1:9001/")
>>> app = create_store_app(config)
>>> store_state(app).add_fault(Fault(kind="error", status=503, count=2, match="SCENE1"))
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hmac
import logging
import os
import re
import secrets
import socket
import struct
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from .config import ServicesConfig
from .sigv4 import (
    VerifyStatus,
    canonical_host,
    install_log_masking,
    mask_url,
    parse_query,
    verify,
)

__all__ = [
    "CONTROL_PREFIX",
    "Fault",
    "FaultKind",
    "StoreState",
    "create_store_app",
    "store_state",
]

log = logging.getLogger(__name__)

#: Prefix of the control routes (statistics, faults, health).
CONTROL_PREFIX = "/_twin/"
#: Header carrying ``config.admin_token`` on control routes.
ADMIN_HEADER = "x-twin-admin"

_OBJECT_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
_ERROR_CODES = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    502: ("BadGateway", "Bad gateway."),
    503: ("SlowDown", "Please reduce your request rate."),
    504: ("GatewayTimeout", "Gateway timeout."),
}
_DENIALS = {
    VerifyStatus.UNSIGNED: (
        "AccessDenied",
        "Access Denied: this object is only served to a presigned URL; ask the signing service "
        "to sign it",
    ),
    VerifyStatus.MALFORMED: ("AuthorizationQueryParametersError", ""),
    VerifyStatus.UNKNOWN_KEY: (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    ),
    VerifyStatus.WRONG_SCOPE: ("AuthorizationQueryParametersError", ""),
    VerifyStatus.EXPIRED: ("AccessDenied", "Request has expired"),
    VerifyStatus.NOT_YET_VALID: ("AccessDenied", "Request is not valid yet"),
    VerifyStatus.SIGNATURE_MISMATCH: (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    ),
}
_RANGE_SPEC = re.compile(r"^(?:(\d+)-(\d*)|-(\d+))$")


# --------------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------------


class FaultKind(enum.StrEnum):
    """Kinds of faults the store can inject."""

    LATENCY = "latency"
    ERROR = "error"
    RESET = "reset"
    TRUNCATE = "truncate"
    THROTTLE = "throttle"


@dataclass
class Fault:
    """One fault to inject in the responses of the store.

    Parameters
    ----------
    kind
        ``latency`` (wait ``seconds`` before answering), ``error`` (answer ``status`` with an S3
        error document and ``Retry-After``), ``reset`` (reset the TCP connection: before answering
        when ``after_bytes`` is None, else after the headers and ``after_bytes`` body bytes),
        ``truncate`` (declare the full ``Content-Length``, send ``after_bytes`` body bytes, or half
        the body when None, then close the connection), ``throttle`` (send the body at ``rate``
        bytes per second).
    match
        Substring of the request path the fault applies to; empty matches every object request.
    count
        How many matching requests the fault applies to; None for every one until cleared.
    seconds
        Latency added, for ``latency``.
    status, retry_after
        Status code and ``Retry-After`` header (seconds, None for none), for ``error``.
    after_bytes
        Body bytes sent before a ``reset`` or ``truncate``.
    rate
        Bytes per second, for ``throttle``.
    """

    kind: FaultKind | str
    match: str = ""
    count: int | None = None
    seconds: float = 0.0
    status: int = 503
    retry_after: int | None = 1
    after_bytes: int | None = None
    rate: float = 0.0

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or None for every request)")
        if self.kind is FaultKind.ERROR and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.kind is FaultKind.THROTTLE and self.rate <= 0:
            raise ValueError("rate must be a positive number of bytes per second")
        if self.seconds < 0 or (self.after_bytes is not None and self.after_bytes < 0):
            raise ValueError("seconds and after_bytes must not be negative")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from its JSON form (the keys are the parameters)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of the fault."""
        data = asdict(self)
        data["kind"] = str(self.kind)
        return data

    @property
    def terminal(self) -> bool:
        """Whether the fault answers in place of the store (error, reset before the answer)."""
        return self.kind is FaultKind.ERROR or (
            self.kind is FaultKind.RESET and self.after_bytes is None
        )


# --------------------------------------------------------------------------------------------------
# State: counters and faults
# --------------------------------------------------------------------------------------------------


class StoreState:
    """Counters and faults of one store; safe to use from another thread than the server's.

    Counters cover object requests only, never the control routes. A request whose connection was
    reset before any answer is counted with status ``0``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.reset()

    # counters ------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Set every counter back to zero (faults are kept)."""
        with self._lock:
            self._requests = 0
            self._range_requests = 0
            self._bytes = 0
            self._by_status: Counter[int] = Counter()
            self._by_method: Counter[str] = Counter()
            self._paths: Counter[str] = Counter()

    def record_request(self, method: str, path: str, *, has_range: bool) -> None:
        """Count one object request."""
        with self._lock:
            self._requests += 1
            self._by_method[method] += 1
            self._paths[path] += 1
            self._range_requests += int(has_range)

    def record_status(self, status: int) -> None:
        """Count one answer with ``status``."""
        with self._lock:
            self._by_status[status] += 1

    def record_bytes(self, n: int) -> None:
        """Count ``n`` body bytes sent."""
        with self._lock:
            self._bytes += n

    def stats(self) -> dict[str, Any]:
        """Return a snapshot of the counters.

        Returns
        -------
        dict
            ``requests``, ``range_requests``, ``bytes_served`` (body bytes actually sent),
            ``by_status`` (status to count), ``by_method`` and ``paths`` (decoded path to count).
        """
        with self._lock:
            return {
                "requests": self._requests,
                "range_requests": self._range_requests,
                "bytes_served": self._bytes,
                "by_status": dict(self._by_status),
                "by_method": dict(self._by_method),
                "paths": dict(self._paths),
            }

    # faults --------------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Add a fault after the current ones."""
        with self._lock:
            self._faults.append(fault)

    def set_faults(self, faults: list[Fault]) -> None:
        """Replace every fault."""
        with self._lock:
            self._faults = list(faults)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self.set_faults([])

    def faults(self) -> list[Fault]:
        """Return the active faults (``count`` is what remains)."""
        with self._lock:
            return list(self._faults)

    def take_faults(self, path: str) -> list[Fault]:
        """Return the faults that apply to a request on ``path``, and use up their counts.

        Faults are taken in order; the first terminal one (error, reset before answering) ends the
        list, so later faults keep their counts.
        """
        taken: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if fault.match and fault.match not in path:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                taken.append(fault)
                if fault.terminal:
                    break
        return taken


def store_state(app: Starlette) -> StoreState:
    """Return the :class:`StoreState` of an app made by :func:`create_store_app`."""
    state: StoreState = app.state.twin
    return state


# --------------------------------------------------------------------------------------------------
# Connection control (resets, truncation)
# --------------------------------------------------------------------------------------------------


class _ConnectionKilledError(Exception):
    """Raised to make the server drop a connection when the transport cannot be reached."""


class _Connection:
    """The server's view of one HTTP connection, reached through uvicorn's ``send``.

    uvicorn passes the bound method ``RequestResponseCycle.send``; its object holds the transport.
    With another server, resets and truncations fall back to raising an exception, which makes the
    server close the connection (or answer 500 when nothing was sent yet).
    """

    def __init__(self, send: Send) -> None:
        self._cycle = getattr(send, "__self__", None)
        self._transport: asyncio.Transport | None = getattr(self._cycle, "transport", None)

    def reset(self) -> None:
        """Reset the connection (TCP RST, no graceful close)."""
        if self._transport is None:
            raise _ConnectionKilledError("simulated connection reset")
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._transport.abort()

    def close(self) -> None:
        """Close the connection after what was written is flushed (TCP FIN)."""
        if self._transport is None:
            raise _ConnectionKilledError("simulated truncated body")
        self._transport.close()

    async def wait_closed(self, timeout: float = 2.0) -> None:
        """Wait until the server has seen the connection go, so that it does not log an error."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not getattr(self._cycle, "disconnected", True) and loop.time() < deadline:
            await asyncio.sleep(0.01)


class _ResponseTap:
    """Wraps ``send``: counts status and body bytes, and applies body faults.

    Parameters
    ----------
    send
        The server's ``send``.
    state
        Where to count.
    faults
        The non-terminal faults of this request.
    connection
        To reset or close the connection.
    count_body
        False for HEAD requests, whose body the server drops.
    """

    def __init__(
        self,
        send: Send,
        state: StoreState,
        faults: list[Fault],
        connection: _Connection,
        *,
        count_body: bool,
    ) -> None:
        self._send = send
        self._state = state
        self._connection = connection
        self._count_body = count_body
        self._sent = 0
        self._cut_at: int | None = None
        self._cut_resets = False
        self.dead = False
        self._reset = next((f for f in faults if f.kind is FaultKind.RESET), None)
        self._truncate = next((f for f in faults if f.kind is FaultKind.TRUNCATE), None)
        rates = [f.rate for f in faults if f.kind is FaultKind.THROTTLE]
        self._rate = min(rates) if rates else None

    async def __call__(self, message: Message) -> None:
        if self.dead:
            return
        if message["type"] == "http.response.start":
            await self._start(message)
        elif message["type"] == "http.response.body":
            await self._body(message)
        else:
            await self._send(message)

    async def _start(self, message: Message) -> None:
        """Count the status and work out where to cut the body."""
        self._state.record_status(int(message["status"]))
        length = _content_length(message)
        cuts: list[tuple[int, bool]] = []  # (body bytes to send, whether to reset)
        if self._reset is not None and self._reset.after_bytes is not None:
            cuts.append((self._reset.after_bytes, True))
        if self._truncate is not None and length:
            keep = length // 2 if self._truncate.after_bytes is None else self._truncate.after_bytes
            cuts.append((min(keep, length - 1), False))
        if cuts:
            self._cut_at, self._cut_resets = min(cuts)
        await self._send(message)
        if self._cut_at == 0:
            await self._kill()

    async def _body(self, message: Message) -> None:
        """Send a body chunk, throttled and cut as the faults say."""
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        cut = False
        if self._cut_at is not None and self._sent + len(body) >= self._cut_at:
            body, cut = body[: self._cut_at - self._sent], True
        if self._rate is None:
            await self._forward(body, more or cut)
        else:
            await self._throttled(body, more or cut)
        if cut:
            await self._kill()

    async def _forward(self, body: bytes, more: bool) -> None:
        """Count one chunk, then send it.

        Counting first means that once a client has the bytes, the counters include them (the
        server thread could otherwise count after the test has read the counters).
        """
        self._sent += len(body)
        if self._count_body:
            self._state.record_bytes(len(body))
        await self._send({"type": "http.response.body", "body": body, "more_body": more})

    async def _throttled(self, body: bytes, more: bool) -> None:
        """Send a chunk in slices, sleeping so that the rate is kept."""
        assert self._rate is not None
        piece = max(1, int(self._rate / 20))
        slices = [body[i : i + piece] for i in range(0, len(body), piece)] or [b""]
        for i, part in enumerate(slices):
            await self._forward(part, more or i < len(slices) - 1)
            await asyncio.sleep(len(part) / self._rate)

    async def _kill(self) -> None:
        """Reset (fault ``reset``) or close (fault ``truncate``) the connection."""
        self.dead = True
        if self._cut_resets:
            self._connection.reset()
        else:
            self._connection.close()


def _content_length(message: Message) -> int | None:
    """Read ``Content-Length`` from an ``http.response.start`` message."""
    for name, value in message.get("headers", []):
        if name.lower() == b"content-length":
            return int(value)
    return None


# --------------------------------------------------------------------------------------------------
# S3-like answers
# --------------------------------------------------------------------------------------------------


def _s3_error(
    code: str,
    message: str,
    status: int,
    resource: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    """Return an S3-like XML error document."""
    request_id = secrets.token_hex(8).upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(resource)}</Resource><RequestId>{request_id}</RequestId></Error>"
    )
    all_headers = {"x-amz-request-id": request_id, **(headers or {})}
    return Response(body, status_code=status, media_type="application/xml", headers=all_headers)


def _key_parts(path: str) -> list[str] | None:
    """Split ``/<bucket>/<key...>`` into segments; None when the path could escape the root."""
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None
    parts = path[1:].split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return parts


def _resolve_object(root: Path, parts: list[str]) -> tuple[Path, os.stat_result] | None:
    """Return the file of a key and its status, or None if missing or outside ``root``."""
    try:
        resolved = root.joinpath(*parts).resolve(strict=True)
        if not resolved.is_relative_to(root):
            return None
        status = resolved.stat()
    except (OSError, RuntimeError, ValueError):
        return None
    if not resolved.is_file():
        return None
    return resolved, status


def _plan_range(header: str | None, size: int) -> tuple[str | None, bool]:
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


class _ObjectResponse(FileResponse):
    """A :class:`FileResponse` that reads its ``Range`` from :func:`_plan_range`, not the request."""

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


# --------------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------------


def _denial(request: Request, config: ServicesConfig, resource: str) -> Response | None:
    """Check the presigned URL of a request; return the 403 answer, or None when valid."""
    result = verify(
        request.method,
        request.scope["path"],
        request.scope["query_string"].decode("latin-1"),
        request.headers.get("host", ""),
        credentials={config.storage_access_key: config.storage_secret_key},
    )
    if result.ok:
        expected = canonical_host(config.data_url)
        if canonical_host(request.headers.get("host", ""), request.url.scheme) == expected:
            return None
        code, message = "AccessDenied", f"Access Denied: this store answers on {expected} only"
    else:
        code, message = _DENIALS[result.status]
        message = message or result.message
    log.debug("refused %s %s: %s", request.method, mask_url(str(request.url)), result.message)
    return _s3_error(code, message, 403, resource)


async def _serve_object(request: Request) -> Response:
    """``GET``/``HEAD`` ``/<bucket>/<key...>``."""
    config: ServicesConfig = request.app.state.config
    path = request.scope["path"]
    if request.method not in ("GET", "HEAD"):
        return _s3_error("MethodNotAllowed", "This twin store is read-only (GET and HEAD).", 405,
                         path, headers={"Allow": "GET, HEAD"})
    parts = _key_parts(path)
    if parts is None or len(parts) < 2:
        return _s3_error("AccessDenied", "Access Denied: not an object key", 403, path)
    query = parse_query(request.scope["query_string"].decode("latin-1"))
    has_signature = any(name.lower().startswith("x-amz-") for name, _ in query)
    if parts[0] not in config.public_buckets or has_signature:
        denial = _denial(request, config, path)
        if denial is not None:
            return denial
    found = _resolve_object(request.app.state.root, parts)
    if found is None:
        return _s3_error("NoSuchKey", "The specified key does not exist.", 404, path)
    file, status = found
    range_header, unsatisfiable = _plan_range(request.headers.get("range"), status.st_size)
    if unsatisfiable:
        return _s3_error("InvalidRange", "The requested range is not satisfiable", 416, path,
                         headers={"Content-Range": f"bytes */{status.st_size}"})
    headers = {"x-amz-request-id": secrets.token_hex(8).upper()}
    return _ObjectResponse(file, status, range_header, headers)


def _is_admin(request: Request) -> bool:
    """Whether the request carries the admin token (constant-time comparison)."""
    token = request.headers.get(ADMIN_HEADER, "")
    expected: str = request.app.state.config.admin_token
    return hmac.compare_digest(token.encode(), expected.encode())


def _admin_only(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a control route so that it answers 403 without the admin header."""

    async def guarded(request: Request) -> Response:
        if not _is_admin(request):
            return JSONResponse(
                {"detail": f"control routes need the header {ADMIN_HEADER}: <admin token>"},
                status_code=403,
            )
        return await handler(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


async def _health(request: Request) -> Response:
    """``GET /_twin/health``: liveness, without authentication."""
    return JSONResponse({"status": "ok", "service": "store"})


async def _get_stats(request: Request) -> Response:
    """``GET /_twin/stats``: the counters."""
    return JSONResponse(store_state(request.app).stats())


async def _reset_stats(request: Request) -> Response:
    """``POST /_twin/stats/reset``: counters back to zero."""
    state = store_state(request.app)
    state.reset()
    return JSONResponse(state.stats())


async def _get_faults(request: Request) -> Response:
    """``GET /_twin/faults``: the active faults."""
    return JSONResponse({"faults": [f.to_dict() for f in store_state(request.app).faults()]})


async def _post_faults(request: Request) -> Response:
    """``POST /_twin/faults``: add faults.

    The body is one fault (``{"kind": "error", "status": 503, "count": 2, "match": "SCENE1"}``) or
    ``{"faults": [...], "replace": true}``; ``replace`` (default false) removes the others first.
    """
    state = store_state(request.app)
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        replace = bool(body.pop("replace", False))
        items = body.get("faults", [body])
        new = [Fault.from_dict(dict(item)) for item in items]
    except (ValueError, TypeError, KeyError) as exc:
        return JSONResponse({"detail": f"invalid fault: {exc}"}, status_code=400)
    if replace:
        state.set_faults(new)
    else:
        for fault in new:
            state.add_fault(fault)
    return await _get_faults(request)


async def _delete_faults(request: Request) -> Response:
    """``DELETE /_twin/faults``: remove every fault."""
    store_state(request.app).clear_faults()
    return await _get_faults(request)


class _StoreApp(Starlette):
    """The store's Starlette app, with counters and faults wrapped around object requests."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await super().__call__(scope, receive, send)
            return
        await self._instrumented(scope, receive, send)

    async def _instrumented(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve an object request with counters and faults."""
        state: StoreState = self.state.twin
        headers = dict(scope["headers"])
        method = scope["method"]
        state.record_request(method, scope["path"], has_range=b"range" in headers)
        faults = state.take_faults(scope["path"])
        delay = sum(f.seconds for f in faults if f.kind is FaultKind.LATENCY)
        if delay:
            await asyncio.sleep(delay)
        connection = _Connection(send)
        if faults and faults[-1].terminal:
            await self._terminal_fault(faults[-1], scope, receive, send, connection)
            return
        tap = _ResponseTap(send, state, faults, connection, count_body=method != "HEAD")
        try:
            await super().__call__(scope, receive, tap)
        except _ConnectionKilledError:
            raise
        except Exception:
            if not tap.dead:
                raise
        if tap.dead:
            await connection.wait_closed()

    async def _terminal_fault(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send, connection: _Connection
    ) -> None:
        """Answer an error, or reset the connection, in place of the store."""
        state: StoreState = self.state.twin
        if fault.kind is FaultKind.RESET:
            state.record_status(0)
            connection.reset()
            await connection.wait_closed()
            return
        code, message = _ERROR_CODES.get(fault.status, ("ServiceUnavailable", "Service unavailable."))
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        response = _s3_error(code, message, fault.status, scope["path"], headers)
        state.record_status(fault.status)
        if scope["method"] != "HEAD":
            state.record_bytes(len(response.body))
        await response(scope, receive, send)


def create_store_app(config: ServicesConfig, state: StoreState | None = None) -> Starlette:
    """Create the object store.

    Parameters
    ----------
    config
        ``data_root`` (served folder), ``data_url`` (its host is the only one accepted),
        ``storage_access_key``/``storage_secret_key`` (to check signatures), ``public_buckets`` and
        ``admin_token`` (control routes).
    state
        Counters and faults; a new :class:`StoreState` by default. Also reachable as
        ``store_state(app)``.

    Returns
    -------
    starlette.applications.Starlette
        The ASGI app. Control routes: ``GET /_twin/health`` (no authentication); with the header
        ``x-twin-admin: <admin token>``: ``GET /_twin/stats``, ``POST /_twin/stats/reset``,
        ``GET|POST|DELETE /_twin/faults``. Everything else is an object path.
    """
    install_log_masking()
    routes = [
        Route(CONTROL_PREFIX + "health", _health, methods=["GET"]),
        Route(CONTROL_PREFIX + "stats", _admin_only(_get_stats), methods=["GET"]),
        Route(CONTROL_PREFIX + "stats/reset", _admin_only(_reset_stats), methods=["POST"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_get_faults), methods=["GET"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_post_faults), methods=["POST"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_delete_faults), methods=["DELETE"]),
        Route("/{path:path}", _serve_object, methods=_OBJECT_METHODS),
    ]
    app = _StoreApp(routes=routes)
    app.state.config = config
    app.state.root = Path(config.data_root).resolve()
    app.state.twin = state if state is not None else StoreState()
    return app
