"""The store's hold on one HTTP connection: counting what is sent, throttling, resets and truncations.

:class:`ResponseTap` wraps the server's ``send`` for one object request: it counts the status and
the body bytes in the :class:`.StoreState`, and applies the request's non-terminal faults (throttle,
reset or truncation after some bytes) through :class:`Connection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

from starlette.types import Message, Send

from .faults import Fault, FaultKind
from .state import StoreState

__all__ = ["Connection", "ConnectionKilledError", "ResponseTap"]


class ConnectionKilledError(Exception):
    """Raised to make the server drop a connection when the transport cannot be reached."""


class Connection:
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
            raise ConnectionKilledError("simulated connection reset")
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._transport.abort()

    def close(self) -> None:
        """Close the connection after what was written is flushed (TCP FIN)."""
        if self._transport is None:
            raise ConnectionKilledError("simulated truncated body")
        self._transport.close()

    async def wait_closed(self, timeout: float = 2.0) -> None:
        """Wait until the server has seen the connection go, so that it does not log an error."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not getattr(self._cycle, "disconnected", True) and loop.time() < deadline:
            await asyncio.sleep(0.01)


class ResponseTap:
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
        connection: Connection,
        *,
        count_body: bool,
    ) -> None:
        self._send = send
        self._state = state
        self._connection = connection
        self._count_body = count_body
        self._sent = 0
        self._status = 0
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
        self._status = int(message["status"])
        self._state.record_status(self._status)
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
            self._state.record_bytes(len(body), status=self._status)
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
