"""Strips: a file on the load's own grid is read by strips of whole tile rows shared by the chunks
(:mod:`dinamis_widgets.reading.strips`). The numbers are those of the planted truth and of the per-chunk
reads, each strip is one read of contiguous tiles, each tile is fetched once, and loads that need
resampling or small chunks keep one read per chunk. On the twin's small scenes strips are made 256 pixels
tall (``ReadConfig(strip_rows=256)``) so that 256-pixel chunks use them."""

from __future__ import annotations

from typing import Any

import dask
import numpy as np
import odc.stac
import pystac
import pytest

from dinamis_widgets.reading.driver import ReadConfig, SigningReaderDriver
from dinamis_widgets.reading.gdal_io import clear_gdal_cache, reader_stats, reset_reader_stats
from dinamis_widgets.reading.loading import load
from dinamis_widgets.reading.strips import StripPieces
from dinamis_widgets.signing.registry import get_signer
from dinamis_widgets.twin.scenes import expected_ndvi
from tests.helpers import ranged_bytes

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*")]


def _load(item: pystac.Item, rows: int, **kwargs: Any) -> Any:
    """red and nir of the MS file through the signing driver, strips ``rows`` tall (0: per chunk)."""
    driver = SigningReaderDriver(ReadConfig(signer=get_signer(), strip_rows=rows),
                                 band_plan={item.assets["multispectral"].href: (1, 4)})
    return odc.stac.load([item], bands=["red", "nir"], driver=driver, **{"chunks": {"x": 256, "y": 256},
                                                                           **kwargs})


def _keys(ds: Any, prefix: str) -> list[str]:
    return [k for k in ds.__dask_graph__() if isinstance(k, str) and k.startswith(prefix)]


def _ndvi(red: np.ndarray, nir: np.ndarray) -> np.ndarray:
    red, nir = red.astype(float), nir.astype(float)
    out = np.full(red.shape, np.nan)
    ok = (red > 0) & (nir > 0)
    out[ok] = (nir[ok] - red[ok]) / (nir[ok] + red[ok])
    return out


def test_strips_span_the_chunk_columns_and_agree_with_the_truth(twin: Any, spot: pystac.Item) -> None:
    ds = _load(spot, 256)
    strips, chunks = _keys(ds, "dinamis-read-"), _keys(ds, "dinamis-chunk-")
    ny, nx = ds.red.shape[1:]
    n_chunks = -(-ny // 256) * -(-nx // 256)
    assert len(chunks) == n_chunks and len(strips) == -(-ny // 256)  # one strip per tile row, full width
    reset_reader_stats()
    with dask.config.set(scheduler="threads", num_workers=2):
        out = ds.compute()
    assert reader_stats()["reads"] == len(strips)
    np.testing.assert_allclose(_ndvi(out.red.values[0], out.nir.values[0]), expected_ndvi(spot.id),
                               atol=1e-12, equal_nan=True)


def test_strips_on_a_cropped_grid_equal_the_per_chunk_reads(twin: Any, spot: pystac.Item) -> None:
    west, south, east, north = spot.bbox
    bbox = (west + 0.13 * (east - west), south + 0.21 * (north - south),
            west + 0.91 * (east - west), south + 0.87 * (north - south))  # not aligned with tiles or chunks
    by_strips, by_chunks = _load(spot, 256, bbox=bbox), _load(spot, 0, bbox=bbox)
    assert _keys(by_strips, "dinamis-chunk-") and not _keys(by_chunks, "dinamis-chunk-")
    with dask.config.set(scheduler="threads", num_workers=2):
        a, b = by_strips.compute(), by_chunks.compute()
    assert a.red.shape == b.red.shape and (a.red.values > 0).any()
    np.testing.assert_array_equal(a.red.values, b.red.values)
    np.testing.assert_array_equal(a.nir.values, b.nir.values)


def test_each_tile_is_fetched_once_in_one_request_per_strip(twin: Any, spot: pystac.Item) -> None:
    clear_gdal_cache()
    ds = _load(spot, 256)
    _load(spot, 256).red.isel(x=0, y=0).compute()  # headers fetched (as a plan does): tiles only below
    twin.reset_store_stats()
    with dask.config.set(scheduler="threads", num_workers=2):
        ds.compute()
    per_strip = twin.store_stats()
    clear_gdal_cache()
    _load(spot, 0).red.isel(x=0, y=0).compute()
    twin.reset_store_stats()
    with dask.config.set(scheduler="synchronous"):
        _load(spot, 0).compute()
    per_chunk = twin.store_stats()
    assert per_strip["requests"] <= len(_keys(ds, "dinamis-read-")) + 1
    assert per_strip["requests"] < per_chunk["requests"]
    assert ranged_bytes(per_strip) <= 1.02 * ranged_bytes(per_chunk)


def test_small_chunks_and_resampled_grids_keep_one_read_per_chunk(twin: Any, spot: pystac.Item) -> None:
    assert not _keys(_load(spot, 256, chunks={"x": 128, "y": 128}), "dinamis-chunk-")  # chunks < strips
    assert not _keys(_load(spot, 256, resolution=10), "dinamis-chunk-")  # resampled: no paste
    default = load([spot], bands=["red", "nir"], chunks=256)  # default strips: 512 rows, taller than chunks
    assert _keys(default, "dinamis-read-") and not _keys(default, "dinamis-chunk-")


def test_strip_pieces_give_bands_one_at_a_time() -> None:
    strip = np.arange(2 * 4 * 6).reshape(2, 4, 6)
    pieces = StripPieces((2, 4, 3), strip.dtype, 0, [(slice(0, 4), slice(0, 3), strip[:, :, 3:])])
    np.testing.assert_array_equal(pieces[1], strip[1, :, 3:])
    assert np.shares_memory(pieces[0], strip)  # one strip: a view
    np.testing.assert_array_equal(np.asarray(pieces), strip[:, :, 3:])
    partial = StripPieces((1, 2, 2), strip.dtype, -1, [(slice(0, 1), slice(0, 2), strip[:1, :1, :2])])
    assert partial[0].tolist() == [[0, 1], [-1, -1]]
