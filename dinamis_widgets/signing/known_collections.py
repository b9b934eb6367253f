"""Collections whose products this toolkit knows without reading them: who distributes them, at which level.

The rules of :mod:`.rules` read a product's processing level and provider from the item first, then from its
collection; when the collection is not in memory (an item found by a search only links to it), this table
is what is known of it, each entry with its evidence. A collection id matches an entry equal to it, or
starting with the entry's prefix (an entry ending with ``*``).

Examples
--------
>>> known_collection("spot-6-7-drs").level, known_collection("spot-6-7-drs").provider
('ORTHO', 'MTD')
>>> known_collection("SEASG-TA-PHR-FR-GUF").provider
'SEAS Guyane'
>>> known_collection("my-collection") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KNOWN_COLLECTIONS", "KnownCollection", "known_collection"]

_SDK_DOCS = "dinamis-sdk docs (github.com/remicres/dinamis-sdk, doc/collections.md)"


@dataclass(frozen=True)
class KnownCollection:
    """What is known of a collection of the DINAMIS or MTD catalogues.

    Parameters
    ----------
    pattern
        The collection id, or a prefix followed by ``*`` (``"SEASG-*"``).
    provider
        Who distributes its products, as the DINAMIS catalogue names providers: ``MTD`` (Maison de la
        Télédétection, which hosts and streams them), ``SEAS Guyane``, ``Regards`` (CNES: ordered, not
        streamed).
    level
        The processing level of all its products (``ORTHO``, ``L2A``), or None when it varies or is not
        documented.
    sensor
        The sensor, as a card shows it (``SPOT 6/7``, ``Sentinel-2``), when the items do not say.
    producer
        Who makes the products (``DINAMIS DRS``, ``CNES, CESBIO``, ``INRAE``), when documented.
    source
        The evidence for this entry.
    """

    pattern: str
    provider: str
    level: str | None
    sensor: str | None
    producer: str | None
    source: str

    def matches(self, collection_id: str) -> bool:
        """Whether ``collection_id`` is this collection (or starts with its prefix)."""
        if self.pattern.endswith("*"):
            return collection_id.startswith(self.pattern[:-1])
        return collection_id == self.pattern


#: The known collections, most specific first.
KNOWN_COLLECTIONS: tuple[KnownCollection, ...] = (
    # The MTD STAC API (api.stac.teledetection.fr), as the official SDKs document it.
    KnownCollection("spot-6-7-drs", "MTD", "ORTHO", "SPOT 6/7", "DINAMIS DRS",
                    f"{_SDK_DOCS}: 'only France mainland Spot-6/7 Ortho (Direct Receiving Station) are "
                    "available'"),
    KnownCollection("sentinel2-l2a-theia", "MTD", "L2A", "Sentinel-2", "CNES, CESBIO (THEIA)",
                    f"{_SDK_DOCS}: 'Sentinel-2 images, level 2A', produced by CNES and CESBIO, hosted by "
                    "the MTD (s3-data.meso.umontpellier.fr in the teledetection SDK's examples)"),
    KnownCollection("super-sentinel-2-l2a", "MTD", "L2A", "Sentinel-2 (super-resolved)", "INRAE",
                    f"{_SDK_DOCS}: 'Sentinel-2 images enhanced to 1.5m' by INRAE, from level 2A images"),
    KnownCollection("EBV-SI-A-*", "MTD", None, None, "INRAE",
                    f"{_SDK_DOCS}: 'Radiometric and ecological indices' of INRAE"),
    # The DINAMIS catalogue, collections named after its "Plateforme" field.
    KnownCollection("SPOT67_*", "MTD", None, "SPOT 6/7", "Airbus Defence and Space",
                    "the DINAMIS catalogue: SPOT 6/7 products of the MTD (ORTHO or BRUT)"),
    KnownCollection("SEASG-*", "SEAS Guyane", None, None, "Airbus Defence and Space",
                    "the DINAMIS catalogue: products received by SEAS Guyane (ORTHO or BRUT)"),
    KnownCollection("REGARDS-*", "Regards", None, None, "Airbus Defence and Space",
                    "the DINAMIS catalogue: CNES archive harvested from Regards, to order"),
)


def known_collection(collection_id: str | None) -> KnownCollection | None:
    """The entry of :data:`KNOWN_COLLECTIONS` for a collection id, or None."""
    if not collection_id:
        return None
    return next((k for k in KNOWN_COLLECTIONS if k.matches(collection_id)), None)
