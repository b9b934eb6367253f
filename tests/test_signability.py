"""Signability from what real items carry: one verdict per shape of catalogue (DINAMIS, MTD's DRS, THEIA,
super-resolved, an item with nothing), each rule on its own, the rule that decided, and what ``dw.sign``
does with each verdict (sign, refuse, or sign with one warning)."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from typing import Any

import pystac
import pytest

import dinamis_widgets as dw
from dinamis_widgets.errors import NotSignableError
from dinamis_widgets.signing.rules import RULES, NotSignable, Signability, collection_signability
from dinamis_widgets.twin import scenes as sc
from dinamis_widgets.warnings import NotSignableWarning, UnverifiedProductWarning

DRS, THEIA, SUPERRES = "spot-6-7-drs", "sentinel2-l2a-theia", "super-sentinel-2-l2a"
EXTENT = pystac.Extent(pystac.SpatialExtent([[-180, -90, 180, 90]]), pystac.TemporalExtent([[None, None]]))


def _of(twin_items: list[dict[str, Any]], collection: str) -> list[dict[str, Any]]:
    return [i for i in twin_items if i["collection"] == collection]


def _raw_drs(twin_items: list[dict[str, Any]]) -> dict[str, Any]:
    (raw,) = [i for i in _of(twin_items, DRS) if "proj:epsg" not in i["properties"]]
    return raw


def _ortho_drs(twin_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in _of(twin_items, DRS) if "proj:epsg" in i["properties"]]


@pytest.fixture(scope="module")
def searched(twin: Any) -> dict[str, pystac.Item]:
    """Every MTD-shaped item as a search returns it: its collection linked (read from the API)."""
    found = dw.search(collections=[DRS, THEIA, SUPERRES], max_items=None)
    return {i.id: i for i in found}


def _verdict(obj: Any) -> Signability:
    return dw.explain_signability(obj)


# ------------------------------------------------------------------------------ one verdict per shape


def test_dinamis_ortho_brut_and_regards(twin_items: list[dict[str, Any]]) -> None:
    dinamis = [i for i in twin_items if i["collection"] in sc.DINAMIS_COLLECTIONS]
    seen = set()
    for it in dinamis:
        v = _verdict(it)
        level, provider = it["properties"]["processing:level"], it["properties"]["dinamis:provider"]
        if level == "BRUT":
            assert (v.verdict, v.rule, v.decided_by) == ("refused", "properties", "processing:level")
            assert v.reason is not None and v.reason.kind == "level" and v.level_label == "BRUT"
            seen.add("brut")
        elif provider == "Regards":
            assert (v.verdict, v.rule, v.decided_by) == ("refused", "provider", "dinamis:provider")
            assert v.reason is not None and v.reason.short == "Regards (CNES) product"
            seen.add("regards")
        else:
            assert (v.verdict, v.rule, v.decided_by, v.level_label) == (
                "signable", "properties", "processing:level", "ORTHO")
            assert v.provider_name == provider and v.missing == () and dw.signability(it) is None
            seen.add("ortho")
    assert seen == {"brut", "regards", "ortho"}


def test_drs_ortho_from_the_collection(twin_items: list[dict[str, Any]], searched: dict[str, pystac.Item]
                                       ) -> None:
    """Nothing of the item says ORTHO: its collection does, known by id (a bare item) or read (searched);
    its projection field agrees."""
    items = _ortho_drs(twin_items)
    assert len(items) == 2
    for it in items:
        bare = _verdict(it)
        assert (bare.verdict, bare.rule, bare.level_label) == ("signable", "collection", "ORTHO")
        assert bare.decided_by == f"known collection {DRS!r}" and "dinamis-sdk" in bare.level.value  # type: ignore[union-attr]
        assert bare.provider_name == "MTD"
        linked = _verdict(searched[it["id"]])
        assert (linked.verdict, linked.decided_by, linked.level_label) == (
            "signable", "the collection's description", "ORTHO")
        assert linked.level.value == "Ortho images"  # type: ignore[union-attr]
        assert dw.signability(searched[it["id"]]) is None


def test_raw_drs_item_is_refused_by_its_assets(twin_items: list[dict[str, Any]],
                                               searched: dict[str, pystac.Item]) -> None:
    """The raw DRS item says nothing of its level; its collection says Ortho; its assets (plain TIFFs,
    no projection) overrule it: refused, never signed silently."""
    raw = _raw_drs(twin_items)
    assert "processing:level" not in raw["properties"] and sc.get_spec(raw["id"]).level == sc.BRUT
    for obj in (raw, searched[raw["id"]]):
        v = _verdict(obj)
        assert (v.verdict, v.rule, v.decided_by) == ("refused", "assets", "assets")
        reason = v.reason
        assert isinstance(reason, NotSignable) and reason.kind == "georeferencing"
        assert reason.short == "not georeferenced" and "src_xs, src_pan" in reason.value
        assert "image/tiff (not COGs)" in reason.value and "no proj:* field" in reason.value
        assert "its collection says ORTHO" in reason.note and "shows no georeferencing" in reason.note
        assert reason.why.startswith(f"Item {raw['id']!r} cannot be signed: it is not georeferenced (")
        assert "dw.sign(item.assets[key].href)" in reason.message
        assert v.level_label is None  # the collection's ORTHO is not this item's level


def test_theia_items_from_their_id(twin_items: list[dict[str, Any]], searched: dict[str, pystac.Item]
                                   ) -> None:
    items = _of(twin_items, THEIA)
    assert len(items) == 5
    for it in items:
        for obj in (it, searched[it["id"]]):
            v = _verdict(obj)
            assert (v.verdict, v.rule, v.decided_by) == ("signable", "item id", "item id")
            assert v.level_label == "L2A"
            assert v.level.value == "L2A"  # type: ignore[union-attr]
            assert v.provider_name == "MTD" and v.missing == ()
            assert dw.signability(obj) is None


def test_super_resolved_item_from_its_collection(twin_items: list[dict[str, Any]],
                                                 searched: dict[str, pystac.Item]) -> None:
    (it,) = _of(twin_items, SUPERRES)
    for obj in (it, searched[it["id"]]):
        v = _verdict(obj)
        assert (v.verdict, v.rule, v.decided_by, v.level_label) == (
            "signable", "collection", f"collection id {SUPERRES!r}", "L2A")
        assert v.provider_name == "MTD" and dw.signability(obj) is None


def test_an_item_with_nothing_is_signed_with_one_warning(twin: Any) -> None:
    href = f"{twin.data}/sm1-gdc/nothing/a.tif"
    bare = {"type": "Feature", "id": "NOTHING_1", "properties": {},
            "assets": {"a": {"href": href}, "b": {"href": href + "?b"}}}
    v = _verdict(bare)
    assert (v.verdict, v.rule, v.decided_by, v.level, v.provider) == ("unverified", None, None, None, None)
    assert v.missing == ("processing level", "provider") and v.signable and dw.signability(bare) is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        signed = dw.sign(bare, "1h")
    assert "X-Amz-Signature" in signed["assets"]["a"]["href"]
    mine = [w for w in caught if issubclass(w.category, UnverifiedProductWarning)]
    assert len(mine) == 1, [str(w.message) for w in caught]  # once per item, not per asset
    text = str(mine[0].message)
    assert "'NOTHING_1' was signed though nothing says it is georeferenced" in text
    assert "no processing:level" in text and "nothing names its provider" in text
    assert issubclass(UnverifiedProductWarning, dw.DinamisWarning)
    # a collection of them: one warning naming them all
    features = {"type": "FeatureCollection", "features": [dict(bare, id=f"NOTHING_{i}") for i in range(3)]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dw.sign(features, "1h")
    mine = [w for w in caught if issubclass(w.category, UnverifiedProductWarning)]
    assert len(mine) == 1 and "3 items were signed" in str(mine[0].message)
    assert all(f"'NOTHING_{i}'" in str(mine[0].message) for i in range(3))
    item = pystac.Item("NOTHING_1", None, None, datetime(2025, 1, 1, tzinfo=UTC), {})
    item.add_asset("a", pystac.Asset(href))
    with pytest.warns(UnverifiedProductWarning, match="NOTHING_1"):
        dw.sign(item.assets["a"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dw.sign(href, "1h")  # a URL alone is never judged


def test_load_streams_an_item_nothing_describes_with_one_warning(twin_items: list[dict[str, Any]]) -> None:
    """``dw.load`` judges items as ``dw.sign`` does: a product nothing describes is read, with a warning."""
    ortho = next(i for i in _of(twin_items, "SPOT67_HCF_GS1")
                 if i["properties"]["processing:level"] == "ORTHO")
    bare = json.loads(json.dumps(ortho))
    bare["id"] = "NOTHING_2"
    bare["links"] = []
    bare.pop("collection", None)
    bare["properties"] = {k: v for k, v in bare["properties"].items()
                          if k == "datetime" or k.startswith("eo:")}
    for asset in bare["assets"].values():
        for key in [k for k in asset if k.startswith("proj:")]:
            del asset[key]
    item = pystac.Item.from_dict(bare)
    assert _verdict(item).verdict == "unverified"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = dw.load([item], bands=["red", "nir"], resolution=60)
    mine = [w for w in caught if issubclass(w.category, UnverifiedProductWarning)]
    assert len(mine) == 1 and "'NOTHING_2'" in str(mine[0].message), [str(w.message) for w in caught]
    assert mine[0].filename == __file__  # points at the caller of dw.load
    assert float(dw.ndvi(ds).max()) > 0


# ------------------------------------------------------------------------------ what dw.sign does


def test_sign_refuses_the_raw_drs_item_and_signs_the_others(twin_items: list[dict[str, Any]],
                                                            searched: dict[str, pystac.Item]) -> None:
    raw = searched[_raw_drs(twin_items)["id"]]
    with pytest.raises(NotSignableError) as info:
        dw.sign(raw)
    assert info.value.reason is not None and info.value.reason.kind == "georeferencing"
    with pytest.raises(NotSignableError):
        dw.sign(raw.assets["src_xs"])
    everything = pystac.ItemCollection(list(searched.values()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        signed = dw.sign(everything, "1h")
    kinds = [w.category for w in caught if issubclass(w.category, dw.DinamisWarning)]
    assert kinds == [NotSignableWarning], [str(w.message) for w in caught]
    assert raw.id in str(next(w.message for w in caught if w.category is NotSignableWarning))
    for it in signed:
        hrefs = [a.href for a in it.assets.values()]
        assert all(("X-Amz-Signature" in h) == (it.id != raw.id) for h in hrefs), it.id
    # who knows better signs the URL itself
    assert "X-Amz-Signature" in dw.sign(raw.assets["src_xs"].href, "1h")
    with pytest.raises(NotSignableError, match="not georeferenced"):
        dw.load([raw], bands=["src_xs"])


# ------------------------------------------------------------------------------ each rule on its own


def _item(item_id: str = "X", props: dict[str, Any] | None = None, assets: dict[str, Any] | None = None,
          collection: str | None = None) -> dict[str, Any]:
    return {"type": "Feature", "id": item_id, "properties": props or {}, "assets": assets or {},
            **({"collection": collection} if collection else {})}


def test_rules_are_in_order() -> None:
    assert [r.name for r in RULES] == ["properties", "item id", "collection", "assets"]


@pytest.mark.parametrize(("value", "verdict", "label"), [
    ("BRUT", "refused", "BRUT"), ("ortho", "signable", "ORTHO"), ("L2A", "signable", "L2A"),
    ("RAW", "refused", "RAW"), ("L1", "unverified", None)])
def test_rule_properties(value: str, verdict: str, label: str | None) -> None:
    v = _verdict(_item(props={"processing:level": value}))
    assert (v.verdict, v.level_label) == (verdict, label)
    if verdict != "unverified":
        assert (v.rule, v.decided_by) == ("properties", "processing:level")
    else:
        assert "processing:level = 'L1' is not a level this toolkit knows" in v.unverified_message


@pytest.mark.parametrize(("item_id", "verdict", "label", "token"), [
    ("SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1_BRUT", "refused", "BRUT", "BRUT"),
    ("IMG_PHR1A_PMS_201202250025599_SEN_PRG_FC_5847-001", "refused", "PRIMARY", "SEN"),
    ("DIM_SPOT6_PMS_201809040237336_ORT_SPOT6_20180904_02503513ik99j3p4hk8_1", "signable", "ORTHO", "ORT"),
    ("SPOT6_2018_FRANCE_ORTHO_NC_GEOSUD_MS_82", "signable", "ORTHO", "ORTHO"),
    ("S2B_MSIL1C_20210517T103619_N7990_R008_T30QVE_20210929T075738", None, None, None),
    ("SENTINEL2A_20230101-105857-123_L2A_T31TCJ_C_V3-1", "signable", "L2A", "L2A"),
])
def test_rule_item_id(item_id: str, verdict: str | None, label: str | None, token: str | None) -> None:
    v = _verdict(_item(item_id))
    if verdict is None:  # no token of its own ("MSIL1C" is not one): nothing told
        assert v.verdict == "unverified"
        return
    assert (v.verdict, v.rule, v.decided_by, v.level_label) == (verdict, "item id", "item id", label)
    assert v.level.value == token  # type: ignore[union-attr]
    if verdict == "refused":
        assert v.reason is not None and f"its id has the token {token!r}" in v.reason.why


def test_rule_collection_fields_text_and_known() -> None:
    def coll(cid: str = "my-coll", **fields: Any) -> pystac.Collection:
        extra = {k: v for k, v in fields.items() if k not in ("title", "keywords", "summaries")}
        c = pystac.Collection(cid, fields.get("description", "Images."), EXTENT, title=fields.get("title"),
                              keywords=fields.get("keywords"), extra_fields=extra or None)
        if "summaries" in fields:
            c.summaries = pystac.Summaries(fields["summaries"])
        return c

    def verdict(collection: pystac.Collection, **item: Any) -> Signability:
        it = pystac.Item("ITEM_1", None, None, datetime(2025, 1, 1, tzinfo=UTC), {}, **item)
        it.set_collection(collection)
        return _verdict(it)

    raw = verdict(coll(summaries={"processing:level": ["BRUT"]}))
    assert (raw.verdict, raw.decided_by) == ("refused", "the collection's summaries")
    mixed = verdict(coll(summaries={"processing:level": ["BRUT", "ORTHO"]}))
    assert mixed.verdict == "unverified"  # a collection of both kinds says nothing of one item
    field = verdict(coll(**{"processing:level": "ORTHO"}))
    assert (field.verdict, field.decided_by) == ("signable", "the collection's processing:level")
    text = verdict(coll(description="Orthorectified SPOT 6/7 scenes."))
    assert (text.verdict, text.decided_by, text.level_label) == (
        "signable", "the collection's description", "ORTHO")
    keywords = verdict(coll(keywords=["Sentinel-2", "L2A"]))
    assert (keywords.decided_by, keywords.level_label) == ("the collection's keywords", "L2A")
    titled = verdict(coll(title="Pléiades BRUT"))
    assert (titled.verdict, titled.decided_by) == ("refused", "the collection's title")
    # the table of known collections, for an item whose collection is not in memory
    known = _verdict(_item(collection=DRS))
    assert (known.verdict, known.decided_by) == ("signable", f"known collection {DRS!r}")
    assert collection_signability({"type": "Collection", "id": "x", "processing:level": "BRUT"}) is not None
    assert collection_signability({"type": "Collection", "id": THEIA}) is None


def test_rule_assets() -> None:
    cog = "image/tiff; application=geotiff; profile=cloud-optimized"
    on_asset = _verdict(_item(assets={"img": {"href": "x.tif", "type": cog, "proj:epsg": 32631}}))
    assert (on_asset.verdict, on_asset.rule) == ("signable", "assets")
    assert on_asset.level.value == "proj:* fields on asset(s) img"  # type: ignore[union-attr]
    assert on_asset.level_label is None and on_asset.level.label == "georeferenced"  # type: ignore[union-attr]
    plain = _verdict(_item(assets={"a": {"href": "a.tif", "type": "image/tiff", "roles": ["data"]},
                                   "t": {"href": "t.png", "type": "image/png", "roles": ["thumbnail"]}}))
    assert (plain.verdict, plain.rule, plain.reason.kind) == ("refused", "assets", "georeferencing")  # type: ignore[union-attr]
    assert plain.reason.note == ""  # type: ignore[union-attr]
    cog_only = _verdict(_item(assets={"a": {"href": "a.tif", "type": cog, "roles": ["data"]}}))
    assert cog_only.verdict == "unverified"  # a COG may be in sensor geometry: nothing told
    # an item's own word is not overruled by its assets
    said = _verdict(_item("X_ORTHO", assets={"a": {"href": "a.tif", "type": "image/tiff"}}))
    assert (said.verdict, said.rule) == ("signable", "item id")


def test_rule_provider_from_the_collection() -> None:
    regards = _verdict(_item("DS_PHR1A_1", {"processing:level": "ORTHO"}, collection="REGARDS-PHR"))
    assert (regards.verdict, regards.rule, regards.decided_by) == (
        "refused", "provider", "known collection 'REGARDS-PHR'")
    assert regards.reason is not None and regards.reason.value == "Regards"
    seas = _verdict(_item("DS_PHR1A_2", {"processing:level": "ORTHO"}, collection="SEASG-TA-PHR-FR-GUF"))
    assert (seas.verdict, seas.provider_name) == ("signable", "SEAS Guyane")
    providers = [{"name": "CNES", "roles": ["producer"]},
                 {"name": "Maison de la Télédétection (MTD)", "roles": ["host"]}]
    hosted = _verdict(_item(props={"processing:level": "ORTHO", "providers": providers}))
    assert (hosted.provider_name, hosted.provider.source) == (  # type: ignore[union-attr]
        "Maison de la Télédétection (MTD)", "providers")


def test_verdicts_pickle_and_print(twin_items: list[dict[str, Any]]) -> None:
    import pickle

    v = _verdict(_raw_drs(twin_items))
    assert pickle.loads(pickle.dumps(v)) == v
    assert str(v) == v.summary == "refused: not georeferenced (assets)"
    assert json.dumps(v.evidence[0].__dict__)  # plain values
