"""The "Information" panel of a result and the one-line summary of its card, as the catalogue shows them.

:func:`info_fields` gives the panel's rows (Capteur, Pays, Département, Région, Ville, Identifiant,
Plateforme, Résolution, Angle, Nuage, Couverture neigeuse, then the processing level, the provider and
whether the URL can be signed); :func:`card_summary` the card's line (sensor, date and time, cloud %,
incidence angle).

Examples
--------
>>> item = {"id": "SPOT67_X", "collection": "SPOT67_HCF_GS1", "properties": {
...     "dinamis:sensor": "SPOT 6/7", "datetime": "2026-02-24T10:36:27.200000Z", "gsd": 1.5,
...     "view:incidence_angle": 24.7784, "eo:cloud_cover": 16.23, "eo:snow_cover": 0.0}}
>>> dict(info_fields(item))["Angle"], dict(info_fields(item))["Résolution"]
('24.7784°', '1.5 (m)')
>>> card_summary(item)
('SPOT 6/7', '24 Feb 2026 10:36:27', '16.2%', '24.7°')
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
from traitlets import Any as AnyTrait
from traitlets import Unicode, observe

from .i18n import DEFAULT_LANG, t

__all__ = ["InfoPanel", "card_summary", "format_datetime", "info_fields"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: (label key, property, format) of the Information panel, in the catalogue's order.
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("info_sensor", "dinamis:sensor", "text"),
    ("info_country", "dinamis:country", "text"),
    ("info_department", "dinamis:department", "text"),
    ("info_region", "dinamis:region", "text"),
    ("info_city", "dinamis:city", "text"),
    ("info_id", "id", "text"),
    ("info_platform", "collection", "text"),
    ("info_resolution", "gsd", "metres"),
    ("info_angle", "view:incidence_angle", "degrees"),
    ("info_cloud", "eo:cloud_cover", "percent"),
    ("info_snow", "eo:snow_cover", "number"),
    ("info_level", "processing:level", "text"),
    ("info_provider", "dinamis:provider", "text"),
)


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


def _parse_datetime(value: Any) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)


def format_datetime(value: Any) -> str:
    """``24 Feb 2026 10:36:27`` (UTC), as the catalogue writes acquisition times.

    Examples
    --------
    >>> format_datetime("2026-02-24T10:36:27.200000Z")
    '24 Feb 2026 10:36:27'
    """
    when = _parse_datetime(value)
    if when is None:
        return ""
    when = when.astimezone(_dt.UTC)
    return f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year} {when:%H:%M:%S}"


def info_fields(item: Any, lang: str = DEFAULT_LANG, signable_reason: str | None = None,
                with_signability: bool = False) -> list[tuple[str, str]]:
    """Rows of the Information panel: ``(label, value)`` pairs, values formatted as the catalogue's.

    Parameters
    ----------
    item
        A pystac Item or an item as a dict.
    lang
        ``"fr"`` (Capteur, Pays...) or ``"en"`` (Sensor, Country...).
    signable_reason
        Why the item cannot be signed (:func:`dinamis_widgets.signing.rules.signability`), when
        ``with_signability``.
    with_signability
        Add a last row saying whether the URL can be signed.
    """
    data = _data(item)
    props = data.get("properties", {}) or {}
    rows = []
    for key, prop, kind in _FIELDS:
        if prop == "id":
            value: Any = data.get("id")
        elif prop == "collection":
            value = data.get("collection")
        else:
            value = props.get(prop)
        rows.append((t(key, lang), _format(value, kind)))
    if with_signability:
        rows.append((t("info_signable", lang), t("signable", lang) if signable_reason is None
                     else f"{t('not_signable', lang)} — {signable_reason}"))
    return rows


def _one_decimal(value: float) -> str:
    """Cut to one decimal and drop a trailing ``.0``, as the catalogue's cards (24.7784 -> 24.7, 5.03 -> 5).
    """
    cut = math.floor(round(abs(value) * 10, 6)) / 10
    return f"{'-' if value < 0 else ''}{cut:g}"


def card_summary(item: Any) -> tuple[str, str, str, str]:
    """The card's line: ``(sensor, date and time, cloud %, incidence angle)``; numbers cut to one decimal.

    Examples
    --------
    >>> card_summary({"id": "x", "properties": {
    ...     "datetime": "2026-02-27T14:09:40Z", "eo:cloud_cover": 22, "view:incidence_angle": 5.0353,
    ...     "dinamis:sensor": "PLEIADES"}})
    ('PLEIADES', '27 Feb 2026 14:09:40', '22%', '5°')
    """
    props = _data(item).get("properties", {}) or {}
    sensor = str(props.get("dinamis:sensor") or props.get("platform") or "")
    cloud = _number(props.get("eo:cloud_cover"))
    angle = _number(props.get("view:incidence_angle"))
    cloud_text = "" if cloud is None else f"{_one_decimal(cloud)}%"
    angle_text = "" if angle is None else f"{_one_decimal(angle)}°"
    return sensor, format_datetime(props.get("datetime")), cloud_text, angle_text


class InfoPanel(widgets.HTML):
    """The Information panel of an item, as a table (CSS class ``dw-info-panel``).

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
        rows = info_fields(self.item, self.lang, self.signable_reason, with_signability=True)
        body = "".join(
            f"<tr><th style='text-align:left;padding-right:12px;white-space:nowrap'>{html.escape(k)}</th>"
            f"<td class='dw-info-{i}' style='word-break:break-all'>{html.escape(v)}</td></tr>"
            for i, (k, v) in enumerate(rows))
        self.value = (f"<div><b>{html.escape(t('information', self.lang))}</b>"
                      f"<table style='font-size:12px'>{body}</table></div>")

    def fields(self) -> dict[str, str]:
        """The rows as a dict ``label -> value``."""
        if self.item is None:
            return {}
        return dict(info_fields(self.item, self.lang, self.signable_reason, with_signability=True))
