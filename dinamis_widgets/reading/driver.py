"""An odc-loader reader driver that signs URLs when it reads, and reads each tile once.

odc-stac's ``patch_url`` runs when the dask graph is built, so a graph built with it holds signed URLs
that expire while it runs (the same problem as odc-stac issue 289). :class:`SigningReaderDriver` keeps
**unsigned** hrefs in the graph and asks the signer for a URL valid *at the moment of each read*:

- every read calls :meth:`~dinamis_widgets.Signer.resign_url`, a cache hit while
  the signature stays valid long enough, so GDAL keeps seeing the same URL (and reuses what it cached);
- a read that fails on a signed URL (an expired signature is a ``403``, which GDAL often reports only as
  ``TIFFReadEncodedTile() failed``; a connection cut mid-body, which GDAL does not retry) is retried, at
  most twice, with a freshly signed URL, fresh file handles, and without GDAL's cache (a URL signed again
  within the same second is the same URL, whose failure GDAL would serve from its cache);
- errors are re-raised as :class:`~dinamis_widgets.errors.LoadError` with signatures masked, and the
  loggers of rasterio are masked too (:mod:`.gdal_io`);
- the signer is pickled into the graph (configuration and credentials; see the security note in
  :func:`dinamis_widgets.load`), or found from each worker's own settings (``ReadConfig(signer=None)``),
  so reads work in kernel threads, dask threads, processes and ``dask.distributed`` workers.

Reading each tile once: SPOT and Pléiades multispectral COGs are pixel-interleaved, so a tile holds every
band. odc-stac builds one task per band and chunk, each opening the file and reading one band: NDVI
fetches every tile twice. Here the per-band task of a chunk depends on **one shared task per
(asset, chunk)** that reads, in one ``rasterio`` call, every band the load needs from that asset
(the "band plan"); dask computes a key once, however many bands depend on it. Opened files come from a
small per-process pool (:mod:`.gdal_io`). The driver records the shared reads it emits for each load
(:attr:`SigningReaderDriver.last_load`), which is how :func:`dinamis_widgets.plan` knows them.

Strips (:mod:`.strips`, decision record 0008): a file on the load's own grid is read by strips of whole
tile rows shared by the chunks, one request per run of contiguous tiles, window reads tile row by tile row.

Overviews: when the output grid is coarser than the file, the overview level is picked as odc-stac
does and read directly, so coarse loads fetch fewer bytes. :func:`open_for_read` makes that choice for
the reads and for the cost estimates of :class:`~.tiles.TileIndex`.

The pixel-level read (nodata, dtype, paste or reprojection) is odc-loader's own, vendored in
:mod:`.odc_read`, so results are those of odc-stac's reader. Where a band is scaled or masked
(:mod:`.finishing`), the per-band task finishes the shared read's pixels, after one shared read per
(mask file, chunk) of the masks it needs; otherwise it only picks its band, as before.

Examples
--------
>>> from dinamis_widgets.signing.client import Signer
>>> driver = SigningReaderDriver(ReadConfig(signer=Signer(None)))
>>> driver.capture_env()["GDAL_DISABLE_READDIR_ON_OPEN"]
'EMPTY_DIR'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
from dask.base import tokenize
from dask.task_spec import Task, TaskRef
from odc.geo.geobox import GeoBox
from odc.geo.overlap import compute_reproject_roi
from odc.loader import RasterLoadParams, RasterSource

from ..errors import masked_logger
from .file_reads import ReadConfig, open_for_read, read_bands
from .finishing import BandFinish, Finishing, fill_value, finish_band
from .strips import StripLayout, assemble, strip_layout

__all__ = [
    "LoadState",
    "ReadConfig",
    "SharedRead",
    "SigningDaskReader",
    "SigningRasterReader",
    "SigningReaderDriver",
    "mask_params",
    "open_for_read",
    "read_bands",
    "read_params",
]

log = masked_logger(__name__)

def _pick(shared: tuple[tuple[slice, slice], np.ndarray], i: int) -> tuple[tuple[slice, slice], np.ndarray]:
    roi, pix = shared
    return roi, pix[i]


# --------------------------------------------------------------------------------------------------
# odc-loader protocols
# --------------------------------------------------------------------------------------------------


def mask_params(cfg: RasterLoadParams) -> RasterLoadParams:
    """How a mask file is read for a band read with ``cfg``: its own data type, nearest neighbour, 0
    (nothing masked) where the file does not reach."""
    return RasterLoadParams(dtype=None, fill_value=0, use_overviews=cfg.use_overviews, resampling="nearest",
                            fail_on_error=cfg.fail_on_error)


def read_params(cfg: RasterLoadParams, finish: BandFinish | None) -> RasterLoadParams:
    """The parameters of a band's shared read: the band's, and the declared nodata where a finished band's
    file declares none."""
    cfg = cfg.patch(meta=None)
    if finish is not None and finish.nodata is not None and cfg.src_nodata_fallback is None:
        cfg = cfg.patch(src_nodata_fallback=finish.nodata)
    return cfg


class SigningRasterReader:
    """``RasterReader`` of one band (used by odc-loader's non-dask path)."""

    def __init__(self, src: RasterSource, config: ReadConfig, finish: BandFinish | None = None) -> None:
        self._src = src
        self._config = config
        self._finish = finish

    def read(self, cfg: RasterLoadParams, dst_geobox: GeoBox, *, dst: np.ndarray | None = None,
             selection: Any | None = None) -> tuple[tuple[slice, slice], np.ndarray]:
        """Read the band over ``dst_geobox`` (into ``dst`` when given), finished when it must be."""
        roi, pix = read_bands(self._src.uri, (self._src.band,), read_params(cfg, self._finish), dst_geobox,
                              self._config)
        if self._finish is not None and not self._finish.identity:
            masks = [read_bands(m.uri, (1,), mask_params(cfg), dst_geobox, self._config)
                     for m in self._finish.masks]
            roi, band = finish_band((roi, pix), 0, self._finish, fill_value(cfg), *masks)
        else:
            band = pix[0]
        if dst is not None:
            dst[roi] = band
            return roi, dst[roi]
        return roi, band


@dataclass(frozen=True)
class _Future:
    """What odc-loader expects from ``DaskRasterReader.read``: a key and the graph that computes it."""

    key: Any
    dask: dict[Any, Any]


@dataclass(frozen=True)
class SharedRead:
    """One shared read task of a load: bands of one file over one output chunk (:func:`read_bands`)."""

    key: str
    """The task's key in the graph."""
    uri: str
    """Unsigned href."""
    bands: tuple[int, ...]
    """1-based bands read together."""
    cfg: RasterLoadParams
    """odc-loader load parameters."""
    geobox: GeoBox
    """The chunk's grid."""


@dataclass
class LoadState:
    """One load of a :class:`SigningReaderDriver` (odc-loader's load state): the output grid, and the shared
    reads the driver emitted for it, by key."""

    geobox: GeoBox
    chunks: Mapping[str, int] | None = None
    reads: dict[str, SharedRead] = field(default_factory=dict)
    layouts: dict[Any, StripLayout | None] = field(default_factory=dict)
    """Strip layout of each (href, bands), computed once per load."""

    def chunk_shape(self) -> tuple[int, int]:
        """Chunk height and width of the load (the whole grid when not chunked)."""
        ny, nx = (int(v) for v in self.geobox.shape.yx)
        chunks = self.chunks or {}
        return (int(chunks.get("y", ny) or ny), int(chunks.get("x", nx) or nx))


def _geobox_token(gbox: GeoBox) -> tuple[Any, ...]:
    return (tuple(gbox.shape.yx), tuple(gbox.transform)[:6], str(gbox.crs))


@dataclass(frozen=True)
class SigningDaskReader:
    """``DaskRasterReader``: per-band tasks that share one read task per (asset, chunk)."""

    config: ReadConfig
    band_plan: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    finishing: Finishing | None = None
    src: RasterSource | None = None
    cfg: RasterLoadParams | None = None
    layer_name: str = ""
    load: LoadState | None = field(default=None, compare=False)

    def open(self, src: RasterSource, cfg: RasterLoadParams, ctx: Any, *, layer_name: str,
             idx: int) -> SigningDaskReader:
        """Bind the reader to a source (no IO); ``ctx`` is the state of the load (its reads are recorded)."""
        return SigningDaskReader(self.config, self.band_plan, self.finishing, src, cfg, layer_name,
                                 ctx if isinstance(ctx, LoadState) else None)

    def bands_for(self, src: RasterSource) -> tuple[int, ...]:
        """Bands read together with ``src.band`` (the band plan of its file)."""
        planned = self.band_plan.get(src.uri, ())
        return planned if src.band in planned else (src.band,)

    def read(self, dst_geobox: GeoBox, *, selection: Any | None = None, idx: tuple[int, ...]) -> _Future:
        """Graph of the chunk ``idx`` of this band: a shared multi-band read, then a pick (or a finish, after
        the shared reads of the masks it applies)."""
        assert self.src is not None and self.cfg is not None
        bands = self.bands_for(self.src)
        finish = self.finishing.of(self.src.uri, self.src.band) if self.finishing is not None else None
        cfg = read_params(self.cfg, finish)
        where = _geobox_token(dst_geobox)
        band_key = (self.layer_name, *idx)
        dsk: dict[Any, Any] = {}
        shared_key = self._strips(dsk, bands, cfg, dst_geobox, selection)
        if shared_key is None:
            shared_key = f"dinamis-read-{tokenize(self.src.uri, bands, cfg, where, selection)}"
            dsk[shared_key] = Task(shared_key, read_bands, self.src.uri, bands, cfg, dst_geobox, self.config)
            self._record(SharedRead(shared_key, self.src.uri, bands, cfg, dst_geobox))
        if finish is None or finish.identity:
            dsk[band_key] = Task(band_key, _pick, TaskRef(shared_key), bands.index(self.src.band))
            return _Future(band_key, dsk)
        mask_refs = []
        for use in finish.masks:
            mcfg = mask_params(cfg)
            mask_key = f"dinamis-mask-{tokenize(use.uri, mcfg, where, selection)}"
            dsk[mask_key] = Task(mask_key, read_bands, use.uri, (1,), mcfg, dst_geobox, self.config)
            self._record(SharedRead(mask_key, use.uri, (1,), mcfg, dst_geobox))
            mask_refs.append(TaskRef(mask_key))
        dsk[band_key] = Task(band_key, finish_band, TaskRef(shared_key), bands.index(self.src.band), finish,
                             fill_value(self.cfg), *mask_refs)
        return _Future(band_key, dsk)

    def _strips(self, dsk: dict[Any, Any], bands: tuple[int, ...], cfg: RasterLoadParams, dst_geobox: GeoBox,
                selection: Any) -> str | None:
        """Add the strip reads of this chunk and the task assembling them to ``dsk``; its key, or None
        when the file is read chunk by chunk (:mod:`.strips`)."""
        load, src = self.load, self.src
        if load is None or src is None or selection is not None:
            return None
        lkey = (src.uri, bands, tokenize(cfg))
        if lkey not in load.layouts:
            dtype = cfg.dtype or (src.meta.data_type if src.meta is not None else None) or "uint16"
            itemsize = np.dtype(dtype).itemsize
            load.layouts[lkey] = strip_layout(src.geobox if isinstance(src.geobox, GeoBox) else None,
                                              load.geobox, load.chunk_shape(), itemsize * len(bands),
                                              rows=self.config.strip_rows)
        layout = load.layouts[lkey]
        if layout is None:
            return None
        rr = compute_reproject_roi(load.geobox, dst_geobox)  # a chunk of the load: a paste
        chunk: tuple[slice, slice] = rr.roi_src  # type: ignore[assignment]
        parts = layout.strips_for(*chunk) if rr.paste_ok and rr.read_shrink == 1 else []
        if not parts:
            return None
        refs = []
        for part in parts:
            gbox = load.geobox[part]
            key = f"dinamis-read-{tokenize(src.uri, bands, cfg, _geobox_token(gbox))}"
            if key not in dsk:
                dsk[key] = Task(key, read_bands, src.uri, bands, cfg, gbox, self.config)
            self._record(SharedRead(key, src.uri, bands, cfg, gbox))
            refs.append(TaskRef(key))
        key = f"dinamis-chunk-{tokenize(src.uri, bands, cfg, _geobox_token(dst_geobox))}"
        fill = cfg.fill_value if cfg.fill_value is not None else 0
        dsk[key] = Task(key, assemble, chunk, parts, fill, *refs)
        return key

    def _record(self, read: SharedRead) -> None:
        if self.load is not None:
            self.load.reads.setdefault(read.key, read)


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
    finishing
        Scale, offset and masks of the bands that have them (:mod:`.finishing`); None: pixels as read.

    Attributes
    ----------
    last_load
        The state of the latest load started with this driver (its shared reads), None before any.
    """

    def __init__(self, config: ReadConfig | None = None,
                 band_plan: Mapping[str, Sequence[int]] | None = None,
                 finishing: Finishing | None = None) -> None:
        self.config = config or ReadConfig()
        self.band_plan = {k: tuple(sorted(set(v))) for k, v in (band_plan or {}).items()}
        self.finishing = finishing
        self.last_load: LoadState | None = None

    def __repr__(self) -> str:
        return f"SigningReaderDriver(files={len(self.band_plan)}, signer={self.config.signer!r})"

    def new_load(self, geobox: GeoBox, *, chunks: dict[str, int] | None = None) -> LoadState:
        """Start a load (no IO)."""
        self.last_load = LoadState(geobox, chunks)
        return self.last_load

    def finalise_load(self, load_state: LoadState) -> None:
        """End a load."""
        return None

    def capture_env(self) -> dict[str, Any]:
        """GDAL options to restore around reads (no secrets: signatures come from the signer)."""
        return self.config.env

    @contextlib.contextmanager
    def restore_env(self, env: dict[str, Any], load_state: LoadState) -> Iterator[LoadState]:
        """Set the GDAL options for reads in this thread."""
        with rasterio.Env(**env):
            yield load_state

    def open(self, src: RasterSource, ctx: Any) -> SigningRasterReader:
        """A reader of one band (no IO)."""
        finish = self.finishing.of(src.uri, src.band) if self.finishing is not None else None
        return SigningRasterReader(src, self.config, finish)

    @property
    def md_parser(self) -> None:
        """odc-stac's default STAC parsing is used."""
        return None

    @property
    def dask_reader(self) -> SigningDaskReader:
        """The dask graph builder of reads."""
        return SigningDaskReader(self.config, self.band_plan, self.finishing)

    @property
    def aux_reader(self) -> None:
        """No auxiliary bands."""
        return None
