"""The "Information" panel of a result and the one-line summary of its card, as the catalogue shows them.

:func:`info_fields` gives the panel's rows: the catalogue's (Capteur, Pays, Département, Région, Ville,
Identifiant, Plateforme, Résolution, Angle, Nuage, Couverture neigeuse, Niveau de traitement, Fournisseur),
then what items of other shapes carry (Satellite, Instruments, Tuile MGRS, Orbite relative, Version de
traitement, Système de coordonnées), then whether the URL can be signed; a row the item has no value for is
left out. Values come from :func:`~dinamis_widgets.catalog.item_facts.item_facts`: an MTD item without
``dinamis:sensor`` still shows its sensor (from its collection), a level its id or collection gave says so.
:func:`card_summary` gives the card's line (sensor, date and time, cloud %, incidence angle).

Examples
--------
>>> item = {"id": "SPOT67_X", "collection": "SPOT67_HCF_GS1", "properties": {
...     "dinamis:sensor": "SPOT 6/7", "datetime": "2026-02-24T10:36:27.200000Z", "gsd": 1.5,
...     "view:incidence_angle": 24.7784, "eo:cloud_cover": 16.23, "eo:snow_cover": 0.0}}
>>> dict(info_fields(item))["Angle"], dict(info_fields(item))["Résolution"]
('24.7784°', '1.5 (m)')
>>> card_summary(item)
('SPOT 6/7', '24 févr. 2026 10:36:27', '16.2%', '24.7°')
>>> theia = {"id": "SENTINEL2C_20250626-104031-024_L2A_T31TEJ_C_V4-0", "collection": "sentinel2-l2a-theia",
...          "properties": {"platform": "sentinel-2c", "s2:mgrs_tile": "31TEJ", "sat:relative_orbit": 8,
...                         "eo:cloud_cover": 0.0, "processing:version": "4.0"}}
>>> for label, value in info_fields(theia, "en"):
...     print(f"{label}: {value}")
Sensor: Sentinel-2
Identifier: SENTINEL2C_20250626-104031-024_L2A_T31TEJ_C_V4-0
Platform: sentinel2-l2a-theia
Cloud: 0 %
Processing level: L2A (from the item id)
Provider: MTD
Satellite: sentinel-2c
MGRS tile: 31TEJ
Relative orbit: 8
Processing version: 4.0
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
from traitlets import Any as AnyTrait
from traitlets import Unicode, observe

from ..catalog.item_facts import ItemFacts, item_facts
from ..signing.rules import Signability
from .i18n import DEFAULT_LANG, t
from .localized import format_datetime, reason_text

__all__ = ["InfoPanel", "card_summary", "format_datetime", "info_fields", "level_text", "signature_text"]

#: (label key, field of :class:`~dinamis_widgets.catalog.item_facts.ItemFacts`, format) of the Information
#: panel: the catalogue's rows in its order, then what items of other shapes carry.
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("info_sensor", "sensor", "text"),
    ("info_country", "country", "text"),
    ("info_department", "department", "text"),
    ("info_region", "region", "text"),
    ("info_city", "city", "text"),
    ("info_id", "id", "text"),
    ("info_platform", "collection", "text"),
    ("info_resolution", "gsd", "metres"),
    ("info_angle", "incidence_angle", "degrees"),
    ("info_cloud", "cloud_cover", "percent"),
    ("info_snow", "snow_cover", "number"),
    ("info_level", "processing_level", "level"),
    ("info_provider", "provider", "text"),
    ("info_satellite", "platform", "text"),
    ("info_instruments", "instruments", "text"),
    ("info_tile", "tile", "text"),
    ("info_orbit", "relative_orbit", "text"),
    ("info_version", "processing_version", "text"),
    ("info_crs", "crs", "text"),
)
#: Sentences wrap between words (never "processin g"); a value without spaces (an id) wraps anywhere, or a
#: table cell would grow past the panel.
_WRAP = "overflow-wrap:break-word;word-break:normal"
_WRAP_TOKEN = "overflow-wrap:anywhere"
#: Where a level was found -> the words said after it (none for the item's processing:level).
_LEVEL_FROM = {"item id": "level_from_id", "assets": "level_from_assets"}


def _data(item: Any) -> Mapping[str, Any]:
    return item.to_dict(transform_hrefs=False) if hasattr(item, "to_dict") else item


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _format(value: Any, kind: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    number = _number(value)
    if kind == "metres" and number is not None:
        return f"{number:g} (m)"
    if kind == "degrees" and number is not None:
        return f"{number:g}°"
    if kind == "percent" and number is not None:
        return f"{number:g} %"
    if kind == "number" and number is not None:
        return f"{number:g}"
    return str(value)


def level_text(verdict: Signability, lang: str = DEFAULT_LANG) -> str:
    """The processing level as the panel shows it, with where it was found when not in ``processing:level``
    (empty when nothing told it).

    Examples
    --------
    >>> from dinamis_widgets.signing.rules import explain_signability
    >>> level_text(explain_signability({"id": "x", "collection": "spot-6-7-drs",
    ...                                 "properties": {"proj:epsg": 32631}}), "en")
    'ORTHO (from the collection)'
    """
    level = verdict.level
    if level is None:
        return ""
    if verdict.rule == "assets":
        return t("georeferenced" if level.georeferenced else "not_georeferenced", lang) + (
            f" ({t('level_from_assets', lang)})")
    if level.source == "processing:level":
        return level.label
    return f"{level.label} ({t(_LEVEL_FROM.get(level.source, 'level_from_collection'), lang)})"


def signature_text(verdict: Signability, lang: str = DEFAULT_LANG, reason: str | None = None) -> str:
    """The "URL signing" row: signable, signable but unverified (and why), or not signable and why."""
    if reason is not None or verdict.reason is not None:
        return f"{t('not_signable', lang)} — {reason or reason_text(verdict.reason, lang)}"
    if verdict.verdict == "unverified":
        return f"{t('signable', lang)} — {t('unverified', lang)}"
    return t("signable", lang)


def info_fields(item: Any, lang: str = DEFAULT_LANG, signable_reason: str | None = None,
                with_signability: bool = False) -> list[tuple[str, str]]:
    """Rows of the Information panel: ``(label, value)`` pairs, values formatted as the catalogue's; a row
    the item has no value for is left out.

    Parameters
    ----------
    item
        A pystac Item or an item as a dict.
    lang
        ``"fr"`` (Capteur, Pays...) or ``"en"`` (Sensor, Country...).
    signable_reason
        Why the item cannot be signed (:func:`dinamis_widgets.signing.rules.signability`), when
        ``with_signability``; None: judged here.
    with_signability
        Add a last row saying whether the URL can be signed.
    """
    return [(label, value) for _, label, value in _rows(item, lang, signable_reason, with_signability)]


def _rows(item: Any, lang: str, signable_reason: str | None,
          with_signability: bool) -> list[tuple[str, str, str]]:
    """``(field, label, value)`` of the rows an item has a value for."""
    facts: ItemFacts = item_facts(item)
    rows = []
    for key, name, kind in _FIELDS:
        value = (level_text(facts.signability, lang) if kind == "level"
                 else _format(getattr(facts, name), kind))
        if value:
            rows.append((name, t(key, lang), value))
    if with_signability:
        rows.append(("signable", t("info_signable", lang),
                     signature_text(facts.signability, lang, signable_reason)))
    return rows


def _one_decimal(value: float) -> str:
    """Cut to one decimal and drop a trailing ``.0``, as the catalogue's cards (24.7784 -> 24.7, 5.03 -> 5).
    """
    cut = math.floor(round(abs(value) * 10, 6)) / 10
    return f"{'-' if value < 0 else ''}{cut:g}"


def card_summary(item: Any, lang: str = DEFAULT_LANG) -> tuple[str, str, str, str]:
    """The card's line: ``(sensor, date and time, cloud %, incidence angle)``; numbers cut to one decimal,
    the date in ``lang``.

    Examples
    --------
    >>> card_summary({"id": "x", "properties": {
    ...     "datetime": "2026-02-27T14:09:40Z", "eo:cloud_cover": 22, "view:incidence_angle": 5.0353,
    ...     "dinamis:sensor": "PLEIADES"}})
    ('PLEIADES', '27 févr. 2026 14:09:40', '22%', '5°')
    """
    props = _data(item).get("properties", {}) or {}
    sensor = item_facts(item).sensor or ""
    cloud = _number(props.get("eo:cloud_cover"))
    angle = _number(props.get("view:incidence_angle"))
    cloud_text = "" if cloud is None else f"{_one_decimal(cloud)}%"
    angle_text = "" if angle is None else f"{_one_decimal(angle)}°"
    return sensor, format_datetime(props.get("datetime"), lang), cloud_text, angle_text


def css_class(field: str) -> str:
    """The CSS class suffix of a row's field (``processing_level`` -> ``processing-level``)."""
    return field.replace("_", "-")


