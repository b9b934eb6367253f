"""Which products the catalogue lets you sign and stream, which rule said so, and why the others cannot be.

Only georeferenced (ORTHO) products hosted by the MTD and SEAS Guyane can be signed; raw (BRUT) products
are in sensor geometry, Regards products are ordered from CNES. Real items do not always say which they
are, so the level is read, in the order of :data:`RULES`, from the item's ``processing:level``, else a
product-type token of its id, else its collection (fields, id, title, keywords, description, or the
table of :mod:`.known_collections`), else what its assets show (:mod:`.evidence` has the readers and their
sources). The provider is read from the item, then its collection.

:func:`explain_signability` returns the verdict with its evidence, a :class:`Signability`:

``signable``
    A rule established a georeferenced level (``decided_by`` says where) and no rule refuses it.
``refused``
    A rule refused it: its :attr:`~Signability.reason` is a :class:`NotSignable` (what refused it, where
    it was found, a few words for lists, the full sentence with what to do).
``unverified``
    Nothing tells its level. It is signed, with an
    :class:`~dinamis_widgets.warnings.UnverifiedProductWarning` naming the item and what was missing:
    refusing every product of a catalogue that does not describe its products would make it useless, and
    signing one silently could hand out a raw product as if it were usable.

A raw product that does not say so (like the raw item of the twin's ``spot-6-7-drs``: plain TIFF assets,
no projection field, in a collection documented as "Ortho") is **refused**, by the assets rule: its
collection's claim is general, the item's own evidence is specific, and all of it (no ``proj:*`` field,
no COG) says "not georeferenced". Signing it with a warning would hand out URLs to files that
:func:`~dinamis_widgets.load` cannot place on a map. A user who knows better can still sign the URLs
themselves (``dw.sign(item.assets["src_xs"].href)``: a URL alone is never checked), which the refusal's
message says.

:func:`signability` keeps the short answer: the :class:`NotSignable` reason, or None for a product that can
be signed (verified or not); :func:`check_signable` raises it in a
:class:`~dinamis_widgets.errors.NotSignableError` (its ``reason``).

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
>>> verdict = explain_signability({"id": "SENTINEL2B_20250410-110721-458_L2A_T30TXR_C_V4-0",
...                                "collection": "sentinel2-l2a-theia", "properties": {}})
>>> verdict.verdict, verdict.decided_by, verdict.level_label, verdict.provider_name
('signable', 'item id', 'L2A', 'MTD')
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pystac

from ..errors import NotSignableError
from ..warnings import UnverifiedProductWarning
from .evidence import (
    Finding,
    Subject,
    collection_mapping,
    level_from_assets,
    level_from_collection,
    level_from_id,
    level_from_properties,
    provider_findings,
    provider_of,
)
from .reasons import ORDER_ADVICE, NotSignable, NotSignableKind

__all__ = ["ORDER_ADVICE", "RULES", "NotSignable", "NotSignableKind", "Rule", "Signability", "Verdict",
           "check_signable", "collection_signability", "explain_signability", "signability",
           "warn_unverified"]

#: The three verdicts of :class:`Signability`.
Verdict = Literal["signable", "unverified", "refused"]


# --------------------------------------------------------------------------------------------------
# The rules, in order: each reads one place and returns a Finding (see .evidence), or None
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule of :data:`RULES`: its name (what :attr:`Signability.rule` reports) and its reader."""

    name: str
    read: Callable[[Subject], Finding | None]


#: The rules that read a product's processing level, in order: the first that finds a level of a known
#: kind decides, except that a collection's "georeferenced" is overruled by assets showing the opposite.
RULES: tuple[Rule, ...] = (
    Rule("properties", level_from_properties),
    Rule("item id", level_from_id),
    Rule("collection", level_from_collection),
    Rule("assets", level_from_assets),
)


