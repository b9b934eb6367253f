"""The tile layout of a COG, for estimating what reads will fetch before reading any pixel.

:class:`TileIndex` reads only a file's header (through a signed URL) and tells which tiles a read over a
grid fetches, at the level the read will use (the same choice as the reads: :func:`.driver.open_for_read`),
and their compressed sizes (the TIFF ``TileByteCounts``). :func:`dinamis_widgets.plan` sums them.

Examples
--------
>>> GDAL_CHUNK
16384
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

import rasterio
from odc.geo.geobox import GeoBox
from odc.loader import RasterLoadParams

from .driver import ReadConfig, open_for_read
from .gdal_io import close_dataset, open_dataset

__all__ = ["GDAL_CHUNK", "TileIndex"]

#: GDAL fetches remote files by blocks of this many bytes (``CPL_VSIL_CURL_CHUNK_SIZE``).
GDAL_CHUNK = 16384

Tile = tuple[int, int, int, int]  # level (0 full resolution, k + 1 overview k), band, row, column


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
        self._sizes: dict[Tile, int] = {}
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
            rdr = self._readers[level] = open_dataset(self._url, level)
        return rdr

    def close(self) -> None:
        """Close the files opened."""
        for rdr in self._readers.values():
            close_dataset(rdr)
        self._readers.clear()

    @property
    def header_bytes(self) -> int:
        """Bytes before the first tile of any level (IFDs and tile index), rounded up as GDAL reads them."""
        with self._env():
            offsets = [int(self._reader(level).get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1) or 0)
                       for level in range(len(self.overviews) + 1)]
        first = min((o for o in offsets if o > 0), default=GDAL_CHUNK)
        return -(-first // GDAL_CHUNK) * GDAL_CHUNK

    def tile_bytes(self, tiles: Iterable[Tile]) -> int:
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

    def tiles_read(self, bands: Sequence[int], cfg: RasterLoadParams, dst_geobox: GeoBox) -> list[Tile]:
        """Tiles ``(level, band, row, col)`` a read of ``bands`` over ``dst_geobox`` fetches, as
        :func:`~.driver.read_bands` reads them (same level, same window). A pixel-interleaved tile
        counts once (as band 1), whatever the bands."""
        with self._env(), open_for_read(lambda level: contextlib.nullcontext(self._reader(level)),
                                        bands[0], cfg, dst_geobox) as (level, rdr, rr):
            ys, xs = rr.roi_src
            if ys.stop <= ys.start or xs.stop <= xs.start:
                return []
            bh, bw = rdr.block_shapes[0]
        per_tile = [1] if self.interleave == "PIXEL" else sorted(set(bands))
        return [(level, b, row, col)
                for row in range(ys.start // bh, (ys.stop - 1) // bh + 1)
                for col in range(xs.start // bw, (xs.stop - 1) // bw + 1)
                for b in per_tile]
