"""dinamis_widgets.load and plan against the twin: bands by name, nodata, integers, time, AOIs, provenance
without signatures, no read before compute, overviews, and the plan's byte estimate."""

from __future__ import annotations

import json
import os
import pickle
from datetime import UTC, datetime
from typing import Any

import cloudpickle
import numpy as np
import pystac
import pytest

from dinamis_widgets.errors import LoadError, NotSignableError, QueryError
from dinamis_widgets.reading.gdal_io import clear_gdal_cache
from dinamis_widgets.reading.loading import load
from dinamis_widgets.reading.options import LoadOptions, default_chunks
from dinamis_widgets.reading.planning import plan
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.signing.dispatch import sign
from dinamis_widgets.twin.scenes import expected_bands
from tests.helpers import bytes_served_by, native_window
from tests.servers import write_cog

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*")]

SPOT = "W001N46_SCENE1"


def _items(twin_items: list[dict[str, Any]], *, contains: str = "", collection: str = "",
           level: str = "ORTHO") -> list[pystac.Item]:
    return [pystac.Item.from_dict(d) for d in twin_items
            if contains in d["id"] and collection in d["collection"]
            and d["properties"].get("processing:level") == level
            and "REGARDS" not in d["collection"]]


@pytest.fixture(scope="module")
def spot(twin_items: list[dict[str, Any]]) -> list[pystac.Item]:
    items = _items(twin_items, contains=SPOT)
    assert len(items) == 4
    return sorted(items, key=lambda it: it.datetime)  # type: ignore[arg-type, return-value]


@pytest.fixture(scope="module")
def pneo(twin_items: list[dict[str, Any]]) -> pystac.Item:
    return _items(twin_items, collection="PNeo")[0]


def test_nothing_is_read_before_compute(twin: Any, spot: list[pystac.Item]) -> None:
    clear_gdal_cache()
    twin.reset_store_stats()
    ds = load(spot, bands=["red", "nir", "pan"], chunks=256)
    p = plan(spot, bands=["red", "nir"], estimate=False)
    assert twin.store_stats()["requests"] == 0
    assert ds.red.chunks is not None and p.n_tasks > 0
    ds.red.isel(time=0, x=slice(0, 10), y=slice(0, 10)).compute()
    assert twin.store_stats()["requests"] > 0


def test_pneo_bands_by_common_name_whatever_the_file_order(twin: Any, pneo: pystac.Item) -> None:
    # The PNeo file stores R, G, B, NIR, RE, DB: ask them in another order, by name.
    names = ["coastal", "nir", "rededge", "red", "blue", "green"]
    aoi = pneo.bbox
    ds = load([pneo], bands=names, aoi=aoi).compute()
    assert list(ds.data_vars) == names
    truth = expected_bands(pneo.id, names, window=native_window(ds, pneo))
    for name in names:
        np.testing.assert_array_equal(ds[name].values[0], truth[name], err_msg=name)


def test_integers_kept_and_nodata_recorded(twin: Any, spot: list[pystac.Item]) -> None:
    ds = load(spot[:1], bands=["red", "nir"])
    assert ds.red.dtype == np.uint16 and ds.nir.dtype == np.uint16
    assert ds.red.attrs["nodata"] == 0
    values = ds.red.values[0]
    truth = expected_bands(spot[0].id, ["red"], window=native_window(ds, spot[0]))["red"]
    assert (truth == 0).any(), "the scene should have nodata pixels"
    np.testing.assert_array_equal(values, truth)


def test_time_dimension_grouped_by_solar_day(twin: Any, spot: list[pystac.Item]) -> None:
    ds = load(list(reversed(spot)), bands=["nir"], chunks=256)
    assert ds.sizes["time"] == 4
    times = ds.time.values
    assert (np.diff(times) > np.timedelta64(0)).all()
    # Each time step holds its own item's pixels.
    for t, item in enumerate(spot):
        one = load([item], bands=["nir"])
        np.testing.assert_array_equal(
            ds.nir.isel(time=t).sel(x=one.x, y=one.y).values, one.nir.values[0])


