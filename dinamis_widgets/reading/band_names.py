"""Which band of which asset each name of a load means, for any reasonable item shape (no IO).

For each collection of the items (its first item stands for the others, as in odc-stac), a name asked
is resolved by the first rule that applies:

0. ``band_map``: the caller's own ``{name: (asset, band)}`` (or ``"asset.N"``, or a single-band asset key);
1. the key of a **multi-band** asset: all its bands (``src_xs`` gives ``src_xs.1`` ... ``src_xs.4``, or the
   names the item gives them: ``multispectral`` gives ``red``, ``green``, ``blue``, ``nir``);
2. a band name or common name an asset declares, in ``eo:bands`` or STAC 1.1 ``bands`` (``red``, ``B2``);
   in several assets, the one with fewer bands (odc-stac's rule);
3. the key of a single-band asset (``B04``, ``src_pan``);
4. ``asset.N``: band N (1-based) of an asset (odc-stac's convention);
5. aliases: Sentinel-2 band names for Sentinel-2 items (``red`` is the asset ``B04``, ``B4`` is ``B04``,
   ``B04`` is an asset ``red``...), then
   the names :data:`~.product_tables.KNOWN_COLLECTIONS` gives the bands of collections whose items
   declare none;
6. the DINAMIS sensors' file band orders (:data:`~.product_tables.SENSOR_BAND_ORDERS`) for the
   multispectral asset (``src_xs``, ``multispectral``, ``MS``...) of a SPOT 6/7, Pléiades or Pléiades Neo
   item that names no band.

Where a name's meaning rests on an assumed file band order (rules 5 for ``spot-6-7-drs`` and
``super-sentinel-2-l2a``, and 6), the load warns (:class:`~dinamis_widgets.warnings.BandOrderWarning`)
with the call that overrides it. Rules 2-4 are odc-stac's own resolution; the others reach odc-stac as
aliases of its per-collection configuration (``stac_cfg``, see :meth:`BandResolution.stac_cfg`).

Examples
--------
>>> band_ref(("src_xs", 4)), band_ref("src_xs.4"), band_ref("B04")
(('src_xs', 4), ('src_xs', 4), ('B04', 1))
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import LoadError
from .asset_facts import AssetFacts, CollectionFacts
from .product_tables import SENSOR_BAND_ORDERS, SENTINEL2_BANDS, multispectral_key, panchromatic_key

__all__ = ["BandRef", "BandResolution", "BandSource", "band_ref", "counts_needed", "resolve_bands"]

#: A band named in ``band_map``: ``(asset, band)``, ``"asset.N"``, or the key of a single-band asset.
BandRef = tuple[str, int] | str

BAND_MAP, ALL_BANDS, DECLARED, ASSET, ASSET_INDEX = "band_map", "all bands of", "declared", "asset", "asset.N"
SENTINEL2, TABLE, ASSUMED = "Sentinel-2 name", "table", "assumed order"
#: Ways odc-stac resolves by itself (the others are given to it as aliases).
_NATIVE = {DECLARED, ASSET, ASSET_INDEX}
_INDEXED = re.compile(r"(.+)\.(\d+)")


@dataclass(frozen=True)
class BandSource:
    """Where a band of the cube comes from in one collection."""

    asset: str
    index: int
    how: str
    assumption: str = ""
    eo: bool = True
    """For declared names: found in ``eo:bands`` (odc-stac reads those), not only in STAC 1.1 ``bands``."""

    def __str__(self) -> str:
        where = self.asset if self.how in (ASSET, SENTINEL2) else f"{self.asset}.{self.index}"
        return where + ("" if self.how in _NATIVE or self.how == ALL_BANDS else f" ({self.how})")


def band_ref(ref: Any) -> tuple[str, int]:
    """A ``band_map`` value as ``(asset, band)``.

    Raises
    ------
    LoadError
        Not a pair ``(asset, band)`` with band >= 1, an ``"asset.N"`` or an asset key.
    """
    if isinstance(ref, str):
        m = _INDEXED.fullmatch(ref)
        return (m[1], int(m[2])) if m else (ref, 1)
    if (isinstance(ref, Sequence) and len(ref) == 2 and isinstance(ref[0], str)
            and isinstance(ref[1], int) and ref[1] >= 1):
        return (ref[0], int(ref[1]))
    raise LoadError(f"band_map values are (asset, band) pairs with band >= 1, 'asset.N' or an asset key, "
                    f"not {ref!r}: band_map={{'red': ('src_xs', 1)}}")


def _declared(coll: CollectionFacts, name: str) -> BandSource | None:
    found = []
    for key, asset in coll.assets.items():
        for i, band in enumerate(asset.bands, start=1):
            if name in (band.name, band.common_name):
                eo = _in_eo_bands(coll, key, i - 1, name)
                found.append(((asset.count or len(asset.bands), key), BandSource(key, i, DECLARED, eo=eo)))
                break
    return min(found, key=lambda f: f[0])[1] if found else None


def _in_eo_bands(coll: CollectionFacts, key: str, i: int, name: str) -> bool:
    """Whether odc-stac finds ``name`` by itself: in ``eo:bands``, of an item declaring the eo extension."""
    from pystac.extensions.eo import EOExtension

    eo = coll.item.assets[key].extra_fields.get("eo:bands")
    return (isinstance(eo, list) and i < len(eo) and isinstance(eo[i], Mapping)
            and name in (eo[i].get("name"), eo[i].get("common_name"))
            and EOExtension.has_extension(coll.item))


def _alias(coll: CollectionFacts, name: str) -> BandSource | None:
    if coll.sentinel2:
        for band in SENTINEL2_BANDS:
            if name in band.names or name.upper() in band.names:
                for key in (band.name, *band.aliases, band.common_name or ""):
                    if key in coll.assets and (coll.assets[key].count or 1) == 1:
                        return BandSource(key, 1, SENTINEL2)
    if coll.table is not None:
        for key, info in coll.table.assets.items():
            for i, band in enumerate(info.bands, start=1):
                if key in coll.assets and not coll.assets[key].named and name in band.names:
                    if info.assumed_order and len(info.bands) > 1:
                        return BandSource(key, i, ASSUMED, info.assumed_order)
                    return BandSource(key, i, TABLE)
    return None


def _sensor(coll: CollectionFacts, name: str) -> BandSource | None:
    if coll.sensor is None or coll.table is not None:
        return None
    order = SENSOR_BAND_ORDERS[coll.sensor]
    unnamed = [k for k, a in coll.assets.items() if not a.named]
    pan = panchromatic_key(unnamed)
    if pan is not None and name in order.pan.names and (coll.assets[pan].count or 1) == 1:
        return BandSource(pan, 1, ASSUMED, f"{pan} is the panchromatic image of this {order.label} product")
    ms = multispectral_key(unnamed)
    if ms is None:
        return None
    count = coll.assets[ms].count
    for i, band in enumerate(order.bands[: count or len(order.bands)], start=1):
        if name in band.names:
            return BandSource(ms, i, ASSUMED, order.assumed_order)
    return None


def _band_name(coll: CollectionFacts, asset: AssetFacts, i: int) -> str:
    """The name of band ``i`` of an asset asked as a whole: its declared name where that name means it."""
    band = asset.band(i)
    for name in (band.common_name, band.name):
        found = _declared(coll, name) if name and name not in coll.assets else None
        if found is not None and (found.asset, found.index) == (asset.key, i):
            return str(name)
    return f"{asset.key}.{i}"


def _check_index(coll: CollectionFacts, name: str, asset: str, index: int) -> None:
    count = coll.assets[asset].count if asset in coll.assets else None
    if count is not None and index > count:
        raise LoadError(f"{name!r}: asset {asset} of collection {coll.key} has {count} band(s), not {index}. "
                        f"Available: {coll.assets[asset].describe()}.")


def _resolve_one(coll: CollectionFacts, name: str,
                 band_map: Mapping[str, tuple[str, int]]) -> list[tuple[str, BandSource]]:
    if name in band_map:
        asset, index = band_map[name]
        if asset not in coll.item.assets:
            return []
        _check_index(coll, name, asset, index)
        return [(name, BandSource(asset, index, BAND_MAP))]
    whole = coll.assets.get(name)
    if whole is not None and (whole.count or 1) > 1:
        return [(_band_name(coll, whole, i), BandSource(name, i, ALL_BANDS))
                for i in range(1, (whole.count or 1) + 1)]
    found = _declared(coll, name)
    if found is not None:
        return [(name, found)]
    if whole is not None:
        return [(name, BandSource(name, 1, ASSET))]
    m = _INDEXED.fullmatch(name)
    if m and m[1] in coll.assets:
        _check_index(coll, name, m[1], int(m[2]))
        return [(name, BandSource(m[1], int(m[2]), ASSET_INDEX))]
    found = _alias(coll, name) or _sensor(coll, name)
    return [(name, found)] if found is not None else []


def counts_needed(facts: Mapping[str, CollectionFacts], names: Sequence[str],
                  band_map: Mapping[str, tuple[str, int]]) -> list[str]:
    """Hrefs of files whose band count must be read from their header before names can be resolved: an
    asset whose count nothing declares, asked whole, as ``asset.N`` or in ``band_map``."""
    out = []
    for coll in facts.values():
        wanted = {band_map[n][0] if n in band_map else (m[1] if (m := _INDEXED.fullmatch(n)) else n)
                  for n in names}
        out += [coll.item.assets[k].href for k, a in coll.assets.items() if a.count is None and k in wanted]
    return out


@dataclass
class BandResolution:
    """The names of a load and, per collection, where each comes from."""

    names: list[str]
    sources: dict[str, dict[str, BandSource]]
    facts: Mapping[str, CollectionFacts] = field(repr=False)

    def assets_read(self) -> dict[str, set[str]]:
        """The asset keys the load reads, by collection."""
        return {c: {s.asset for s in srcs.values()} for c, srcs in self.sources.items()}

    def stac_cfg(self) -> dict[str, Any]:
        """odc-stac's configuration (``stac_cfg``): per collection, the aliases of the names it does not
        resolve by itself, and the data type and nodata of single-band assets known from the tables."""
        cfg: dict[str, Any] = {}
        for coll, srcs in self.sources.items():
            aliases = {n: (s.asset, s.index) for n, s in srcs.items()
                       if s.how not in _NATIVE or (s.how == DECLARED and not s.eo)}
            assets = {}
            for key in {s.asset for s in srcs.values()}:
                known = self.facts[coll].assets.get(key)
                if (known is not None and known.table is not None and len(known.table.bands) == 1
                        and not any(b.data_type for b in known.bands)):
                    assets[key] = {"data_type": known.table.data_type, "nodata": known.table.nodata}
            if aliases or assets:
                cfg[coll] = {k: v for k, v in (("aliases", aliases), ("assets", assets)) if v}
        return cfg

    def assumptions(self) -> list[str]:
        """One warning text per collection whose bands rest on an assumed file band order."""
        out = []
        for coll, srcs in self.sources.items():
            assumed = {n: s for n, s in srcs.items() if s.how == ASSUMED}
            if not assumed:
                continue
            why = "; ".join(sorted({s.assumption for s in assumed.values()}))
            where = ", ".join(f"{n} as {s.asset}.{s.index}" for n, s in assumed.items())
            mapping = ", ".join(f"{json.dumps(n)}: ({json.dumps(s.asset)}, {s.index})"
                                for n, s in assumed.items())
            out.append(f"The items of {coll} name no bands: reading {where}, assuming {why} "
                       f"(dinamis_widgets.reading.product_tables). If their files differ, say which band is "
                       f"which: dw.load(items, bands={json.dumps(list(assumed))}, band_map={{{mapping}}})")
        return out

    def describe(self) -> dict[str, str]:
        """Where each band comes from, for the plan (``{"red": "src_xs.1 (assumed order)"}``)."""
        out: dict[str, list[str]] = {}
        for coll, srcs in self.sources.items():
            for name, src in srcs.items():
                text = str(src) + (f" [{coll}]" if len(self.sources) > 1 else "")
                out.setdefault(name, []).append(text)
        return {n: "; ".join(out.get(n, ["?"])) for n in self.names}


def _missing_error(coll: CollectionFacts, missing: list[str]) -> LoadError:
    assets = list(coll.assets.values())
    asked = ", ".join(map(repr, missing))
    declared = sorted({n for a in assets for b in a.bands for n in (b.name, b.common_name) if n})
    lines = [f"No band {asked} in the items of collection {coll.key} (e.g. {coll.item.id}): "
             + (f"their assets declare the names {', '.join(declared)}." if declared
                else "they declare no band names (no eo:bands, no bands).")]
    lines.append(f"Assets: {', '.join(a.describe() for a in assets) or 'none that holds pixels'}.")
    multi = next((a for a in assets if (a.count or 0) > 1), None) or next(
        (a for a in assets if a.count is None), None)
    if multi is not None and multi.count:
        works = [f"{multi.key}.{i}" for i in range(1, multi.count + 1)]
    else:
        works = declared[:4] or [a.key for a in assets][:4]
    if works:
        lines.append(f"A call that works: dw.load(items, bands={json.dumps(works)})")
    if multi is not None:
        template = ", ".join(f"{json.dumps(n)}: ({json.dumps(multi.key)}, {i})"
                             for i, n in enumerate(missing[:2], start=1))
        lines.append(f"If you know which band is which: dw.load(items, bands={json.dumps(missing[:2])}, "
                     f"band_map={{{template}}})")
    return LoadError("\n".join(lines))


def resolve_bands(facts: Mapping[str, CollectionFacts], names: Sequence[str],
                  band_map: Mapping[str, BandRef] | None = None) -> BandResolution:
    """Resolve the names of a load in each collection (see the module's rules).

    Raises
    ------
    LoadError
        A name no collection has (the message lists the assets and shows a call that works), a
        ``band_map`` naming no asset of the items, or a band beyond an asset's count.
    """
    refs = {str(k): band_ref(v) for k, v in (band_map or {}).items()}
    for name, (asset, _) in refs.items():
        if not any(asset in c.item.assets for c in facts.values()):
            have = ", ".join(sorted({k for c in facts.values() for k in c.assets}))
            raise LoadError(f"band_map[{name!r}] names asset {asset!r}, which no item has; assets: {have}.")
    out: list[str] = []
    sources: dict[str, dict[str, BandSource]] = {c: {} for c in facts}
    missing: list[str] = []
    for name in names:
        found = False
        for key, coll in facts.items():
            for out_name, src in _resolve_one(coll, name, refs):
                sources[key].setdefault(out_name, src)
                if out_name not in out:
                    out.append(out_name)
                found = True
        if not found:
            missing.append(name)
    if missing:
        raise _missing_error(next(iter(facts.values())), missing)
    return BandResolution(out, sources, facts)
