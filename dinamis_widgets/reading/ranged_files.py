"""Remote files read by byte ranges for GDAL, through rasterio's file openers: no size probe.

GDAL's ``/vsicurl/`` learns a file's size before anything else; for a presigned S3 URL (one carrying
``X-Amz-Signature``) it does so with a ``GET`` without ``Range`` that it cuts once the headers are in
(a ``HEAD`` would be refused: the signature covers the method). The object store has sent 130-200 KB by
then, 8-12% of a 2 km AOI's tiles. ``GDAL_INGESTED_BYTES_AT_OPEN`` does not change that request for
``/vsicurl/`` (GDAL 3.10: it sizes a ranged first ``GET`` only for the file systems that ask for one,
``/vsiaz/``..., or after a ``HEAD`` without ``Content-Length``).

Here the reader asks for the file's first bytes itself, with one ranged ``GET``: the answer's
``Content-Range`` gives the size, its body the header. rasterio's public ``opener=`` (rasterio >= 1.4,
:class:`rasterio.abc.MultiByteRangeResourceContainer`) then serves GDAL from Python:

- small reads (the header, the tile offsets) by at least :data:`BLOCK` bytes;
- the tiles of a window, which GDAL's GeoTIFF driver asks for all at once (``get_byte_ranges``), with
  one ranged ``GET`` per run of contiguous tiles, as ``/vsicurl/`` does with
  ``GDAL_HTTP_MERGE_CONSECUTIVE_RANGES``;
- what was fetched is kept for the process (:data:`CACHE_BYTES` in all, least recently used dropped,
  like ``/vsicurl/``'s ``CPL_VSIL_CURL_CACHE_SIZE``), and threads asking for overlapping runs at once
  fetch each byte once: chunks smaller than a tile share its download.

Answers 429 and 5xx and broken connections are retried (``GDAL_HTTP_MAX_RETRY`` times, backoff from
``GDAL_HTTP_RETRY_DELAY`` seconds, doubling: the reader's GDAL options are honoured; :data:`RETRIES` and
:data:`RETRY_DELAY` where unset); a failure becomes a
:class:`rasterio.errors.RasterioIOError` saying ``HTTP response code: N`` as GDAL's would, so that the
reader's re-signing and error messages work unchanged.

Examples
--------
>>> is_presigned("https://s3.example.org/b/a.tif?X-Amz-Signature=abc&X-Amz-Date=1"), is_presigned("a.tif")
(True, False)
>>> merge_runs([0, 10, 20, 50], [10, 10, 5, 5])
[(0, 25, [0, 1, 2]), (50, 55, [3])]
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import rasterio.errors
import requests
import urllib3
from rasterio.abc import MultiByteRangeResourceContainer

__all__ = ["BLOCK", "CACHE_BYTES", "HEAD_BYTES", "RangedFiles", "cached_range", "checked", "clear_cache",
           "fetch_range", "file_size", "is_presigned", "merge_runs"]

#: Bytes asked for at open: the header of a COG (its IFDs and the first tile offsets) in one request.
HEAD_BYTES = 32 * 1024
#: Smallest read outside the tiles' batches (GDAL reads tile offsets a few hundred bytes at a time).
BLOCK = 16 * 1024
#: Bytes of fetched runs kept for the whole process, least recently used dropped (the newest is always
#: kept). Small: the reads decode each tile once; what is asked again is a header, the tile row at a seam,
#: a view panned a little. 16 MB (/vsicurl/'s default) held 5-10 MB more at a whole-scene peak.
CACHE_BYTES = 4 * 2**20
#: Retries of a request answered 429/5xx or broken, and the first delay (doubled each time).
RETRIES = 5
RETRY_DELAY = 0.5
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TIMEOUT = (30.0, 120.0)


def is_presigned(url: str) -> bool:
    """Whether ``url`` is an http(s) URL signed in its query string (SigV4 or SigV2)."""
    return url.startswith(("http://", "https://")) and ("X-Amz-Signature=" in url or "Signature=" in url)


def merge_runs(offsets: list[int], sizes: list[int]) -> list[tuple[int, int, list[int]]]:
    """Byte ranges merged into runs of contiguous (or overlapping) ranges: ``(start, stop, indices)``."""
    order = sorted(range(len(offsets)), key=lambda i: offsets[i])
    runs: list[tuple[int, int, list[int]]] = []
    for i in order:
        start, stop = offsets[i], offsets[i] + sizes[i]
        if runs and start <= runs[-1][1]:
            s, e, idx = runs[-1]
            runs[-1] = (s, max(e, stop), [*idx, i])
        else:
            runs.append((start, stop, [i]))
    return runs


# --------------------------------------------------------------------------------------------------
# Fetching ranges
# --------------------------------------------------------------------------------------------------

_local = threading.local()


def _session() -> requests.Session:
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


def _io_error(status: int | None, detail: str) -> rasterio.errors.RasterioIOError:
    head = f"HTTP response code: {status}" if status is not None else "HTTP request failed"
    return rasterio.errors.RasterioIOError(f"{head} ({detail})")


def _retry_options() -> tuple[int, float, tuple[float, float]]:
    """Retries, first delay and timeouts: GDAL's ``GDAL_HTTP_MAX_RETRY``, ``GDAL_HTTP_RETRY_DELAY`` and
    ``GDAL_HTTP_TIMEOUT`` where set (the reader's options, a load's ``gdal_options``), else the defaults."""
    from rasterio.env import get_gdal_config

    def number(key: str, default: float) -> float:
        value = get_gdal_config(key)
        try:
            return float(value) if value is not None and not isinstance(value, bool) else default
        except (TypeError, ValueError):
            return default

    read = number("GDAL_HTTP_TIMEOUT", _TIMEOUT[1])
    return (int(number("GDAL_HTTP_MAX_RETRY", RETRIES)), number("GDAL_HTTP_RETRY_DELAY", RETRY_DELAY),
            (min(_TIMEOUT[0], read), read))


def fetch_range(url: str, start: int, stop: int) -> tuple[bytes, int]:
    """Bytes ``start:stop`` of ``url`` (fewer at the end of the file) and the file's size.

    Raises
    ------
    rasterio.errors.RasterioIOError
        ``HTTP response code: N`` for an error answer (after retries for 429/5xx), or a failed connection.
    """
    retries, delay, timeout = _retry_options()
    attempt = 0
    while True:
        status: int | None = None
        try:
            with _session().get(url, headers={"Range": f"bytes={start}-{stop - 1}"}, timeout=timeout,
                                stream=True) as r:
                status = r.status_code
                if status not in (200, 206):
                    _ = r.content  # a short answer, read whole: the connection goes back to the pool
                if status == 206:
                    size = int(r.headers.get("Content-Range", "/0").rsplit("/", 1)[-1])
                    # the body in one read, into one buffer (``r.content`` joins 10 kB pieces: twice the
                    # run's size at once, a run being up to a tile row of the file)
                    data = r.raw.read(decode_content=True)
                    if len(data) == min(stop, size) - start:
                        return data, size
                    detail = f"{len(data)} bytes received for {min(stop, size) - start}"
                elif status == 200:  # no range support: the whole object
                    data = r.content
                    return data[start:stop], len(data)
                elif status == 416:
                    size = int(r.headers.get("Content-Range", "/0").rsplit("/", 1)[-1])
                    return b"", size
                else:
                    detail = r.reason or ""
                    if status not in _RETRY_STATUSES:
                        raise _io_error(status, detail)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            # reset, timeout, body cut short (urllib3's errors: the body is read from ``r.raw``)
            detail = type(exc).__name__
        if attempt >= retries:
            raise _io_error(status, f"{detail}, after {attempt + 1} attempts")
        time.sleep(delay * 2**attempt)
        attempt += 1


# --------------------------------------------------------------------------------------------------
# A per-process cache of fetched runs (headers, tile offsets, tiles)
# --------------------------------------------------------------------------------------------------

_runs: collections.OrderedDict[tuple[str, int], bytes] = collections.OrderedDict()
_sizes: dict[str, int] = {}
_in_flight: dict[tuple[str, int, int], threading.Event] = {}
_cache_lock = threading.Lock()
_cached_bytes = 0


def _remember(url: str, start: int, data: bytes) -> None:
    global _cached_bytes
    with _cache_lock:
        old = _runs.pop((url, start), b"")
        _runs[(url, start)] = data
        _cached_bytes += len(data) - len(old)
        while _cached_bytes > CACHE_BYTES and len(_runs) > 1:
            _, dropped = _runs.popitem(last=False)
            _cached_bytes -= len(dropped)


def _recall(url: str, start: int, stop: int) -> bytes | None:
    with _cache_lock:
        for key, data in reversed(_runs.items()):
            if key[0] == url and key[1] <= start and stop <= key[1] + len(data):
                _runs.move_to_end(key)
                return data[start - key[1]:stop - key[1]]
    return None


def _cached_ends(url: str, start: int, stop: int) -> tuple[bytes, bytes, int, int]:
    """What the cache holds of the ends of ``start:stop``: the bytes of its start and of its end, and the
    part between them that is not held (``head_stop``, ``tail_start``)."""
    head, tail = b"", b""
    with _cache_lock:
        for (u, s), data in _runs.items():
            if u != url:
                continue
            if s <= start < s + len(data) and s + len(data) - start > len(head):
                head = data[start - s:min(stop, s + len(data)) - s]
            if s < stop <= s + len(data) and stop - max(s, start) > len(tail):
                tail = data[max(s, start) - s:stop - s]
    head_stop = start + len(head)
    tail = tail[max(0, head_stop - (stop - len(tail))):]
    return head, tail, head_stop, stop - len(tail)


def _fetch_missing(url: str, start: int, stop: int) -> bytes:
    """Bytes ``start:stop`` of ``url``: the ends the cache holds, and one request for the rest."""
    head, tail, mid_start, mid_stop = _cached_ends(url, start, stop)
    if mid_start >= mid_stop:
        return head + tail
    mid, _ = fetch_range(url, mid_start, mid_stop)
    if len(mid) < mid_stop - mid_start:  # the end of the file
        return head + mid
    return head + mid + tail if head or tail else mid


def cached_range(url: str, start: int, stop: int) -> bytes:
    """Bytes ``start:stop`` of ``url``, from the cache of fetched runs or fetched (and kept).

    A thread asking for bytes that another thread is fetching waits for it, and only the part the cache
    does not hold is fetched: two chunks reading the tile row at their seam fetch it once.
    """
    while True:
        data = _recall(url, start, stop)
        if data is not None:
            return data
        key = (url, start, stop)
        with _cache_lock:
            waiting = next((event for (u, s, e), event in _in_flight.items()
                            if u == url and s < stop and start < e), None)
            if waiting is None:
                done = _in_flight[key] = threading.Event()
        if waiting is not None:
            waiting.wait()
            continue  # its bytes are cached now (or it failed: fetch again)
        try:
            data = _fetch_missing(url, start, stop)
            _remember(url, start, data)
            return data
        finally:
            with _cache_lock:
                del _in_flight[key]
            done.set()


def clear_cache() -> None:
    """Forget every file's size and cached runs (this process)."""
    global _cached_bytes
    with _cache_lock:
        _runs.clear()
        _sizes.clear()
        _cached_bytes = 0


