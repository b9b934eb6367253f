"""Exports round-trip (COG read back by rasterio, Zarr and NetCDF reopened), carry provenance and no
signature, and show a progress bar (dask's, or distributed's with a client) unless disabled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import pytest
import rasterio
import xarray as xr

from dinamis_widgets.analysis.export import provenance, to_cog, to_netcdf, to_zarr
from dinamis_widgets.analysis.indices import ndvi
from dinamis_widgets.reading.loading import load
from dinamis_widgets.signing.dispatch import sign

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo.*"),
              pytest.mark.filterwarnings("ignore::UserWarning:zarr.*")]


@pytest.fixture(scope="module")
def cube(twin: Any, twin_items: list[dict[str, Any]]) -> xr.Dataset:
    items = [pystac.Item.from_dict(d) for d in twin_items
             if "W001N46_SCENE1" in d["id"] and d["properties"]["processing:level"] == "ORTHO"][:2]
    signed = [sign(it) for it in items]  # signed items: the export must still hold no signature
    return load(signed, bands=["red", "nir"], chunks=256)


def _no_signature(text: str) -> None:
    assert "X-Amz-Signature" not in text and "X-Amz-Credential" not in text


def test_cog_round_trip(cube: xr.Dataset, tmp_path: Path) -> None:
    index = ndvi(cube)
    path = to_cog(index, tmp_path / "ndvi.tif", progress=False)
    expected = index.values
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32630
        assert src.count == 2 and src.dtypes[0] == "float32"
        assert src.transform.a == 6.0 and (src.height, src.width) == expected.shape[1:]
        assert src.profile["tiled"] and src.compression is not None
        assert src.overviews(1), "overviews"
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        np.testing.assert_allclose(src.read(), expected, equal_nan=True)
        tags = src.tags()
        assert src.descriptions[0].startswith("ndvi 2025-04-14")
    assert json.loads(tags["dinamis_items"]) == cube.attrs["dinamis_items"]
    assert json.loads(tags["dinamis_hrefs"]) == cube.attrs["dinamis_hrefs"]
    assert tags["dinamis_version"] and tags["dinamis_written"].endswith("Z")
    _no_signature(json.dumps(tags))


def test_cog_of_integer_bands_keeps_nodata(cube: xr.Dataset, tmp_path: Path) -> None:
    path = to_cog(cube.isel(time=[0]), tmp_path / "bands.tif", progress=False)
    with rasterio.open(path) as src:
        assert src.count == 2 and src.dtypes[0] == "uint16" and src.nodata == 0
        assert [d.split()[0] for d in src.descriptions] == ["red", "nir"]
        np.testing.assert_array_equal(src.read(2), cube.nir.values[0])


def test_zarr_round_trip(cube: xr.Dataset, tmp_path: Path) -> None:
    path = to_zarr(cube, tmp_path / "cube.zarr", progress=False)
    back = xr.open_zarr(path, decode_coords="all")
    xr.testing.assert_equal(back.red.load(), cube.red.compute().drop_attrs().assign_attrs(back.red.attrs))
    assert back.attrs["dinamis_items"] == cube.attrs["dinamis_items"]
    assert back.red.attrs["nodata"] == 0
    _no_signature(json.dumps(back.attrs, default=str) + "".join(p.read_text(errors="ignore")
                                                            for p in Path(path).rglob("*.json")))


def test_netcdf_round_trip(cube: xr.Dataset, tmp_path: Path) -> None:
    index = ndvi(cube)
    path = to_netcdf(index, tmp_path / "ndvi.nc", progress=False)
    back = xr.open_dataset(path, decode_coords="all")
    np.testing.assert_allclose(back.ndvi.values, index.values, equal_nan=True)
    assert json.loads(back.attrs["dinamis_hrefs"]) == cube.attrs["dinamis_hrefs"]
    import odc.geo.xr  # noqa: F401

    assert back.odc.crs == "EPSG:32630"
    _no_signature(Path(path).read_bytes().decode("latin-1"))


def test_provenance_masks_signatures() -> None:
    da = xr.DataArray([1.0], dims="x", attrs={
        "dinamis_hrefs": ["https://h/b/k.tif?X-Amz-Credential=AK/2025&X-Amz-Signature=abcdef"]})
    attrs = provenance(da)
    assert attrs["dinamis_hrefs"] == ["https://h/b/k.tif?X-Amz-Credential=***&X-Amz-Signature=***"]


def test_progress_bar_shown_unless_disabled(cube: xr.Dataset, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    to_netcdf(cube.red, tmp_path / "a.nc", progress=True)
    assert "Completed" in capsys.readouterr().out
    to_netcdf(cube.red, tmp_path / "b.nc", progress=False)
    assert "Completed" not in capsys.readouterr().out


def test_writes_through_a_distributed_client(cube: xr.Dataset, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        tif = to_cog(ndvi(cube), tmp_path / "d.tif", progress=True)
        zarr = to_zarr(cube, tmp_path / "d.zarr", progress=False)
    with rasterio.open(tif) as src:
        np.testing.assert_allclose(src.read(), ndvi(cube).values, equal_nan=True)
    assert xr.open_zarr(zarr).red.shape == cube.red.shape
