"""Scene generator of the offline twin: STAC items, COGs and quicklooks over a planted land cover
whose NDVI and clouds are known.

Two families of collections share the land cover: DINAMIS-shaped ones (``SPOT67_HCF_GS1``...,
:mod:`.dinamis_shapes`) and ones shaped like the MTD STAC API's (``spot-6-7-drs``,
``sentinel2-l2a-theia``, ``super-sentinel-2-l2a``, :mod:`.mtd_shapes`).

Generate (or find in the cache) the default set and read its truth::

    >>> import numpy as np
    >>> from dinamis_widgets.twin.scenes import generate, expected_ndvi
    >>> scenes = generate()
    >>> item = scenes.items()[0]
    >>> ndvi = expected_ndvi(item["id"], window=(0, 0, 256, 256))
    >>> ndvi.shape, bool(-1 <= np.nanmin(ndvi) <= np.nanmax(ndvi) <= 1)
    ((256, 256), True)

Hrefs to the object store start with :data:`DATA_URL_PLACEHOLDER`; the twin's runner replaces it
with the store's URL. See :mod:`dinamis_widgets.twin.scenes.generation` for the on-disk layout.
"""

from __future__ import annotations

from .dinamis_shapes import DINAMIS_COLLECTIONS
from .generation import GENERATOR_VERSION, SceneSet, default_cache_dir, generate, main
from .landcover import LandCover
from .mtd_shapes import MTD_COLLECTIONS, THEIA_NODATA, THEIA_QUANTIFICATION
from .rasters import CLM_BITS, MG2_BITS
from .registry import COLLECTIONS, catalogue, get_spec
from .specs import BRUT, LAYOUTS, ORTHO, SCENE_SETS, SceneSpec
from .stac import (
    COG_MEDIA_TYPE,
    DATA_URL_PLACEHOLDER,
    MTD_STAC_EXTENSIONS,
    STAC_EXTENSIONS,
    STAC_VERSION,
)
from .truth import (
    expected_asset,
    expected_bands,
    expected_clouds,
    expected_ndvi,
    expected_pan,
    planted_classes,
    planted_ndvi_at,
)

__all__ = [
    "BRUT",
    "CLM_BITS",
    "COG_MEDIA_TYPE",
    "COLLECTIONS",
    "DATA_URL_PLACEHOLDER",
    "DINAMIS_COLLECTIONS",
    "GENERATOR_VERSION",
    "LAYOUTS",
    "MG2_BITS",
    "MTD_COLLECTIONS",
    "MTD_STAC_EXTENSIONS",
    "ORTHO",
    "SCENE_SETS",
    "STAC_EXTENSIONS",
    "STAC_VERSION",
    "THEIA_NODATA",
    "THEIA_QUANTIFICATION",
    "LandCover",
    "SceneSet",
    "SceneSpec",
    "catalogue",
    "default_cache_dir",
    "expected_asset",
    "expected_bands",
    "expected_clouds",
    "expected_ndvi",
    "expected_pan",
    "generate",
    "get_spec",
    "main",
    "planted_classes",
    "planted_ndvi_at",
]
