"""Which products the catalogue lets you sign and stream, and why the others cannot be.

Only ORTHO products of MTD and SEAS Guyane can be signed. A product that cannot be is described by a
:class:`NotSignable` value: what rule refused it (``kind``: its processing ``level``, or its
``provider``), where the rule found it (``decided_by``), a few words for lists (:attr:`NotSignable.short`)
and the full sentence with what to do (:attr:`NotSignable.message`, also its ``str``).
:func:`signability` returns it (None for a product that can be signed); :func:`check_signable` raises it
in a :class:`~dinamis_widgets.errors.NotSignableError` (its ``reason``).

Examples
--------
>>> reason = signability({"id": "X_BRUT", "properties": {"processing:level": "BRUT"}})
>>> reason.kind, reason.decided_by, reason.short
('level', 'processing:level', 'BRUT product')
>>> print(reason.message)
Item 'X_BRUT' cannot be signed: it is a BRUT product (processing:level = 'BRUT': raw, in sensor \
geometry, not georeferenced). Only ORTHO products of MTD and SEAS Guyane can be signed and streamed. \
To get this product, order it through the DINAMIS catalogue (add it to the basket).
>>> print(reason.for_collection().why)
Collection 'X_BRUT' cannot be signed: it is a BRUT product (processing:level = 'BRUT': raw, in sensor \
geometry, not georeferenced)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pystac

from ..errors import NotSignableError

__all__ = ["ORDER_ADVICE", "RULES", "NotSignable", "NotSignableKind", "Rule", "check_signable",
           "collection_signability", "signability"]

#: What makes a product unsignable: its processing level (BRUT) or its provider (Regards).
NotSignableKind = Literal["level", "provider"]

#: What to do with a product that cannot be signed (ends every :attr:`NotSignable.message`).
ORDER_ADVICE = ("Only ORTHO products of MTD and SEAS Guyane can be signed and streamed. To get this product, "
                "order it through the DINAMIS catalogue (add it to the basket).")

_SHORT: dict[str, str] = {"level": "BRUT product", "provider": "Regards (CNES) product"}


@dataclass(frozen=True)
class NotSignable:
    """Why a product cannot be signed: a value to show in a list (``short``) or in full (``message``).

    Parameters
    ----------
    kind
        ``"level"`` (a BRUT product: raw, not georeferenced) or ``"provider"`` (a Regards product,
        delivered by CNES).
    item_id
        The id of the item (of the collection, when ``subject`` is ``"Collection"``).
    value
        What was found: the processing level (``'BRUT'``) or the provider's name (``'CNES (Regards)'``).
    decided_by
        Where the rule found it: ``processing:level``, ``dinamis:provider``, ``providers``,
        ``the collection's dinamis:provider`` or ``the collection's providers``.
    subject
        ``"Item"`` or ``"Collection"``: what the sentences speak of (see :meth:`for_collection`).

    Examples
    --------
    >>> r = NotSignable("provider", "PHR_1", "Regards", "dinamis:provider")
    >>> r.short, r.detail
    ('Regards (CNES) product', "dinamis:provider = 'Regards'")
    >>> r.why
    "Item 'PHR_1' cannot be signed: it is a Regards (CNES) product (dinamis:provider = 'Regards'); \
Regards products are delivered by CNES, not streamed by the MTD"
    >>> str(r) == r.message == f"{r.why}. {ORDER_ADVICE}"
    True
    """

    kind: NotSignableKind
    item_id: str
    value: str
    decided_by: str
    subject: Literal["Item", "Collection"] = "Item"

    @property
    def short(self) -> str:
        """A few words for lists and tables: ``BRUT product``, ``Regards (CNES) product``."""
        return _SHORT[self.kind]

    @property
    def detail(self) -> str:
        """The evidence: ``processing:level = 'BRUT'``."""
        return f"{self.decided_by} = {self.value!r}"

    @property
    def why(self) -> str:
        """One sentence (no final period, no advice): which product, and why it cannot be signed."""
        head = f"{self.subject} {self.item_id!r} cannot be signed: it is a {self.short}"
        if self.kind == "level":
            return f"{head} ({self.detail}: raw, in sensor geometry, not georeferenced)"
        return f"{head} ({self.detail}); Regards products are delivered by CNES, not streamed by the MTD"

    @property
    def advice(self) -> str:
        """What to do instead: order the product through the catalogue."""
        return ORDER_ADVICE

    @property
    def message(self) -> str:
        """The full message: :attr:`why`, then :attr:`advice`."""
        return f"{self.why}. {self.advice}"

    def for_collection(self) -> NotSignable:
        """The same reason, phrased for a collection (``Collection 'X' cannot be signed...``)."""
        return dataclasses.replace(self, subject="Collection")

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------------
# The rules: each looks at an item's properties (and its collection, if known) and says what refuses it
# --------------------------------------------------------------------------------------------------

#: A rule: (properties, collection or None) -> (kind, decided_by, value) when it refuses the product.
Rule = Callable[[Mapping[str, Any], Mapping[str, Any] | None], tuple[NotSignableKind, str, str] | None]


def _level_rule(properties: Mapping[str, Any],
                collection: Mapping[str, Any] | None) -> tuple[NotSignableKind, str, str] | None:
    """BRUT products (raw, in sensor geometry) cannot be streamed."""
    level = properties.get("processing:level")
    if isinstance(level, str) and level.strip().upper() == "BRUT":
        return "level", "processing:level", level
    return None


def _provider_names(providers: Any) -> list[str]:
    names = []
    if isinstance(providers, list):
        for p in providers:
            name = p.get("name") if isinstance(p, Mapping) else getattr(p, "name", None)
            if isinstance(name, str):
                names.append(name)
    return names


def _provider_rule(properties: Mapping[str, Any],
                   collection: Mapping[str, Any] | None) -> tuple[NotSignableKind, str, str] | None:
    """Regards products are delivered by CNES: the item's or its collection's provider says so."""
    provider = properties.get("dinamis:provider")
    sources = [("dinamis:provider", provider)] if isinstance(provider, str) else []
    sources += [("providers", n) for n in _provider_names(properties.get("providers"))]
    if collection is not None:
        cp = collection.get("dinamis:provider")
        if isinstance(cp, str):
            sources.append(("the collection's dinamis:provider", cp))
        sources += [("the collection's providers", n) for n in _provider_names(collection.get("providers"))]
    for where, name in sources:
        if "regards" in name.lower():
            return "provider", where, name
    return None


#: The rules, in order: the first that refuses a product gives the reason (its ``decided_by`` says where it
#: looked). A rule that reads the level from an item's id or its collection would be one more here.
RULES: tuple[Rule, ...] = (_level_rule, _provider_rule)


def _judge(item_id: str, properties: Mapping[str, Any],
           collection: Mapping[str, Any] | None) -> NotSignable | None:
    for rule in RULES:
        found = rule(properties, collection)
        if found is not None:
            kind, decided_by, value = found
            return NotSignable(kind, item_id, value, decided_by)
    return None


def _resolved_collection(item: pystac.Item) -> Mapping[str, Any] | None:
    """The item's collection if it is already in memory (never fetched)."""
    link = item.get_single_link(pystac.RelType.COLLECTION)
    if link is None or not link.is_resolved():
        return None
    target = link.target
    if isinstance(target, pystac.Collection):
        return {"providers": target.providers or [], **target.extra_fields}
    return None


