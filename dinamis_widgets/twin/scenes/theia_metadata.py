"""The ``MTD_ALL.xml`` metadata file of a THEIA item (its ``MD`` asset), reduced to a few fields.

A real MUSCATE metadata document (``Muscate_Metadata_Document``) holds much more (angle grids,
band characteristics, processing history). The twin writes the fields users read to scale the
reflectances and to filter products: the quantification value (``reflectance = value /
REFLECTANCE_QUANTIFICATION_VALUE``), the ``nodata`` special value, the product version, the mean
sun angles and the cloud percentage.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .astro import sun_position
from .mtd_shapes import THEIA_NODATA, THEIA_QUANTIFICATION
from .specs import SceneSpec

__all__ = ["PRODUCT_VERSION", "metadata_xml"]

#: Version of the MAJA products the twin imitates (``processing:version``).
PRODUCT_VERSION = "4.0"


def _sub(parent: ET.Element, tag: str, text: object | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = str(text)
    return element


def metadata_xml(spec: SceneSpec, cloud_percent: float) -> bytes:
    """``MTD_ALL.xml`` of a THEIA item, UTF-8 encoded.

    Parameters
    ----------
    spec
        A ``sentinel2-l2a-theia`` item.
    cloud_percent
        Its measured cloud cover (``eo:cloud_cover``).
    """
    root = ET.Element("Muscate_Metadata_Document")
    ident = _sub(root, "Metadata_Identification")
    _sub(ident, "METADATA_FORMAT", "METADATA_MUSCATE", version="1.16")
    dataset = _sub(root, "Dataset_Identification")
    _sub(dataset, "IDENTIFIER", spec.item_id)
    _sub(dataset, "PRODUCER_NAME", "MUSCATE")
    product = _sub(root, "Product_Characteristics")
    _sub(product, "PRODUCT_ID", spec.item_id)
    _sub(product, "ACQUISITION_DATE", spec.acquired.strftime("%Y-%m-%dT%H:%M:%S.")
         + f"{spec.acquired.microsecond // 1000:03d}Z")
    _sub(product, "PRODUCT_VERSION", PRODUCT_VERSION)
    _sub(product, "PRODUCT_LEVEL", "L2A")
    _sub(product, "PLATFORM", spec.platform.replace("-", "").upper())
    _sub(product, "ORBIT_NUMBER", spec.relative_orbit, type="Relative")
    radiometry = _sub(root, "Radiometric_Informations")
    _sub(radiometry, "REFLECTANCE_QUANTIFICATION_VALUE", THEIA_QUANTIFICATION)
    specials = _sub(radiometry, "Special_Values_List")
    _sub(specials, "SPECIAL_VALUE", THEIA_NODATA, name="nodata")
    geometry = _sub(root, "Geometric_Informations")
    sun = _sub(_sub(geometry, "Mean_Value_List"), "Sun_Angles")
    elevation, azimuth = sun_position(spec.acquired, spec.site.lon, spec.site.lat)
    _sub(sun, "ZENITH_ANGLE", round(90.0 - elevation, 4), unit="deg")
    _sub(sun, "AZIMUTH_ANGLE", round(azimuth, 4), unit="deg")
    quality = _sub(_sub(_sub(root, "Quality_Informations"), "Current_Product"),
                   "Product_Quality_List", level="N2")
    indices = _sub(_sub(quality, "Product_Quality"), "Global_Index_List")
    _sub(indices, "QUALITY_INDEX", round(cloud_percent), name="CloudPercent")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
