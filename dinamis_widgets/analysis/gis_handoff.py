"""Hand-off to a GIS: a signed VRT mosaic, a QGIS layer definition, the pyotb line that opens them.

A trainee who found images in the notebook opens them in QGIS or the Orfeo ToolBox without downloading
them: the files are read in place, by HTTP range requests, through signed URLs (``/vsicurl/``).

- :func:`to_vrt` writes a GDAL VRT mosaic of one asset (``multispectral`` or ``panchromatic``) of items:
  QGIS, GDAL, rasterio and OTB open it like a local image;
- :func:`to_qlr` writes a QGIS layer definition (``.qlr``, "Layer > Add from Layer Definition File"): one
  raster layer per item, in a group whose name says until when the links work;
- :func:`otb_line` gives the pyotb line that opens such a file.

**The links expire.** The files hold signed URLs, valid for ``validity`` (3 hours by default, at most
what the signing service allows): the expiry is written in the files (VRT metadata, QLR group and layer
abstracts) and returned; after it, write the files again. Until it, the files work for anyone who has
them: share them as you would share the images.

Why the VRT is written here: GDAL's ``gdalbuildvrt`` (``osgeo.gdal.BuildVRT``) is not part of rasterio's
wheels and no installed library builds a mosaic VRT; the XML written follows GDAL's VRT format
(``VRTDataset``, ``SimpleSource``), from each file's header as GDAL reads it. QGIS layer definitions are
written by QGIS itself, which a notebook does not have: :func:`to_qlr` writes the few elements QGIS
needs.

Examples
--------
With items of the twin or the real catalogue::

    path, expiry = dw.to_vrt(results, "basket_ms.vrt", asset="multispectral", validity="3h")
    dw.to_qlr(results, "basket.qlr", asset="multispectral")
    print(dw.otb_line(path))    # import pyotb; image = pyotb.Input("/home/me/basket_ms.vrt") ...

>>> otb_line("/data/basket_ms.vrt")
'import pyotb; image = pyotb.Input("/data/basket_ms.vrt")'
"""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import LoadError
from ..signing.validity import ValidityLike

__all__ = ["otb_line", "to_qlr", "to_vrt"]

#: Validity of the links written when none is asked.
DEFAULT_VALIDITY = "3h"


@dataclass(frozen=True)
class _Source:
    item_id: str
    path: str  # /vsicurl/ + signed URL
    crs: str
    width: int
    height: int
    transform: tuple[float, ...]  # GDAL order: x0, dx, 0, y0, 0, dy
    count: int
    dtype: str
    nodata: float | None
    when: str  # the item's datetime (ISO 8601), to draw the newest on top


def _signed_sources(items: Any, asset: str, validity: ValidityLike | None,
                    signer: Any) -> tuple[list[_Source], datetime | None]:
    import rasterio

    from ..reading.gdal_io import DEFAULT_GDAL_OPTIONS
    from ..reading.items import as_items, signable_only
    from ..signing.registry import get_signer

    chosen = signable_only(as_items(items))
    missing = [it.id for it in chosen if asset not in it.assets]
    if missing:
        keys = sorted({k for it in chosen for k in it.assets})
        raise LoadError(f"Item {missing[0]!r:.80} has no asset {asset!r:.40}; the items have "
                        f"{', '.join(keys)[:200]}. Pass asset= one of them.")
    signer = signer or get_signer()
    hrefs = [it.assets[asset].href for it in chosen]
    signed = signer.sign_urls(hrefs, validity if validity is not None else DEFAULT_VALIDITY)
    sources = []
    with rasterio.Env(**DEFAULT_GDAL_OPTIONS):
        for it, href in zip(chosen, hrefs, strict=True):
            path = signed[href].vsicurl()
            with rasterio.open(path) as ds:
                t = ds.transform
                when = str(it.properties.get("datetime") or it.properties.get("start_datetime"))
                sources.append(_Source(it.id, path, ds.crs.to_string() if ds.crs else "", ds.width, ds.height,
                                       (t.c, t.a, t.b, t.f, t.d, t.e), ds.count, ds.dtypes[0], ds.nodata,
                                       when))
    expiries = [s.expiry for s in signed.values() if s.expiry is not None]
    return sources, min(expiries) if expiries else None