def signability(obj: pystac.Item | pystac.Asset | Mapping[str, Any]) -> NotSignable | None:
    """Why a product cannot be signed, or None if it can.

    Parameters
    ----------
    obj
        A pystac Item, an Asset (its item is checked), or an item as a mapping.

    Returns
    -------
    NotSignable or None
        The reason (``str()`` of it is the full message), or None for a product that can be signed.

    Examples
    --------
    >>> signability({"id": "X", "properties": {"processing:level": "ORTHO", "dinamis:provider": "MTD"}})
    >>> print(signability({"id": "X_BRUT", "properties": {"processing:level": "BRUT"}}))
    Item 'X_BRUT' cannot be signed: it is a BRUT product ...
    """
    if isinstance(obj, pystac.Asset):
        owner = obj.owner
        return signability(owner) if isinstance(owner, pystac.Item) else None
    if isinstance(obj, pystac.Item):
        return _judge(obj.id, obj.properties, _resolved_collection(obj))
    if isinstance(obj, Mapping):
        props = obj.get("properties")
        return _judge(str(obj.get("id", "?")), props if isinstance(props, Mapping) else {}, None)
    return None


def collection_signability(obj: pystac.Collection | Mapping[str, Any]) -> NotSignable | None:
    """Why the products of a collection cannot be signed (phrased for the collection), or None.

    Parameters
    ----------
    obj
        A pystac Collection, or a collection as a mapping (its fields are read as an item's properties).

    Examples
    --------
    >>> print(collection_signability({"type": "Collection", "id": "REGARDS-PHR",
    ...                               "providers": [{"name": "CNES (Regards)"}]}).why)
    Collection 'REGARDS-PHR' cannot be signed: it is a Regards (CNES) product \
(providers = 'CNES (Regards)'); Regards products are delivered by CNES, not streamed by the MTD
    """
    if isinstance(obj, pystac.Collection):
        found = _judge(obj.id, {"providers": obj.providers or [], **obj.extra_fields}, None)
    else:
        found = _judge(str(obj.get("id", "?")), obj, None)
    return found.for_collection() if found is not None else None


def check_signable(obj: pystac.Item | pystac.Asset | Mapping[str, Any]) -> None:
    """Raise :class:`~dinamis_widgets.errors.NotSignableError` (its ``reason`` is the :class:`NotSignable`)
    if ``obj`` cannot be signed.

    Examples
    --------
    >>> check_signable({"id": "X", "properties": {"processing:level": "ORTHO"}})
    >>> try:
    ...     check_signable({"id": "X_BRUT", "properties": {"processing:level": "BRUT"}})
    ... except NotSignableError as error:
    ...     print(error.reason.short)
    BRUT product
    """
    reason = signability(obj)
    if reason is not None:
        raise NotSignableError(reason)
