"""What the search panel offers to choose from: the catalogue profiles, and each collection's summary.

Examples
--------
>>> collection_summary({"id": "SPOT67_HCF_GS1", "title": "SPOT 6/7",
...                     "providers": [{"name": "Maison de la Télédétection", "roles": ["host"]}]})["provider"]
'Maison de la Télédétection'
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
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
    """What the collection picker shows: id, title, provider and why its products cannot be signed.

    Parameters
    ----------
    collection
        A pystac Collection (or a collection as a dict).

    Returns
    -------
    dict
        ``id``, ``title``, ``provider`` (the host or processor other than DINAMIS), ``signable_reason``
        (None when its ORTHO products can be signed).
    """
    from ..signing.rules import signability

    data = collection.to_dict() if hasattr(collection, "to_dict") else dict(collection)
    providers = [p for p in data.get("providers") or [] if isinstance(p, Mapping)]
    provider = data.get("dinamis:provider")
    if not isinstance(provider, str):
        hosts = [p.get("name") for p in providers
                 if {"host", "processor"} & set(p.get("roles") or []) and p.get("name") != "DINAMIS"]
        provider = next((h for h in hosts if isinstance(h, str)), "")
    reason = signability({"id": data.get("id", "?"), "properties": {"providers": providers,
                                                                   "dinamis:provider": provider}})
    return {"id": str(data.get("id", "")), "title": str(data.get("title") or ""), "provider": provider,
            "signable_reason": None if reason is None else reason.for_collection().message}