def test_same_day_items_are_one_time_step(twin: Any, spot: list[pystac.Item]) -> None:
    ds = load([spot[0], spot[0].clone()], bands=["red"], groupby="solar_day")
    assert ds.sizes["time"] == 1
    assert load([spot[0], spot[1]], bands=["red"]).sizes["time"] == 2


def test_attrs_hold_unsigned_hrefs_and_parameters_never_a_signature(twin: Any,
                                                                    spot: list[pystac.Item]) -> None:
    signed = [sign(it) for it in spot[:2]]
    assert "X-Amz-Signature" in signed[0].assets["multispectral"].href
    ds = load(signed, bands=["red", "nir"], aoi=(-0.97, 45.93, -0.95, 45.95))
    assert ds.attrs["dinamis_items"] == [it.id for it in spot[:2]]
    hrefs = ds.attrs["dinamis_hrefs"]
    assert hrefs == sorted(it.assets["multispectral"].href for it in spot[:2])
    params = json.loads(ds.attrs["dinamis_load"])
    assert params["bands"] == ["red", "nir"] and params["aoi"] is not None
    text = repr(ds.attrs) + repr({k: v.attrs for k, v in ds.variables.items()})
    assert "X-Amz" not in text
    # Nor in the dask graph (which holds the signer's configuration, not signed URLs).
    graph = dict(ds.__dask_graph__())
    assert b"X-Amz-Signature" not in cloudpickle.dumps(graph)
    assert b"X-Amz-Signature" not in pickle.dumps(ds.attrs)


def test_aoi_forms_give_the_same_grid(twin: Any, spot: list[pystac.Item]) -> None:
    from shapely.geometry import box

    bbox = (-0.97, 45.93, -0.95, 45.95)
    geojson = {"type": "Polygon", "coordinates": [[(bbox[0], bbox[1]), (bbox[2], bbox[1]), (bbox[2], bbox[3]),
                                                   (bbox[0], bbox[3]), (bbox[0], bbox[1])]]}
    grids = [load(spot[:1], bands=["red"], aoi=a).odc.geobox
             for a in (bbox, geojson, {"type": "Feature", "geometry": geojson, "properties": {}}, box(*bbox))]
    assert all(g == grids[0] for g in grids)
    full = load(spot[:1], bands=["red"]).odc.geobox
    assert grids[0].shape.x < full.shape.x


def test_input_errors(twin: Any, spot: list[pystac.Item], twin_items: list[dict[str, Any]]) -> None:
    with pytest.raises(LoadError, match="swir"):
        load(spot, bands=["swir"])
    with pytest.raises(LoadError, match="empty"):
        load([], bands=["red"])
    with pytest.raises(QueryError):
        load(spot, bands=["red"], aoi=(10, 10, 5, 5))
    with pytest.raises(LoadError, match="does not intersect"):
        load(spot, bands=["red"], aoi=(2.0, 40.0, 2.1, 40.1))
    brut = _items(twin_items, contains=SPOT, level="BRUT")
    with pytest.raises(NotSignableError, match="BRUT"):
        load(brut, bands=["red"])
    regards = [pystac.Item.from_dict(d) for d in twin_items if "REGARDS" in d["collection"]]
    with pytest.raises(NotSignableError, match="Regards"):
        load(regards, bands=["red"])


def test_unknown_keyword_arguments_are_refused(twin: Any, spot: list[pystac.Item]) -> None:
    with pytest.raises(TypeError, match="'chunk'"):
        load(spot, bands=["red"], chunk=256)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'resolutoin'"):
        plan(spot, bands=["red"], resolutoin=12, estimate=False)  # type: ignore[call-arg]


def test_search_results_mixing_brut_items_load_the_others(twin: Any, spot: list[pystac.Item],
                                                          twin_items: list[dict[str, Any]]) -> None:
    from dinamis_widgets.warnings import NotSignableWarning

    brut = _items(twin_items, contains=SPOT, level="BRUT")
    with pytest.warns(NotSignableWarning, match="1 of 3 item"):
        ds = load(pystac.ItemCollection([*spot[:2], *brut]), bands=["red"])
    assert ds.attrs["dinamis_items"] == [it.id for it in spot[:2]]


