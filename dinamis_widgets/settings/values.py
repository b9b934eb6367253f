"""Parsers of setting values, as found in environment variables, the config file or overrides.

Each parser takes the raw value and ``source`` (where it came from: ``environment variable TLD_TTL_MARGIN``,
``'ttl_margin' in /path/config.toml``, ``setting ttl_margin``) and returns the typed value, or raises
:class:`~dinamis_widgets.errors.ConfigurationError` naming the source, the value and what was expected.

Examples
--------
>>> as_int("60", "environment variable TLD_TTL_MARGIN")
60
>>> as_hosts(" 127.0.0.1:5678 , Example.org ,", "setting signable_hosts")
('127.0.0.1:5678', 'example.org')
>>> as_bool("maybe", "environment variable TLD_DISABLE_AUTH")
Traceback (most recent call last):
...
dinamis_widgets.errors.ConfigurationError: environment variable TLD_DISABLE_AUTH = 'maybe' is invalid: \
expected a boolean (1/0, true/false, yes/no).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, ValidityError

__all__ = [
    "as_bool",
    "as_float",
    "as_hosts",
    "as_int",
    "as_optional_bool",
    "as_optional_url",
    "as_path",
    "as_profile_name",
    "as_seconds",
    "as_str",
    "as_url",
    "bad_value",
]

_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f"})


def bad_value(source: str, value: Any, expected: str) -> ConfigurationError:
    """The error for ``value`` found at ``source`` when ``expected`` was expected."""
    return ConfigurationError(f"{source} = {value!r} is invalid: expected {expected}.")


def as_bool(value: Any, source: str) -> bool:
    """``1/0``, ``true/false``, ``yes/no``, ``on/off`` (any case), or a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise bad_value(source, value, "a boolean (1/0, true/false, yes/no)")


def as_optional_bool(value: Any, source: str) -> bool | None:
    """A boolean, or None for ``""``, ``auto`` or None (decided from the context)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    return as_bool(value, source)


def as_int(value: Any, source: str, *, minimum: int = 0) -> int:
    """A whole number ``>= minimum`` (``"60"``, ``60``, ``60.0``; not ``1.5`` nor a boolean)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value.strip()) if isinstance(value, str) else int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        raise bad_value(source, value, f"a whole number >= {minimum}") from None
    if number < minimum:
        raise bad_value(source, value, f"a whole number >= {minimum}")
    return number


def as_float(value: Any, source: str, *, positive: bool = False) -> float:
    """A finite number ``>= 0`` (``> 0`` if ``positive``)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise bad_value(source, value, "a number") from None
    if number != number or number in (float("inf"), float("-inf")) or number < 0 or (
            positive and number == 0):
        raise bad_value(source, value, "a positive number" if positive else "a number >= 0")
    return number


def as_seconds(value: Any, source: str, *, allow_zero: bool) -> int:
    """A duration in seconds: an int, or any validity form (``3h``, ``PT3H``); ``0`` if ``allow_zero``."""
    from ..signing.validity import validity_seconds

    if allow_zero and (value == 0 or (isinstance(value, str) and value.strip() == "0")):
        return 0
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return validity_seconds(value)
        except ValidityError as exc:
            raise ConfigurationError(f"{source} = {value!r} is invalid: {exc.message}") from None
    return as_int(value, source)


def as_url(value: Any, source: str) -> str:
    """An ``http://`` or ``https://`` URL, ending with ``/``."""
    if not isinstance(value, str) or not value.strip().lower().startswith(("http://", "https://")):
        raise bad_value(source, value, "a URL starting with http:// or https://")
    url = value.strip()
    return url if url.endswith("/") else url + "/"


def as_optional_url(value: Any, source: str) -> str | None:
    """A URL (see :func:`as_url`), or None for ``""``, ``false`` or None."""
    if value is None or value is False or (isinstance(value, str) and not value.strip()):
        return None
    return as_url(value, source)


def as_hosts(value: Any, source: str) -> tuple[str, ...]:
    """Host names (or ``host:port``) separated by commas, or a list; lower case, empty ones dropped."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise bad_value(source, value, "host names separated by commas (or a list of them)")
    hosts = []
    for item in items:
        if not isinstance(item, str) or "/" in item or " " in item.strip():
            raise bad_value(source, value, "host names separated by commas, e.g. 'meso.umontpellier.fr'")
        if item.strip():
            hosts.append(item.strip().lower())
    return tuple(hosts)


def as_str(value: Any, source: str) -> str:
    """A string, stripped."""
    if not isinstance(value, str):
        raise bad_value(source, value, "a string")
    return value.strip()


def as_path(value: Any, source: str) -> Path:
    """A path (``~`` expanded)."""
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise bad_value(source, value, "a path")
    return Path(os.path.expanduser(str(value).strip()))


def as_profile_name(value: Any, source: str) -> str:
    """A profile name or a STAC API URL (checked when the profile is resolved)."""
    if not isinstance(value, str) or not value.strip():
        raise bad_value(source, value, "a profile name (dinamis, theia, twin, ...) or a STAC API URL")
    return value.strip()
