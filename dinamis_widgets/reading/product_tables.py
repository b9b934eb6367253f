"""What the toolkit knows of products whose STAC items do not say it themselves: data, with its sources.

Used only where an item lacks the metadata (no ``eo:bands``, ``bands`` or ``raster:bands``); whatever an
item declares wins. Three tables:

- :data:`SENSOR_BAND_ORDERS`: the file band order of the DINAMIS sensors' multispectral products
  (SPOT 6/7, Pléiades, Pléiades Neo). **An assumption** when used: a load that relies on it warns
  (:class:`~dinamis_widgets.warnings.BandOrderWarning`) and says how to name the bands yourself
  (``band_map=``).
- :data:`SENTINEL2_BANDS`: Sentinel-2's band names and their STAC common names (``B04`` is ``red``);
  a naming convention, not an assumption on a file.
- :data:`KNOWN_COLLECTIONS`: collections of the MTD STAC API whose items carry no band metadata
  (``spot-6-7-drs``, ``sentinel2-l2a-theia``, ``super-sentinel-2-l2a``): band names, data type, nodata,
  scale and offset, resolution, cloud and saturation masks.

Sources (read in their public repositories):

``SPOT 6/7``, ``Pléiades``, ``Pléiades Neo`` file orders
    sertit/eoreader, ``eoreader/products/optical/dimap_v2_product.py``, ``DimapV2Product._map_bands_core``:
    multispectral (``MS``) and pan-sharpened (``PMS``) DIMAP V2 products store red, green, blue, NIR as
    bands 1-4 (DIMAP band ids ``B2``, ``B1``, ``B0``, ``B3``); Pléiades Neo full products (``MS-FS``) add
    red edge (5) and deep blue (6) (ids ``R``, ``G``, ``B``, ``NIR``, ``RE``, ``DB``). The MTD
    maintainers' NDVI on ``spot-6-7-drs`` files is ``(im1b4 - im1b1) / (im1b4 + im1b1)``
    (teledec/teledetection, ``doc/examples/pyotb_ndvi_loss.py``): bands 4 and 1 are NIR and red.
``spot-6-7-drs``
    assets ``src_xs`` and ``src_pan`` (teledec/teledetection ``doc/examples``); 6 m and 1.5 m
    (remicres/dinamis-sdk ``doc/collections.md``). ``uint16`` with nodata 0: **assumed** (what the
    DINAMIS products of the same sensor declare in ``raster:bands``).
``sentinel2-l2a-theia``
    THEIA's Sentinel-2 L2A format (labo.obs-mip.fr, "Theia's Sentinel-2 L2A product format", as quoted
    by sertit/eoreader ``eoreader/products/optical/s2_theia_product.py``): ``int16`` flat reflectance
    times 10000 (``REFLECTANCE_QUANTIFICATION_VALUE``), nodata -10000; ``R1`` = B2, B3, B4, B8 at
    10 m, ``R2`` = B5, B6, B7, B8A, B11, B12 at 20 m; ``CLM`` bit 0 "all clouds except the thinnest
    and all shadows" (bit 4, the thinnest clouds, is left out); ``SAT_R1``/``SAT_R2`` one bit per band
    of the group, in that order. Asset keys ``B03``, ``B04``, ``B08``, ``CLM_R1``
    (teledec/teledetection ``doc/examples/rio_ndvi.py``).
``super-sentinel-2-l2a``
    one asset ``img``: B4, B3, B2, B8 super-resolved to 1.5 m (remicres/dinamis-sdk
    ``doc/collections.md``), in the order of SR4RS's Sentinel-2 model, red, green, blue, NIR
    (remicres/sr4rs ``doc/PRETRAINED_MODELS.md``: **an assumption** on the product), ``int16``
    reflectance times 10000 kept from the THEIA input (``code/sr.py``), no nodata.

Examples
--------
>>> [b.common_name for b in SENSOR_BAND_ORDERS["spot67"].bands]
['red', 'green', 'blue', 'nir']
>>> KNOWN_COLLECTIONS["sentinel2-l2a-theia"].assets["B04"].scale
0.0001
>>> sensor_of({"platform": "pleiades-neo-3"}, "DS_PNEO3_202510071347253")
'pneo'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "KNOWN_COLLECTIONS",
    "SENSOR_BAND_ORDERS",
    "SENTINEL2_BANDS",
    "AssetInfo",
    "BandInfo",
    "CollectionInfo",
    "MaskInfo",
    "SensorOrder",
    "is_sentinel2",
    "multispectral_key",
    "panchromatic_key",
    "sensor_of",
]


@dataclass(frozen=True)
class MaskInfo:
    """A mask asset that marks a band's bad pixels: masked where ``value & bits != 0``."""

    asset: str
    bits: int
    kind: str
    """``"clouds"`` or ``"saturation"``."""


