"""Small process and network helpers of the twin: free ports, child processes that die with their parent."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable

__all__ = ["STORE_SEND_BUFFER", "bind_loopback", "die_with_parent", "log_tail", "stop_process", "wait_until"]

_PR_SET_PDEATHSIG = 1


#: Send buffer of the object store's connections. Loopback buffers otherwise grow to several MB, so a
#: client that reads the first kilobytes of a range-less GET and hangs up (GDAL does, to learn a signed
#: object's size) would be counted as served megabytes it never received. 256 KiB keeps the store's byte
#: counters close to what clients really get, at no cost in loopback throughput.
STORE_SEND_BUFFER = 256 * 1024


def bind_loopback(port: int = 0, *, send_buffer: int | None = None) -> socket.socket:
    """Bind a listening TCP socket on 127.0.0.1.

    Parameters
    ----------
    port
        Port to bind; 0 picks a free one.
    send_buffer
        ``SO_SNDBUF`` of the socket, inherited by the connections it accepts (Linux).

    Returns
    -------
    socket.socket
        A bound, listening, inheritable socket (so a child process can serve on it).
    """
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every answer written in two parts (headers, body) waits for a delayed ACK (40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """Return a ``preexec_fn`` asking Linux to send ``sig`` to the child when its parent dies.

    It keeps a killed notebook kernel or test runner from leaving a database or servers behind.
    On systems without ``prctl`` it does nothing. Linux ties the signal to the *thread* that started
    the child, so it is only asked for from the main thread (a worker thread that ends would otherwise
    take the twin with it).
    """
    from_main_thread = threading.current_thread() is threading.main_thread()

    def _preexec() -> None:  # pragma: no cover - runs in the child
        if from_main_thread:
            try:
                libc = ctypes.CDLL("libc.so.6", use_errno=True)
                libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
            except OSError:
                pass
        # A new process group, so that a Ctrl-C in a terminal reaches the parent only, which then
        # stops its children in order.
        os.setpgrp()

    return _preexec


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM,
                 timeout: float = 15.0) -> None:
    """Stop a child process: ``sig``, then SIGKILL after ``timeout`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05,
               what: str = "condition", alive: Callable[[], bool] | None = None) -> None:
    """Poll ``predicate`` until it is true.

    Raises
    ------
    TimeoutError
        After ``timeout`` seconds, or at once when ``alive`` says the process waited for died.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if alive is not None and not alive():
            raise TimeoutError(f"{what}: the process exited")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(interval)


def log_tail(path: os.PathLike[str] | str, lines: int = 30) -> str:
    """Return the last ``lines`` lines of a log file, or an empty string."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""
