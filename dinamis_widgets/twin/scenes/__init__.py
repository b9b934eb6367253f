"""Scene generator of the offline twin: DINAMIS-like STAC items, COGs and quicklooks, with a
planted land cover whose NDVI is known.

Generate (or find in the cache) the default set and read its truth::

    >>> from dinamis_widgets.twin.scenes import generate, expected_ndvi
    >>> scenes = generate()  # doctest: +SKIP
    >>> item = scenes.items()[0]  # doctest: +SKIP
    >>> ndvi = expected_ndvi(item["id"], window=(0, 0, 256, 256))  # doctest: +SKIP

Hrefs to the object store start with :data:`DATA_URL_PLACEHOLDER`; the twin's runner replaces it
with the store's URL. See :mod:`dinamis_widgets.twin.scenes.generation` for the on-disk layout.
"""

from __future__ import annotations

from .generation import GENERATOR_VERSION, SceneSet, default_cache_dir, generate, main
from .landcover import LandCover
from .sites import BRUT, COLLECTIONS, ORTHO, SCENE_SETS, SceneSpec, catalogue, get_spec
from .stac import COG_MEDIA_TYPE, DATA_URL_PLACEHOLDER, STAC_EXTENSIONS, STAC_VERSION
from .truth import (
    expected_bands,
    expected_ndvi,
    expected_pan,
    planted_classes,
    planted_ndvi_at,
)

__all__ = [
    "BRUT",
    "COG_MEDIA_TYPE",
    "COLLECTIONS",
    "DATA_URL_PLACEHOLDER",
    "GENERATOR_VERSION",
    "ORTHO",
    "SCENE_SETS",
    "STAC_EXTENSIONS",
    "STAC_VERSION",
    "LandCover",
    "SceneSet",
    "SceneSpec",
    "catalogue",
    "default_cache_dir",
    "expected_bands",
    "expected_ndvi",
    "expected_pan",
    "generate",
    "get_spec",
    "main",
    "planted_classes",
    "planted_ndvi_at",
]
