"""What a load will cost, before reading any pixel: :func:`plan` and its :class:`LoadPlan`.

The output grid, chunks and tasks come from the lazy cube (no IO); the shared reads are those the reader
driver emitted while odc-stac built the graph (:attr:`~.driver.SigningReaderDriver.last_load`); the bytes
come from each file's tile index (:class:`~.tiles.TileIndex`: the header only, through a signed URL), at
the level each read will use.
Sizes are written by :func:`~dinamis_widgets.reading.sizes.format_bytes` (binary units).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Unpack

from .options import LoadArguments
from .sizes import format_bytes

if TYPE_CHECKING:
    from .driver import SharedRead

__all__ = ["FileCost", "LoadPlan", "plan"]


@dataclass(frozen=True)
class FileCost:
    """Estimated cost of one file of a load."""

    href: str
    """Unsigned href."""
    bands: tuple[int, ...]
    """1-based bands read from it."""
    levels: tuple[int, ...]
    """Levels read: 0 full resolution, ``k + 1`` overview ``k``."""
    reads: int
    """Shared reads (one per output chunk it covers)."""
    tiles: int
    """Distinct tiles read."""
    tile_reads: int
    """Tiles read, summed over reads (more than ``tiles`` when chunks and tiles are not aligned)."""
    bytes: int
    """Compressed bytes of the distinct tiles (TileByteCounts)."""
    header_bytes: int
    """Header bytes fetched when the file is opened."""


@dataclass(frozen=True)
class LoadPlan:
    """What :func:`~dinamis_widgets.load` will build and fetch, known before reading any pixel (see
    :func:`plan`).

    ``estimated_bytes`` sums the compressed sizes of the distinct tiles the chunks read (from the files'
    tile index, at the overview level the reads will use) and one header per file. That is what one
    process fetches: GDAL caches what it fetched (16 MB by default), so a tile shared by chunks that are
    not aligned with the 256-pixel tiles is fetched again only by another process, or when it ran at the
    same time, or after the cache forgot it. Not counted: GDAL's size probe when it opens a signed URL (a
    range-less ``GET`` that it cuts short: tens of KB per file and per signature) and reads repeated
    after an error.
    """

    crs: str
    shape: tuple[int, int, int]
    resolution: tuple[float, float]
    bounds: tuple[float, float, float, float]
    chunks: tuple[int, int, int]
    n_chunks: int
    n_tasks: int
    n_reads: int
    bands: tuple[str, ...]
    dtypes: dict[str, str]
    items: tuple[str, ...]
    times: tuple[str, ...]
    files: tuple[FileCost, ...]
    output_bytes: int
    band_sources: dict[str, str] = field(default_factory=dict)
    """Where each band comes from: ``{"red": "src_xs.1 (assumed order)"}`` (the name alone: as declared)."""
    scaling: dict[str, str] = field(default_factory=dict)
    """Scale and offset applied, by file name (``{"..._FRE_B4.tif": "x 0.0001 + 0"}``)."""
    masks: tuple[str, ...] = ()
    """Mask files applied (``mask="clouds"``), each read once per chunk."""
    probed: int = 0
    """Files whose header was read to complete their items' metadata (band count, grid)."""

    @property
    def tile_bytes(self) -> int:
        """Bytes of the tiles to fetch."""
        return sum(f.bytes for f in self.files)

    @property
    def header_bytes(self) -> int:
        """Bytes of the files' headers."""
        return sum(f.header_bytes for f in self.files)

    @property
    def estimated_bytes(self) -> int:
        """Estimated bytes fetched from the object store (tiles and headers)."""
        return self.tile_bytes + self.header_bytes

    def _rows(self) -> list[tuple[str, str]]:
        t, ny, nx = self.shape
        rx, ry = self.resolution
        left, bottom, right, top = self.bounds
        overview = sum(1 for f in self.files if any(lv > 0 for lv in f.levels))
        return [
            ("items", f"{len(self.items)}: {', '.join(self.items[:3])}"
                      f"{', ...' if len(self.items) > 3 else ''}"),
            ("time", f"{len(self.times)} step(s): {', '.join(self.times[:4])}"
                     f"{', ...' if len(self.times) > 4 else ''}"),
            ("bands", ", ".join(f"{b} ({self.dtypes.get(b, '?')}{self._source(b)})" for b in self.bands)),
            ("grid", f"{self.crs}, {ny} x {nx} pixels of {abs(rx):g} x {abs(ry):g}, time {t}"),
            ("bounds", f"({left:.2f}, {bottom:.2f}, {right:.2f}, {top:.2f})"),
            ("chunks", f"{self.chunks} -> {self.n_chunks} chunk(s) per band, {self.n_tasks} tasks, "
                       f"{self.n_reads} shared reads"),
            ("files", f"{len(self.files)} ({overview} read from overviews)"),
            ("to fetch", f"~{format_bytes(self.estimated_bytes)} (tiles {format_bytes(self.tile_bytes)}, "
                         f"headers {format_bytes(self.header_bytes)})"),
            ("in memory", format_bytes(self.output_bytes)),
            *self._finishing_rows(),
        ]

    def _source(self, band: str) -> str:
        src = self.band_sources.get(band, band)
        return "" if src == band else f", from {src}"

    def _finishing_rows(self) -> list[tuple[str, str]]:
        rows = []
        if self.scaling:
            values = sorted(set(self.scaling.values()))
            rows.append(("scaled", f"{', '.join(values)} ({len(self.scaling)} file(s)), then float32, NaN "
                                   "for nodata"))
        if self.masks:
            rows.append(("masks", f"{'; '.join(self.masks[:3])}{'; ...' if len(self.masks) > 3 else ''} "
                                  f"({len(self.masks)} file(s), each read once per chunk, masked pixels "
                                  "NaN)"))
        if self.probed:
            rows.append(("headers", f"{self.probed} file(s) read to complete their items' metadata"))
        return rows

    def __str__(self) -> str:
        rows = self._rows()
        width = max(len(k) for k, _ in rows)
        return "LoadPlan\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        from html import escape

        cells = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>"
                        f"{escape(v)}</td></tr>" for k, v in self._rows())
        return f"<table><caption style='text-align:left'><b>Load plan</b></caption>{cells}</table>"



