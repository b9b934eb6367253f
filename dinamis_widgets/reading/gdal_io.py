"""GDAL and rasterio plumbing of the reader: options, opening files, a pool of open files, masked logs.

- :data:`DEFAULT_GDAL_OPTIONS`: the GDAL configuration set around every read;
- :func:`open_dataset`: opens a (signed) URL or path at one level (full resolution or an overview);
- a per-process pool of open files (keyed by href, signed URL and level), so a worker opens each file
  once per concurrent thread instead of once per band and chunk (:func:`close_files` empties it);
- :func:`clear_gdal_cache`: makes GDAL forget what it fetched of the files the reader opened;
  :func:`uncached` for the retry of a read, so that it reaches the network;
- signatures masked in the records of rasterio's loggers (GDAL quotes the URLs it fails to read);
- counters of the reads of this process (:func:`reader_stats`).

Examples
--------
>>> DEFAULT_GDAL_OPTIONS["GDAL_DISABLE_READDIR_ON_OPEN"]
'EMPTY_DIR'
>>> gdal_path("https://example.org/a.tif"), gdal_path("/vsis3/bucket/a.tif"), gdal_path("a.tif")
('/vsicurl/https://example.org/a.tif', '/vsis3/bucket/a.tif', 'a.tif')
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import contextvars
import itertools
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import rasterio
import rasterio.errors

from ..errors import masked_logger
from ..signing.urls import unsigned_url
from . import ranged_files

__all__ = [
    "DEFAULT_GDAL_OPTIONS",
    "GDAL_CACHE_BYTES",
    "TileRowReads",
    "bound_gdal_cache",
    "clear_gdal_cache",
    "close_dataset",
    "close_files",
    "count",
    "discard_files",
    "gdal_path",
    "is_read_error",
    "open_dataset",
    "opened_dataset",
    "pooled",
    "reader_stats",
    "reset_reader_stats",
    "uncached",
]

#: GDAL options for every read: no directory listing, no side-car ``.aux.xml`` looked for (refused requests on
#: signed URLs), GDAL's own retries on 429/5xx and resets, HTTP/2 multiplexing, merged consecutive ranges.
DEFAULT_GDAL_OPTIONS: dict[str, str] = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",
    "GDAL_HTTP_MAX_RETRY": "5",
    "GDAL_HTTP_RETRY_DELAY": "0.5",
    "GDAL_HTTP_MULTIPLEX": "YES",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "GDAL_HTTP_TIMEOUT": "120",
}

#: GDAL's block cache (bytes) the reader lowers the process's to (:func:`bound_gdal_cache`).
GDAL_CACHE_BYTES = 16 * 2**20

#: Loggers that quote the URLs they read (urllib3 at DEBUG: every request line, query string included;
#: rasterio's file openers at DEBUG: every path they look up).
_RASTERIO_LOGGERS = ("rasterio", "rasterio._env", "rasterio._err", "rasterio._base", "rasterio._io",
                     "rasterio.env", "rasterio._filepath", "rasterio._warp", "rasterio._vsiopener",
                     "rasterio.io",
                     "rasterio.session", "rasterio._features", "rasterio._transform", "rasterio.crs",
                     "urllib3.connectionpool")


# --------------------------------------------------------------------------------------------------
# Masking signatures in rasterio's logs
# --------------------------------------------------------------------------------------------------


def _install_log_masking() -> None:
    """Mask the records of rasterio's loggers (those named, and any other rasterio has made by now)."""
    made = [name for name in list(logging.Logger.manager.loggerDict) if name.split(".")[0] == "rasterio"]
    for name in {*_RASTERIO_LOGGERS, *made}:
        masked_logger(name)


_install_log_masking()


