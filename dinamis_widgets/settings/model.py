"""The :class:`Settings` object, and the table of its fields: variable, parser, allowed in the config file.

Examples
--------
>>> FIELD_BY_NAME["ttl_margin"].env
'TLD_TTL_MARGIN'
>>> Settings().replace(url_duration="3h").url_duration
10800
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .paths import default_config_file, default_tld_config_dir
from .profiles import BUILTIN_PROFILES, DINAMIS_SIGNING_ENDPOINT, MESO_STORAGE_DOMAIN, TWIN_HINT, Profile
from .values import (
    as_bool,
    as_float,
    as_hosts,
    as_int,
    as_optional_bool,
    as_optional_url,
    as_path,
    as_profile_name,
    as_seconds,
    as_str,
    as_url,
)

__all__ = [
    "ENV_VARS", "FIELDS", "FIELD_BY_NAME", "SIGV4_MAX_VALIDITY", "Field", "Settings", "parse_overrides",
]

#: Longest validity of a SigV4 presigned URL: 7 days.
SIGV4_MAX_VALIDITY = 7 * 24 * 3600


@dataclass(frozen=True)
class Field:
    """One setting: its name, its environment variable, its parser, and whether the config file may set it."""

    name: str
    env: str | None
    parse: Callable[[Any, str], Any]
    in_file: bool = True


FIELDS: tuple[Field, ...] = (
    Field("profile", "DINAMIS_PROFILE", as_profile_name),
    Field("stac_api", "DINAMIS_STAC_API", as_optional_url),
    Field("signable_hosts", "DINAMIS_SIGNABLE_HOSTS", as_hosts),
    Field("signing_endpoint", "TLD_SIGNING_ENDPOINT", as_optional_url),
    Field("access_key", "TLD_ACCESS_KEY", as_str, in_file=False),
    Field("secret_key", "TLD_SECRET_KEY", as_str, in_file=False),
    Field("config_dir", "TLD_CONFIG_DIR", as_path),
    Field("url_duration", "TLD_URL_DURATION", lambda v, s: as_seconds(v, s, allow_zero=True)),
    Field("ttl_margin", "TLD_TTL_MARGIN", lambda v, s: as_int(v, s, minimum=0)),
    Field("request_timeout", "TLD_REQUEST_TIMEOUT", lambda v, s: as_float(v, s, positive=True)),
    Field("retry_total", "TLD_RETRY_TOTAL", lambda v, s: as_int(v, s, minimum=0)),
    Field("retry_backoff_factor", "TLD_RETRY_BACKOFF_FACTOR", lambda v, s: as_float(v, s)),
    Field("retry_deadline", "DINAMIS_RETRY_DEADLINE", lambda v, s: as_float(v, s)),
    Field("disable_auth", "TLD_DISABLE_AUTH", as_bool),
    Field("interactive", "DINAMIS_INTERACTIVE", as_optional_bool),
    Field("max_validity", "DINAMIS_MAX_VALIDITY", lambda v, s: as_seconds(v, s, allow_zero=False)),
    Field("config_file", "DINAMIS_CONFIG", as_path, in_file=False),
)
FIELD_BY_NAME: Mapping[str, Field] = {f.name: f for f in FIELDS}

#: Environment variables read by the settings (``XDG_CONFIG_HOME`` and ``HOME`` place the default folders).
ENV_VARS: tuple[str, ...] = (*(f.env for f in FIELDS if f.env), "XDG_CONFIG_HOME", "HOME")


def parse_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Validate overrides (``set_settings(**overrides)``): known names, values parsed; None kept as None.

    Raises
    ------
    ConfigurationError
        For an unknown name or an invalid value, named ``setting NAME``.
    """
    parsed: dict[str, Any] = {}
    for name, value in overrides.items():
        if name == "user_profiles":
            parsed[name] = tuple(value)
            continue
        f = FIELD_BY_NAME.get(name)
        if f is None:
            raise ConfigurationError(
                f"Unknown setting {name!r}. Settings: {', '.join(sorted(FIELD_BY_NAME))}."
            )
        if value is None and name not in ("profile", "config_dir"):
            parsed[name] = None
        else:
            parsed[name] = f.parse(value, f"setting {name}")
    return parsed


@dataclass(frozen=True)
class Settings:
    """Everything the toolkit reads from the environment and the config file.

    Build it with :func:`~dinamis_widgets.settings.get_settings`; every attribute is described in the
    documentation of the package (``help(dinamis_widgets.settings)``). Credentials never appear in the repr.

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
        """See :func:`~dinamis_widgets.settings.profile_for`."""
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
                f"{'is' if len(missing) == 1 else 'are'} not set: {TWIN_HINT} (the command prints the "
                "variables to export; the function sets them in its own process)."
            )
        assert self.stac_api is not None and self.signable_hosts is not None
        return Profile(name="twin", stac_api=self.stac_api, signing_endpoint=self.signing_endpoint,
                       signable_hosts=self.signable_hosts,
                       description="Offline twin of the DINAMIS services on 127.0.0.1")

    def _profile_for_url(self, url: str) -> Profile:
        stac_api = as_url(url, "STAC API URL")
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
        return dataclasses.replace(self, **parse_overrides(changes))