@dataclass(frozen=True)
class BandInfo:
    """One band of a file."""

    name: str
    """Its name in the product (``B04``, ``B2``, ``PAN``)."""
    common_name: str | None = None
    """STAC ``eo`` common name."""
    aliases: tuple[str, ...] = ()
    """Other names it goes by (``B4`` for ``B04``)."""
    masks: tuple[MaskInfo, ...] = ()
    """Masks of its bad pixels (applied with ``mask="clouds"``)."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every name of the band, common name first."""
        return tuple(n for n in (self.common_name, self.name, *self.aliases) if n)


@dataclass(frozen=True)
class AssetInfo:
    """What a file holds: its bands in file order, their encoding and resolution."""

    bands: tuple[BandInfo, ...]
    data_type: str
    nodata: float | None
    resolution: float
    scale: float = 1.0
    offset: float = 0.0
    assumed_order: str = ""
    """Not empty when the band order is an assumption: what is assumed (said in the warning)."""


@dataclass(frozen=True)
class CollectionInfo:
    """A collection whose items carry no band metadata."""

    id: str
    assets: Mapping[str, AssetInfo]
    cloud_masks: str
    """How its clouds are masked, or why they cannot be (shown when ``mask="clouds"`` cannot be met)."""
    sources: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SensorOrder:
    """The file band order of a sensor's multispectral products, and its panchromatic band."""

    label: str
    bands: tuple[BandInfo, ...]
    pan: BandInfo
    resolution: float
    pan_resolution: float

    @property
    def assumed_order(self) -> str:
        """The assumption, in words."""
        order = ", ".join(_SHORT.get(b.common_name or "", b.name) for b in self.bands)
        return f"the file band order of {self.label} ORTHO products ({order})"


_SHORT = {"red": "R", "green": "G", "blue": "B", "nir": "NIR", "rededge": "RE", "coastal": "DB"}


def _dimap(label: str, resolution: float, pan_resolution: float) -> SensorOrder:
    return SensorOrder(label, (BandInfo("B2", "red"), BandInfo("B1", "green"), BandInfo("B0", "blue"),
                               BandInfo("B3", "nir")), BandInfo("PAN", "pan", ("P",)), resolution,
                       pan_resolution)


#: File band orders of the DINAMIS sensors' multispectral products (DIMAP V2 ``MS``, ``PMS``, ``MS-FS``);
#: a 4-band Pléiades Neo product holds the first four.
SENSOR_BAND_ORDERS: dict[str, SensorOrder] = {
    "spot67": _dimap("SPOT 6/7", 6.0, 1.5),
    "pleiades": _dimap("Pléiades", 2.0, 0.5),
    "pneo": SensorOrder("Pléiades Neo", (BandInfo("R", "red"), BandInfo("G", "green"), BandInfo("B", "blue"),
                                         BandInfo("NIR", "nir"), BandInfo("RE", "rededge"),
                                         BandInfo("DB", "coastal", ("deepblue",))),
                        BandInfo("PAN", "pan", ("P",)), 1.2, 0.3),
}

#: Sentinel-2 MSI bands: asset-style name, common name, other names (unpadded, odc-stac's ``rededgeN``).
SENTINEL2_BANDS: tuple[BandInfo, ...] = (
    BandInfo("B01", "coastal", ("B1",)),
    BandInfo("B02", "blue", ("B2",)),
    BandInfo("B03", "green", ("B3",)),
    BandInfo("B04", "red", ("B4",)),
    BandInfo("B05", "rededge", ("B5", "rededge1")),
    BandInfo("B06", None, ("B6", "rededge2")),
    BandInfo("B07", None, ("B7", "rededge3")),
    BandInfo("B08", "nir", ("B8",)),
    BandInfo("B8A", "nir08", ("B08A",)),
    BandInfo("B09", "nir09", ("B9",)),
    BandInfo("B10", "cirrus", ()),
    BandInfo("B11", "swir16", ()),
    BandInfo("B12", "swir22", ()),
)
_S2 = {b.name: b for b in SENTINEL2_BANDS}


def _theia_band(key: str, group: str, bit: int) -> BandInfo:
    b = _S2[key]
    return BandInfo(b.name, b.common_name, b.aliases, (MaskInfo(f"CLM_{group}", 0b1, "clouds"),
                                                       MaskInfo(f"SAT_{group}", 1 << bit, "saturation")))


def _theia_assets() -> dict[str, AssetInfo]:
    groups = {"R1": (("B02", "B03", "B04", "B08"), 10.0),
              "R2": (("B05", "B06", "B07", "B8A", "B11", "B12"), 20.0)}
    return {key: AssetInfo((_theia_band(key, group, bit),), "int16", -10000.0, res, scale=1e-4)
            for group, (keys, res) in groups.items() for bit, key in enumerate(keys)}


