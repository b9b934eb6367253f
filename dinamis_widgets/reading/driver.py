"""An odc-loader reader driver that signs URLs when it reads, and reads each tile once.

odc-stac's ``patch_url`` runs when the dask graph is built, so a graph built with it holds signed URLs
that expire while it runs (the same problem as odc-stac issue 289). :class:`SigningReaderDriver` keeps
**unsigned** hrefs in the graph and asks the signer for a URL valid *at the moment of each read*:

- every read calls :meth:`~dinamis_widgets.Signer.resign_url`, a cache hit while
  the signature stays valid long enough, so GDAL keeps seeing the same URL (and reuses what it cached);
- a read that fails on a signed URL (an expired signature is a ``403``, which GDAL often reports only as
  ``TIFFReadEncodedTile() failed``) is retried once with a freshly signed URL and fresh file handles;
- errors are re-raised as :class:`~dinamis_widgets.errors.LoadError` with signatures masked, and the
  loggers of rasterio are masked too;
- the signer is pickled into the graph (configuration and credentials; see the security note in
  :func:`dinamis_widgets.load`), or found from each worker's own settings (``ReadConfig(signer=None)``),
  so reads work in kernel threads, dask threads, processes and ``dask.distributed`` workers.

Reading each tile once: SPOT and Pléiades multispectral COGs are pixel-interleaved, so a tile holds every
band. odc-stac builds one task per band and chunk, each opening the file and reading one band: NDVI
fetches every tile twice. Here the per-band task of a chunk depends on **one shared task per
(asset, chunk)** that reads, in one ``rasterio`` call, every band the load needs from that asset
(the "band plan"); dask computes a key once, however many bands depend on it. Opened files are kept
in a small per-process pool keyed by href, signed URL and overview level, so a worker opens each file
once (per concurrent thread) instead of once per band and chunk.

Overviews: when the output grid is coarser than the file, the overview level is picked as odc-stac
does (:func:`odc.loader._reader.pick_overview`) and read directly, so coarse loads fetch fewer bytes.

The pixel-level read (nodata, dtype, paste or reprojection) is odc-loader's own ``_do_read``, so results
are those of odc-stac's reader; it is a private function (checked with odc-loader 0.6.5): if a new
odc-loader changes it, ``tests/test_reader.py`` says so.

Examples
--------
>>> from dinamis_widgets.signing.client import Signer
>>> driver = SigningReaderDriver(ReadConfig(signer=Signer(None)))
>>> driver.capture_env()["GDAL_DISABLE_READDIR_ON_OPEN"]
'EMPTY_DIR'
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
import rasterio.errors
from dask.base import tokenize
from dask.task_spec import Task, TaskRef
from odc.geo.converters import rio_geobox
from odc.geo.geobox import GeoBox
from odc.geo.overlap import compute_reproject_roi
from odc.loader._reader import pick_overview
from odc.loader._rio import _do_read
from odc.loader.types import RasterLoadParams, RasterSource
from rasterio._err import CPLE_BaseError

from ..errors import LoadError, mask_signatures
from ..signing.client import Signer
from ..signing.registry import get_signer

__all__ = [
    "DEFAULT_GDAL_OPTIONS",
    "GDAL_CHUNK",
    "ReadConfig",
    "SigningDaskReader",
    "SigningRasterReader",
    "SigningReaderDriver",
    "TileIndex",
    "clear_gdal_cache",
    "close_files",
    "read_bands",
    "reader_stats",
    "reset_reader_stats",
]

log = logging.getLogger(__name__)

#: GDAL options for every read: no directory listing (a wasted, refused request on signed URLs),
#: GDAL's own retries on 429/5xx and resets, HTTP/2 multiplexing, merged consecutive ranges.
DEFAULT_GDAL_OPTIONS: dict[str, str] = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": "5",
    "GDAL_HTTP_RETRY_DELAY": "0.5",
    "GDAL_HTTP_MULTIPLEX": "YES",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "GDAL_HTTP_TIMEOUT": "120",
}

_RASTERIO_LOGGERS = ("rasterio", "rasterio._env", "rasterio._err", "rasterio._base", "rasterio._io",
                     "rasterio.env", "rasterio._filepath", "rasterio._warp")


# --------------------------------------------------------------------------------------------------
# Masking signatures in rasterio's logs
# --------------------------------------------------------------------------------------------------


class _MaskSignatures(logging.Filter):
    """Mask presigned URLs in log records (GDAL quotes the URLs it fails to read)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record: leave it to logging
            return True
        masked = mask_signatures(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _install_log_masking() -> None:
    for name in _RASTERIO_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _MaskSignatures) for f in logger.filters):
            logger.addFilter(_MaskSignatures())


