"""Core values said in the interface's language: acquisition dates, and why a product cannot be signed.

Dates use :mod:`babel` when it is installed (the abbreviated month of the language: ``24 févr. 2026``),
else a small table that writes the same. The reasons of :mod:`dinamis_widgets.signing.reasons` are English
sentences (the core speaks English); :func:`reason_text` says them in French from their parts.

Examples
--------
>>> format_datetime("2026-02-24T10:36:27.200000Z", "fr")
'24 févr. 2026 10:36:27'
>>> format_datetime("2026-02-24T10:36:27.200000Z", "en")
'24 Feb 2026 10:36:27'
>>> import datetime as dt
>>> period_text(dt.date(2026, 2, 24), dt.date(2026, 3, 1), "fr")
'Période : du 24/02/2026 au 01/03/2026'
>>> period_text(None, dt.date(2026, 3, 1), "en")
'Period: until 1 Mar 2026'
>>> from dinamis_widgets.signing.reasons import NotSignable
>>> print(reason_text(NotSignable("level", "X_BRUT", "BRUT", "item id"), "fr"))
Produit BRUT (son identifiant contient « BRUT ») : brut, en géométrie capteur, non géoréférencé ; il ne \
peut pas être signé ni lu ici. Seuls les produits ORTHO de MTD et de SEAS Guyane peuvent être signés et \
diffusés. Pour obtenir celui-ci, commandez-le dans le catalogue DINAMIS en ligne (ajoutez-le à son panier).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ..signing.reasons import NotSignable
from .i18n import DEFAULT_LANG, t

__all__ = ["format_datetime", "format_day", "parse_datetime", "period_text", "reason_text"]

#: Abbreviated months (as babel's ``MMM`` writes them), when babel is not installed.
_MONTHS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def parse_datetime(value: Any) -> _dt.datetime | None:
    """A datetime (aware, UTC when naive) from a datetime or an ISO 8601 string; None for anything else."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)


def _month(when: _dt.datetime, lang: str) -> str:
    try:
        from babel.dates import format_date
    except ImportError:
        return _MONTHS.get(lang, _MONTHS[DEFAULT_LANG])[when.month - 1]
    return str(format_date(when.date(), "MMM", locale=lang))


def format_datetime(value: Any, lang: str = DEFAULT_LANG) -> str:
    """``24 févr. 2026 10:36:27`` (``24 Feb 2026 10:36:27`` in English), in UTC, as the catalogue writes
    acquisition times; empty for no date."""
    when = parse_datetime(value)
    if when is None:
        return ""
    when = when.astimezone(_dt.UTC)
    return f"{when.day:02d} {_month(when, lang)} {when.year} {when:%H:%M:%S}"


def format_day(value: _dt.date, lang: str = DEFAULT_LANG) -> str:
    """A day as the language writes it: ``24/02/2026`` in French, ``24 Feb 2026`` in English (the date
    pickers show the browser's format, ``mm/dd/yyyy`` in an English browser, which a French reader
    misreads)."""
    if lang == "fr":
        return f"{value:%d/%m/%Y}"
    return f"{value.day} {_MONTHS['en'][value.month - 1]} {value.year}"


def period_text(start: _dt.date | None, end: _dt.date | None, lang: str = DEFAULT_LANG) -> str:
    """The search's period in words (empty for none), shown under the date pickers."""
    if start is not None and end is not None:
        return t("period_both", lang, start=format_day(start, lang), end=format_day(end, lang))
    if start is not None:
        return t("period_from", lang, start=format_day(start, lang))
    return t("period_to", lang, end=format_day(end, lang)) if end is not None else ""


def reason_text(reason: NotSignable | None, lang: str = DEFAULT_LANG) -> str | None:
    """Why a product cannot be signed, in ``lang``, with what to do (None when it can be signed).

    English is the core's own sentence (:attr:`NotSignable.message`); French is said from its parts.
    """
    if reason is None:
        return None
    if lang == "en":
        return reason.message
    detail = (t("reason_by_id", lang, value=reason.value) if reason.decided_by == "item id"
              else reason.value if reason.decided_by == "assets"
              else f"{reason.decided_by} : {reason.value}" if reason.decided_by.startswith("known collection")
              else f"{reason.decided_by} = {reason.value!r}")
    return f"{t('reason_' + reason.kind, lang, detail=detail)} {t('reason_advice', lang)}"