def _forget_in_child() -> None:
    """In a forked child: new locks (one may have been held by a thread of the parent), no sessions (their
    sockets are the parent's), no downloads in flight; the cached bytes stay (they are the same)."""
    global _cache_lock, _local, _failures
    _cache_lock = threading.Lock()
    _local = threading.local()
    _failures = threading.local()
    _in_flight.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def file_size(url: str) -> int:
    """The size of ``url``, from the ``Content-Range`` of a ranged ``GET`` of its first bytes (which are
    kept: GDAL reads the header next). Known sizes are not asked again."""
    with _cache_lock:
        size = _sizes.get(url)
    if size is None:
        data, size = fetch_range(url, 0, HEAD_BYTES)
        _remember(url, 0, data)
        with _cache_lock:
            _sizes[url] = size
    return size


# --------------------------------------------------------------------------------------------------
# Failures inside GDAL's calls
# --------------------------------------------------------------------------------------------------

_failures = threading.local()


def _record(exc: BaseException) -> None:
    if getattr(_failures, "first", None) is None:
        _failures.first = exc if isinstance(exc, rasterio.errors.RasterioIOError) else _io_error(
            None, f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def checked() -> Iterator[None]:
    """A block of rasterio calls on files of this module: a fetch that failed in it is raised at its end.

    GDAL calls the file objects from C through rasterio: an exception raised there would be left pending
    (rasterio then fails later, elsewhere). So the file objects never raise: a failed fetch gives GDAL
    empty bytes (a short read) or zeros (for a batch of tiles) and is recorded for this thread; this block
    raises it, whether GDAL failed on the bad bytes or not, so that no pixel read from them is returned.
    The caller drops the dataset (its decoded blocks) after an error.

    Raises
    ------
    rasterio.errors.RasterioIOError
        The first fetch that failed in the block (``HTTP response code: N ...``).
    """
    _failures.first = None
    try:
        yield
    except Exception:
        failure, _failures.first = getattr(_failures, "first", None), None
        if failure is not None:
            raise failure from None
        raise
    failure, _failures.first = getattr(_failures, "first", None), None
    if failure is not None:
        raise failure


# --------------------------------------------------------------------------------------------------
# The file object and its container (rasterio's opener)
# --------------------------------------------------------------------------------------------------


class RangedFile:
    """A read-only, seekable file over a presigned URL: ``read`` from cached blocks, ``get_byte_ranges``
    with one request per run of contiguous ranges."""

    def __init__(self, url: str, size: int) -> None:
        self.url, self.size, self.pos = url, size, 0

    def __enter__(self) -> RangedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (connections belong to the thread's session)."""

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.size + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        """Bytes from the current position (fewer at the end of the file; none after a failed fetch)."""
        try:
            return self._read(n)
        except Exception as exc:  # never into GDAL: see checked()
            _record(exc)
            return b""

    def _read(self, n: int) -> bytes:
        stop = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        if stop <= self.pos:
            return b""
        data = _recall(self.url, self.pos, stop)
        if data is None:  # at least BLOCK bytes: GDAL reads tile offsets a few hundred bytes at a time
            ahead = min(self.size, max(stop, self.pos + BLOCK))
            data = cached_range(self.url, self.pos, ahead)[:stop - self.pos]
        self.pos += len(data)
        return data

    def get_byte_ranges(self, offsets: list[int], sizes: list[int]) -> list[bytes]:
        """The bytes of each range, fetched with one request per run of contiguous ranges."""
        out: list[bytes] = [b""] * len(sizes)
        try:
            for start, stop, idx in merge_runs(offsets, sizes):
                data = cached_range(self.url, start, stop)
                for i in idx:
                    out[i] = data[offsets[i] - start:offsets[i] - start + sizes[i]]
        except Exception as exc:  # never into GDAL: zeros, and the failure raised by checked()
            _record(exc)
            out = [o if len(o) == n else bytes(n) for o, n in zip(out, sizes, strict=True)]
        return out


class RangedFiles(MultiByteRangeResourceContainer):
    """rasterio's opener for one presigned URL (``rasterio.open(url, opener=RangedFiles(url))``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _mine(self, path: str) -> bool:
        return path.endswith(self.url)  # not the side files GDAL looks for (``.aux.xml``, ``.ovr``, ``.msk``)

    def open(self, path: str, mode: str = "rb", **kwds: Any) -> RangedFile:
        if not self._mine(path):
            raise FileNotFoundError(path)
        return RangedFile(self.url, file_size(self.url))

    def size(self, path: str) -> int:
        if not self._mine(path):
            raise FileNotFoundError(path)
        return file_size(self.url)

    def isfile(self, path: str) -> bool:
        return self._mine(path)

    def isdir(self, path: str) -> bool:
        return False

    def ls(self, path: str) -> list[str]:
        return []

    def mtime(self, path: str) -> int:
        return 0

    def rm(self, path: str) -> None:
        raise PermissionError(path)