_install_log_masking()


# --------------------------------------------------------------------------------------------------
# Statistics (per process)
# --------------------------------------------------------------------------------------------------

_stats: collections.Counter[str] = collections.Counter()
_stats_lock = threading.Lock()


def _count(name: str, n: int = 1) -> None:
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
# A pool of open files
# --------------------------------------------------------------------------------------------------

_PoolKey = tuple[str, str, int]  # unsigned href, URL opened, level (0 = full resolution, k + 1 = overview k)


class _HandlePool:
    """Open rasterio datasets, handed out to one thread at a time, kept for reuse (LRU-bounded).

    Handles opened on an older signed URL of the same href are closed when a newer one comes back.
    """

    def __init__(self, max_idle: int = 64) -> None:
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: collections.OrderedDict[_PoolKey, list[Any]] = collections.OrderedDict()

    @contextlib.contextmanager
    def handle(self, uri: str, url: str, level: int) -> Iterator[Any]:
        key = (uri, url, level)
        rdr = self._take(key)
        if rdr is None:
            path = url if url.startswith("/vsi") or "://" not in url else "/vsicurl/" + url
            kwargs: dict[str, Any] = {"sharing": False}
            if level > 0:
                kwargs["overview_level"] = level - 1
            rdr = rasterio.open(path, "r", **kwargs)
            _count("opens")
        ok = False
        try:
            yield rdr
            ok = True
        finally:
            if ok:
                self._give(key, rdr)
            else:
                _close(rdr)

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
            _close(r)

    def discard(self, uri: str) -> None:
        """Close the idle handles of ``uri`` (after a failed read)."""
        with self._lock:
            dropped = [v for k in [k for k in self._idle if k[0] == uri] for v in self._idle.pop(k)]
        for r in dropped:
            _close(r)

    def clear(self) -> None:
        """Close every idle handle."""
        with self._lock:
            dropped = [r for v in self._idle.values() for r in v]
            self._idle.clear()
        for r in dropped:
            _close(r)

    def forget(self) -> None:
        """Drop every handle without closing it (in a forked child, the parent owns them)."""
        self._lock = threading.Lock()
        self._idle = collections.OrderedDict()


def _close(rdr: Any) -> None:
    with contextlib.suppress(Exception):
        rdr.close()


_POOL = _HandlePool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.forget)


def close_files() -> None:
    """Close the files this process keeps open for reuse."""
    _POOL.clear()


def clear_gdal_cache(prefix: str | None = None) -> bool:
    """Close pooled files and empty GDAL's cache of remote files (sizes, headers, fetched blocks).

    GDAL keeps what it fetched over HTTP (``CPL_VSIL_CURL_CACHE_SIZE``, 16 MB by default) for the life of
    the process; clearing it frees memory and makes byte counts of a new computation independent of the
    previous one.

    Parameters
    ----------
    prefix
        Clear only URLs starting with this (``/vsicurl/`` is added when missing); everything by default.

    Returns
    -------
    bool
        False if GDAL's library could not be reached (the pool is closed anyway).
    """
    import ctypes
    import ctypes.util
    import glob

    close_files()
    libs = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(rasterio.__file__)),
                                         "rasterio.libs", "libgdal*.so*")))
    name = libs[0] if libs else ctypes.util.find_library("gdal")
    if not name:
        return False
    try:
        gdal = ctypes.CDLL(name)
        if prefix is None:
            gdal.VSICurlClearCache()
        else:
            path = prefix if prefix.startswith("/vsi") else "/vsicurl/" + prefix
            gdal.VSICurlPartialClearCache(ctypes.c_char_p(path.encode()))
    except (OSError, AttributeError):
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadConfig:
    """What a read needs besides the pixels' location; small and picklable (it travels in the graph).

    Parameters
    ----------
    signer
        The signer asked for a URL at each read (pickled with its credentials), or None: each process
        uses its own :func:`~dinamis_widgets.get_signer` (from its environment and settings).
    validity
        Validity asked for each signature (seconds; None for the signer's default).
    gdal_options
        GDAL configuration options set around each read.
    retry_signed
        Retry once, with a fresh signature, a read of a signed URL that failed.
    """

    signer: Signer | None = None
    validity: int | None = None
    gdal_options: tuple[tuple[str, str], ...] = tuple(DEFAULT_GDAL_OPTIONS.items())
    retry_signed: bool = True

    def get_signer(self) -> Signer:
        """The signer to use in this process."""
        return self.signer if self.signer is not None else get_signer()

    @property
    def env(self) -> dict[str, str]:
        """The GDAL options as a dict."""
        return dict(self.gdal_options)