def _file_cost(uri: str, reads: Sequence[SharedRead], config: Any, estimate: bool) -> FileCost:
    """The cost of one file: its shared reads, and (``estimate``) the tiles they fetch."""
    from .tiles import TileIndex

    bands_used = tuple(sorted({b for r in reads for b in r.bands}))
    if not estimate:
        return FileCost(uri, bands_used, (), len(reads), 0, 0, 0, 0)
    index = TileIndex(uri, config)
    try:
        tiles = [t for r in reads for t in index.tiles_read(r.bands, r.cfg, r.geobox)]
        distinct = sorted(set(tiles))
        return FileCost(uri, bands_used, tuple(sorted({t[0] for t in distinct})), len(reads),
                        len(distinct), len(tiles), index.tile_bytes(distinct), index.header_bytes)
    finally:
        index.close()


def plan(items: Any, bands: str | Sequence[str] | None = None, *, estimate: bool = True,
         **arguments: Unpack[LoadArguments]) -> LoadPlan:
    """Tell what :func:`~dinamis_widgets.load` will build and fetch, before reading any pixel.

    Takes the arguments of :func:`~dinamis_widgets.load`. The output grid, chunks and tasks come from
    the lazy cube (no IO but the headers :func:`~dinamis_widgets.load` reads); the bytes to fetch come
    from each file's tile index, read through a signed URL (the header only: a few small range requests
    per file), at the overview level the load will use.
    The plan also says where each band comes from (declared, a table, an assumed band order), what is
    scaled and which masks are read (``mask="clouds"``: a mask file is one more read per chunk, counted
    in the bytes).

    Parameters
    ----------
    items, bands, aoi, resolution, crs, chunks, groupby, signer, options
        As :func:`~dinamis_widgets.load`.
    estimate
        Read the files' tile indexes to estimate the bytes (False: no IO, bytes left at 0, except the
        headers :func:`~dinamis_widgets.load` reads too: files whose items give no grid or band count,
        and the first file's, for its tile height, when no ``chunks`` are given and the grid is tall).

    Returns
    -------
    LoadPlan
        Printable (``print(p)``) and shown as a table in Jupyter.

    Examples
    --------
    >>> import dinamis_widgets as dw
    >>> items = dw.search(collections=["SPOT67_HCF_GS1"], bbox=(-0.97, 45.93, -0.95, 45.95),
    ...                   filters={"processing:level": "ORTHO"})
    >>> p = dw.plan(items, bands=["red", "nir"], aoi=(-0.97, 45.93, -0.95, 45.95))
    >>> p.shape[1:], p.estimated_bytes > 0
    ((378, 269), True)
    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from .loading import prepare_load

    prepared = prepare_load(items, bands, **arguments)
    ds = prepared.build()
    load_state = prepared.driver.last_load
    reads = list(load_state.reads.values()) if load_state is not None else []
    gbox = ds.odc.geobox
    first = ds[prepared.bands[0]]
    chunk_shape = tuple(int(c[0]) for c in first.chunks) if first.chunks else tuple(first.shape)
    n_chunks = int(np.prod([len(c) for c in first.chunks])) if first.chunks else 1
    graph = ds.__dask_graph__()
    by_uri: dict[str, list[SharedRead]] = {}
    for read in reads:
        by_uri.setdefault(read.uri, []).append(read)
    config = prepared.driver.config
    with ThreadPoolExecutor(max_workers=8) as pool:  # headers of several files at once
        files = list(pool.map(lambda kv: _file_cost(kv[0], kv[1], config, estimate), sorted(by_uri.items())))
    res = gbox.resolution
    epsg = gbox.crs.epsg if gbox.crs is not None else None
    scaling, masks = prepared.finishing.describe() if prepared.finishing is not None else ({}, ())
    return LoadPlan(
        crs=f"EPSG:{epsg}" if epsg else str(gbox.crs),
        shape=(int(ds.sizes.get("time", 1)), *(int(v) for v in gbox.shape.yx)),  # type: ignore[arg-type]
        resolution=(float(res.x), float(res.y)),
        bounds=tuple(float(v) for v in gbox.boundingbox),  # type: ignore[arg-type]
        chunks=chunk_shape,  # type: ignore[arg-type]
        n_chunks=n_chunks,
        n_tasks=len(graph) if graph is not None else 0,
        n_reads=len(reads),
        bands=prepared.bands,
        dtypes={str(k): str(v.dtype) for k, v in ds.data_vars.items()},
        items=tuple(it.id for it in prepared.items),
        times=tuple(str(t)[:19] for t in ds["time"].values) if "time" in ds.coords else (),
        files=tuple(files),
        output_bytes=int(ds.nbytes),
        band_sources=dict(prepared.band_sources),
        scaling=scaling,
        masks=masks,
        probed=prepared.probed,
    )
