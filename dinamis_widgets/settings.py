"""Settings of dinamis_widgets: catalogue profiles, signing service, credentials, timeouts.

One :class:`Settings` object, filled from (highest precedence first):

1. explicit overrides: :func:`set_settings` or the :func:`override` context manager;
2. environment variables (``DINAMIS_*`` and the official ``teledetection`` SDK's ``TLD_*``);
3. the config file (``DINAMIS_CONFIG``, default ``~/.config/dinamis_widgets/config.toml``);
4. defaults.

:func:`get_settings` caches the object and builds it again when a variable it reads or the config file
changes, so a twin started in this process (which sets the variables) is picked up at once. Settings are
frozen: change them with :func:`set_settings`, never by assignment.

Environment variables
---------------------
========================== ======================== =====================================================
Variable                   Setting                  Meaning
========================== ======================== =====================================================
``DINAMIS_PROFILE``        ``profile``              ``dinamis`` (default), ``theia``, ``twin``, a profile
                                                    of the config file, or a STAC API URL
``DINAMIS_STAC_API``       ``stac_api``             STAC API URL, overriding the profile's
``DINAMIS_SIGNABLE_HOSTS`` ``signable_hosts``       comma-separated hosts whose URLs are signed; a name
                                                    matches itself and its sub-domains, ``host:port``
                                                    matches exactly
``DINAMIS_CONFIG``         ``config_file``          path of the TOML config file
``DINAMIS_INTERACTIVE``    ``interactive``          ``0`` never opens a sign-in, ``1`` always may; unset:
                                                    decided from the context (terminal, notebook, CI...)
``DINAMIS_MAX_VALIDITY``   ``max_validity``         longest validity asked for, checked before any request
                                                    (default 7 days, the limit of SigV4 presigned URLs);
                                                    any validity form (``P7D``, ``3d``, seconds)
``TLD_SIGNING_ENDPOINT``   ``signing_endpoint``     signing service, overriding the profile's
``TLD_ACCESS_KEY``         ``access_key``           API key (both needed)
``TLD_SECRET_KEY``         ``secret_key``
``TLD_CONFIG_DIR``         ``config_dir``           folder of ``.apikey`` and ``.jwt`` (default
                                                    ``~/.config/teledetection``, shared with the SDK)
``TLD_URL_DURATION``       ``url_duration``         default validity in seconds (``0``: the service's,
                                                    8 h on the real one)
``TLD_TTL_MARGIN``         ``ttl_margin``           reuse a signed URL only if it stays valid that long
                                                    (seconds, default 1800)
``TLD_REQUEST_TIMEOUT``    ``request_timeout``      seconds (default 30)
``TLD_RETRY_TOTAL``        ``retry_total``          attempts on 429/5xx/connection errors (default 10)
``TLD_RETRY_BACKOFF_FACTOR`` ``retry_backoff_factor`` exponential backoff factor in seconds (default 0.8)
``DINAMIS_RETRY_DEADLINE`` ``retry_deadline``       no retry starts later than this many seconds after the
                                                    first attempt (default 30): a service that is down is
                                                    reported within about that time
``TLD_DISABLE_AUTH``       ``disable_auth``         send no credentials (a service without auth)
========================== ======================== =====================================================

An empty variable counts as unset.

Config file
-----------
TOML, read with :mod:`tomllib`. Top-level keys are the setting names above (except the credentials, which
belong in ``.apikey`` or the environment); ``[profiles.NAME]`` tables define or amend profiles::

    profile = "mine"            # default profile
    ttl_margin = 900
    url_duration = "3h"         # any validity form, or seconds

    [profiles.mine]
    stac_api = "https://stac.example.org/"
    signing_endpoint = "https://signing.stac.teledetection.fr/"   # omit or "" for none
    signable_hosts = ["meso.umontpellier.fr"]
    description = "My own catalogue"

Examples
--------
>>> from dinamis_widgets import settings
>>> with settings.override(profile="theia", ttl_margin=600):
...     s = settings.get_settings()
...     print(s.active_profile().stac_api, s.ttl_margin)
https://theia.stac.teledetection.fr/ 600
>>> settings.profile_for("dinamis").signing_endpoint
'https://signing.stac.teledetection.fr/'
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError, ValidityError

__all__ = [
    "BUILTIN_PROFILES",
    "DINAMIS",
    "ENV_VARS",
    "THEIA",
    "Profile",
    "Settings",
    "default_config_file",
    "default_tld_config_dir",
    "get_settings",
    "host_matches",
    "override",
    "profile_for",
    "reload_settings",
    "set_settings",
]

#: Host suffix of the object storage of the real catalogue (as in the official SDK).
MESO_STORAGE_DOMAIN = "meso.umontpellier.fr"
#: Signing service of the real catalogue.
DINAMIS_SIGNING_ENDPOINT = "https://signing.stac.teledetection.fr/"
#: Longest validity of a SigV4 presigned URL: 7 days.
SIGV4_MAX_VALIDITY = 7 * 24 * 3600


@dataclass(frozen=True)
class Profile:
    """A catalogue: its STAC API, the signing service of its assets and the hosts that need signing.

    Parameters
    ----------
    name
        ``dinamis``, ``theia``, ``twin``, a name of the config file, or the URL of an ad-hoc profile.
    stac_api
        URL of the STAC API landing page.
    signing_endpoint
        URL of the signing service (ending with ``/``), or None when assets need no signing.
    signable_hosts
        Hosts whose URLs are signed: a name matches itself and its sub-domains (``meso.umontpellier.fr``
        matches ``s3-data.meso.umontpellier.fr``); ``host:port`` matches exactly.
    description
        One line for people.

    Examples
    --------
    >>> DINAMIS.needs_signing("https://s3-data.meso.umontpellier.fr/b/c/i/ms.tif")
    True
    >>> DINAMIS.needs_signing("https://example.org/ms.tif")
    False
    """

    name: str
    stac_api: str
    signing_endpoint: str | None
    signable_hosts: tuple[str, ...] = ()
    description: str = ""

    def needs_signing(self, url: str) -> bool:
        """Whether ``url`` points at a host this profile's signing service signs."""
        return self.signing_endpoint is not None and host_matches(url, self.signable_hosts)