_SPOT = SENSOR_BAND_ORDERS["spot67"]

#: Collections of the MTD STAC API whose items lack band metadata.
KNOWN_COLLECTIONS: dict[str, CollectionInfo] = {c.id: c for c in (
    CollectionInfo(
        "spot-6-7-drs",
        {"src_xs": AssetInfo(_SPOT.bands, "uint16", 0.0, 6.0, assumed_order=_SPOT.assumed_order),
         "src_pan": AssetInfo((_SPOT.pan,), "uint16", 0.0, 1.5)},
        "its items reference no cloud mask (the DIMAP products' vector cloud masks are not assets)",
        ("teledec/teledetection doc/examples", "remicres/dinamis-sdk doc/collections.md",
         "sertit/eoreader dimap_v2_product.py"),
    ),
    CollectionInfo(
        "sentinel2-l2a-theia", _theia_assets(),
        "CLM_R1 (10 m bands) and CLM_R2 (20 m bands), bit 0; SAT_R1/SAT_R2 where the items have them",
        ("THEIA Sentinel-2 L2A format", "sertit/eoreader s2_theia_product.py",
         "teledec/teledetection doc/examples/rio_ndvi.py"),
    ),
    CollectionInfo(
        "super-sentinel-2-l2a",
        {"img": AssetInfo(tuple(BandInfo(_S2[k].name, _S2[k].common_name, _S2[k].aliases)
                                for k in ("B04", "B03", "B02", "B08")), "int16", None, 1.5, scale=1e-4,
                          assumed_order="the band order of SR4RS's Sentinel-2 model (B4, B3, B2, B8: "
                                        "red, green, blue, NIR)")},
        "its items reference no cloud mask (only cloudless acquisitions are super-resolved)",
        ("remicres/dinamis-sdk doc/collections.md", "remicres/sr4rs doc/PRETRAINED_MODELS.md, code/sr.py"),
    ),
)}

_SENSOR_PATTERNS = (
    ("pneo", re.compile(r"(?i)pleiades[-_ ]?neo|^(ds_)?pneo\d")),
    ("pleiades", re.compile(r"(?i)^pleiades|^(ds_)?phr\d?[ab]?")),
    ("spot67", re.compile(r"(?i)^(ds_)?spot[-_ ]?(6|7|67)")),
)
_MS_KEY = re.compile(r"(?i)(^|[_-])(xs|ms|mul|multispectral)([_-]|$)")
_PAN_KEY = re.compile(r"(?i)(^|[_-])(p|pan|panchromatic)([_-]|$)")


def sensor_of(properties: Mapping[str, Any], item_id: str) -> str | None:
    """The DINAMIS sensor of an item (a key of :data:`SENSOR_BAND_ORDERS`), from its ``constellation``,
    ``platform`` or id, or None.

    Examples
    --------
    >>> sensor_of({}, "SPOT7_MS_201805051026429_SPOT7_P_201805051026429_1")
    'spot67'
    >>> sensor_of({"constellation": "sentinel-2"}, "S2A_x") is None
    True
    """
    for value in (properties.get("constellation"), properties.get("platform"), item_id):
        if isinstance(value, str):
            for key, pattern in _SENSOR_PATTERNS:
                if pattern.search(value):
                    return key
    return None


def is_sentinel2(properties: Mapping[str, Any], item_id: str, collection: str | None) -> bool:
    """Whether an item is a Sentinel-2 product (so that its ``B04``... are Sentinel-2's bands).

    Examples
    --------
    >>> is_sentinel2({}, "SENTINEL2B_20250410-110721-458_L2A_T30TXR_C_V4-0", "x")
    True
    """
    values = [properties.get("constellation"), properties.get("platform"), item_id, collection or ""]
    return any(isinstance(v, str) and re.search(r"(?i)sentinel[-_ ]?2|^s2[abc]?[_-]", v) for v in values)


def multispectral_key(keys: list[str]) -> str | None:
    """The asset key that names a multispectral file (``src_xs``, ``multispectral``, ``MS``...), if one
    does and only one.

    Examples
    --------
    >>> multispectral_key(["src_xs", "src_pan"]), multispectral_key(["a", "b"])
    ('src_xs', None)
    """
    found = [k for k in keys if _MS_KEY.search(k)]
    return found[0] if len(found) == 1 else None


def panchromatic_key(keys: list[str]) -> str | None:
    """The asset key that names a panchromatic file (``src_pan``, ``panchromatic``, ``P``...), if one
    does and only one.

    Examples
    --------
    >>> panchromatic_key(["src_xs", "src_pan"])
    'src_pan'
    """
    found = [k for k in keys if _PAN_KEY.search(k)]
    return found[0] if len(found) == 1 else None
