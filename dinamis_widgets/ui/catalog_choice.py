"""What the search panel offers to choose from: the catalogue profiles, and each collection's summary.

Examples
--------
>>> collection_summary({"id": "SPOT67_HCF_GS1", "title": "SPOT 6/7",
...                     "providers": [{"name": "Maison de la Télédétection", "roles": ["host"]}]})["provider"]
'Maison de la Télédétection'
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..errors import DinamisError
from ..settings import get_settings, profile_for

__all__ = ["available_profiles", "collection_summary"]


def available_profiles() -> list[str]:
    """Names of the catalogue profiles that can be opened here (``twin`` when a twin's variables are set).

    Examples
    --------
    >>> "dinamis" in available_profiles()
    True
    """
    names: list[str] = []
    with contextlib.suppress(DinamisError):
        profile_for("twin")
        names.append("twin")
    with contextlib.suppress(DinamisError):
        names.extend(sorted(get_settings().profiles()))
    return list(dict.fromkeys(names))


def collection_summary(collection: Any) -> dict[str, Any]:
    """What the collection picker shows: id, title, provider, level, and why its products cannot be signed.

    Parameters
    ----------
    collection
        A pystac Collection (or a collection as a dict).

    Returns
    -------
    dict
        ``id``, ``title``, ``provider`` (``dinamis:provider``, else the host or processor other than
        DINAMIS, else what is known of the collection), ``level`` (the processing level of all its products,
        when its fields or what is known of it say so; else None), ``signable_reason`` (None when its
        products can be signed) and ``reason_kind`` (``"provider"`` for Regards, ``"level"``...).

    Examples
    --------
    >>> s = collection_summary({"id": "sentinel2-l2a-theia", "title": "Sentinel-2 images, level 2A"})
    >>> s["provider"], s["level"], s["signable_reason"]
    ('MTD', 'L2A', None)
    """
    from ..signing.evidence import (
        Subject,
        collection_mapping,
        distributor,
        level_from_collection,
        provider_of,
    )
    from ..signing.rules import collection_signability

    data = dict(collection_mapping(collection) or {})
    cid = str(data.get("id", ""))
    subject = Subject(cid, cid, {}, {}, data)
    provider = data.get("dinamis:provider")
    if not isinstance(provider, str) or not provider:
        found = provider_of(subject)
        provider = distributor(data.get("providers")) or (found.label if found else "")
    level = level_from_collection(subject)
    reason = collection_signability(data)
    return {"id": cid, "title": str(data.get("title") or ""), "provider": provider,
            "level": level.label if level is not None and level.georeferenced else None,
            "signable_reason": None if reason is None else reason.message,
            "reason_kind": None if reason is None else reason.kind, "reason": reason}