def _read_once(uri: str, url: str, bands: Sequence[int], cfg: RasterLoadParams,
               dst_geobox: GeoBox) -> tuple[tuple[slice, slice], np.ndarray]:
    ttol = 0.9 if cfg.nearest else 0.05
    with _POOL.handle(uri, url, 0) as rdr:
        rr = compute_reproject_roi(rio_geobox(rdr), dst_geobox, ttol=ttol)
        level = None
        if cfg.use_overviews and rr.read_shrink > 1:
            level = pick_overview(rr.read_shrink, rdr.overviews(bands[0]))
        if level is None:
            return _do_read(rasterio.band(rdr, list(bands)), cfg, dst_geobox, rr)
    with _POOL.handle(uri, url, level + 1) as ovr:
        rr = compute_reproject_roi(rio_geobox(ovr), dst_geobox, ttol=ttol)
        return _do_read(rasterio.band(ovr, list(bands)), cfg, dst_geobox, rr)


def read_bands(uri: str, bands: Sequence[int], cfg: RasterLoadParams, dst_geobox: GeoBox,
               config: ReadConfig) -> tuple[tuple[slice, slice], np.ndarray]:
    """Read several bands of one file over a destination grid, signing the URL now.

    Parameters
    ----------
    uri
        The unsigned href.
    bands
        1-based band indices, read in one call (a pixel-interleaved tile is fetched once).
    cfg
        odc-loader load parameters (dtype, nodata, resampling, overviews).
    dst_geobox
        The destination grid (one chunk of the output).
    config
        Signer and GDAL options.

    Returns
    -------
    tuple
        ``(roi, pixels)``: the part of ``dst_geobox`` covered (y and x slices) and an array
        ``(len(bands), ny, nx)``.

    Raises
    ------
    LoadError
        If the read fails (after one retry with a fresh signature for a signed URL); signatures masked.
    SigningError, AuthenticationError
        If no URL could be signed.
    """
    signer = config.get_signer()
    with rasterio.Env(**config.env):
        for attempt in (0, 1):
            signed = signer.resign_url(uri, config.validity, force=attempt > 0)
            try:
                out = _read_once(uri, signed.href, bands, cfg, dst_geobox)
            except (rasterio.errors.RasterioError, CPLE_BaseError) as exc:
                _count("errors")
                _POOL.discard(uri)
                if attempt == 0 and signed.signed and config.retry_signed:
                    _count("retries")
                    log.info("read of %s failed (%s); retrying with a new signature", uri,
                             mask_signatures(str(exc)))
                    continue
                message = (f"Reading band(s) {list(bands)} of {uri} failed: {type(exc).__name__}: "
                           f"{mask_signatures(str(exc))}")
                if not cfg.fail_on_error:
                    log.warning("%s (left empty: fail_on_error=False)", message)
                    dtype = np.dtype(cfg.dtype or "float32")
                    return (slice(0, 0), slice(0, 0)), np.empty((len(bands), 0, 0), dtype=dtype)
                raise LoadError(message) from None
            _count("reads")
            _count("band_reads", len(bands))
            return out
    raise AssertionError("unreachable")  # pragma: no cover


def _pick(shared: tuple[tuple[slice, slice], np.ndarray], i: int) -> tuple[tuple[slice, slice], np.ndarray]:
    roi, pix = shared
    return roi, pix[i]


# --------------------------------------------------------------------------------------------------
# odc-loader protocols
# --------------------------------------------------------------------------------------------------


class SigningRasterReader:
    """``RasterReader`` of one band (used by odc-loader's non-dask path)."""

    def __init__(self, src: RasterSource, config: ReadConfig) -> None:
        self._src = src
        self._config = config

    def read(self, cfg: RasterLoadParams, dst_geobox: GeoBox, *, dst: np.ndarray | None = None,
             selection: Any | None = None) -> tuple[tuple[slice, slice], np.ndarray]:
        """Read the band over ``dst_geobox`` (into ``dst`` when given)."""
        roi, pix = read_bands(self._src.uri, (self._src.band,), cfg, dst_geobox, self._config)
        if dst is not None:
            dst[roi] = pix[0]
            return roi, dst[roi]
        return roi, pix[0]


