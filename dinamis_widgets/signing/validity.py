"""Validity of signed URLs: parse what a user types, and write it back compactly.

The catalogue's signing dialog accepts an ISO 8601 duration (``PT3H10M``) or one value with a unit
(``3h``, ``30min``). :func:`parse_validity` accepts the same, plus numbers of seconds and
:class:`datetime.timedelta`, and refuses anything else with a :class:`~dinamis_widgets.errors.ValidityError`
that quotes the input and lists the accepted forms.

Accepted forms
--------------
- ISO 8601 durations, case-insensitive: ``P1D``, ``PT3H10M``, ``PT45S``, ``P1DT2H``, ``P1W``; a decimal
  fraction is allowed on any component (``PT1.5H``, ``PT1,5H``). Years and months (``P1Y``, ``P1M``) are
  refused: they have no fixed length (write days: ``P30D``).
- One value with one unit, space allowed, decimal point or comma: ``45s``, ``30min``, ``3h``, ``1.5h``,
  ``90 min``, ``2d``, ``1w``. Units: ``s``/``sec``/``second(s)``/``seconde(s)``, ``min``/``mn``/``minute(s)``,
  ``h``/``hr``/``hour(s)``/``heure(s)``, ``d``/``day(s)``/``j``/``jour(s)``, ``w``/``week(s)``/
  ``semaine(s)``. ``m`` alone is refused, being ambiguous between minutes and months: write ``min``.
  Several values (``1h30min``) are refused, as in the catalogue; the message suggests the ISO form
  (``PT1H30M``).
- A number of seconds: ``int``, ``float`` or a string of digits (``"3600"``), as ``TLD_URL_DURATION``.
- A :class:`datetime.timedelta`.

Validities count whole seconds (presigned URLs carry ``X-Amz-Expires`` in seconds): fractions are rounded
to the nearest second, and the result must be at least one second.

Examples
--------
>>> parse_validity("PT3H10M")
datetime.timedelta(seconds=11400)
>>> parse_validity("30min") == parse_validity(1800) == parse_validity("PT30M")
True
>>> format_validity(parse_validity("P1DT2H"))
'26h'
>>> format_validity(parse_validity("90 min"), iso=True)
'PT1H30M'
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Final

from ..errors import ValidityError, quote

__all__ = ["ACCEPTED_FORMS", "ValidityLike", "format_validity", "parse_validity", "validity_seconds"]

#: What a validity may be given as.
ValidityLike = str | int | float | timedelta

#: A short description of the accepted forms, quoted in every error message.
ACCEPTED_FORMS: Final = (
    "an ISO 8601 duration in days, hours, minutes and seconds (PT3H10M, P1D, PT45S, P1DT2H), "
    "one value with a unit (45s, 30min, 3h, 1.5h, 2d, 1w), "
    "or a number of seconds (3600)"
)

_UNIT_SECONDS: Final[dict[str, int]] = {}
for _names, _seconds in (
    (("s", "sec", "secs", "second", "seconds", "seconde", "secondes"), 1),
    (("min", "mins", "minute", "minutes"), 60),
    (("h", "hr", "hrs", "hour", "hours", "heure", "heures"), 3600),
    (("d", "day", "days", "j", "jour", "jours"), 86400),
    (("w", "wk", "week", "weeks", "semaine", "semaines"), 604800),
):
    for _name in _names:
        _UNIT_SECONDS[_name] = _seconds

_NUMBER = r"(?:\d+(?:[.,]\d*)?|[.,]\d+)"
_ONE_VALUE_RE = re.compile(rf"^([+-]?)\s*({_NUMBER})\s*([a-z]+)$", re.I)
_ISO_START_RE = re.compile(r"^[+-]?P", re.I)
_EXPONENT_RE = re.compile(rf"^([+-]?\s*{_NUMBER}e[+-]?\d+)\s*([a-z]*)$", re.I)
#: Longest text read as a validity (``"P1DT23H59M59S"`` is 13 characters): longer is refused at once.
_MAX_TEXT = 64
_SECONDS_RE = re.compile(rf"^([+-]?)\s*({_NUMBER})$")
_COMPOUND_RE = re.compile(rf"^(?:\s*{_NUMBER}\s*[a-z]+){{2,}}\s*$", re.I)
_COMPOUND_PART_RE = re.compile(rf"({_NUMBER})\s*([a-z]+)", re.I)
_ISO_RE = re.compile(
    rf"^([+-]?)P(?:({_NUMBER})Y)?(?:({_NUMBER})M)?(?:({_NUMBER})W)?(?:({_NUMBER})D)?"
    rf"(?:T(?:({_NUMBER})H)?(?:({_NUMBER})M)?(?:({_NUMBER})S)?)?$",
    re.I,
)

#: Compact units of :func:`format_validity`, largest first.
_COMPACT_UNITS: Final = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _error(value: object, why: str, hint: str = "") -> ValidityError:
    quoted = quote(value) if not isinstance(value, timedelta) else f"'{value}'"
    message = f"Invalid validity {quoted}: {why}."
    if hint:
        message += f" {hint}"
    return ValidityError(f"{message} Accepted forms: {ACCEPTED_FORMS}.")


def _parse_iso(value: str, match: re.Match[str]) -> float:
    sign, years, months, weeks, days, hours, minutes, seconds = match.groups()
    if years is not None or months is not None:
        raise _error(value, "years and months have no fixed length",
                     "Write the duration in days instead, e.g. 'P30D' (or '30d').")
    if all(g is None for g in (weeks, days, hours, minutes, seconds)):
        raise _error(value, "the ISO 8601 duration has no component",
                     "Write e.g. 'PT3H', 'P1D' or 'PT30M'.")
    if value.upper().endswith("T"):
        raise _error(value, "'T' must be followed by hours, minutes or seconds", "Write e.g. 'P1DT2H'.")
    total = 0.0
    for part, factor in ((weeks, 604800), (days, 86400), (hours, 3600), (minutes, 60), (seconds, 1)):
        if part is not None:
            total += _number(part) * factor
    return -total if sign == "-" else total


def _suggest_iso(parts: list[tuple[str, str]]) -> str:
    """Suggest the ISO form of a compound value like ``1h30min`` (empty if a unit is unknown)."""
    total = 0.0
    for number, unit in parts:
        factor = _UNIT_SECONDS.get(unit.lower())
        if factor is None and unit.lower() == "m":
            factor = 60
        if factor is None:
            return ""
        total += _number(number) * factor
    if total < 1:
        return ""
    return format_validity(timedelta(seconds=round(total)), iso=True)


def _parse_text(value: str) -> float:
    text = value.strip()
    if not text:
        raise _error(value, "it is empty")
    if len(text) > _MAX_TEXT:
        raise _error(value, f"it is {len(text)} characters long, too long for a duration",
                     "Write a short duration such as '3h' or 'PT3H10M'.")
    if match := _EXPONENT_RE.match(text):
        number, unit = match.groups()
        full = float(number.replace(",", ".").replace(" ", ""))
        written = f"{full:.0f}" if full.is_integer() and abs(full) < 1e15 else "3600"
        raise _error(value, "a number in scientific notation is not a duration",
                     f"Write the number in full with one unit, e.g. '{written}{unit or 's'}', or an ISO 8601 "
                     "duration such as 'PT1H'.")
    if _ISO_START_RE.match(text):
        match = _ISO_RE.match(text)
        if match:
            return _parse_iso(value, match)
        raise _error(value, "it is not a valid ISO 8601 duration",
                     "ISO durations look like 'P1DT2H30M' "
                     "(days before 'T', hours, minutes and seconds after).")
    if match := _SECONDS_RE.match(text):
        sign, number = match.groups()
        return -_number(number) if sign == "-" else _number(number)
    if match := _ONE_VALUE_RE.match(text):
        sign, number, unit = match.groups()
        unit_l = unit.lower()
        if unit_l in ("m", "mn"):
            if unit_l == "mn":
                factor = 60
            else:
                raise _error(value, "the unit 'm' is ambiguous (minutes or months?)",
                             f"For minutes write '{number}min' (or 'PT{number}M'); months are not accepted.")
        elif unit_l in ("mo", "month", "months", "mois", "y", "yr", "year", "years", "an", "ans"):
            raise _error(value, "months and years have no fixed length",
                         "Write the duration in days instead, e.g. '30d'.")
        elif unit_l in _UNIT_SECONDS:
            factor = _UNIT_SECONDS[unit_l]
        else:
            raise _error(value, f"unknown unit {unit!r}",
                         "Units: s, min, h, d, w (or second, minute, hour, day, week).")
        seconds = _number(number) * factor
        return -seconds if sign == "-" else seconds
    if _COMPOUND_RE.match(text):
        suggestion = _suggest_iso(_COMPOUND_PART_RE.findall(text))
        hint = "Give one value with one unit"
        hint += f", or the ISO 8601 form '{suggestion}'." if suggestion else ", or an ISO 8601 duration."
        raise _error(value, "it has several values", hint)
    raise _error(value, "it is not a duration")


def parse_validity(value: ValidityLike, *, maximum: ValidityLike | None = None) -> timedelta:
    """Parse a validity (how long a signed URL stays valid).

    Parameters
    ----------
    value
        An ISO 8601 duration (``"PT3H10M"``, ``"P1D"``), one value with a unit (``"3h"``, ``"30min"``,
        ``"1.5h"``, ``"90 min"``), a number of seconds (``3600``, ``"3600"``) or a
        :class:`~datetime.timedelta`. See the module's documentation for every accepted form.
    maximum
        The longest validity allowed, in any of the same forms (e.g. the service's maximum).

    Returns
    -------
    datetime.timedelta
        A positive whole number of seconds.

    Raises
    ------
    ValidityError
        If ``value`` is malformed, zero, negative, shorter than one second or above ``maximum``. The
        message quotes ``value`` and lists the accepted forms.

    Examples
    --------
    >>> parse_validity("3h")
    datetime.timedelta(seconds=10800)
    >>> parse_validity("p1dt2h")
    datetime.timedelta(days=1, seconds=7200)
    >>> parse_validity("1,5 h").total_seconds()
    5400.0
    >>> parse_validity("30m")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dinamis_widgets.errors.ValidityError: Invalid validity '30m': the unit 'm' is ambiguous ...
    >>> parse_validity("8d", maximum="P7D")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dinamis_widgets.errors.ValidityError: Invalid validity '8d': it is above the maximum ...
    """
    if isinstance(value, bool):
        raise _error(value, "a boolean is not a duration")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise _error(value, "it is not a finite number")
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        raise _error(value, f"a {type(value).__name__} is not a duration")
    if not math.isfinite(seconds):
        raise _error(value, "it is not a finite duration")
    if seconds <= 0:
        raise _error(value, "it must be positive" if seconds < 0 else "it is zero")
    whole = round(seconds)
    if whole < 1:
        raise _error(value, "it is shorter than one second")
    if whole > 10**10:
        raise _error(value, "it is absurdly long")
    result = timedelta(seconds=whole)
    if maximum is not None:
        limit = parse_validity(maximum)
        if result > limit:
            raise _error(
                value,
                f"it is above the maximum validity of {_readable_duration(limit)} "
                f"({format_validity(limit, iso=True)})",
                f"Ask for {format_validity(limit)} or less.",
            )
    return result


def validity_seconds(value: ValidityLike, *, maximum: ValidityLike | None = None) -> int:
    """Parse a validity and return it as a whole number of seconds (``duration_seconds``).

    Examples
    --------
    >>> validity_seconds("PT3H10M")
    11400
    """
    return int(parse_validity(value, maximum=maximum).total_seconds())


def _readable_duration(td: timedelta) -> str:
    """``7 days``, ``3 h 10 min``: for messages."""
    seconds = int(td.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" + ("s" if days > 1 else "")
    parts = []
    for unit, factor in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, factor)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


def format_validity(td: timedelta | int | float, *, iso: bool = False) -> str:
    """Write a validity in the compact form :func:`parse_validity` reads back.

    Parameters
    ----------
    td
        The validity (a timedelta, or seconds).
    iso
        Write an ISO 8601 duration (``PT3H10M``) instead of one value with a unit (``190min``).

    Returns
    -------
    str
        One value with the largest unit that divides it exactly (``3h``, ``190min``, ``2d``, ``45s``),
        or the ISO 8601 duration. Seconds are rounded to whole seconds.

    Raises
    ------
    ValidityError
        If the validity is not positive.

    Examples
    --------
    >>> from datetime import timedelta
    >>> format_validity(timedelta(hours=3))
    '3h'
    >>> format_validity(timedelta(hours=3, minutes=10))
    '190min'
    >>> format_validity(timedelta(hours=3, minutes=10), iso=True)
    'PT3H10M'
    >>> format_validity(timedelta(days=2, seconds=1), iso=True)
    'P2DT1S'
    """
    seconds = round(td.total_seconds() if isinstance(td, timedelta) else float(td))
    if seconds <= 0:
        raise _error(td, "it must be positive")
    if iso:
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        out = "P" + (f"{days}D" if days else "")
        time_part = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
        return out + ("T" + time_part if time_part else "")
    for unit, factor in _COMPACT_UNITS:
        if seconds % factor == 0:
            return f"{seconds // factor}{unit}"
    raise AssertionError("unreachable")  # pragma: no cover
