"""Helpers shared by test modules (test modules never import each other): grids and windows of loaded
cubes, bytes a computation fetched, offline STAC validation, the twin's items of one shape, signers that
hand out stale signatures.
"""

from __future__ import annotations

import json
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pystac
from pystac.validation import GetSchemaError, JsonSchemaSTACValidator

from dinamis_widgets.analysis.indices import ndvi
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.signing.urls import SignedURL, parse_signed_url
from dinamis_widgets.twin import scenes as sc

#: Extension schemas copied for offline validation.
SCHEMAS = Path(__file__).parent / "schemas"

#: The twin's collections shaped like the real MTD catalogue.
DRS, THEIA, SUPERRES = "spot-6-7-drs", "sentinel2-l2a-theia", "super-sentinel-2-l2a"


def native_window(ds: Any, item: pystac.Item) -> tuple[int, int, int, int]:
    """(row_off, col_off, h, w) of a cube loaded at native MS resolution, on the item's MS grid."""
    res, _, x0, _, _, y0 = item.assets["multispectral"].extra_fields["proj:transform"]
    col = round((float(ds.x[0]) - res / 2 - x0) / res)
    row = round((y0 - (float(ds.y[0]) + res / 2)) / res)
    return row, col, ds.sizes["y"], ds.sizes["x"]


def ranged_bytes(stats: dict[str, Any]) -> int:
    """Bytes the store sent in answers to range requests (206), from its ``stats``.

    GDAL learns a signed file's size with a GET it abandons once the headers are in; what the server
    wrote for that 200 before the close depends on the kernel's socket buffers and the machine's load
    (0.6 to 1.3 MB seen for one file), so comparisons of what a reader asked for count the 206s only.
    """
    by_status = stats["bytes_by_status"]
    return int(by_status.get(206, by_status.get("206", 0)))


def bytes_served_by(twin: Any, ds: Any, scheduler: str = "threads") -> int:
    """Bytes the twin's store sent in range answers while ``ds`` was computed (:func:`ranged_bytes`)."""
    twin.reset_store_stats()
    with dask.config.set(scheduler=scheduler):
        ds.compute()
    return ranged_bytes(twin.store_stats())


class OfflineValidator(JsonSchemaSTACValidator):
    """pystac's validator with extension schemas read from ``tests/schemas`` and no network.

    Core schemas (STAC 1.1.0, GeoJSON) come from pystac's bundled cache; any other URL fails.
    """

    def __init__(self) -> None:
        super().__init__()
        for path in SCHEMAS.glob("*/*/schema.json"):
            name, version = path.parent.parent.name, path.parent.name
            url = f"https://stac-extensions.github.io/{name}/{version}/schema.json"
            self.schema_cache[url] = json.loads(path.read_text())

    def _get_schema(self, schema_uri: str) -> dict[str, Any]:
        if schema_uri.split("#")[0] not in self.schema_cache:
            raise GetSchemaError(schema_uri, ConnectionError("offline: no local copy"))
        return super()._get_schema(schema_uri.split("#")[0])


def ortho_items_of(twin_items: list[dict[str, Any]], collection: str) -> list[pystac.Item]:
    """The twin's ORTHO items of ``collection`` (of ``spot-6-7-drs``, those that carry ``proj:epsg``)."""
    return [pystac.Item.from_dict(d) for d in twin_items if d["collection"] == collection
            and d["properties"].get("processing:level", "ORTHO") == "ORTHO"
            and (collection != DRS or "proj:epsg" in d["properties"])]


def asset_grid(item: pystac.Item, asset: str) -> tuple[float, float, float]:
    """(resolution, x0, y0) of ``asset``: from ``proj:transform``, or the generator's spec."""
    fields = item.assets[asset].extra_fields
    if "proj:transform" in fields:
        a, _, c, _, _, f = fields["proj:transform"][:6]
        return a, c, f
    spec = sc.get_spec(item.id)
    a, _, c, _, _, f = spec.ms_transform
    return a, c, f


def window(ds: Any, item: pystac.Item, asset: str) -> tuple[int, int, int, int]:
    """(row_off, col_off, h, w) of a cube at native resolution, on the grid of ``item``'s ``asset``."""
    res, x0, y0 = asset_grid(item, asset)
    col = round((float(ds.x[0]) - res / 2 - x0) / res)
    row = round((y0 - (float(ds.y[0]) + res / 2)) / res)
    return row, col, ds.sizes["y"], ds.sizes["x"]


def strict_ndvi(ds: Any) -> np.ndarray:
    """NDVI of the first date, failing on any numpy RuntimeWarning (division by zero, invalid values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return np.asarray(ndvi(ds).values[0])


class StaleFirst(Signer):
    """Hands out an expired signature first (as a cache that went stale would), a fresh one when forced."""

    def __init__(self, stale: dict[str, str], **kw: Any) -> None:
        super().__init__(**kw)
        self.stale = stale
        self.forced = 0

    def resign_url(self, url: str, validity: Any = None, *, force: bool = False) -> SignedURL:
        if force:
            self.forced += 1
        elif url in self.stale:
            parsed = parse_signed_url(self.stale[url])
            assert parsed is not None
            return parsed
        return super().resign_url(url, validity, force=force)


def expired_signature(twin: Any, url: str) -> str:
    """A URL signed for one second, returned once that second has passed."""
    signer = Signer.from_settings(validity=1)
    signed = signer.sign_url(url)
    assert signed.expiry is not None
    time.sleep(max(0.0, (signed.expiry - datetime.now(UTC) + timedelta(seconds=0.2)).total_seconds()))
    return signed.href
