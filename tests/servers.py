"""Test helpers: run an ASGI app with uvicorn on a real 127.0.0.1 socket, a service that answers an error
to everything, the URL of a closed port, and small COGs.

Examples
--------
>>> import requests
>>> from starlette.applications import Starlette
>>> from starlette.responses import PlainTextResponse
>>> from starlette.routing import Route
>>> app = Starlette(routes=[Route("/health", lambda request: PlainTextResponse("ok"))])
>>> with run_app(app, bind_loopback()) as url:
...     requests.get(url + "/health", timeout=10).text
'ok'
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from dinamis_widgets.twin import processes

__all__ = ["bind_loopback", "closed_url", "failing_app", "run_app", "socket_url", "write_cog"]


def bind_loopback() -> socket.socket:
    """Bind a TCP socket to a free port of 127.0.0.1 (the port is known before the app is made).

    It has the object store's send buffer (see
    :data:`dinamis_widgets.twin.processes.STORE_SEND_BUFFER`), so byte counters are exact.

    Returns
    -------
    socket.socket
        A bound, listening socket; :func:`run_app` serves on it and closes it.
    """
    return processes.bind_loopback(0, send_buffer=processes.STORE_SEND_BUFFER)


def closed_url() -> str:
    """``http://127.0.0.1:<port>`` of a port nothing listens on (bound, then closed): a service that is down.

    Connections to it are refused at once (the port is not reused while the test runs, barring a race).
    """
    sock = processes.bind_loopback(0)
    try:
        return socket_url(sock)
    finally:
        sock.close()


def failing_app(status: int = 500, body: str = '{"detail": "Internal Server Error"}') -> Any:
    """An ASGI app answering ``status`` with ``body`` (JSON) to every request: a service that is broken.

    Its ``requests`` attribute counts the requests it received.
    """

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        app.requests += 1  # type: ignore[attr-defined]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body.encode()})

    app.requests = 0  # type: ignore[attr-defined]
    return app


def socket_url(sock: socket.socket) -> str:
    """Return ``http://127.0.0.1:<port>`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


@contextmanager
def run_app(
    app: Any, sock: socket.socket | None = None, *, startup_timeout: float = 10.0
) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread, for the duration of a ``with``.

    Parameters
    ----------
    app
        The ASGI application.
    sock
        A socket from :func:`bind_loopback`; a new one by default. It is closed on exit.
    startup_timeout
        Seconds to wait for the server to accept connections.

    Yields
    ------
    str
        The base URL, ``http://127.0.0.1:<port>`` (no trailing slash).
    """
    sock = sock if sock is not None else bind_loopback()
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def _run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    thread = threading.Thread(target=_run, name=f"uvicorn-{socket_url(sock)}", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread, errors, startup_timeout)
        yield socket_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the uvicorn server thread did not stop")


def _wait_started(
    server: uvicorn.Server, thread: threading.Thread, errors: list[BaseException], timeout: float
) -> None:
    """Wait until ``server`` accepts connections, or fail with the reason."""
    deadline = time.monotonic() + timeout
    while not server.started:
        if errors or not thread.is_alive():
            raise RuntimeError(f"the server failed to start: {errors[:1]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start within {timeout} s")
        time.sleep(0.01)


def write_cog(
    path: Path,
    *,
    size: int = 1024,
    bands: int = 4,
    blocksize: int = 256,
    seed: int = 0,
    height: int | None = None,
) -> Path:
    """Write a small cloud-optimised GeoTIFF (uint16, tiled, DEFLATE, overviews) for tests.

    The pixels are a smooth gradient plus 12-bit noise, so that the file does not shrink to nothing.

    Parameters
    ----------
    path
        Where to write (parents are created).
    size, bands, blocksize
        Width and height, number of bands, tile size.
    seed
        Seed of the noise.
    height
        Height, when it is not ``size``.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import numpy as np
    import rasterio
    import rasterio.shutil
    from affine import Affine
    from rasterio.io import MemoryFile

    rng = np.random.default_rng(seed)
    rows = size if height is None else height
    yy, xx = np.mgrid[0:rows, 0:size]
    data = np.stack(
        [((xx + yy * (b + 1)) % 2048 + rng.integers(0, 2048, (rows, size))) for b in range(bands)]
    ).astype("uint16")
    path.parent.mkdir(parents=True, exist_ok=True)
    with MemoryFile() as memfile, memfile.open(
        driver="GTiff", width=size, height=rows, count=bands, dtype="uint16",
        crs="EPSG:32631", transform=Affine(6, 0, 500_000, 0, -6, 4_900_000), nodata=0,
    ) as mem:
        mem.write(data)
        rasterio.shutil.copy(mem, path, driver="COG", COMPRESS="DEFLATE",
                             BLOCKSIZE=blocksize, OVERVIEWS="AUTO")
    return path