class InfoPanel(widgets.HTML):
    """The Information panel of an item, as a table (CSS class ``dw-info-panel``; each value has the
    classes ``dw-info-<row number>`` and ``dw-info-<field>``: ``dw-info-sensor``, ``dw-info-id``,
    ``dw-info-collection``, ``dw-info-tile``, ``dw-info-signable``...).

    Attributes
    ----------
    item
        The pystac Item (or dict) shown.
    """

    item = AnyTrait(None)
    lang = Unicode(DEFAULT_LANG)
    signable_reason = Unicode(None, allow_none=True)

    def __init__(self, item: Any = None, lang: str = DEFAULT_LANG, signable_reason: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(lang=lang, signable_reason=signable_reason, **kwargs)
        self.add_class("dw-info-panel")
        self.item = item

    @observe("item", "lang", "signable_reason")
    def _render(self, _change: Any = None) -> None:
        if self.item is None:
            self.value = ""
            return
        rows = _rows(self.item, self.lang, self.signable_reason, with_signability=True)
        body = "".join(
            f"<tr><th style='text-align:left;padding-right:12px;white-space:nowrap'>{html.escape(k)}</th>"
            f"<td class='dw-info-{i} dw-info-{css_class(name)}' style='{_WRAP if ' ' in v else _WRAP_TOKEN}'>"
            f"{html.escape(v)}</td></tr>"
            for i, (name, k, v) in enumerate(rows))
        self.value = (f"<div><b>{html.escape(t('information', self.lang))}</b>"
                      f"<table style='font-size:12px'>{body}</table></div>")

    def fields(self) -> dict[str, str]:
        """The rows as a dict ``label -> value``."""
        if self.item is None:
            return {}
        return dict(info_fields(self.item, self.lang, self.signable_reason, with_signability=True))