def is_read_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an error of rasterio or GDAL (a failed open or read), not a bug of the caller.

    rasterio turns GDAL's errors into :class:`rasterio.errors.RasterioError` at its public functions,
    but a few paths let GDAL's own error classes (``CPLE_*Error``) through; those have no public name,
    so they are recognised by the module that defines them, without importing it.

    Examples
    --------
    >>> is_read_error(rasterio.errors.RasterioIOError("403")), is_read_error(KeyError("x"))
    (True, False)
    >>> is_read_error(rasterio.errors.CRSError("not a read error"))
    False
    """
    return isinstance(exc, rasterio.errors.RasterioError) or type(exc).__module__ == "rasterio._err"


# --------------------------------------------------------------------------------------------------
# Statistics (per process)
# --------------------------------------------------------------------------------------------------

_stats: collections.Counter[str] = collections.Counter()
_stats_lock = threading.Lock()


def count(name: str, n: int = 1) -> None:
    """Add ``n`` to the counter ``name`` of :func:`reader_stats`."""
    with _stats_lock:
        _stats[name] += n


def reader_stats() -> dict[str, int]:
    """Counters of this process's reads.

    Returns
    -------
    dict
        ``reads`` (shared reads of one asset for one chunk), ``opens`` (files opened, per overview level),
        ``retries`` (reads retried with a fresh signature), ``errors`` (failed attempts) and
        ``band_reads`` (bands read, summed over reads).

    Examples
    --------
    >>> sorted(reader_stats()) == sorted(reader_stats())
    True
    """
    with _stats_lock:
        return dict(_stats)


def reset_reader_stats() -> None:
    """Set the counters of :func:`reader_stats` back to zero."""
    with _stats_lock:
        _stats.clear()


# --------------------------------------------------------------------------------------------------
# Reading a window tile row by tile row
# --------------------------------------------------------------------------------------------------


class TileRowReads:
    """An open dataset whose window reads go one tile row at a time (every other attribute is the
    dataset's).

    GDAL's GeoTIFF driver fetches the tiles of a window read in one batch of byte ranges, one request per
    run of contiguous tiles, when the window spans one tile row; across several tile rows it fetches more
    than the tiles (measured: 1.65 times the tiles' bytes for two rows of a 10000-pixel-wide COG, 1.8 for
    a 2048-pixel window). Reading row by row fetches each run of contiguous tiles once, in one request.

    Examples
    --------
    >>> TileRowReads.row_windows(100, 700, 256)
    [(100, 256), (256, 512), (512, 700)]
    """

    def __init__(self, dataset: Any) -> None:
        self._ds = dataset

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ds, name)

    @staticmethod
    def row_windows(start: int, stop: int, height: int) -> list[tuple[int, int]]:
        """Rows ``start:stop`` cut at multiples of ``height``, as ``(start, stop)`` pairs."""
        edges = [start, *range((start // height + 1) * height, stop, height), stop]
        return list(itertools.pairwise(edges))

    def read(self, indexes: Any = None, out: Any = None, window: Any = None, **kwargs: Any) -> Any:
        """``rasterio`` ``read``, one call per tile row the window crosses (``out`` and ``window``
        given; otherwise one call)."""
        if out is None or window is None or kwargs:
            return self._ds.read(indexes, out=out, window=window, **kwargs)
        from rasterio.windows import Window

        if not isinstance(window, Window):  # odc-geo's w_[...]: ((row0, row1), (col0, col1))
            window = Window.from_slices(*window)
        height = self._ds.block_shapes[0][0]
        row0, col0 = int(window.row_off), int(window.col_off)
        for y0, y1 in self.row_windows(row0, row0 + int(window.height), height):
            self._ds.read(indexes, out=out[..., y0 - row0:y1 - row0, :],
                          window=Window(col0, y0, int(window.width), y1 - y0))
        return out


# --------------------------------------------------------------------------------------------------
# Opening files
# --------------------------------------------------------------------------------------------------

#: The latest GDAL path opened for each unsigned href (what :func:`clear_gdal_cache` makes GDAL forget).
_opened: collections.OrderedDict[str, str] = collections.OrderedDict()
_opened_lock = threading.Lock()
_MAX_REMEMBERED = 1024


def gdal_path(url: str) -> str:
    """The path GDAL opens for a URL (``/vsicurl/`` added to http(s) URLs) or a local or ``/vsi`` path."""
    return url if url.startswith("/vsi") or "://" not in url else "/vsicurl/" + url


_cache_bounded = False


def bound_gdal_cache(limit: int = GDAL_CACHE_BYTES) -> None:
    """Lower GDAL's block cache to ``limit`` bytes, once per process, unless ``GDAL_CACHEMAX`` is set in
    the environment (the user's choice wins) or the cache is already smaller.

    GDAL keeps decoded blocks in a cache of 5% of the RAM by default (1.2 GB on a 24 GB machine). The
    reader decodes each tile once (strips of whole tile rows, one read per chunk otherwise), so a large
    cache buys nothing and holds memory for the life of the process. The cache is process-wide: this
    applies to every GDAL read of the process, and rasterio's ``Env`` options set per read cannot express
    it (rasterio restores the previous size when each ``Env`` exits, thread by thread).
    """
    global _cache_bounded
    if _cache_bounded:
        return
    _cache_bounded = True
    if "GDAL_CACHEMAX" in os.environ:
        return
    from rasterio.env import get_gdal_config, set_gdal_config

    current = get_gdal_config("GDAL_CACHEMAX")
    if isinstance(current, int) and current > limit:
        set_gdal_config("GDAL_CACHEMAX", limit)


def _ranged_reads() -> bool:
    """Whether presigned URLs are read through :mod:`.ranged_files` (the default; ``DINAMIS_RANGED_READS=0``
    in the environment sends them through GDAL's ``/vsicurl/`` instead).

    Decision record 0008 says what the ranged reads save: GDAL's size probe of a presigned URL, a ``GET``
    without ``Range`` that it cuts once the headers are in (2 km AOI: 1.06 -> 1.014 x its tiles' bytes).
    """
    return os.environ.get("DINAMIS_RANGED_READS", "1").strip().lower() not in ("0", "no", "false", "off")


#: The context each opener-backed dataset was opened in (by ``id``), where it must be closed.
_opener_contexts: dict[int, contextvars.Context] = {}
_contexts_lock = threading.Lock()


def open_dataset(url: str, level: int = 0) -> Any:
    """Open ``url`` (signed or not) with rasterio, unshared, at ``level`` (0 full resolution, ``k + 1``
    overview ``k``); close it with :func:`close_dataset` (or open it with :func:`opened_dataset`).

    URLs are read through GDAL (``/vsicurl/`` for http(s)), except presigned URLs, read through
    :mod:`.ranged_files` unless ``DINAMIS_RANGED_READS=0`` (rasterio's ``opener=``: no size probe, one
    ranged ``GET`` for the header, one per run of contiguous tiles). rasterio registers a file opener in a
    context variable (``contextvars``) of the opening thread and looks it up again when the dataset is
    closed, or when GDAL looks for a side-car file (rasterio issue #3636); each such dataset is therefore
    opened in a context of its own, which :func:`close_dataset` enters again from whichever thread
    closes it, and without side-car lookups (``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR``,
    ``GDAL_PAM_ENABLED=NO``), which GDAL would otherwise make later, from the thread that reads.

    Raises
    ------
    rasterio.errors.RasterioIOError
        If GDAL cannot open it (an expired signature is a 403).
    """
    bound_gdal_cache()
    kwargs: dict[str, Any] = {"sharing": False}
    if level > 0:
        kwargs["overview_level"] = level - 1
    if ranged_files.is_presigned(url) and _ranged_reads():
        ranged_files.file_size(url)  # one ranged GET (the header): its error is the open's, with its status
        context = contextvars.Context()
        # the reader's options (no side-car looked for, now or later: GDAL would ask the opener from the
        # reading thread), whether or not the caller set them
        with ranged_files.checked(), rasterio.Env(**DEFAULT_GDAL_OPTIONS):
            rdr = context.run(rasterio.open, url, "r", opener=ranged_files.RangedFiles(url), **kwargs)
        with _contexts_lock:
            _opener_contexts[id(rdr)] = context
        return rdr
    path = gdal_path(url)
    rdr = rasterio.open(path, "r", **kwargs)
    if path.startswith("/vsicurl/"):
        with _opened_lock:
            key = unsigned_url(url)
            _opened[key] = path
            _opened.move_to_end(key)
            while len(_opened) > _MAX_REMEMBERED:
                _opened.popitem(last=False)
    return rdr


def close_dataset(rdr: Any) -> None:
    """Close a dataset of :func:`open_dataset`, from any thread (an opener-backed one in the context it
    was opened in); errors of the close are dropped."""
    with _contexts_lock:
        context = _opener_contexts.pop(id(rdr), None)
    with contextlib.suppress(Exception):
        if context is None:
            rdr.close()
        else:
            context.run(rdr.close)


@contextlib.contextmanager
def opened_dataset(url: str, level: int = 0) -> Iterator[Any]:
    """:func:`open_dataset` as a context manager: the dataset is closed (:func:`close_dataset`) on exit."""
    rdr = open_dataset(url, level)
    try:
        yield rdr
    finally:
        close_dataset(rdr)


# --------------------------------------------------------------------------------------------------
# A pool of open files
# --------------------------------------------------------------------------------------------------

_PoolKey = tuple[str, str, int]  # unsigned href, URL opened, level (0 = full resolution, k + 1 = overview k)


class _HandlePool:
    """Open rasterio datasets, handed out to one thread at a time, kept for reuse (LRU-bounded).

    Handles opened on an older signed URL of the same href are closed when a newer one comes back. Opens
    of one URL through ``/vsicurl/`` are one at a time (striped locks): threads opening a file together
    make one size probe and one header read (GDAL's cache). Presigned URLs read by :mod:`.ranged_files`
    open at once: it fetches their header once for all the threads that ask.
    """

    def __init__(self, max_idle: int = 64) -> None:
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: collections.OrderedDict[_PoolKey, list[Any]] = collections.OrderedDict()
        self._opening = [threading.Lock() for _ in range(16)]

    @contextlib.contextmanager
    def handle(self, uri: str, url: str, level: int) -> Iterator[Any]:
        key = (uri, url, level)
        rdr = self._take(key)
        if rdr is None:
            serial = not (ranged_files.is_presigned(url) and _ranged_reads())
            with self._opening[hash(url) % len(self._opening)] if serial else contextlib.nullcontext():
                rdr = open_dataset(url, level)
            count("opens")
        ok = False
        try:
            yield rdr
            ok = True
        finally:
            if ok:
                self._give(key, rdr)
            else:
                close_dataset(rdr)

    def _take(self, key: _PoolKey) -> Any | None:
        with self._lock:
            free = self._idle.get(key)
            if free:
                rdr = free.pop()
                if not free:
                    del self._idle[key]
                return rdr
        return None

    def _give(self, key: _PoolKey, rdr: Any) -> None:
        stale: list[Any] = []
        with self._lock:
            for other in [k for k in self._idle if k[0] == key[0] and k[1] != key[1]]:
                stale.extend(self._idle.pop(other))
            self._idle.setdefault(key, []).append(rdr)
            self._idle.move_to_end(key)
            while sum(len(v) for v in self._idle.values()) > self.max_idle:
                _, evicted = self._idle.popitem(last=False)
                stale.extend(evicted)
        for r in stale:
            close_dataset(r)

    def discard(self, uri: str) -> None:
        """Close the idle handles of ``uri`` (after a failed read)."""
        with self._lock:
            dropped = [v for k in [k for k in self._idle if k[0] == uri] for v in self._idle.pop(k)]
        for r in dropped:
            close_dataset(r)

    def clear(self) -> None:
        """Close every idle handle."""
        with self._lock:
            dropped = [r for v in self._idle.values() for r in v]
            self._idle.clear()
        for r in dropped:
            close_dataset(r)

    def forget(self) -> None:
        """Drop every handle without closing it (in a forked child, the parent owns them)."""
        self._lock = threading.Lock()
        self._idle = collections.OrderedDict()
        self._opening = [threading.Lock() for _ in range(16)]


_POOL = _HandlePool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.forget)
# Close the pooled datasets while the interpreter is whole: left to the garbage collector at shutdown,
# rasterio's deallocation fails half-way through finalisation (Python 3.13 prints "Error in sys.excepthook").
atexit.register(_POOL.clear)


def pooled(uri: str, url: str, level: int) -> contextlib.AbstractContextManager[Any]:
    """An open dataset of ``url`` at ``level`` from this process's pool, returned to it after use (closed
    instead if the block raised)."""
    return _POOL.handle(uri, url, level)


def discard_files(uri: str) -> None:
    """Close the pooled files of the unsigned href ``uri`` (after a failed read)."""
    _POOL.discard(uri)


def close_files() -> None:
    """Close the files this process keeps open for reuse."""
    _POOL.clear()


def uncached(url: str) -> contextlib.AbstractContextManager[Any]:
    """A block where GDAL opens ``url`` without its cache: a retried read then reaches the network.

    GDAL caches by URL for the life of the process. A read that failed half-way (a truncated body) leaves a
    failure there that GDAL serves again, without any request, to the next open of the same URL; and a URL
    signed again within the same second is byte-identical (same ``X-Amz-Date``). A presigned URL cannot be
    made distinct instead: S3 refuses query parameters that the signature does not cover.

    rasterio has no function for GDAL's ``VSICurlPartialClearCache``; this sets GDAL's documented option
    ``CPL_VSIL_CURL_NON_CACHED`` to the URL's path: a file opened in the block neither reads GDAL's cache nor
    fills it, and what GDAL held of it is dropped when it is closed. No request is added. GDAL splits the
    option's value at colons, so in practice every http(s) file opened in the block is read that way (in
    this thread; in every thread when the block runs in the main one).

    Parameters
    ----------
    url
        The URL (signed or not) to read; a local path needs nothing.

    Examples
    --------
    >>> with uncached("https://example.org/a.tif"):
    ...     pass
    """
    path = gdal_path(url)
    if not path.startswith("/vsicurl/"):
        return contextlib.nullcontext()
    return rasterio.Env(CPL_VSIL_CURL_NON_CACHED=path)


def clear_gdal_cache() -> int:
    """Close pooled files and make GDAL forget what it cached of the files the reader opened.

    GDAL keeps what it fetched over HTTP (sizes, headers, blocks; ``CPL_VSIL_CURL_CACHE_SIZE``, 16 MB by
    default) for the life of the process, keyed by URL. Forgetting it frees memory and makes the byte
    counts of a new computation independent of the previous one (tests and benchmarks).

    rasterio has no function for GDAL's ``VSICurlClearCache``; this uses GDAL's documented configuration
    option ``CPL_VSIL_CURL_NON_CACHED`` instead: a file opened while it names the file's prefix has its
    cached data dropped when it is closed. So each file the reader opened (its latest signed URL, for the
    last 1024 hrefs) is opened and closed once under that option; that costs a few small requests per
    file (or a refused one for an expired signature), made before the counts that matter start.

    Returns
    -------
    int
        The number of files forgotten.

    Examples
    --------
    >>> clear_gdal_cache() >= 0
    True
    """
    close_files()
    ranged_files.clear_cache()
    with _opened_lock:
        paths = list(_opened.values())
    with rasterio.Env(**DEFAULT_GDAL_OPTIONS, CPL_VSIL_CURL_NON_CACHED="/vsicurl/"):
        for path in paths:
            try:
                rasterio.open(path, "r", sharing=False).close()
            except Exception as exc:  # an expired signature: GDAL dropped the file's data all the same
                if not is_read_error(exc):
                    raise
    return len(paths)