@dataclass(frozen=True)
class _Future:
    """What odc-loader expects from ``DaskRasterReader.read``: a key and the graph that computes it."""

    key: Any
    dask: dict[Any, Any]


def _geobox_token(gbox: GeoBox) -> tuple[Any, ...]:
    return (tuple(gbox.shape.yx), tuple(gbox.transform)[:6], str(gbox.crs))


@dataclass(frozen=True)
class SigningDaskReader:
    """``DaskRasterReader``: per-band tasks that share one read task per (asset, chunk)."""

    config: ReadConfig
    band_plan: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    src: RasterSource | None = None
    cfg: RasterLoadParams | None = None
    layer_name: str = ""

    def open(self, src: RasterSource, cfg: RasterLoadParams, ctx: Any, *, layer_name: str,
             idx: int) -> SigningDaskReader:
        """Bind the reader to a source (no IO)."""
        return SigningDaskReader(self.config, self.band_plan, src, cfg, layer_name)

    def bands_for(self, src: RasterSource) -> tuple[int, ...]:
        """Bands read together with ``src.band`` (the band plan of its file)."""
        planned = self.band_plan.get(src.uri, ())
        return planned if src.band in planned else (src.band,)

    def read(self, dst_geobox: GeoBox, *, selection: Any | None = None, idx: tuple[int, ...]) -> _Future:
        """Graph of the chunk ``idx`` of this band: a shared multi-band read, then a pick."""
        assert self.src is not None and self.cfg is not None
        bands = self.bands_for(self.src)
        cfg = self.cfg.patch(meta=None)
        token = tokenize(self.src.uri, bands, cfg, _geobox_token(dst_geobox), selection)
        shared_key = f"dinamis-read-{token}"
        band_key = (self.layer_name, *idx)
        dsk = {
            shared_key: Task(shared_key, read_bands, self.src.uri, bands, cfg, dst_geobox, self.config),
            band_key: Task(band_key, _pick, TaskRef(shared_key), bands.index(self.src.band)),
        }
        return _Future(band_key, dsk)


@dataclass(frozen=True)
class _LoadState:
    geobox: GeoBox
    chunks: Mapping[str, int] | None = None


class SigningReaderDriver:
    """odc-loader ``ReaderDriver`` that signs at read time and reads each tile once.

    Pass it to ``odc.stac.load(..., driver=SigningReaderDriver(...))``; :func:`dinamis_widgets.load`
    does it for you, with the band plan of the items.

    Parameters
    ----------
    config
        Signer, validity and GDAL options (:class:`ReadConfig`).
    band_plan
        For each unsigned href, the 1-based bands the load needs from it (read together).
    """

    def __init__(self, config: ReadConfig | None = None,
                 band_plan: Mapping[str, Sequence[int]] | None = None) -> None:
        self.config = config or ReadConfig()
        self.band_plan = {k: tuple(sorted(set(v))) for k, v in (band_plan or {}).items()}

    def __repr__(self) -> str:
        return f"SigningReaderDriver(files={len(self.band_plan)}, signer={self.config.signer!r})"

    def new_load(self, geobox: GeoBox, *, chunks: dict[str, int] | None = None) -> _LoadState:
        """Start a load (no IO)."""
        return _LoadState(geobox, chunks)

    def finalise_load(self, load_state: _LoadState) -> None:
        """End a load."""
        return None

    def capture_env(self) -> dict[str, Any]:
        """GDAL options to restore around reads (no secrets: signatures come from the signer)."""
        return self.config.env

    @contextlib.contextmanager
    def restore_env(self, env: dict[str, Any], load_state: _LoadState) -> Iterator[_LoadState]:
        """Set the GDAL options for reads in this thread."""
        with rasterio.Env(**env):
            yield load_state

    def open(self, src: RasterSource, ctx: Any) -> SigningRasterReader:
        """A reader of one band (no IO)."""
        return SigningRasterReader(src, self.config)

    @property
    def md_parser(self) -> None:
        """odc-stac's default STAC parsing is used."""
        return None

    @property
    def dask_reader(self) -> SigningDaskReader:
        """The dask graph builder of reads."""
        return SigningDaskReader(self.config, self.band_plan)

    @property
    def aux_reader(self) -> None:
        """No auxiliary bands."""
        return None