@dataclass(frozen=True)
class Signability:
    """The verdict on a product, with the rule that decided and the evidence read.

    Attributes
    ----------
    item_id
        The item's id.
    verdict
        ``"signable"``, ``"refused"`` or ``"unverified"`` (signable, but nothing told its level).
    rule
        The name of the rule of :data:`RULES` that decided (``"properties"``, ``"item id"``,
        ``"collection"``, ``"assets"``), ``"provider"`` for a Regards product, None when unverified.
    decided_by
        Where that rule found its evidence (``processing:level``, ``item id``, ``known collection
        'spot-6-7-drs'``...), None when unverified.
    level
        The processing level found (None when nothing told; for a raw product that does not say so, the
        assets' finding, labelled ``not georeferenced``).
    provider
        Who distributes the product, and where that was found (None when nothing told).
    reason
        Why it cannot be signed (None unless refused).
    missing
        What was looked for and not found: ``"processing level"``, ``"provider"``.
    evidence
        Everything the rules found, in their order (levels, then providers).

    Examples
    --------
    >>> v = explain_signability({"id": "x", "properties": {}})
    >>> v.verdict, v.signable, v.missing
    ('unverified', True, ('processing level', 'provider'))
    >>> print(v.summary)
    unverified: no processing level, no provider
    """

    item_id: str
    verdict: Verdict
    rule: str | None
    decided_by: str | None
    level: Finding | None
    provider: Finding | None
    reason: NotSignable | None
    missing: tuple[str, ...]
    evidence: tuple[Finding, ...]

    @property
    def signable(self) -> bool:
        """Whether it can be signed (verified or not)."""
        return self.verdict != "refused"

    @property
    def level_label(self) -> str | None:
        """The level as a word (``ORTHO``, ``BRUT``, ``L2A``...), None when nothing named it (nor when only
        the assets showed whether the product is georeferenced)."""
        return None if self.level is None or self.rule == "assets" else self.level.label

    @property
    def provider_name(self) -> str | None:
        """The provider's name (``MTD``, ``SEAS Guyane``, ``Regards``...), None when nothing told it."""
        return self.provider.label if self.provider is not None else None

    @property
    def summary(self) -> str:
        """One line: ``signable: ORTHO (processing:level)``, ``refused: BRUT product (item id)``..."""
        if self.verdict == "unverified":
            return "unverified: " + ", ".join(f"no {m}" for m in self.missing)
        if self.reason is not None:
            return f"refused: {self.reason.short} ({self.decided_by})"
        return f"signable: {self.level.label if self.level else '?'} ({self.decided_by})"

    @property
    def unverified_message(self) -> str:
        """What an :class:`~dinamis_widgets.warnings.UnverifiedProductWarning` says of this item."""
        looked = ("no processing:level, no level token in its id, nothing in its collection, and its assets "
                  "show neither projection fields nor plain rasters")
        levels = [f for f in self.evidence if f.topic == "level"]
        if levels:  # a level of an unknown kind
            looked = f"{levels[0].source} = {levels[0].value!r} is not a level this toolkit knows"
        provider = "" if self.provider is not None else "; nothing names its provider either"
        return (f"Item {self.item_id!r} was signed though nothing says it is georeferenced ({looked}"
                f"{provider}): check it is not a raw (BRUT) product before using its URLs")

    def __str__(self) -> str:
        return self.summary


def _judge(subject: Subject) -> Signability:
    found = [(rule.name, f) for rule in RULES if (f := rule.read(subject)) is not None]
    providers = provider_findings(subject)
    evidence = tuple([f for _, f in found] + providers)
    shown_provider = provider_of(subject)
    stated = next(((name, f) for name, f in found if name != "assets" and f.georeferenced is not None), None)
    shown = next((f for name, f in found if name == "assets"), None)

    def verdict(kind: Verdict, rule: str | None, level: Finding | None,
                reason: NotSignable | None = None) -> Signability:
        looked = (("processing level", level), ("provider", shown_provider))
        missing = tuple(m for m, v in looked if v is None)
        decided_by = None if rule is None else (reason.decided_by if reason is not None else (
            level.source if level is not None else None))
        return Signability(subject.id, kind, rule, decided_by, level, shown_provider, reason, missing,
                           evidence)

    if stated is not None and stated[1].georeferenced is False:
        name, level = stated
        return verdict("refused", name, level, NotSignable("level", subject.id, level.value, level.source))
    regards = next((f for f in providers if "regards" in f.label.lower()), None)
    if regards is not None:
        reason = NotSignable("provider", subject.id, regards.label, regards.source)
        return verdict("refused", "provider", stated[1] if stated else None, reason)
    if stated is not None:
        name, level = stated
        if name == "collection" and shown is not None and shown.georeferenced is False:
            note = (f"its collection says {level.label} ({level.source}), but this item shows no "
                    "georeferencing")
            return verdict("refused", "assets", shown,
                           NotSignable("georeferencing", subject.id, shown.value, "assets", note=note))
        return verdict("signable", name, level)
    if shown is not None and shown.georeferenced is False:
        return verdict("refused", "assets", shown,
                       NotSignable("georeferencing", subject.id, shown.value, "assets"))
    if shown is not None:
        return verdict("signable", "assets", shown)
    return verdict("unverified", None, None)


