"""Readable labels of item properties (filters, criteria), in French and English.

Examples
--------
>>> property_label("eo:cloud_cover")
'Couverture nuageuse (%)'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["property_label"]

_DEFAULT_LANG: Final = "fr"

#: Labels of item properties used as filters, by language (the queryable's title otherwise).
_PROPERTY_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "fr": {
        "eo:cloud_cover": "Couverture nuageuse (%)",
        "eo:snow_cover": "Couverture neigeuse (%)",
        "view:incidence_angle": "Angle d'incidence (°)",
        "view:azimuth": "Azimut de visée (°)",
        "view:sun_elevation": "Élévation solaire (°)",
        "view:sun_azimuth": "Azimut solaire (°)",
        "view:off_nadir": "Dépointage (°)",
        "gsd": "Résolution (m)",
        "platform": "Satellite",
        "constellation": "Constellation",
        "instruments": "Instruments",
        "processing:level": "Niveau de traitement",
        "dinamis:provider": "Fournisseur",
        "dinamis:sensor": "Capteur",
        "dinamis:country": "Pays",
        "dinamis:department": "Département",
        "dinamis:region": "Région",
        "dinamis:city": "Ville",
        "s2:mgrs_tile": "Tuile MGRS",
        "sat:relative_orbit": "Orbite relative",
        "sat:orbit_state": "Sens de l'orbite",
        "processing:version": "Version de traitement",
    },
    "en": {
        "eo:cloud_cover": "Cloud cover (%)",
        "eo:snow_cover": "Snow cover (%)",
        "view:incidence_angle": "Incidence angle (°)",
        "view:azimuth": "Viewing azimuth (°)",
        "view:sun_elevation": "Sun elevation (°)",
        "view:sun_azimuth": "Sun azimuth (°)",
        "view:off_nadir": "Off-nadir angle (°)",
        "gsd": "Resolution (m)",
        "platform": "Satellite",
        "constellation": "Constellation",
        "instruments": "Instruments",
        "processing:level": "Processing level",
        "dinamis:provider": "Provider",
        "dinamis:sensor": "Sensor",
        "dinamis:country": "Country",
        "dinamis:department": "Department",
        "dinamis:region": "Region",
        "dinamis:city": "City",
        "s2:mgrs_tile": "MGRS tile",
        "sat:relative_orbit": "Relative orbit",
        "sat:orbit_state": "Orbit direction",
        "processing:version": "Processing version",
    },
}



def property_label(name: str, lang: str = _DEFAULT_LANG, schema: Mapping[str, Any] | None = None) -> str:
    """A readable label for an item property (``eo:cloud_cover`` -> ``Couverture nuageuse (%)``).

    Examples
    --------
    >>> property_label("view:incidence_angle", "en")
    'Incidence angle (°)'
    >>> property_label("my:prop", "en", {"title": "My property"})
    'My property'
    """
    known = _PROPERTY_LABELS.get(lang, _PROPERTY_LABELS[_DEFAULT_LANG]).get(name)
    if known:
        return known
    title = (schema or {}).get("title")
    return str(title) if title else name