def _stamp(expiry: datetime | None) -> str:
    return expiry.strftime("%Y-%m-%d %H:%M UTC") if expiry is not None else "no expiry"


_GDAL_TYPES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16", "uint32": "UInt32",
               "int32": "Int32", "float32": "Float32", "float64": "Float64"}


def to_vrt(items: Any, path: str | os.PathLike[str], asset: str = "multispectral",
           validity: ValidityLike | None = None, *, signer: Any = None) -> tuple[Path, datetime | None]:
    """Write a GDAL VRT mosaic of one asset of items, read in place through signed URLs.

    Parameters
    ----------
    items
        STAC items (a search result, ItemCollection, list of Items or dicts), signed or not; BRUT and
        Regards items, which cannot be streamed, are left out with a warning. Where several cover a
        pixel, the newest shows.
    path
        The ``.vrt`` file to write.
    asset
        ``"multispectral"`` or ``"panchromatic"`` (or any asset key the items share).
    validity
        How long the links work (``"3h"`` by default; see :func:`~dinamis_widgets.parse_validity`).
    signer
        The :class:`~dinamis_widgets.Signer`; :func:`~dinamis_widgets.get_signer`'s by default.

    Returns
    -------
    tuple
        The path written and when the first of its links expires (UTC; None when none needs a signature).

    Raises
    ------
    LoadError
        No item, an asset missing, or files that cannot be mosaicked (different CRS, band counts or
        data types: the message names them; write one VRT per group).
    """
    sources, expiry = _signed_sources(items, asset, validity, signer)
    if not sources:
        raise LoadError("No item to write in a VRT: pass at least one signable item.")
    sources.sort(key=lambda s: s.when)  # GDAL draws the sources in order: the newest last, on top
    for attribute, what in (("crs", "CRS"), ("count", "band counts"), ("dtype", "data types")):
        values = {getattr(s, attribute) for s in sources}
        if len(values) > 1:
            raise LoadError(f"The {asset} files have different {what} ({', '.join(map(str, values))[:120]}): "
                            "a VRT mosaics files of one kind; write one VRT per group of items.")
    res_x = min(abs(s.transform[1]) for s in sources)
    res_y = min(abs(s.transform[5]) for s in sources)
    west = min(s.transform[0] for s in sources)
    north = max(s.transform[3] for s in sources)
    east = max(s.transform[0] + s.width * s.transform[1] for s in sources)
    south = min(s.transform[3] + s.height * s.transform[5] for s in sources)
    width, height = round((east - west) / res_x), round((north - south) / res_y)
    first = sources[0]
    root = ET.Element("VRTDataset", rasterXSize=str(width), rasterYSize=str(height))
    ET.SubElement(root, "SRS", dataAxisToSRSAxisMapping="1,2").text = first.crs
    ET.SubElement(root, "GeoTransform").text = ", ".join(
        repr(v) for v in (west, res_x, 0.0, north, 0.0, -res_y))
    metadata = ET.SubElement(root, "Metadata")
    for key, value in (("DINAMIS_LINKS_EXPIRE", _stamp(expiry)), ("DINAMIS_ASSET", asset),
                       ("DINAMIS_ITEMS", " ".join(s.item_id for s in sources))):
        ET.SubElement(metadata, "MDI", key=key).text = value
    gdal_type = _GDAL_TYPES.get(first.dtype, "Float32")
    for band in range(1, first.count + 1):
        vrt_band = ET.SubElement(root, "VRTRasterBand", dataType=gdal_type, band=str(band))
        if first.nodata is not None:
            ET.SubElement(vrt_band, "NoDataValue").text = repr(float(first.nodata))
        for s in sources:
            source = ET.SubElement(vrt_band, "ComplexSource" if s.nodata is not None else "SimpleSource")
            ET.SubElement(source, "SourceFilename", relativeToVRT="0").text = s.path
            ET.SubElement(source, "SourceBand").text = str(band)
            ET.SubElement(source, "SrcRect", xOff="0", yOff="0", xSize=str(s.width), ySize=str(s.height))
            ET.SubElement(source, "DstRect", xOff=repr((s.transform[0] - west) / res_x),
                          yOff=repr((north - s.transform[3]) / res_y),
                          xSize=repr(s.width * abs(s.transform[1]) / res_x),
                          ySize=repr(s.height * abs(s.transform[5]) / res_y))
            if s.nodata is not None:
                ET.SubElement(source, "NODATA").text = repr(float(s.nodata))
    out = Path(path)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    out.write_text(f"<!-- Signed links: they work until {_stamp(expiry)}; write the file again after. -->\n"
                   + ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")
    return out, expiry


def to_qlr(items: Any, path: str | os.PathLike[str], asset: str = "multispectral",
           validity: ValidityLike | None = None, *, signer: Any = None,
           group: str = "DINAMIS") -> tuple[Path, datetime | None]:
    """Write a QGIS layer definition (``.qlr``): one raster layer per item, read through signed URLs.

    In QGIS: "Layer > Add from Layer Definition File..." (or drop the file on the map). The group's name
    and each layer's abstract say until when the links work.

    Parameters
    ----------
    items, asset, validity, signer
        As :func:`to_vrt`.
    path
        The ``.qlr`` file to write.
    group
        The name of the group of layers (the expiry is added to it).

    Returns
    -------
    tuple
        The path written and when the first link expires (UTC, or None).
    """
    sources, expiry = _signed_sources(items, asset, validity, signer)
    if not sources:
        raise LoadError("No item to write in a layer definition: pass at least one signable item.")
    stamp = _stamp(expiry)
    root = ET.Element("qlr")
    tree_root = ET.SubElement(root, "layer-tree-group", checked="Qt::Checked", expanded="1", name="")
    ET.SubElement(tree_root, "customproperties")
    tree_group = ET.SubElement(tree_root, "layer-tree-group", checked="Qt::Checked", expanded="1",
                               name=f"{group} {asset} (links valid until {stamp})")
    ET.SubElement(tree_group, "customproperties")
    layers = ET.SubElement(root, "maplayers")
    for s in sources:
        layer_id = f"{s.item_id}_{uuid.uuid4().hex[:8]}"
        ET.SubElement(tree_group, "layer-tree-layer", checked="Qt::Checked", expanded="1", id=layer_id,
                      name=s.item_id, providerKey="gdal", source=s.path)
        layer = ET.SubElement(layers, "maplayer", type="raster", hasScaleBasedVisibilityFlag="0",
                              styleCategories="AllStyleCategories")
        ET.SubElement(layer, "id").text = layer_id
        ET.SubElement(layer, "datasource").text = s.path
        ET.SubElement(layer, "layername").text = s.item_id
        ET.SubElement(layer, "abstract").text = (f"{asset} of {s.item_id}, read in place through a signed "
                                                 f"URL valid until {stamp}.")
        srs = ET.SubElement(ET.SubElement(layer, "srs"), "spatialrefsys")
        ET.SubElement(srs, "authid").text = s.crs
        ET.SubElement(layer, "provider").text = "gdal"
    ET.indent(root)
    out = Path(path)
    out.write_text("<!DOCTYPE qgis-layer-definition>\n" + ET.tostring(root, encoding="unicode") + "\n",
                   encoding="utf-8")
    return out, expiry


def otb_line(path: str | os.PathLike[str], expiry: datetime | None = None) -> str:
    """The pyotb line that opens a VRT (or any image GDAL reads) written by :func:`to_vrt`.

    With ``expiry``, a comment says until when its links work.
    """
    line = f'import pyotb; image = pyotb.Input("{os.fspath(path)}")'
    return line + (f"  # links valid until {_stamp(expiry)}" if expiry is not None else "")
