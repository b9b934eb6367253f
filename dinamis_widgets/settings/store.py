"""The process's settings: built from overrides, the environment, the config file and defaults, and cached.

When changes are noticed
------------------------
:func:`get_settings` returns the same object as long as nothing it is made of changes, and then costs
well under a microsecond: it reads no variable and stats no file. It looks again:

- at once, when :func:`set_settings`, :func:`override` or :func:`reload_settings` is called;
- at the next call after a change of one of :data:`~dinamis_widgets.settings.ENV_VARS` through
  ``os.environ`` (as ``monkeypatch.setenv`` and the twin's ``start()``/``stop()`` do), in any thread,
  seen through Python's audit events (:mod:`~dinamis_widgets.settings.watch`);
- at the next call after this process wrote, renamed, removed or touched any file (same events): one
  ``os.stat`` of the config file tells whether it changed. A file written by the calling thread is thus
  seen at once; one being written by another thread at the very time of the call, within a second;
- otherwise at most once every :data:`CHECK_INTERVAL` (1 s): a call then reads the variables and stats
  the config file again, which is how an edit of the config file by another program (an editor) is seen.

Settings built again with the same values as before are not replaced: :func:`get_settings` keeps returning
the same object, and what is cached along with it (the process's signer) stays. Variables set by C code
(``setenv``) are not seen, as ``os.environ`` itself does not see them. Where the audit hook cannot run
(another hook refused it), every call reads the variables and stats the file, as before.

Examples
--------
>>> import os, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "config.toml"
...     _ = path.write_text('[profiles.mine]\\nstac_api = "https://a.example.org/"\\n')
...     with override(config_file=path):
...         before = profile_for("mine").stac_api
...         # rewritten, same size: seen at once, as this process wrote a file
...         _ = path.write_text('[profiles.mine]\\nstac_api = "https://b.example.org/"\\n')
...         after = profile_for("mine").stac_api
>>> before, after
('https://a.example.org/', 'https://b.example.org/')
>>> get_settings() is get_settings()   # nothing changed in between: the same object
True
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .config_file import config_path, read_config_file
from .model import ENV_VARS, FIELDS, Settings, parse_overrides
from .profiles import Profile
from .watch import ChangeCounter

__all__ = ["CHECK_INTERVAL", "get_settings", "override", "profile_for", "reload_settings", "set_settings"]

#: Longest time, in seconds, between two reads of the variables and stats of the config file (see above).
CHECK_INTERVAL = 1.0

_lock = threading.RLock()
_overrides: dict[str, Any] = {}
_changes = ChangeCounter(ENV_VARS)
_FileKey = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class _Entry:
    """Cached settings and what they were built from."""

    settings: Settings
    env: tuple[str | None, ...]
    path: Path
    file_key: _FileKey | None
    changes: int
    check_after: float  # time.monotonic() after which the variables and the file are checked again


_entry: _Entry | None = None


def _env_values() -> tuple[str | None, ...]:
    """The watched variables, in one pass."""
    return tuple(map(os.environ.get, ENV_VARS))


def _file_key(path: Path) -> _FileKey | None:
    """What tells that a file changed: type, inode, size, modification and change times (ns); None if absent.

    The change time (``st_ctime_ns``) cannot be set by ``os.utime``: a file rewritten with the same size
    and an old modification time is still seen as changed.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _read_env() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in FIELDS:
        if f.env is None or f.name == "config_file":
            continue
        raw = os.environ.get(f.env)
        if raw is None or not raw.strip():
            continue
        values[f.name] = f.parse(raw, f"environment variable {f.env}")
    return values


def _build(overrides: Mapping[str, Any], path: Path, explicit: bool) -> Settings:
    values, profiles = read_config_file(path, explicit)
    values.update(_read_env())
    values.update(overrides)
    values.setdefault("config_file", path)
    if values.get("config_dir") is None:
        values.pop("config_dir", None)
    if values.get("profile") is None:
        values.pop("profile", None)
    if "user_profiles" not in overrides:
        values["user_profiles"] = profiles
    for k in ("url_duration", "ttl_margin", "request_timeout", "retry_total", "retry_backoff_factor",
              "retry_deadline", "disable_auth", "max_validity"):
        if values.get(k, 0) is None:
            values.pop(k)
    return Settings(**values)


def _watch() -> tuple[int, float]:
    """The change count, and when to check again; read *before* the variables and the file.

    At once (no delay) while a change of a variable is announced but not yet in ``os.environ``, or when
    the audit hook does not run.
    """
    changes = _changes.count
    settled = _changes.active and not _changes.settling()
    return changes, time.monotonic() + (CHECK_INTERVAL if settled else 0.0)


