"""Reading a file by strips shared by the chunks of a load, so contiguous tiles come in one request.

A COG stores its tiles row by row: the tiles of a tile row, and the rows one after the other, are
contiguous in the file. A read of one 2048-pixel chunk fetches 8 runs of 8 tiles (one request each, GDAL
merging consecutive ranges); the chunk beside it fetches the next 8 runs, and the 16 KB blocks at the
seams twice. When the load's grid is the file's own (same CRS and pixel size, whole-pixel offset: a
"paste"), :func:`strip_layout` cuts the part of the load a file covers into **strips**: rows of the load
grid across every chunk column (up to a byte budget), aligned to the file's tile rows. Each strip is read
once, in one ``rasterio`` call, and the chunks take their pixels from the strips they cross
(:func:`assemble`). A whole 10000 x 10000 scene is then ~20 requests of contiguous bytes instead of ~300.

Grids that need resampling or reprojection (or an overview) keep one read per chunk: no layout.

Examples
--------
>>> from odc.geo.geobox import GeoBox
>>> src = GeoBox.from_bbox((0, 0, 6000, 6000), "EPSG:32630", resolution=6)   # 1000 x 1000 pixels
>>> lay = strip_layout(src, src, (512, 512), 4)
>>> lay.ys[:3], lay.xs
((0, 512, 1000), (0, 1000))
>>> lay.strips_for(slice(0, 512), slice(512, 1000))
[(slice(0, 512, None), slice(0, 1000, None))]
>>> strip_layout(src, src, (1000, 1000), 4) is None   # one chunk: one read already
True
>>> strip_layout(src, src, (256, 256), 4) is None     # small chunks: one read per chunk
True
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from odc.geo.geobox import GeoBox
from odc.geo.overlap import compute_reproject_roi

__all__ = ["STRIP_BYTES", "STRIP_ROWS", "StripLayout", "StripPieces", "assemble", "strip_layout"]

#: Strip height in file pixels (strips are used when chunks are at least this tall): a multiple of the
#: usual COG tile heights (256, 512), so strips never share a tile row.
STRIP_ROWS = 512

#: Budget of one strip's pixels in memory (bytes): strips are cut into column groups of whole chunks
#: to stay under it.
STRIP_BYTES = 32 * 2**20

Slices = tuple[slice, slice]


@dataclass(frozen=True)
class StripLayout:
    """Where the strips of one file are, in pixels of the load grid.

    ``ys`` are the row edges of the strips, ``xs`` the column edges of their column groups (both sorted,
    within the part of the load grid the file covers).
    """

    ys: tuple[int, ...]
    xs: tuple[int, ...]

    def strips_for(self, rows: slice, cols: slice) -> list[Slices]:
        """The strips (row and column slices of the load grid) a chunk at ``rows, cols`` crosses."""
        out = []
        for y0, y1 in itertools.pairwise(self.ys):
            if y1 <= rows.start or y0 >= rows.stop:
                continue
            for x0, x1 in itertools.pairwise(self.xs):
                if x1 > cols.start and x0 < cols.stop:
                    out.append((slice(y0, y1), slice(x0, x1)))
        return out


def _edges(start: int, stop: int, step: int, phase: int) -> tuple[int, ...]:
    """``start``, every position ``p`` with ``(p + phase) % step == 0`` in between, ``stop``."""
    first = start + (-(start + phase)) % step
    return (start, *(p for p in range(first, stop, step) if p > start), stop)


def strip_layout(src: GeoBox | None, load: GeoBox, chunks: tuple[int, int], pixel_bytes: int,
                 *, rows: int = STRIP_ROWS, budget: int = STRIP_BYTES) -> StripLayout | None:
    """The strips a load on grid ``load`` (chunks ``(ny, nx)``) reads a file on grid ``src`` by.

    None when strips do not apply: unknown file grid, a grid needing resampling or reprojection, a file
    within one chunk, or chunks shorter than ``rows`` (small chunks are asked for small reads).

    Parameters
    ----------
    src
        The file's grid (from the item's ``proj:`` metadata), None if unknown.
    load
        The load's output grid.
    chunks
        Chunk height and width of the load, in pixels.
    pixel_bytes
        Bytes of one pixel of a read (all the bands read together).
    rows, budget
        Strip height in file pixels (0: no strips), and memory budget of one strip in bytes.
    """
    if src is None or src.crs is None or load.crs is None:
        return None
    try:
        rr = compute_reproject_roi(src, load)
    except Exception:  # odc-geo cannot relate the grids: leave it to the per-chunk reads
        return None
    if not (rr.paste_ok and rr.read_shrink == 1):
        return None
    (dy, dx), (sy, _) = rr.roi_dst, rr.roi_src
    if dy.stop <= dy.start or dx.stop <= dx.start:
        return None
    cy, cx = (max(1, int(c)) for c in chunks)
    if dy.start // cy == (dy.stop - 1) // cy and dx.start // cx == (dx.stop - 1) // cx:
        return None
    if rows <= 0 or cy < rows:  # small chunks: small reads wanted, one per chunk as before
        return None
    ys = _edges(dy.start, dy.stop, rows, sy.start - dy.start)  # aligned to the file's tile rows
    group = max(1, budget // max(1, rows * cx * pixel_bytes))
    xs = _edges(dx.start, dx.stop, cx * group, 0)
    return StripLayout(ys, xs)


class StripPieces:
    """A chunk's pixels as views of the strips it crosses, copied band by band when a band is asked for
    (``pieces[i]``): the chunk's bands are never all copied at once, and a chunk within one strip is a
    view. ``np.asarray(pieces)`` gives the ``(bands, ny, nx)`` array.
    """

    def __init__(self, shape: tuple[int, int, int], dtype: np.dtype, fill: float,
                 views: Sequence[tuple[slice, slice, np.ndarray]]) -> None:
        self.shape, self.dtype, self.ndim = shape, dtype, 3
        self._fill = fill
        self._views = list(views)

    def _band(self, i: int) -> np.ndarray:
        _, ny, nx = self.shape
        if len(self._views) == 1 and self._views[0][2].shape[1:] == (ny, nx):
            return self._views[0][2][i]
        out = np.empty((ny, nx), dtype=self.dtype)
        if sum(v.shape[1] * v.shape[2] for _, _, v in self._views) < ny * nx:
            out[...] = self._fill
        for ys, xs, view in self._views:
            out[ys, xs] = view[i]
        return out

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, int | np.integer):
            return self._band(int(key) % self.shape[0])
        return np.asarray(self)[key]

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.stack([self._band(i) for i in range(self.shape[0])])
        return out if dtype is None else out.astype(dtype)


def assemble(chunk: Slices, parts: Sequence[Slices], fill: float,
             *strips: tuple[Slices, np.ndarray]) -> tuple[Slices, StripPieces]:
    """A chunk's pixels from the strips it crosses, as :func:`~.driver.read_bands` would return them
    (the pixels as :class:`StripPieces`: views of the strips, copied band by band when used).

    Parameters
    ----------
    chunk
        The chunk's rows and columns in the load grid.
    parts
        Each strip's rows and columns in the load grid.
    fill
        Value of pixels inside the covered box that no strip returned (none, when strips tile it).
    strips
        Each strip's read: ``(roi, pixels)``, roi relative to the strip, pixels ``(bands, ny, nx)``.

    Returns
    -------
    tuple
        ``(roi, pixels)``: the part of the chunk covered (relative to the chunk) and its pixels.

    Examples
    --------
    >>> a = ((slice(0, 2), slice(0, 4)), np.arange(8).reshape(1, 2, 4))
    >>> b = ((slice(0, 2), slice(0, 4)), np.arange(8, 16).reshape(1, 2, 4))
    >>> roi, pix = assemble((slice(1, 3), slice(2, 4)), [(slice(0, 2), slice(0, 4)),
    ...                                                  (slice(2, 4), slice(0, 4))], 0, a, b)
    >>> roi, pix[0].tolist(), np.asarray(pix).shape
    ((slice(0, 2, None), slice(0, 2, None)), [[6, 7], [10, 11]], (1, 2, 2))
    """
    cy, cx = chunk
    boxes = []
    for (py, px), ((ry, rx), pix) in zip(parts, strips, strict=True):
        y0, y1 = max(cy.start, py.start + ry.start), min(cy.stop, py.start + ry.stop)
        x0, x1 = max(cx.start, px.start + rx.start), min(cx.stop, px.start + rx.stop)
        if y1 > y0 and x1 > x0:
            boxes.append((y0, y1, x0, x1, py.start + ry.start, px.start + rx.start, pix))
    first = strips[0][1]
    if not boxes:
        return (slice(0, 0), slice(0, 0)), StripPieces((first.shape[0], 0, 0), first.dtype, fill, [])
    y0, y1 = min(b[0] for b in boxes), max(b[1] for b in boxes)
    x0, x1 = min(b[2] for b in boxes), max(b[3] for b in boxes)
    views = [(slice(by0 - y0, by1 - y0), slice(bx0 - x0, bx1 - x0),
              pix[:, by0 - oy:by1 - oy, bx0 - ox:bx1 - ox]) for by0, by1, bx0, bx1, oy, ox, pix in boxes]
    pieces = StripPieces((first.shape[0], y1 - y0, x1 - x0), first.dtype, fill, views)
    return (slice(y0 - cy.start, y1 - cy.start), slice(x0 - cx.start, x1 - cx.start)), pieces
