"""Validity parsing: the catalogue's forms, refusals that quote the input, and round trips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dinamis_widgets.errors import DinamisError, ValidityError, quote
from dinamis_widgets.signing.validity import (
    ACCEPTED_FORMS,
    format_validity,
    parse_validity,
    validity_seconds,
)

H = 3600


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        # ISO 8601, any case
        ("PT3H10M", 3 * H + 600),
        ("P1D", 86400),
        ("PT45S", 45),
        ("P1DT2H", 86400 + 2 * H),
        ("pt3h10m", 3 * H + 600),
        ("P2W", 14 * 86400),
        ("PT1.5H", 5400),
        ("PT1,5H", 5400),
        ("P0DT90M", 5400),
        ("  PT30M  ", 1800),
        # one value with a unit
        ("3h", 3 * H),
        ("30min", 1800),
        ("45s", 45),
        ("2d", 2 * 86400),
        ("90 min", 5400),
        ("1.5h", 5400),
        ("1,5 h", 5400),
        (".5h", 1800),
        ("3H", 3 * H),
        ("30MIN", 1800),
        ("1w", 7 * 86400),
        ("2 hours", 2 * H),
        ("1 day", 86400),
        ("3 jours", 3 * 86400),
        ("2 heures", 2 * H),
        ("10 mn", 600),
        ("20 secondes", 20),
        # seconds
        ("3600", 3600),
        ("+60s", 60),
    ],
)
def test_accepted_strings(text: str, seconds: int) -> None:
    assert parse_validity(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(3600, 3600), (1.4, 1), (1.6, 2), (90.0, 90), (timedelta(hours=2), 7200),
     (timedelta(milliseconds=1500), 2)],
)
def test_numbers_and_timedeltas(value: object, seconds: int) -> None:
    assert parse_validity(value) == timedelta(seconds=seconds)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not a duration"),
        ("3 hours ago", "not a duration"),
        ("0", "zero"),
        ("0s", "zero"),
        ("PT0S", "zero"),
        ("-3h", "positive"),
        ("-PT3H", "positive"),
        (-5, "positive"),
        (0, "zero"),
        (0.2, "shorter than one second"),
        ("PT0.4S", "shorter than one second"),
        ("30m", "ambiguous"),
        ("3M", "ambiguous"),
        ("P1M", "no fixed length"),
        ("P1Y", "no fixed length"),
        ("P1Y2M3D", "no fixed length"),
        ("2 months", "no fixed length"),
        ("1y", "no fixed length"),
        ("P", "no component"),
        ("PT", "no component"),
        ("P1DT", "'T' must be followed"),
        ("P3H", "not a valid ISO 8601"),
        ("PT3D", "not a valid ISO 8601"),
        ("3 parsecs", "unknown unit"),
        ("1h30min", "several values"),
        ("1h 30min", "several values"),
        (True, "boolean"),
        (None, "NoneType"),
        ([3600], "list"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("1e3", "not a duration"),
    ],
)
def test_refusals_quote_the_input_and_list_the_forms(value: object, why: str) -> None:
    with pytest.raises(ValidityError) as info:
        parse_validity(value)  # type: ignore[arg-type]
    message = str(info.value)
    assert why in message
    assert repr(value) in message or str(value) in message
    assert ACCEPTED_FORMS in message
    assert isinstance(info.value, DinamisError) and isinstance(info.value, ValueError)


def test_helpful_suggestions() -> None:
    with pytest.raises(ValidityError, match=r"'30min'"):
        parse_validity("30m")
    with pytest.raises(ValidityError, match=r"'PT1H30M'"):
        parse_validity("1h30min")
    with pytest.raises(ValidityError, match=r"P30D"):
        parse_validity("P1M")


def test_maximum() -> None:
    assert parse_validity("P7D", maximum="P7D") == timedelta(days=7)
    assert parse_validity("3h", maximum=4 * H) == timedelta(hours=3)
    with pytest.raises(ValidityError) as info:
        parse_validity("8d", maximum="P7D")
    assert "'8d'" in str(info.value)
    assert "maximum validity of 7 days (P7D)" in str(info.value)
    assert "7d or less" in str(info.value)
    with pytest.raises(ValidityError, match="above the maximum"):
        parse_validity(timedelta(hours=5), maximum=timedelta(hours=4))


def test_validity_seconds() -> None:
    assert validity_seconds("PT3H10M") == 11400
    assert isinstance(validity_seconds(10.2), int)


@pytest.mark.parametrize(
    ("seconds", "compact", "iso"),
    [
        (45, "45s", "PT45S"),
        (1800, "30min", "PT30M"),
        (5400, "90min", "PT1H30M"),
        (3 * H, "3h", "PT3H"),
        (3 * H + 600, "190min", "PT3H10M"),
        (86400, "1d", "P1D"),
        (26 * H, "26h", "P1DT2H"),
        (2 * 86400 + 1, "172801s", "P2DT1S"),
    ],
)
def test_format(seconds: int, compact: str, iso: str) -> None:
    td = timedelta(seconds=seconds)
    assert format_validity(td) == compact
    assert format_validity(td, iso=True) == iso
    assert format_validity(seconds) == compact


def test_format_refuses_non_positive() -> None:
    with pytest.raises(ValidityError):
        format_validity(timedelta(0))


@given(st.integers(min_value=1, max_value=400 * 86400))
def test_round_trip_compact_and_iso(seconds: int) -> None:
    td = timedelta(seconds=seconds)
    assert parse_validity(format_validity(td)) == td
    assert parse_validity(format_validity(td, iso=True)) == td
    assert parse_validity(format_validity(td).upper()) == td
    assert parse_validity(format_validity(td, iso=True).lower()) == td


_units = st.sampled_from(["s", "sec", "min", "h", "hours", "d", "days", "w"])


@given(st.integers(min_value=1, max_value=10_000), _units, st.sampled_from(["", " ", "  "]))
def test_one_value_with_a_unit(n: int, unit: str, space: str) -> None:
    factor = {"s": 1, "sec": 1, "min": 60, "h": 3600, "hours": 3600, "d": 86400, "days": 86400,
              "w": 604800}[unit]
    assert parse_validity(f"{n}{space}{unit}").total_seconds() == n * factor


@given(st.text(max_size=12))
def test_anything_else_is_a_validity_error_never_a_crash(text: str) -> None:
    try:
        td = parse_validity(text)
    except ValidityError as exc:  # named as the toolkit quotes inputs: at most 80 characters of the repr
        assert quote(text) in str(exc)
    else:
        assert td.total_seconds() >= 1


@given(st.integers(min_value=-10**6, max_value=0))
def test_non_positive_numbers_are_refused(n: int) -> None:
    with pytest.raises(ValidityError):
        parse_validity(n)
