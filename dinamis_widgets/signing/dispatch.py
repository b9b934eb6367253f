"""Sign STAC objects: :func:`sign` and :func:`sign_inplace`, dispatched on the type of what is given.

:func:`sign` takes a URL, a pystac Asset, Item, ItemCollection or Collection, a pystac-client ItemSearch,
or a STAC mapping (item, collection, feature collection, or kerchunk references), and returns it with
signed hrefs (a copy unless ``copy=False``). :func:`sign_inplace` is the same, in place: pass it as
pystac-client's ``modifier``. Both use the process-wide :class:`~.client.Signer` built from the settings
(:func:`~.registry.get_signer`), rebuilt when the settings change, and send all the hrefs of an object in
one batched call.

A product the catalogue cannot sign (:mod:`.rules`: BRUT and Regards products, products whose assets show
no georeferencing) raises :class:`~dinamis_widgets.errors.NotSignableError` with the reason when it is
signed alone; in collections and searches, such items are left unsigned with one
:class:`~dinamis_widgets.warnings.NotSignableWarning`. A product whose processing level nothing tells is
signed, with one :class:`~dinamis_widgets.warnings.UnverifiedProductWarning` per call naming the items.

Examples
--------
>>> from dinamis_widgets.signing.client import Signer
>>> sign("https://example.org/a.tif", signer=Signer(None))
'https://example.org/a.tif'

With the settings pointing at a catalogue (``dinamis_widgets.twin.start()`` does it for the twin)::

    import dinamis_widgets as dw
    item = dw.sign(item, validity="3h", assets=["multispectral"])
    client = pystac_client.Client.open(url, modifier=dw.sign_inplace)
"""

from __future__ import annotations

import copy as copy_module
import functools
import sys
import warnings
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

import pystac

from ..errors import InputError, NotSignableError, quote
from ..warnings import NotSignableWarning
from .client import Signer
from .registry import get_signer
from .reprs import mask_reprs
from .rules import NotSignable, Signability, collection_signability, explain_signability, warn_unverified
from .validity import ValidityLike

__all__ = ["EXPIRY_FIELD", "sign", "sign_inplace"]

#: Asset field where :func:`sign` records when a signed href expires (ISO 8601, UTC).
EXPIRY_FIELD = "dinamis:expiry"


@functools.singledispatch
def sign(obj: Any, validity: ValidityLike | None = None, *, copy: bool = True,
         assets: Sequence[str] | None = None, signer: Signer | None = None) -> Any:
    """Sign the asset URLs of a STAC object (or one URL) so they can be read.

    Parameters
    ----------
    obj
        A URL (str), pystac Asset, Item, ItemCollection, Collection, pystac-client ItemSearch (searched,
        then signed), or a mapping: item, collection or feature collection as dicts.
    validity
        How long the signatures last: ``"3h"``, ``"30min"``, ``"PT3H10M"``, ``"P1D"``, seconds or a
        timedelta (:func:`~dinamis_widgets.parse_validity`); by default ``TLD_URL_DURATION`` or
        the service's default (8 h).
    copy
        Return a signed copy (default), or change ``obj`` in place (not possible for a str).
    assets
        Asset keys to sign (e.g. ``["multispectral"]`` or ``["panchromatic"]``); all by default.
    signer
        The :class:`~.client.Signer`; :func:`~.registry.get_signer` by default.

    Returns
    -------
    The signed object (a new str for a URL; an ItemCollection for an ItemSearch). Each signed asset gets
    ``dinamis:expiry`` (ISO 8601) in its fields.

    Raises
    ------
    NotSignableError
        For an Item (or its Asset) that is a BRUT or Regards product, or whose assets show no
        georeferencing (its ``reason`` says which rule refused it). In collections and searches such items
        are left unsigned with a :class:`~dinamis_widgets.warnings.NotSignableWarning` instead, so that
        mixed results still work.
    ValidityError, AuthenticationError, SigningError
        See :meth:`.Signer.sign_urls`.

    Warns
    -----
    UnverifiedProductWarning
        Once per call, naming the items signed though nothing told their processing level
        (:func:`~dinamis_widgets.signing.rules.explain_signability`).

    Examples
    --------
    >>> sign("https://example.org/needs-no-signature.tif", signer=Signer(None))
    'https://example.org/needs-no-signature.tif'
    """
    # pystac-client's ItemSearch, without importing pystac-client (slow) before anyone uses it
    client_module = sys.modules.get("pystac_client")
    if client_module is not None and isinstance(obj, client_module.ItemSearch):
        return _sign_search(obj, validity, assets, signer)
    raise InputError(
        f"Cannot sign a {type(obj).__name__} ({quote(obj)}): give a URL, a pystac Asset, Item, "
        "ItemCollection or Collection, a pystac-client ItemSearch, or a STAC item/collection/feature "
        "collection mapping."
    )


