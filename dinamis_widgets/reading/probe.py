"""Reading the header of files whose items do not describe them: band count, data types, nodata, grid.

Only for what the items and the tables leave unknown (an item with ``proj:epsg`` but no ``proj:shape``
and ``proj:transform``, like ``spot-6-7-drs``'s; a multi-band asset that declares no bands in a
collection the tables do not know). Each file is opened once, through a URL signed now, by the same
signer and GDAL options as the reads: GDAL fetches its first 16 KB block (and keeps it in its cache, so
the reads that follow on the same signed URL do not fetch it again). Several files are read at once.

Examples
--------
>>> FileFacts(4, ("uint16",) * 4, 0.0, "EPSG:32630", (500, 500), (6.0, 0.0, 0.0, 0.0, -6.0, 0.0)).count
4
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import rasterio

from ..errors import LoadError, mask_signatures
from .driver import ReadConfig
from .gdal_io import count, is_read_error, opened_dataset, pooled

__all__ = ["FileFacts", "probe_files", "tile_rows"]


@dataclass(frozen=True)
class FileFacts:
    """What a file's header says."""

    count: int
    dtypes: tuple[str, ...]
    nodata: float | None
    crs: str | None
    shape: tuple[int, int]
    transform: tuple[float, float, float, float, float, float]


def _crs_text(crs: rasterio.crs.CRS | None) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _probe(href: str, config: ReadConfig) -> FileFacts:
    url = config.get_signer().resign_url(href, config.validity).href
    with rasterio.Env(**config.env):
        try:
            with opened_dataset(url) as rdr:
                facts = FileFacts(int(rdr.count), tuple(str(d) for d in rdr.dtypes),
                                  None if rdr.nodata is None else float(rdr.nodata), _crs_text(rdr.crs),
                                  (int(rdr.height), int(rdr.width)),
                                  tuple(float(v) for v in list(rdr.transform)[:6]))  # type: ignore[arg-type]
        except Exception as exc:
            if not is_read_error(exc):
                raise
            raise LoadError(f"Could not read the header of {href}: {mask_signatures(str(exc))}") from None
    count("probes")
    if facts.crs is None:
        raise LoadError(f"{href} is not georeferenced (a raw product in sensor geometry?): it cannot be "
                        "loaded on a map grid. Load ORTHO products.")
    return facts


def probe_files(hrefs: Iterable[str], config: ReadConfig) -> dict[str, FileFacts]:
    """The headers of files (unsigned hrefs), read through URLs signed now, several at once.

    Raises
    ------
    LoadError
        A file cannot be read, or is not georeferenced (signatures masked).
    """
    todo = sorted(set(hrefs))
    if not todo:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
        return dict(zip(todo, pool.map(lambda h: _probe(h, config), todo), strict=True))


def tile_rows(href: str, config: ReadConfig, resolution: float) -> int | None:
    """The height of ``href``'s tiles in pixels of an output grid of ``resolution`` (units of its CRS), or
    None if its header cannot be read now (the reads will retry and say why).

    Read through the pool of open files the reads use, on the URL they will be signed with: the reads
    that follow take this open file, header included, instead of fetching it again. One attempt, no
    retries: it is a hint for the chunks, and a load must not wait on it. A file that cannot be signed
    raises the signer's error (the reads could not sign it either).
    """
    url = config.get_signer().resign_url(href, config.validity).href
    try:
        with rasterio.Env(**{**config.env, "GDAL_HTTP_MAX_RETRY": "0"}), pooled(href, url, 0) as rdr:
            height = int(rdr.block_shapes[0][0])
            file_res = abs(float(rdr.transform.e))
    except Exception as exc:
        if not is_read_error(exc):
            raise
        return None
    count("tile_probes")
    if resolution <= 0 or file_res <= 0:
        return None
    return max(1, round(height * file_res / resolution))