# --------------------------------------------------------------------------------------------------
# Tile index (for cost estimates)
# --------------------------------------------------------------------------------------------------

#: GDAL fetches remote files by blocks of this many bytes (``CPL_VSIL_CURL_CHUNK_SIZE``).
GDAL_CHUNK = 16384


class TileIndex:
    """The tile layout of one COG (sizes from its TileByteCounts), read through a signed URL.

    Only the header is read: GDAL fetches its first block and the tile index arrays; tile sizes come
    from the GeoTIFF driver's ``BLOCK_SIZE_<x>_<y>`` metadata (the TIFF ``TileByteCounts`` tag).

    Parameters
    ----------
    uri
        The unsigned href.
    config
        Signer and GDAL options.
    """

    def __init__(self, uri: str, config: ReadConfig) -> None:
        self.uri = uri
        self._config = config
        self._url = config.get_signer().resign_url(uri, config.validity).href
        self._sizes: dict[tuple[int, int, int, int], int] = {}
        self._readers: dict[int, Any] = {}
        with self._env():
            rdr = self._reader(0)
            self.overviews: list[int] = list(rdr.overviews(1)) if rdr.count else []
            self.interleave = (rdr.tags(ns="IMAGE_STRUCTURE").get("INTERLEAVE") or "PIXEL").upper()

    def _env(self) -> rasterio.Env:
        return rasterio.Env(**self._config.env)

    def _reader(self, level: int) -> Any:
        rdr = self._readers.get(level)
        if rdr is None:
            path = self._url if "://" not in self._url else "/vsicurl/" + self._url
            kwargs: dict[str, Any] = {"sharing": False}
            if level:
                kwargs["overview_level"] = level - 1
            rdr = self._readers[level] = rasterio.open(path, **kwargs)
        return rdr

    def close(self) -> None:
        """Close the files opened."""
        for rdr in self._readers.values():
            _close(rdr)
        self._readers.clear()

    @property
    def header_bytes(self) -> int:
        """Bytes before the first tile of any level (IFDs and tile index), rounded up as GDAL reads them."""
        with self._env():
            offsets = [int(self._reader(level).get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1) or 0)
                       for level in range(len(self.overviews) + 1)]
        first = min((o for o in offsets if o > 0), default=GDAL_CHUNK)
        return -(-first // GDAL_CHUNK) * GDAL_CHUNK

    def tile_bytes(self, tiles: Iterable[tuple[int, int, int, int]]) -> int:
        """Compressed bytes of tiles ``(level, band, row, col)`` (the TIFF TileByteCounts)."""
        total = 0
        with self._env():
            for key in tiles:
                size = self._sizes.get(key)
                if size is None:
                    level, band, row, col = key
                    item = self._reader(level).get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=band)
                    size = self._sizes[key] = int(item or 0)
                total += size
        return total

    def tiles_read(self, bands: Sequence[int], cfg: RasterLoadParams,
                   dst_geobox: GeoBox) -> list[tuple[int, int, int, int]]:
        """Tiles ``(level, band, row, col)`` a read of ``bands`` over ``dst_geobox`` fetches, as
        :func:`read_bands` reads them (same overview choice). A pixel-interleaved tile counts once
        (as band 1), whatever the bands."""
        ttol = 0.9 if cfg.nearest else 0.05
        with self._env():
            rdr = self._reader(0)
            rr = compute_reproject_roi(rio_geobox(rdr), dst_geobox, ttol=ttol)
            level = 0
            if cfg.use_overviews and rr.read_shrink > 1:
                ovr = pick_overview(rr.read_shrink, self.overviews)
                if ovr is not None:
                    level = ovr + 1
                    rdr = self._reader(level)
                    rr = compute_reproject_roi(rio_geobox(rdr), dst_geobox, ttol=ttol)
            ys, xs = rr.roi_src
            if ys.stop <= ys.start or xs.stop <= xs.start:
                return []
            bh, bw = rdr.block_shapes[0]
        per_tile = [1] if self.interleave == "PIXEL" else sorted(set(bands))
        return [(level, b, row, col)
                for row in range(ys.start // bh, (ys.stop - 1) // bh + 1)
                for col in range(xs.start // bw, (xs.stop - 1) // bw + 1)
                for b in per_tile]
