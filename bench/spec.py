"""The read cases' geometry and their minimal bytes, from the scene file itself (not from the toolkit).

``aoi``
    A 2 km square (pixel-aligned) at the scene's centre, given to the methods as a lon/lat polygon (the
    toolkit, odc-stac) or as the box in the scene's CRS (rioxarray, stackstac, the floor).
``scene``
    The whole scene.
``coarse``
    The whole scene at 60 m: the overview GDAL chooses (the coarsest not coarser than 60 m).

The minimal bytes of a case are the compressed sizes of the tiles its window covers at its level, from
the file's TileByteCounts (GDAL's ``BLOCK_SIZE_<x>_<y>`` items), read from the twin's local copy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pystac

AOI_SIDE_M = 2000.0
COARSE_RESOLUTION_M = 60.0


def pick_item(twin: Any) -> pystac.Item:
    """The largest SPOT 6/7 ORTHO multispectral scene served (10000 x 10000 in the ``bench`` set)."""
    from dinamis_widgets.twin.scenes import DATA_URL_PLACEHOLDER

    items = [pystac.Item.from_dict(json.loads(line.replace(DATA_URL_PLACEHOLDER, twin.data)))
             for line in twin.scenes.items_path.read_text().splitlines() if line.strip()]
    ortho = [it for it in items if it.properties.get("processing:level") == "ORTHO"
             and it.collection_id == "SPOT67_HCF_GS1"
             and it.assets["multispectral"].extra_fields.get("proj:shape")]
    return max(ortho, key=lambda it: (it.assets["multispectral"].extra_fields["proj:shape"][0], it.id))


def _tiles_bytes(path: Path, level: int, window: tuple[int, int, int, int], tile: int) -> tuple[int, int]:
    """Compressed bytes and number of the (pixel-interleaved) tiles covering ``window`` at ``level``."""
    import rasterio

    r0, c0, h, w = window
    opts = {"overview_level": level - 1} if level else {}
    total = n = 0
    with rasterio.open(path, **opts) as src:
        for row in range(r0 // tile, (r0 + h - 1) // tile + 1):
            for col in range(c0 // tile, (c0 + w - 1) // tile + 1):
                total += int(src.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=1) or 0)
                n += 1
    return total, n


def build_spec(twin: Any, chunk: int, threads: int) -> dict[str, Any]:
    """Everything a read case needs (JSON): the item, its signed URL, each case's window and level."""
    import numpy as np
    import rasterio
    from pyproj import Transformer

    from dinamis_widgets.signing.registry import get_signer

    item = pick_item(twin)
    asset = item.assets["multispectral"]
    path = Path(twin.scenes.data_root) / asset.href.removeprefix(twin.data + "/")
    names = [b["common_name"] for b in asset.extra_fields["eo:bands"]]
    with rasterio.open(path) as src:
        rows, cols, t, tile = src.height, src.width, src.transform, src.block_shapes[0][0]
        epsg, factors = src.crs.to_epsg(), src.overviews(1)
        interleave = src.tags(ns="IMAGE_STRUCTURE").get("INTERLEAVE")
        count, itemsize = src.count, np.dtype(src.dtypes[0]).itemsize
    res = t.a
    shapes = [(rows, cols)]
    for i in range(len(factors)):
        with rasterio.open(path, overview_level=i) as ov:
            shapes.append((ov.height, ov.width))
    transforms = [list(t * t.scale(cols / c, rows / r))[:6] for r, c in shapes]
    target = COARSE_RESOLUTION_M / res
    level = max((i + 1 for i, f in enumerate(factors) if f <= target), default=0)
    half = round(AOI_SIDE_M / 2 / res)
    aoi_window = (rows // 2 - half, cols // 2 - half, 2 * half, 2 * half)
    r0, c0, h, w = aoi_window
    bbox = [t.c + c0 * res, t.f - (r0 + h) * res, t.c + (c0 + w) * res, t.f - r0 * res]
    to_lonlat = Transformer.from_crs(epsg, 4326, always_xy=True)
    west, south, east, north = bbox
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    ring = [to_lonlat.transform(x, y) for x, y in corners]
    cases: dict[str, dict[str, Any]] = {
        "aoi": {"level": 0, "level_window": aoi_window, "bbox": bbox,
                "geojson": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}},
        "scene": {"level": 0, "level_window": (0, 0, rows, cols)},
        "coarse": {"level": level, "level_window": (0, 0, *shapes[level]), "resolution": COARSE_RESOLUTION_M},
    }
    for case in cases.values():
        case["minimal_bytes"], case["tiles"] = _tiles_bytes(path, case["level"], case["level_window"], tile)
        case["decoded_bytes"] = case["tiles"] * tile * tile * count * itemsize
    return {
        "item": item.to_dict(), "item_id": item.id, "asset": "multispectral",
        "signed_href": get_signer().sign_url(asset.href).href,
        "bands": [names.index("red") + 1, names.index("nir") + 1], "shape": [rows, cols],
        "resolution": res, "epsg": epsg, "tile": tile, "interleave": interleave,
        "overview_factors": list(factors), "level_transforms": transforms,
        "file_bytes": path.stat().st_size, "chunk": chunk, "threads": threads, "cases": cases,
    }
