"""Reading bands of one file over a destination grid, signing its URL at the moment of the read.

:func:`read_bands` is the read task of :mod:`.driver`: it asks the signer for a URL valid now (a cache
hit while the signature lasts), opens the file at the level the read uses (:func:`open_for_read`, shared
with the cost estimates of :class:`~.tiles.TileIndex`), reads every band the load needs in one call, and
retries a failed read of a signed URL at most twice with a fresh signature and without GDAL's cache.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
from odc.geo.converters import rio_geobox
from odc.geo.geobox import GeoBox
from odc.geo.overlap import ReprojectInfo, compute_reproject_roi
from odc.loader import RasterLoadParams

from ..errors import LoadError, mask_signatures, masked_logger
from ..signing.client import Signer
from ..signing.registry import get_signer
from . import ranged_files
from .gdal_io import DEFAULT_GDAL_OPTIONS, TileRowReads, count, discard_files, is_read_error, pooled, uncached
from .odc_read import do_read, pick_overview
from .read_errors import explain_read_error
from .strips import STRIP_ROWS

__all__ = ["READ_ATTEMPTS", "ReadConfig", "open_for_read", "read_bands"]

log = masked_logger(__name__)

#: Attempts of one read of a URL (the first, then retries with a fresh signature, bypassing GDAL's cache).
READ_ATTEMPTS = 3
#: GDAL's error for an HTTP status it has already retried itself (``GDAL_HTTP_MAX_RETRY`` times, with
#: backoff): the store is overloaded or down, and retrying again would only delay the error.
_RETRIED_BY_GDAL = re.compile(r"HTTP response code: (?:429|5\d\d)\b")


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
    strip_rows
        Height in file pixels of the strips shared by the chunks that files on the load's own grid are
        read by, when chunks are at least that tall (:mod:`.strips`); 0: one read per chunk.
    """

    signer: Signer | None = None
    validity: int | None = None
    gdal_options: tuple[tuple[str, str], ...] = tuple(DEFAULT_GDAL_OPTIONS.items())
    retry_signed: bool = True
    strip_rows: int = STRIP_ROWS

    def get_signer(self) -> Signer:
        """The signer to use in this process."""
        return self.signer if self.signer is not None else get_signer()

    @property
    def env(self) -> dict[str, str]:
        """The GDAL options as a dict."""
        return dict(self.gdal_options)


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def open_for_read(open_level: Callable[[int], contextlib.AbstractContextManager[Any]], band: int,
                  cfg: RasterLoadParams, dst_geobox: GeoBox) -> Iterator[tuple[int, Any, ReprojectInfo]]:
    """The file at the level a read over ``dst_geobox`` uses, as odc-loader chooses it.

    The full-resolution file is opened first; when the output is coarser (``read_shrink > 1``) and
    ``cfg.use_overviews``, the overview odc-loader would pick is opened instead. Shared by the reads
    (:func:`read_bands`) and the estimates of what they fetch (:meth:`.tiles.TileIndex.tiles_read`).

    Parameters
    ----------
    open_level
        Opens the file at a level (0 full resolution, ``k + 1`` overview ``k``), as a context manager.
    band
        The band whose overviews count (1-based).
    cfg
        odc-loader load parameters (resampling, overviews).
    dst_geobox
        The destination grid.

    Yields
    ------
    tuple
        ``(level, dataset, reprojection info)`` of the dataset to read.
    """
    ttol = 0.9 if cfg.nearest else 0.05
    with open_level(0) as rdr:
        rr = compute_reproject_roi(rio_geobox(rdr), dst_geobox, ttol=ttol)
        overview = None
        if cfg.use_overviews and rr.read_shrink > 1:
            overview = pick_overview(rr.read_shrink, rdr.overviews(band))
        if overview is None:
            yield 0, rdr, rr
            return
    with open_level(overview + 1) as ovr:
        yield overview + 1, ovr, compute_reproject_roi(rio_geobox(ovr), dst_geobox, ttol=ttol)


def _read_once(uri: str, url: str, bands: Sequence[int], cfg: RasterLoadParams,
               dst_geobox: GeoBox) -> tuple[tuple[slice, slice], np.ndarray]:
    with open_for_read(lambda level: pooled(uri, url, level), bands[0], cfg, dst_geobox) as (_, rdr, rr):
        if rr.paste_ok and rr.read_shrink == 1:  # a window read: tile row by tile row
            rdr = TileRowReads(rdr)
        with ranged_files.checked():  # a fetch that failed under GDAL (presigned URLs) is raised here
            return do_read(rasterio.band(rdr, list(bands)), cfg, dst_geobox, rr)


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
        If the read fails (after :data:`READ_ATTEMPTS` attempts for a signed URL); the message names the
        file, the bands and the window; signatures masked.
    SigningError, AuthenticationError
        If no URL could be signed.
    """
    signer = config.get_signer()
    failure = ""
    window: tuple[float, float, float, float, str] | None = None
    with rasterio.Env(**config.env):
        for attempt in range(READ_ATTEMPTS):
            signed = signer.resign_url(uri, config.validity, force=attempt > 0)
            try:
                # a retry bypasses GDAL's cache, which may hold the failure under this very URL
                with uncached(signed.href) if attempt > 0 else contextlib.nullcontext():
                    out = _read_once(uri, signed.href, bands, cfg, dst_geobox)
            except Exception as exc:
                if not is_read_error(exc):
                    raise
                count("errors")
                discard_files(uri)
                retry = signed.signed and config.retry_signed and not _RETRIED_BY_GDAL.search(str(exc))
                if attempt + 1 < READ_ATTEMPTS and retry:
                    count("retries")
                    log.info("read of %s failed (%s); retrying with a new signature", uri,
                             mask_signatures(str(exc)))
                    continue
                box = dst_geobox.boundingbox
                window = (box.left, box.bottom, box.right, box.top, str(dst_geobox.crs))
                where = (f" over the window ({box.left:.10g}, {box.bottom:.10g}, {box.right:.10g}, "
                         f"{box.top:.10g}) of {dst_geobox.crs} ({dst_geobox.shape.x} x {dst_geobox.shape.y} "
                         f"px), after {attempt + 1} attempt(s),")
                failure = explain_read_error(uri, bands, exc, signed=signed.signed, where=where)
                break
            count("reads")
            count("band_reads", len(bands))
            return out
    if not cfg.fail_on_error:
        log.warning("%s (left empty: fail_on_error=False)", failure)
        dtype = np.dtype(cfg.dtype or "float32")
        return (slice(0, 0), slice(0, 0)), np.empty((len(bands), 0, 0), dtype=dtype)
    # Raised outside the ``except`` block, so that the error has no context: GDAL's error quotes the signed
    # URL, and dask.distributed pickles an error's context with it.
    raise LoadError(failure, asset=uri, window=window)