def sign_inplace(obj: Any, validity: ValidityLike | None = None, *, assets: Sequence[str] | None = None,
                 signer: Signer | None = None) -> Any:
    """Sign in place, for pystac-client's ``modifier`` hook (``Client.open(url, modifier=sign_inplace)``).

    Returns the object itself (pystac-client accepts that as "no result"); a URL cannot change in place,
    so its signed form is returned.
    """
    return sign(obj, validity, copy=False, assets=assets, signer=signer)


def _selected(asset_keys: Iterable[str], wanted: Sequence[str] | None, owner: str) -> list[str]:
    keys = list(asset_keys)
    if wanted is None:
        return keys
    if isinstance(wanted, str):
        wanted = [wanted]
    if not isinstance(wanted, Sequence | set | frozenset) or not all(isinstance(w, str) for w in wanted):
        raise InputError(f"assets={quote(wanted)}: give asset keys, e.g. assets=['multispectral'] (the "
                         f"assets of {owner}: {', '.join(keys) or 'none'}).")
    unknown = [w for w in wanted if w not in keys]
    if unknown:
        raise NotSignableError(f"{owner} has no asset {', '.join(map(quote, unknown))}: give some of its "
                               f"assets, e.g. assets={keys[:1]!r} (its assets: {', '.join(keys) or 'none'}).")
    return [k for k in keys if k in wanted]


def _apply(targets: list[tuple[MutableMapping[str, Any] | pystac.Asset, str]],
           validity: ValidityLike | None, signer: Signer | None) -> None:
    """Sign the hrefs of ``targets`` (asset dicts or Assets) in one batched call, and set them."""
    if not targets:
        return
    hrefs = [t.href if isinstance(t, pystac.Asset) else str(t["href"]) for t, _ in targets]
    signed = (signer or get_signer()).sign_urls(hrefs, validity)
    for (target, _), href in zip(targets, hrefs, strict=True):
        s = signed[href]
        expiry = s.expiry.isoformat().replace("+00:00", "Z") if s.expiry else None
        fields: MutableMapping[str, Any]
        if isinstance(target, pystac.Asset):
            target.href = s.href
            fields = target.extra_fields
            mask_reprs(target)
            mask_reprs(target.owner)
        else:
            target["href"] = s.href
            fields = target
        if expiry:
            fields[EXPIRY_FIELD] = expiry


def _judged(obj: pystac.Item | pystac.Asset | Mapping[str, Any]) -> Signability:
    """The verdict on what is signed alone: raise when refused."""
    verdict = explain_signability(obj)
    if verdict.reason is not None:
        raise NotSignableError(verdict.reason)
    return verdict


def _warn_unsigned(reasons: list[NotSignable]) -> None:
    if reasons:
        more = f"; and {len(reasons) - 3} more" if len(reasons) > 3 else ""
        shown = "; ".join(r.why for r in reasons[:3]) + more
        warnings.warn(f"{len(reasons)} item(s) left unsigned: {shown}", NotSignableWarning, stacklevel=4)


@sign.register(str)
def _sign_str(obj: str, validity: ValidityLike | None = None, *, copy: bool = True,
              assets: Sequence[str] | None = None, signer: Signer | None = None) -> str:
    text = obj.strip()
    if "://" not in text and not text.startswith("/vsi"):
        raise InputError(
            f"Cannot sign {quote(obj)}: it is not a URL. dw.sign signs URLs ('https://...') and STAC "
            "objects: search the item first (dw.search(ids=[...]) gives items you can sign), or use the "
            "command line, which resolves item ids: dinamis-widgets sign <item id>.")
    return (signer or get_signer()).sign_url(obj, validity).href


@sign.register(pystac.Asset)
def _sign_asset(obj: pystac.Asset, validity: ValidityLike | None = None, *, copy: bool = True,
                assets: Sequence[str] | None = None, signer: Signer | None = None) -> pystac.Asset:
    verdict = _judged(obj)
    target = obj.clone() if copy else obj
    if copy:
        target.owner = obj.owner
    _apply([(target, "")], validity, signer)
    warn_unverified([verdict], stacklevel=3)
    return target


@sign.register(pystac.Item)
def _sign_item(obj: pystac.Item, validity: ValidityLike | None = None, *, copy: bool = True,
               assets: Sequence[str] | None = None, signer: Signer | None = None) -> pystac.Item:
    verdict = _judged(obj)
    keys = _selected(obj.assets, assets, f"Item {obj.id!r}")
    item = obj.clone() if copy else obj
    _apply([(item.assets[k], k) for k in keys], validity, signer)
    warn_unverified([verdict], stacklevel=3)
    return item