def test_resolution_names_and_chunks(twin: Any, spot: list[pystac.Item]) -> None:
    ms = load(spot[:1], bands=["red", "pan"], resolution="ms")
    pan = load(spot[:1], bands=["red", "pan"], resolution="pan", chunks=512)
    assert ms.odc.geobox.resolution.x == 6.0 and pan.odc.geobox.resolution.x == 1.5
    assert pan.red.chunks is not None and pan.red.chunks[1][0] == 512


def test_default_chunks_are_bands_of_whole_rows(twin: Any, spot: list[pystac.Item]) -> None:
    """Without ``chunks``, the cube is cut into bands of whole rows (one contiguous run of each COG), 512 rows
    tall where the grid is wide, taller where it is narrow (up to a 2048 x 2048 square's pixels), and at
    least one band per core; the plan says the same; chunks given are kept."""
    for resolution in ("ms", "pan", 0.5):  # 500, 2000 and 6000 pixels wide
        ds = load(spot[:1], bands=["red", "nir"], resolution=resolution)
        ny, nx = ds.sizes["y"], ds.sizes["x"]
        assert ds.red.chunks is not None
        _, ys, xs = ds.red.chunks
        assert xs == (nx,), "one chunk across the whole width"
        assert sum(ys) == ny and set(ys[:-1]) <= {ys[0]}
        rows = min(ny, max(512, 2048 * 2048 // nx // 512 * 512))  # a multiple of 512, or all rows
        wanted = min(os.cpu_count() or 1, ny // 256)  # but a band per core, each a multiple of 512 rows
        assert ys[0] == (rows if -(-ny // rows) >= wanted else max(512, -(-ny // wanted) // 512 * 512))
        p = plan(spot[:1], bands=["red", "nir"], resolution=resolution)
        assert p.chunks[1:] == (ys[0], nx)
    fine = load(spot[:1], bands=["red", "nir"], resolution=0.5)  # wide: 512-row bands
    assert fine.red.chunks is not None and fine.red.chunks[1][0] == 512 and len(fine.red.chunks[1]) > 1
    squares = load(spot[:1], bands=["red", "nir"], resolution="pan", chunks=1024)
    assert squares.red.chunks is not None and squares.red.chunks[2][0] == 1024
    assert default_chunks(1000, 20000) == {"time": 1, "y": 2048, "x": 2048}  # too wide for row bands


def _wide_item(path: Any, width: int, height: int) -> pystac.Item:
    """An item of one 4-band file of ``write_cog`` (6 m pixels, EPSG:32631), its grid declared."""
    box = [500_000, 4_900_000 - 6 * height, 500_000 + 6 * width, 4_900_000]
    item = pystac.Item(f"wide-{path.stem}", None, None, datetime(2025, 6, 1, tzinfo=UTC), {})
    item.add_asset("ms", pystac.Asset(str(path), media_type=pystac.MediaType.COG, extra_fields={
        "proj:epsg": 32631, "proj:shape": [height, width], "proj:bbox": box,
        "proj:transform": [6, 0, 500_000, 0, -6, 4_900_000]}))
    return item


@pytest.mark.parametrize("blocksize", [256, 512])
def test_default_row_bands_follow_the_tile_height_of_the_files(tmp_path: Any, blocksize: int) -> None:
    """A tall grid wider than 8192 pixels is cut into 256-row bands over files of 256-pixel tiles (half
    the memory of 512-row bands: docs/decisions/0008) and into 512-row bands over 512-pixel tiles (each
    tile decoded once); the header read for it is the one the reads use; the pixels are the file's."""
    import rasterio

    from dinamis_widgets.reading.gdal_io import close_files, reader_stats, reset_reader_stats

    width, height = 9000, 1100
    path = write_cog(tmp_path / f"wide{blocksize}.tif", size=width, height=height, blocksize=blocksize)
    close_files()
    reset_reader_stats()
    kw: dict[str, Any] = {"bands": ["red", "nir"], "band_map": {"red": ("ms", 1), "nir": ("ms", 4)}}
    ds = load([_wide_item(path, width, height)], **kw)
    assert reader_stats().get("tile_probes") == 1
    assert ds.red.chunks is not None
    _, ys, xs = ds.red.chunks
    assert xs == (width,) and ys[0] == blocksize and sum(ys) == height
    with rasterio.open(path) as src:
        assert np.array_equal(ds.nir.isel(time=0).values, src.read(4))
    assert plan([_wide_item(path, width, height)], **kw).chunks[1:] == (blocksize, width)
    # a grid one band tall, or chunks given: no header read for the chunks
    reset_reader_stats()
    load([_wide_item(path, width, height)], chunks=1024, **kw)
    assert reader_stats().get("tile_probes", 0) == 0


def test_overviews_are_read_at_coarse_resolution(twin: Any, spot: list[pystac.Item]) -> None:
    clear_gdal_cache()
    fine_plan = plan(spot[:1], bands=["red", "nir"])
    fine = bytes_served_by(twin, load(spot[:1], bands=["red", "nir"]))
    clear_gdal_cache()
    coarse_plan = plan(spot[:1], bands=["red", "nir"], resolution=24)
    coarse_ds = load(spot[:1], bands=["red", "nir"], resolution=24)
    coarse = bytes_served_by(twin, coarse_ds)
    assert coarse_plan.files[0].levels == (1,) and fine_plan.files[0].levels == (0,)
    assert coarse < fine / 2, (coarse, fine)
    clear_gdal_cache()
    no_ovr = plan(spot[:1], bands=["red", "nir"], resolution=24, options=LoadOptions(use_overviews=False))
    assert no_ovr.files[0].levels == (0,)


@pytest.mark.parametrize("kwargs", [
    {"bands": ["red", "nir"]},
    {"bands": ["red", "nir"], "chunks": 128},
    {"bands": ["red", "nir"], "resolution": 12},
    {"bands": ["pan"]},
])
def test_plan_estimate_is_close_to_the_bytes_fetched(twin: Any, spot: list[pystac.Item],
                                                     kwargs: dict[str, Any]) -> None:
    clear_gdal_cache()
    # URLs no earlier test read: GDAL keeps blocks per URL, and other tests read these files through
    # rasterio directly (VRTs, tutorials), which clear_gdal_cache cannot know of
    signer = Signer.from_settings(validity=7000 + len(json.dumps(kwargs)))
    p = plan(spot[:2], signer=signer, **kwargs)
    measured = bytes_served_by(twin, load(spot[:2], signer=signer, **kwargs))
    assert p.estimated_bytes > 0
    assert abs(measured - p.estimated_bytes) <= 0.25 * p.estimated_bytes, (measured, p.estimated_bytes)


def test_plan_describes_the_grid_and_is_safe_html(twin: Any, spot: list[pystac.Item]) -> None:
    p = plan(spot, bands=["red", "nir"], chunks=256)
    ds = load(spot, bands=["red", "nir"], chunks=256)
    assert p.shape == (4, ds.sizes["y"], ds.sizes["x"])
    assert p.crs == "EPSG:32630" and p.resolution == (6.0, -6.0)
    assert p.n_tasks == len(ds.__dask_graph__())
    assert p.n_chunks == 4 * 3 * 3
    assert len(p.files) == 4 and all(f.bands == (1, 4) for f in p.files)
    text = str(p)
    assert "EPSG:32630" in text and "to fetch" in text and "X-Amz" not in text
    html = p._repr_html_()
    assert "<table>" in html and "<script" not in html
    tricky = plan([_renamed(spot[0], "<script>alert(1)</script>")], bands=["red"], estimate=False)
    assert "<script>" not in tricky._repr_html_()


def _renamed(item: pystac.Item, new_id: str) -> pystac.Item:
    clone = item.clone()
    clone.id = new_id
    return clone
