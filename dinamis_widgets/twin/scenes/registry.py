"""What the twin's catalogue holds: every collection, and one :class:`~.specs.SceneSpec` per item.

The DINAMIS-shaped items come first (:mod:`.dinamis_shapes`), then the MTD-shaped ones
(:mod:`.mtd_shapes`).
"""

from __future__ import annotations

from functools import lru_cache

from .dinamis_shapes import DINAMIS_COLLECTIONS, dinamis_specs
from .mtd_shapes import MTD_COLLECTIONS, mtd_specs
from .specs import CollectionDef, SceneSpec

__all__ = ["COLLECTIONS", "catalogue", "get_spec"]

#: Every collection of the twin, by id: the DINAMIS-shaped ones, then the MTD-shaped ones.
COLLECTIONS: dict[str, CollectionDef] = {**DINAMIS_COLLECTIONS, **MTD_COLLECTIONS}


@lru_cache(maxsize=16)
def _catalogue(seed: int, scene_set: str) -> tuple[SceneSpec, ...]:
    dinamis = dinamis_specs(seed, scene_set)
    specs = dinamis + mtd_specs(seed, dinamis)
    ids = [s.item_id for s in specs]
    assert len(set(ids)) == len(ids), "item ids must be unique"
    return specs


def catalogue(seed: int = 0, scene_set: str = "default") -> list[SceneSpec]:
    """List the items of a scene set, without generating anything.

    Parameters
    ----------
    seed
        Seed of the land cover, clouds, texture and footprint jitter.
    scene_set
        ``"default"`` (30 items, small scenes) or ``"bench"`` (the default items plus one
        10000 x 10000 MS SPOT scene without PAN).

    Returns
    -------
    list of SceneSpec
        One spec per STAC item, in catalogue order: DINAMIS-shaped items, then MTD-shaped ones.

    Examples
    --------
    >>> from dinamis_widgets.twin.scenes import catalogue
    >>> specs = catalogue()
    >>> specs[0].item_id
    'SPOT67_HCF_202504141052135_GS1_W001N46_SCENE1'
    >>> sorted({s.layout for s in specs})
    ['dinamis', 'drs', 'superres', 'theia']
    """
    return list(_catalogue(int(seed), scene_set))


def get_spec(item_id: str, seed: int = 0, scene_set: str = "default") -> SceneSpec:
    """Return the spec of one item.

    Raises
    ------
    KeyError
        If ``item_id`` is not in the scene set.
    """
    for spec in _catalogue(int(seed), scene_set):
        if spec.item_id == item_id:
            return spec
    raise KeyError(f"no item {item_id!r} in scene set {scene_set!r} (seed {seed})")