def _sign_items(items: Iterable[pystac.Item], validity: ValidityLike | None, assets: Sequence[str] | None,
                signer: Signer | None) -> None:
    targets: list[tuple[MutableMapping[str, Any] | pystac.Asset, str]] = []
    reasons: list[NotSignable] = []
    verdicts: list[Signability] = []
    for item in items:
        verdict = explain_signability(item)
        if verdict.reason is not None:
            reasons.append(verdict.reason)
            continue
        verdicts.append(verdict)
        keys = _selected(item.assets, assets, f"Item {item.id!r}")
        targets.extend((item.assets[k], k) for k in keys)
    _apply(targets, validity, signer)
    _warn_unsigned(reasons)
    warn_unverified(verdicts, stacklevel=4)


@sign.register(pystac.ItemCollection)
def _sign_item_collection(obj: pystac.ItemCollection, validity: ValidityLike | None = None, *,
                          copy: bool = True, assets: Sequence[str] | None = None,
                          signer: Signer | None = None) -> pystac.ItemCollection:
    collection = obj.clone() if copy else obj
    _sign_items(collection.items, validity, assets, signer)
    return collection


@sign.register(pystac.Collection)
def _sign_collection(obj: pystac.Collection, validity: ValidityLike | None = None, *, copy: bool = True,
                     assets: Sequence[str] | None = None, signer: Signer | None = None) -> pystac.Collection:
    reason = collection_signability(obj)
    if reason is not None:
        raise NotSignableError(reason)
    collection = obj.clone() if copy else obj
    if copy and obj.assets and not collection.assets:  # older pystac dropped assets in clone
        collection.assets = {k: a.clone() for k, a in obj.assets.items()}
    keys = _selected(collection.assets, assets, f"Collection {obj.id!r}")
    _apply([(collection.assets[k], k) for k in keys], validity, signer)
    return collection


def _sign_search(obj: Any, validity: ValidityLike | None, assets: Sequence[str] | None,
                 signer: Signer | None) -> pystac.ItemCollection:
    """Run a pystac-client ItemSearch and sign its items (unsignable ones are left with a warning)."""
    items = obj.item_collection()
    _sign_items(items.items, validity, assets, signer)
    return items


def _asset_dicts(feature: Mapping[str, Any], wanted: Sequence[str] | None) -> list[MutableMapping[str, Any]]:
    found = feature.get("assets")
    if not isinstance(found, Mapping):
        return []
    keys = _selected([k for k, a in found.items() if isinstance(a, MutableMapping) and "href" in a], wanted,
                     f"Item {feature.get('id', '?')!r}")
    return [found[k] for k in keys]


@sign.register(Mapping)
def _sign_mapping(obj: Mapping[str, Any], validity: ValidityLike | None = None, *, copy: bool = True,
                  assets: Sequence[str] | None = None, signer: Signer | None = None) -> Mapping[str, Any]:
    mapping = copy_module.deepcopy(obj) if copy else obj
    kind = mapping.get("type")
    targets: list[tuple[MutableMapping[str, Any] | pystac.Asset, str]] = []
    verdicts: list[Signability] = []
    if kind == "FeatureCollection":
        reasons: list[NotSignable] = []
        for feature in mapping.get("features") or []:
            if not isinstance(feature, Mapping):
                continue
            verdict = explain_signability(feature)
            if verdict.reason is not None:
                reasons.append(verdict.reason)
                continue
            verdicts.append(verdict)
            targets.extend((a, "") for a in _asset_dicts(feature, assets))
        _apply(targets, validity, signer)
        _warn_unsigned(reasons)
        warn_unverified(verdicts, stacklevel=3)
        return mapping
    if kind == "Collection":
        reason = collection_signability(mapping)
        if reason is not None:
            raise NotSignableError(reason)
    elif kind == "Feature" or "assets" in mapping:
        verdicts.append(_judged(mapping))
    elif all(k in mapping for k in ("version", "templates", "refs")):  # kerchunk references
        templates = mapping["templates"]
        urls = [v for v in templates.values() if isinstance(v, str)]
        signed = (signer or get_signer()).sign_urls(urls, validity)
        for k, v in list(templates.items()):
            if isinstance(v, str):
                templates[k] = signed[v].href
        return mapping
    else:
        return mapping
    targets.extend((a, "") for a in _asset_dicts(mapping, assets))
    _apply(targets, validity, signer)
    warn_unverified(verdicts, stacklevel=3)
    return mapping