DINAMIS = Profile(
    name="dinamis",
    stac_api="https://api.stac.teledetection.fr/",
    signing_endpoint=DINAMIS_SIGNING_ENDPOINT,
    signable_hosts=(MESO_STORAGE_DOMAIN,),
    description="DINAMIS metacatalogue of the Maison de la Télédétection (MTD, SEAS Guyane, Regards)",
)
THEIA = Profile(
    name="theia",
    stac_api="https://theia.stac.teledetection.fr/",
    signing_endpoint=DINAMIS_SIGNING_ENDPOINT,
    signable_hosts=(MESO_STORAGE_DOMAIN,),
    description="THEIA catalogue of the Maison de la Télédétection",
)
#: Profiles known without configuration (``twin`` is built from the running twin's variables).
BUILTIN_PROFILES: Mapping[str, Profile] = {
    "dinamis": DINAMIS, "mtd": dataclasses.replace(DINAMIS, name="mtd"), "theia": THEIA,
}

_TWIN_HINT = "start the twin: `dinamis-widgets twin` or `dinamis_widgets.twin.start()`"


def host_matches(url_or_netloc: str, patterns: Sequence[str]) -> bool:
    """Whether the host of a URL matches one of ``patterns``.

    Parameters
    ----------
    url_or_netloc
        A URL (``https://h:9000/b/k``) or a ``host[:port]``.
    patterns
        Host names (matching themselves and their sub-domains) or ``host:port`` (matching exactly).

    Examples
    --------
    >>> host_matches("https://s3-data.meso.umontpellier.fr/x", ["meso.umontpellier.fr"])
    True
    >>> host_matches("https://evilmeso.umontpellier.fr/x", ["meso.umontpellier.fr"])
    False
    >>> host_matches("http://127.0.0.1:41234/b/k", ["127.0.0.1:41234"])
    True
    >>> host_matches("http://127.0.0.1:41235/b/k", ["127.0.0.1:41234"])
    False
    """
    if "://" in url_or_netloc:
        parts = urlsplit(url_or_netloc)
        netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    else:
        netloc = url_or_netloc.lower()
    host = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    for pattern in patterns:
        p = pattern.strip().lower().lstrip(".")
        if not p:
            continue
        if ":" in p and not p.endswith("]"):
            if netloc == p:
                return True
        elif host == p or host.endswith("." + p):
            return True
    return False


# --------------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------------