def explain_signability(obj: pystac.Item | pystac.Asset | Mapping[str, Any],
                        collection: pystac.Collection | Mapping[str, Any] | None = None) -> Signability:
    """The verdict on a product, with the rule that decided and its evidence.

    Parameters
    ----------
    obj
        A pystac Item, an Asset (its item is judged), or an item as a mapping.
    collection
        The item's collection (pystac or mapping), if you have it; else the item's collection when it is
        in memory, else what :mod:`.known_collections` knows of its collection id.

    Returns
    -------
    Signability
        ``verdict``, ``rule``, ``decided_by``, ``level``, ``provider``, ``reason``, ``missing``,
        ``evidence``. An Asset without an item is ``unverified`` (there is nothing to judge).

    Examples
    --------
    >>> raw = {"id": "SPOT6_MS_202602241036272_SPOT6_P_202602241036272_1", "collection": "spot-6-7-drs",
    ...        "properties": {}, "assets": {"src_xs": {"href": "x.tif", "type": "image/tiff",
    ...                                                 "roles": ["data"]}}}
    >>> v = explain_signability(raw)
    >>> v.verdict, v.rule, v.reason.short
    ('refused', 'assets', 'not georeferenced')
    >>> ortho = dict(raw, properties={"proj:epsg": 32630})
    >>> explain_signability(ortho).summary
    "signable: ORTHO (known collection 'spot-6-7-drs')"
    """
    if isinstance(obj, pystac.Asset):
        owner = obj.owner
        if isinstance(owner, pystac.Item):
            return explain_signability(owner, collection)
        return _judge(Subject("?", None, {}, {}))
    if isinstance(obj, pystac.Item | Mapping):
        return _judge(Subject.of(obj, collection))
    raise TypeError(f"Cannot judge a {type(obj).__name__}: give a pystac Item or Asset, or an item mapping.")


def signability(obj: pystac.Item | pystac.Asset | Mapping[str, Any]) -> NotSignable | None:
    """Why a product cannot be signed, or None if it can (see :func:`explain_signability` for the rule
    that decided, and whether anything told its level).

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
    if not isinstance(obj, pystac.Item | pystac.Asset | Mapping):
        return None
    return explain_signability(obj).reason


def collection_signability(obj: pystac.Collection | Mapping[str, Any]) -> NotSignable | None:
    """Why the products of a collection cannot be signed (phrased for the collection), or None.

    A collection is refused when its own fields (``processing:level``, ``dinamis:provider``,
    ``providers``), its id or :mod:`.known_collections` say its products are raw or from Regards.

    Parameters
    ----------
    obj
        A pystac Collection, or a collection as a mapping.

    Examples
    --------
    >>> print(collection_signability({"type": "Collection", "id": "REGARDS-PHR",
    ...                               "providers": [{"name": "CNES (Regards)"}]}).why)
    Collection 'REGARDS-PHR' cannot be signed: it is a Regards (CNES) product \
(providers = 'CNES (Regards)'); Regards products are delivered by CNES, not streamed by the MTD
    """
    fields = collection_mapping(obj) or {}
    cid = str(fields.get("id", "?"))
    subject = Subject(cid, cid, fields, {})
    levels = [f for read in (level_from_properties, level_from_collection) if (f := read(subject))]
    raw = next((f for f in levels if f.georeferenced is False), None)
    if raw is not None:
        return NotSignable("level", cid, raw.value, raw.source, subject="Collection")
    regards = next((f for f in provider_findings(subject) if "regards" in f.label.lower()), None)
    if regards is not None:
        return NotSignable("provider", cid, regards.label, regards.source, subject="Collection")
    return None


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


def warn_unverified(verdicts: Iterable[Signability], stacklevel: int = 2) -> None:
    """One :class:`~dinamis_widgets.warnings.UnverifiedProductWarning` for the items of ``verdicts`` signed
    though nothing told their level (none for an asset without an item, nor when every level was told).

    Parameters
    ----------
    verdicts
        Verdicts of :func:`explain_signability`, for the products just signed (or about to be).
    stacklevel
        As for :func:`warnings.warn`, counted from the caller of this function.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_unverified([explain_signability({"id": "x", "properties": {}})], stacklevel=1)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    Item 'x' was signed though nothing says it is georeferenced (no processing:level, ...
    """
    unverified = [v for v in verdicts if v.verdict == "unverified" and v.item_id != "?"]
    if not unverified:
        return
    if len(unverified) == 1:
        text = unverified[0].unverified_message
    else:
        ids = ", ".join(repr(v.item_id) for v in unverified[:5]) + (", ..." if len(unverified) > 5 else "")
        text = (f"{len(unverified)} items were signed though nothing says they are georeferenced ({ids}); "
                f"for instance: {unverified[0].unverified_message}")
    warnings.warn(text, UnverifiedProductWarning, stacklevel=stacklevel + 1)
