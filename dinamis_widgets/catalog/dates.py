"""Dates of a search: the forms people type (``2025-06-01``, ``2025-06``, ``2025``, datetimes, ranges) as UTC.

A date is a whole period: ``"2025-06"`` runs from the first to the last microsecond of June 2025 (UTC), so a
range ``("2025-01", "2025-03")`` includes all of March. Naive datetimes are taken as UTC.

Examples
--------
>>> start, end = datetime_range(("2025-06", None))
>>> iso(start), end
('2025-06-01T00:00:00Z', None)
>>> [iso(t) for t in period("2024-02", "date")]
['2024-02-01T00:00:00Z', '2024-02-29T23:59:59.999999Z']
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from typing import Any

from ..errors import QueryError, quote

__all__ = ["UTC", "aware", "datetime_range", "iso", "looks_like_date", "period"]

UTC = _dt.UTC
_PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_FULL_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Longest text read as a date (``2025-06-01T10:30:00.123456+02:00`` is 32 characters).
_MAX_TEXT = 40


def iso(value: _dt.datetime) -> str:
    """``2025-06-01T00:00:00Z`` (microseconds only when there are some)."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def aware(value: _dt.datetime) -> _dt.datetime:
    """The datetime in UTC; a naive one is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def period(value: Any, what: str) -> tuple[_dt.datetime, _dt.datetime]:
    """The first and last instant of a date, a partial date (``2025``, ``2025-06``) or a datetime.

    ``what`` names the value in the :class:`~dinamis_widgets.errors.QueryError` raised when it cannot be read.
    """
    if isinstance(value, _dt.datetime):
        instant = aware(value)
        return instant, instant
    if isinstance(value, _dt.date):
        start = _dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
        return start, start + _dt.timedelta(days=1, microseconds=-1)
    if isinstance(value, str) and len(value.strip()) <= _MAX_TEXT:
        text = value.strip()
        match = _PARTIAL_DATE_RE.match(text)
        try:
            if match:
                year, month, day = match.groups()
                start = _dt.datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)
                if day:
                    end = start + _dt.timedelta(days=1)
                elif month:
                    end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
                else:
                    end = start.replace(year=start.year + 1)
                return start, end - _dt.timedelta(microseconds=1)
            instant = aware(_dt.datetime.fromisoformat(text.replace("z", "Z")))
            return instant, instant
        except ValueError:
            pass
    raise QueryError(f"Invalid {what} {quote(value)}: give a date or datetime in ISO 8601 ('2025-06-01', "
                     "'2025-06-01T10:30:00Z', '2025-06', '2025'), a datetime.date or datetime.datetime.")


def _slashed_date(text: str) -> str | None:
    """The ISO form of a date written with slashes (``31/12/2025``, ``12/31/2025``, ``2025/12/31``), or None
    when ``text`` is not one (a range ``start/end`` has ISO dates on both sides)."""
    parts = [p.strip() for p in text.split("/")]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    if len(parts[0]) == 4:
        year, month, day = parts
    elif len(parts[2]) == 4:
        day, month, year = parts
        if int(month) > 12 >= int(day):
            day, month = month, day
    else:
        return None
    try:
        return _dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return f"{year}-{month.zfill(2)}-{day.zfill(2)}"


def datetime_range(value: Any) -> tuple[_dt.datetime | None, _dt.datetime | None] | None:
    """A search's ``datetime`` as (start, end) in UTC, None for an open side; None when not given.

    Accepts a date, a partial date, a datetime, a string ``"start/end"`` or a pair ``(start, end)`` where
    None or ``".."`` leaves a side open.
    """
    if value is None:
        return None
    if isinstance(value, str) and "/" in value:
        slashed = _slashed_date(value)
        if slashed is not None:
            raise QueryError(f"Invalid datetime {quote(value)}: dates are written year first (ISO 8601), and "
                             f"'/' separates the start and the end of a range. Write {slashed!r} (a range: "
                             "'start/end' with ISO dates, e.g. '2025-01-01/2025-12-31').")
        parts: list[Any] = value.split("/")
    elif isinstance(value, str | _dt.date):
        return period(value, "datetime")
    elif isinstance(value, Sequence) and not isinstance(value, str):
        parts = list(value)
    else:
        raise QueryError(f"Invalid datetime {quote(value)}: give a date, a datetime, a string 'start/end' "
                         "or a "
                         "pair (start, end) where None or '..' leaves one side open.")
    if len(parts) == 1:
        return datetime_range(parts[0])
    if len(parts) != 2:
        raise QueryError(f"Invalid datetime range {quote(value)}: give (start, end), not {len(parts)} "
                         "values, "
                         "e.g. ('2025-06-01', '2025-06-30') or '2025-06-01/2025-06-30'.")
    lo, hi = (None if p is None or (isinstance(p, str) and p.strip() in ("", "..")) else p for p in parts)
    start: _dt.datetime | None = period(lo, "start date")[0] if lo is not None else None
    end: _dt.datetime | None = period(hi, "end date")[1] if hi is not None else None
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        raise QueryError(f"Invalid datetime range {quote(value)}: the start ({iso(start)}) is after the end "
                         f"({iso(end)}). Swap them: give (start, end) with the earlier date first.")
    return start, end


def looks_like_date(value: Any) -> bool:
    """A ``datetime.date`` or a string starting with ``YYYY-MM-DD`` that reads as a date."""
    if isinstance(value, _dt.date):
        return True
    if not isinstance(value, str) or not _FULL_DATE_RE.match(value.strip()):
        return False
    try:
        period(value, "date")
    except QueryError:
        return False
    return True