def _user_config_dir(appname: str) -> Path:
    """``appdirs.user_config_dir(appname)``, with the same rule when appdirs is not installed."""
    try:
        import appdirs

        return Path(appdirs.user_config_dir(appname))
    except ImportError:  # pragma: no cover - appdirs comes with the SDK
        pass
    if sys.platform == "darwin":  # pragma: no cover
        return Path("~/Library/Application Support").expanduser() / appname
    if sys.platform == "win32":  # pragma: no cover
        base = os.environ.get("LOCALAPPDATA") or str(Path("~/AppData/Local").expanduser())
        return Path(base) / appname / appname
    return Path(os.getenv("XDG_CONFIG_HOME", os.path.expanduser("~/.config"))) / appname


def default_tld_config_dir() -> Path:
    """Folder of the official SDK's ``.apikey`` and ``.jwt`` when ``TLD_CONFIG_DIR`` is unset.

    The rule is the SDK's: ``appdirs.user_config_dir("teledetection")``, i.e. ``~/.config/teledetection``
    on Linux (or ``$XDG_CONFIG_HOME/teledetection``).
    """
    return _user_config_dir("teledetection")


def default_config_file() -> Path:
    """``config.toml`` in ``appdirs.user_config_dir("dinamis_widgets")`` (``~/.config/dinamis_widgets``)."""
    return _user_config_dir("dinamis_widgets") / "config.toml"


# --------------------------------------------------------------------------------------------------
# Value parsers: each raises ConfigurationError naming where the value came from
# --------------------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


def _bad(source: str, value: Any, expected: str) -> ConfigurationError:
    return ConfigurationError(f"{source} = {value!r} is invalid: expected {expected}.")


def _as_bool(value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _bad(source, value, "a boolean (1/0, true/false, yes/no)")


def _as_optional_bool(value: Any, source: str) -> bool | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    return _as_bool(value, source)


def _as_int(value: Any, source: str, *, minimum: int = 0) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value.strip()) if isinstance(value, str) else int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        raise _bad(source, value, f"a whole number >= {minimum}") from None
    if number < minimum:
        raise _bad(source, value, f"a whole number >= {minimum}")
    return number


def _as_float(value: Any, source: str, *, positive: bool = False) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise _bad(source, value, "a number") from None
    if number != number or number in (float("inf"), float("-inf")) or number < 0 or (
            positive and number == 0):
        raise _bad(source, value, "a positive number" if positive else "a number >= 0")
    return number


def _as_seconds(value: Any, source: str, *, allow_zero: bool) -> int:
    """A duration in seconds: an int, or any validity form (``3h``, ``PT3H``)."""
    from .signing.validity import validity_seconds

    if allow_zero and (value == 0 or (isinstance(value, str) and value.strip() == "0")):
        return 0
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return validity_seconds(value)
        except ValidityError as exc:
            raise ConfigurationError(f"{source} = {value!r} is invalid: {exc.message}") from None
    return _as_int(value, source)


def _as_url(value: Any, source: str) -> str:
    if not isinstance(value, str) or not value.strip().lower().startswith(("http://", "https://")):
        raise _bad(source, value, "a URL starting with http:// or https://")
    url = value.strip()
    return url if url.endswith("/") else url + "/"


def _as_optional_url(value: Any, source: str) -> str | None:
    if value is None or value is False or (isinstance(value, str) and not value.strip()):
        return None
    return _as_url(value, source)