def _new_entry(overrides: Mapping[str, Any]) -> _Entry:
    """Build the settings, noting first what they are built from (a change during the build is seen)."""
    _changes.start()
    changes, check_after = _watch()
    env = _env_values()
    path, explicit = config_path(overrides)
    file_key = _file_key(path)
    settings = _build(overrides, path, explicit)
    return _Entry(settings, env, path, file_key, changes, check_after)


def _refresh() -> Settings:
    global _entry
    with _lock:
        entry = _entry
        if entry is not None and entry.changes == _changes.count and time.monotonic() < entry.check_after:
            return entry.settings  # refreshed by another thread meanwhile
        if entry is not None:
            changes, check_after = _watch()
            if _env_values() == entry.env and _file_key(entry.path) == entry.file_key:
                _entry = replace(entry, changes=changes, check_after=check_after)
                return entry.settings
        _entry = None  # stays so if the build fails
        new = _new_entry(_overrides)
        if entry is not None and new.settings == entry.settings:
            new = replace(new, settings=entry.settings)  # same values: keep the object and its users' caches
        _entry = new
        return new.settings


def get_settings() -> Settings:
    """The current settings (cached; built again when a variable or the config file changes).

    See the module's documentation for when changes are noticed.

    Returns
    -------
    Settings

    Raises
    ------
    ConfigurationError
        If a variable, the config file or an override holds an invalid value (the message names it).

    Examples
    --------
    >>> get_settings().ttl_margin >= 0
    True
    """
    entry = _entry
    if entry is not None and entry.changes == _changes.count and time.monotonic() < entry.check_after:
        return entry.settings
    return _refresh()


def set_settings(**overrides: Any) -> Settings:
    """Override settings for this process, above the environment and the config file.

    Parameters
    ----------
    **overrides
        Setting names and values (e.g. ``profile="twin"``, ``ttl_margin=600``, ``url_duration="3h"``,
        ``interactive=False``). A value of None removes the override.

    Returns
    -------
    Settings
        The new settings.

    Raises
    ------
    ConfigurationError
        For an unknown name or an invalid value (nothing is changed then).

    Examples
    --------
    >>> _ = set_settings(ttl_margin=600)
    >>> get_settings().ttl_margin
    600
    >>> _ = set_settings(ttl_margin=None)   # back to the environment, config file or default
    """
    global _entry
    parsed = parse_overrides(overrides)
    with _lock:
        new = dict(_overrides)
        for name, value in parsed.items():
            if value is None and overrides[name] is None:
                new.pop(name, None)
            else:
                new[name] = value
        entry = _new_entry(new)
        _overrides.clear()
        _overrides.update(new)
        _entry = entry
        return entry.settings


@contextlib.contextmanager
def override(**overrides: Any) -> Iterator[Settings]:
    """Override settings inside a ``with`` block (for this whole process, not only this thread).

    Examples
    --------
    >>> with override(url_duration="PT3H") as s:
    ...     s.url_duration
    10800
    """
    global _entry
    with _lock:
        saved = dict(_overrides)
    try:
        yield set_settings(**overrides)
    finally:
        with _lock:
            _overrides.clear()
            _overrides.update(saved)
            _entry = None


def reload_settings(*, keep_overrides: bool = True) -> Settings:
    """Read the environment and the config file again.

    Parameters
    ----------
    keep_overrides
        Keep what :func:`set_settings` set (default), or drop it.
    """
    global _entry
    with _lock:
        if not keep_overrides:
            _overrides.clear()
        _entry = None
        return get_settings()


def profile_for(name_or_url: str | Profile | None = None, settings: Settings | None = None) -> Profile:
    """The catalogue profile for a name or a STAC API URL.

    Parameters
    ----------
    name_or_url
        None for the active profile (``DINAMIS_PROFILE``, with ``DINAMIS_STAC_API``,
        ``TLD_SIGNING_ENDPOINT`` and ``DINAMIS_SIGNABLE_HOSTS`` applied), a profile name (``dinamis``,
        ``mtd``, ``theia``, ``twin`` or one of the config file), or a STAC API URL. A URL gets an ad-hoc
        profile whose signing service and signable hosts are the active profile's (the real catalogue's
        when the active profile cannot be resolved). A named profile other than the active one is
        returned as defined, without the variables.
    settings
        Settings to use; :func:`get_settings` by default.

    Raises
    ------
    ConfigurationError
        For an unknown name, or ``twin`` without a running twin's variables.

    Examples
    --------
    >>> profile_for("theia").stac_api
    'https://theia.stac.teledetection.fr/'
    >>> profile_for("https://stac.example.org").name
    'https://stac.example.org/'
    """
    return (settings or get_settings()).resolve_profile(name_or_url)
