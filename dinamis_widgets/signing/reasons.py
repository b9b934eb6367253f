"""Why a product cannot be signed: :class:`NotSignable`, a value to show in a list or in full.

What refused it (``kind``: its processing ``level``, its ``provider``, or its assets showing no
``georeferencing``), where the rule found it (``decided_by``), a few words for lists
(:attr:`NotSignable.short`) and the full sentence with what to do (:attr:`NotSignable.message`, also its
``str``). The rules that make these values are in :mod:`.rules`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

__all__ = ["ORDER_ADVICE", "NotSignable", "NotSignableKind"]

#: What makes a product unsignable: its processing level (BRUT), its provider (Regards), or its assets
#: showing it is not georeferenced.
NotSignableKind = Literal["level", "provider", "georeferencing"]

#: What to do with a product that cannot be signed (ends every :attr:`NotSignable.message`).
ORDER_ADVICE = ("Only ORTHO products of MTD and SEAS Guyane can be signed and streamed. To get this product, "
                "order it through the DINAMIS catalogue (add it to the basket).")
_SIGN_URLS_ADVICE = ("If you know its files are georeferenced, sign their URLs yourself: "
                     "dw.sign(item.assets[key].href).")

_SHORT: dict[str, str] = {"level": "BRUT product", "provider": "Regards (CNES) product",
                          "georeferencing": "not georeferenced"}


@dataclass(frozen=True)
class NotSignable:
    """Why a product cannot be signed: a value to show in a list (``short``) or in full (``message``).

    Parameters
    ----------
    kind
        ``"level"`` (a BRUT product: raw, not georeferenced), ``"provider"`` (a Regards product, delivered
        by CNES) or ``"georeferencing"`` (its assets show no georeferencing).
    item_id
        The id of the item (of the collection, when ``subject`` is ``"Collection"``).
    value
        What was found: the processing level (``'BRUT'``), the provider's name (``'CNES (Regards)'``), the
        token of the id, or what the assets show.
    decided_by
        Where the rule found it: ``processing:level``, ``item id``, ``the collection's ...``, ``known
        collection '...'``, ``assets``, ``dinamis:provider``, ``providers``...
    subject
        ``"Item"`` or ``"Collection"``: what the sentences speak of (see :meth:`for_collection`).
    note
        What the verdict overruled, if anything (a collection saying "Ortho" for an item that is not).

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
    >>> NotSignable("level", "X_SEN_1", "SEN", "item id").detail
    "its id has the token 'SEN'"
    """

    kind: NotSignableKind
    item_id: str
    value: str
    decided_by: str
    subject: Literal["Item", "Collection"] = "Item"
    note: str = ""

    @property
    def short(self) -> str:
        """A few words for lists and tables: ``BRUT product``, ``Regards (CNES) product``, ``not
        georeferenced``."""
        return _SHORT[self.kind]

    @property
    def detail(self) -> str:
        """The evidence: ``processing:level = 'BRUT'``, ``its id has the token 'BRUT'``..."""
        if self.decided_by == "item id":
            return f"its id has the token {self.value!r}"
        if self.decided_by == "assets":
            return self.value
        if self.decided_by.startswith("known collection"):
            return f"{self.decided_by}: {self.value}"
        return f"{self.decided_by} = {self.value!r}"

    @property
    def why(self) -> str:
        """One sentence (no final period, no advice): which product, and why it cannot be signed."""
        what = self.short if self.kind == "georeferencing" else f"a {self.short}"
        head = f"{self.subject} {self.item_id!r} cannot be signed: it is {what}"
        note = f"; {self.note}" if self.note else ""
        if self.kind == "level":
            return f"{head} ({self.detail}: raw, in sensor geometry, not georeferenced{note})"
        if self.kind == "georeferencing":
            return f"{head} ({self.detail}{note}): most likely a raw product, in sensor geometry"
        regards = "Regards products are delivered by CNES, not streamed by the MTD"
        return f"{head} ({self.detail}{note}); {regards}"

    @property
    def advice(self) -> str:
        """What to do instead: order the product through the catalogue (or sign its URLs, when only its
        assets refused it)."""
        return f"{ORDER_ADVICE} {_SIGN_URLS_ADVICE}" if self.kind == "georeferencing" else ORDER_ADVICE

    @property
    def message(self) -> str:
        """The full message: :attr:`why`, then :attr:`advice`."""
        return f"{self.why}. {self.advice}"

    def for_collection(self) -> NotSignable:
        """The same reason, phrased for a collection (``Collection 'X' cannot be signed...``)."""
        return dataclasses.replace(self, subject="Collection")

    def __str__(self) -> str:
        return self.message