def _as_hosts(value: Any, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise _bad(source, value, "host names separated by commas (or a list of them)")
    hosts = []
    for item in items:
        if not isinstance(item, str) or "/" in item or " " in item.strip():
            raise _bad(source, value, "host names separated by commas, e.g. 'meso.umontpellier.fr'")
        if item.strip():
            hosts.append(item.strip().lower())
    return tuple(hosts)


def _as_str(value: Any, source: str) -> str:
    if not isinstance(value, str):
        raise _bad(source, value, "a string")
    return value.strip()


def _as_path(value: Any, source: str) -> Path:
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise _bad(source, value, "a path")
    return Path(os.path.expanduser(str(value).strip()))


def _as_profile_name(value: Any, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(source, value, "a profile name (dinamis, theia, twin, ...) or a STAC API URL")
    return value.strip()


# --------------------------------------------------------------------------------------------------
# The settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    env: str | None
    parse: Callable[[Any, str], Any]
    in_file: bool = True


_FIELDS: tuple[_Field, ...] = (
    _Field("profile", "DINAMIS_PROFILE", _as_profile_name),
    _Field("stac_api", "DINAMIS_STAC_API", _as_optional_url),
    _Field("signable_hosts", "DINAMIS_SIGNABLE_HOSTS", _as_hosts),
    _Field("signing_endpoint", "TLD_SIGNING_ENDPOINT", _as_optional_url),
    _Field("access_key", "TLD_ACCESS_KEY", _as_str, in_file=False),
    _Field("secret_key", "TLD_SECRET_KEY", _as_str, in_file=False),
    _Field("config_dir", "TLD_CONFIG_DIR", _as_path),
    _Field("url_duration", "TLD_URL_DURATION", lambda v, s: _as_seconds(v, s, allow_zero=True)),
    _Field("ttl_margin", "TLD_TTL_MARGIN", lambda v, s: _as_int(v, s, minimum=0)),
    _Field("request_timeout", "TLD_REQUEST_TIMEOUT", lambda v, s: _as_float(v, s, positive=True)),
    _Field("retry_total", "TLD_RETRY_TOTAL", lambda v, s: _as_int(v, s, minimum=0)),
    _Field("retry_backoff_factor", "TLD_RETRY_BACKOFF_FACTOR", lambda v, s: _as_float(v, s)),
    _Field("retry_deadline", "DINAMIS_RETRY_DEADLINE", lambda v, s: _as_float(v, s)),
    _Field("disable_auth", "TLD_DISABLE_AUTH", _as_bool),
    _Field("interactive", "DINAMIS_INTERACTIVE", _as_optional_bool),
    _Field("max_validity", "DINAMIS_MAX_VALIDITY", lambda v, s: _as_seconds(v, s, allow_zero=False)),
    _Field("config_file", "DINAMIS_CONFIG", _as_path, in_file=False),
)
_FIELD_BY_NAME = {f.name: f for f in _FIELDS}

#: Environment variables read by the settings.
ENV_VARS: tuple[str, ...] = (*(f.env for f in _FIELDS if f.env), "XDG_CONFIG_HOME", "HOME")


@dataclass(frozen=True)
class Settings:
    """Everything the toolkit reads from the environment and the config file.

    Build it with :func:`get_settings`; every attribute is described in the module's documentation
    (``help(dinamis_widgets.settings)``). Credentials never appear in the repr.

    Examples
    --------
    >>> s = Settings(profile="theia")
    >>> s.active_profile().name
    'theia'
    >>> s.ttl_margin
    1800
    """

    profile: str = "dinamis"
    stac_api: str | None = None
    signable_hosts: tuple[str, ...] | None = None
    signing_endpoint: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    config_dir: Path = field(default_factory=default_tld_config_dir)
    url_duration: int = 0
    ttl_margin: int = 1800
    request_timeout: float = 30.0
    retry_total: int = 10
    retry_backoff_factor: float = 0.8
    retry_deadline: float = 30.0
    disable_auth: bool = False
    interactive: bool | None = None
    max_validity: int = SIGV4_MAX_VALIDITY
    config_file: Path | None = None
    user_profiles: tuple[Profile, ...] = ()

    # -- derived ---------------------------------------------------------------------------------
    @property
    def apikey_path(self) -> Path:
        """The ``.apikey`` file (JSON ``{"access-key": ..., "secret-key": ...}``), shared with the SDK."""
        return self.config_dir / ".apikey"

    @property
    def jwt_path(self) -> Path:
        """The ``.jwt`` file where OAuth2 tokens are stored, shared with the SDK."""
        return self.config_dir / ".jwt"

    @property
    def has_api_key_in_env(self) -> bool:
        """Whether both halves of an API key were given (environment or override)."""
        return bool(self.access_key and self.secret_key)

    def profiles(self) -> dict[str, Profile]:
        """Every named profile: built-in ones amended by the config file's (``twin`` excluded)."""
        out = dict(BUILTIN_PROFILES)
        for p in self.user_profiles:
            out[p.name] = p
        return out

    def active_profile(self) -> Profile:
        """The profile in use, with ``stac_api``, ``signing_endpoint`` and ``signable_hosts`` applied.

        Raises
        ------
        ConfigurationError
            If the profile is unknown, or is ``twin`` and no twin's variables are set.
        """
        return self.resolve_profile(None)

    def resolve_profile(self, name_or_url: str | Profile | None = None) -> Profile:
        """See :func:`profile_for`."""
        if isinstance(name_or_url, Profile):
            return name_or_url
        active = name_or_url is None or name_or_url == self.profile
        name = self.profile if name_or_url is None else name_or_url.strip()
        if name.lower().startswith(("http://", "https://")):
            return self._profile_for_url(name)
        if name == "twin":
            return self._twin_profile()
        known = self.profiles()
        if name not in known:
            raise ConfigurationError(
                f"Unknown catalogue profile {name!r}. Known profiles: twin, {', '.join(sorted(known))}; "
                "or give a STAC API URL (http:// or https://). Define profiles in "
                f"{self.config_file or default_config_file()} under [profiles.NAME]."
            )
        base = known[name]
        if not active:
            return base
        return dataclasses.replace(
            base,
            stac_api=self.stac_api or base.stac_api,
            signing_endpoint=self.signing_endpoint or base.signing_endpoint,
            signable_hosts=self.signable_hosts if self.signable_hosts is not None else base.signable_hosts,
        )

    def _twin_profile(self) -> Profile:
        missing = [env for env, value in (("DINAMIS_STAC_API", self.stac_api),
                                          ("TLD_SIGNING_ENDPOINT", self.signing_endpoint),
                                          ("DINAMIS_SIGNABLE_HOSTS", self.signable_hosts))
                   if not value]
        if missing:
            raise ConfigurationError(
                f"The 'twin' profile needs a running twin, and {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set: {_TWIN_HINT} (the command prints the "
                "variables to export; the function sets them in its own process)."
            )
        assert self.stac_api is not None and self.signable_hosts is not None
        return Profile(name="twin", stac_api=self.stac_api, signing_endpoint=self.signing_endpoint,
                       signable_hosts=self.signable_hosts,
                       description="Offline twin of the DINAMIS services on 127.0.0.1")

    def _profile_for_url(self, url: str) -> Profile:
        stac_api = _as_url(url, "STAC API URL")
        active: Profile | None = None
        if not self.profile.lower().startswith(("http://", "https://")):
            with contextlib.suppress(ConfigurationError):
                active = self.active_profile()
        for p in ([active] if active else []) + list(self.profiles().values()):
            if p.stac_api.rstrip("/") == stac_api.rstrip("/"):
                return p
        return Profile(
            name=stac_api,
            stac_api=stac_api,
            signing_endpoint=active.signing_endpoint if active else (self.signing_endpoint
                                                                      or DINAMIS_SIGNING_ENDPOINT),
            signable_hosts=active.signable_hosts if active else (self.signable_hosts
                                                                  or (MESO_STORAGE_DOMAIN,)),
            description=f"STAC API at {stac_api}",
        )

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (validated like overrides)."""
        return dataclasses.replace(self, **_parse_overrides(changes))


# --------------------------------------------------------------------------------------------------
# Building, caching, overriding
# --------------------------------------------------------------------------------------------------

_lock = threading.RLock()
_overrides: dict[str, Any] = {}
_cache: tuple[Any, Settings] | None = None


def _parse_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for name, value in overrides.items():
        if name == "user_profiles":
            parsed[name] = tuple(value)
            continue
        f = _FIELD_BY_NAME.get(name)
        if f is None:
            raise ConfigurationError(
                f"Unknown setting {name!r}. Settings: {', '.join(sorted(_FIELD_BY_NAME))}."
            )
        if value is None and name not in ("profile", "config_dir"):
            parsed[name] = None
        else:
            parsed[name] = f.parse(value, f"setting {name}")
    return parsed


def _config_path(overrides: Mapping[str, Any]) -> tuple[Path, bool]:
    """The config file to read and whether it was named explicitly."""
    if overrides.get("config_file") is not None:
        return Path(overrides["config_file"]), True
    env = os.environ.get("DINAMIS_CONFIG", "").strip()
    if env:
        return _as_path(env, "environment variable DINAMIS_CONFIG"), True
    return default_config_file(), False


def _read_config_file(path: Path, explicit: bool) -> tuple[dict[str, Any], tuple[Profile, ...]]:
    if not path.is_file():
        if explicit:
            raise ConfigurationError(
                f"The config file {path} (named by DINAMIS_CONFIG or config_file) does not exist."
            )
        return {}, ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Cannot read the config file {path}: {exc}") from None
    values: dict[str, Any] = {}
    profiles: list[Profile] = []
    for key, raw in data.items():
        source = f"{key!r} in {path}"
        if key == "profiles":
            if not isinstance(raw, dict):
                raise _bad(source, raw, "tables [profiles.NAME]")
            profiles.extend(_read_profile(name, table, path) for name, table in raw.items())
            continue
        f = _FIELD_BY_NAME.get(key)
        if f is None or not f.in_file:
            hint = (" Put API keys in the .apikey file (dinamis_widgets.signing.apikeys.save_api_key) or in "
                    "TLD_ACCESS_KEY/TLD_SECRET_KEY." if key in ("access_key", "secret_key") else "")
            known = sorted(x.name for x in _FIELDS if x.in_file)
            raise ConfigurationError(
                f"Unknown key {key!r} in the config file {path}. Keys: {', '.join(known)}, "
                f"and [profiles.NAME] tables.{hint}"
            )
        values[key] = f.parse(raw, source)
    return values, tuple(profiles)


def _read_profile(name: str, table: Any, path: Path) -> Profile:
    source = f"[profiles.{name}] in {path}"
    if not isinstance(table, dict):
        raise _bad(source, table, "a table")
    if name == "twin":
        raise ConfigurationError(
            f"{source}: the 'twin' profile cannot be defined in the config file; it comes from the "
            f"running twin's variables ({_TWIN_HINT})."
        )
    base = BUILTIN_PROFILES.get(name)
    unknown = set(table) - {"stac_api", "signing_endpoint", "signable_hosts", "description"}
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; expected stac_api, signing_endpoint, "
            "signable_hosts, description."
        )
    if "stac_api" not in table and base is None:
        raise ConfigurationError(f"{source}: 'stac_api' is missing (the URL of the STAC API).")
    stac_api = _as_url(table["stac_api"], f"stac_api of {source}") if "stac_api" in table else (
        base.stac_api if base else "")
    if "signing_endpoint" in table:
        signing = _as_optional_url(table["signing_endpoint"], f"signing_endpoint of {source}")
    else:
        signing = base.signing_endpoint if base else None
    if "signable_hosts" in table:
        hosts = _as_hosts(table["signable_hosts"], f"signable_hosts of {source}")
    else:
        hosts = base.signable_hosts if base else ((MESO_STORAGE_DOMAIN,) if signing else ())
    description = _as_str(table.get("description", base.description if base else ""),
                          f"description of {source}")
    return Profile(name=name, stac_api=stac_api, signing_endpoint=signing, signable_hosts=hosts,
                   description=description)


def _read_env() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in _FIELDS:
        if f.env is None or f.name == "config_file":
            continue
        raw = os.environ.get(f.env)
        if raw is None or not raw.strip():
            continue
        values[f.name] = f.parse(raw, f"environment variable {f.env}")
    return values


def _fingerprint(overrides: Mapping[str, Any]) -> tuple[Any, ...]:
    path, _ = _config_path(overrides)
    try:
        stat = path.stat()
        file_key: Any = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        file_key = None
    return (tuple(os.environ.get(v) for v in ENV_VARS), str(path), file_key,
            tuple(sorted((k, repr(v)) for k, v in overrides.items())))


def _build(overrides: Mapping[str, Any]) -> Settings:
    path, explicit = _config_path(overrides)
    values, profiles = _read_config_file(path, explicit)
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


def get_settings() -> Settings:
    """The current settings (cached; rebuilt when a variable or the config file changes).

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
    global _cache
    with _lock:
        key = _fingerprint(_overrides)
        if _cache is not None and _cache[0] == key:
            return _cache[1]
        settings = _build(_overrides)
        _cache = (key, settings)
        return settings


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
    global _cache
    parsed = _parse_overrides(overrides)
    with _lock:
        new = dict(_overrides)
        for name, value in parsed.items():
            if value is None and overrides[name] is None:
                new.pop(name, None)
            else:
                new[name] = value
        settings = _build(new)
        _overrides.clear()
        _overrides.update(new)
        _cache = (_fingerprint(_overrides), settings)
        return settings


@contextlib.contextmanager
def override(**overrides: Any) -> Iterator[Settings]:
    """Override settings inside a ``with`` block (for this whole process, not only this thread).

    Examples
    --------
    >>> with override(url_duration="PT3H") as s:
    ...     s.url_duration
    10800
    """
    with _lock:
        saved = dict(_overrides)
    try:
        yield set_settings(**overrides)
    finally:
        global _cache
        with _lock:
            _overrides.clear()
            _overrides.update(saved)
            _cache = None


def reload_settings(*, keep_overrides: bool = True) -> Settings:
    """Read the environment and the config file again.

    Parameters
    ----------
    keep_overrides
        Keep what :func:`set_settings` set (default), or drop it.
    """
    global _cache
    with _lock:
        if not keep_overrides:
            _overrides.clear()
        _cache = None
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
