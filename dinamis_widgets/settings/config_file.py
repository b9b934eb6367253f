"""The TOML config file: which file, and its setting values and ``[profiles.NAME]`` tables.

Top-level keys are setting names (not the credentials); ``[profiles.NAME]`` tables define profiles or
amend the built-in ones. Every error names the file and the key.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "config.toml"
...     _ = path.write_text('ttl_margin = 900\\n[profiles.mine]\\nstac_api = "https://stac.example.org"\\n')
...     values, profiles = read_config_file(path, explicit=True)
>>> values
{'ttl_margin': 900}
>>> profiles[0].name, profiles[0].stac_api, profiles[0].signing_endpoint
('mine', 'https://stac.example.org/', None)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .model import FIELD_BY_NAME, FIELDS
from .paths import default_config_file
from .profiles import BUILTIN_PROFILES, MESO_STORAGE_DOMAIN, TWIN_HINT, Profile
from .values import as_hosts, as_optional_url, as_path, as_str, as_url, bad_value

__all__ = ["config_path", "read_config_file", "read_profile"]

_PROFILE_KEYS = ("stac_api", "signing_endpoint", "signable_hosts", "description")


def config_path(overrides: Mapping[str, Any]) -> tuple[Path, bool]:
    """The config file to read and whether it was named explicitly.

    ``overrides["config_file"]``, else ``DINAMIS_CONFIG``, else :func:`default_config_file` (which need
    not exist).
    """
    if overrides.get("config_file") is not None:
        return Path(overrides["config_file"]), True
    env = os.environ.get("DINAMIS_CONFIG", "").strip()
    if env:
        return as_path(env, "environment variable DINAMIS_CONFIG"), True
    return default_config_file(), False


def read_config_file(path: Path, explicit: bool) -> tuple[dict[str, Any], tuple[Profile, ...]]:
    """The setting values and the profiles of a config file (nothing if it is absent and not ``explicit``).

    Raises
    ------
    ConfigurationError
        If the file cannot be read or parsed, holds an unknown key or an invalid value, or is
        ``explicit`` and absent.
    """
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
                raise bad_value(source, raw, "tables [profiles.NAME]")
            profiles.extend(read_profile(name, table, path) for name, table in raw.items())
            continue
        f = FIELD_BY_NAME.get(key)
        if f is None or not f.in_file:
            hint = (" Put API keys in the .apikey file (dinamis_widgets.signing.apikeys.save_api_key) or in "
                    "TLD_ACCESS_KEY/TLD_SECRET_KEY." if key in ("access_key", "secret_key") else "")
            known = sorted(x.name for x in FIELDS if x.in_file)
            raise ConfigurationError(
                f"Unknown key {key!r} in the config file {path}. Keys: {', '.join(known)}, "
                f"and [profiles.NAME] tables.{hint}"
            )
        values[key] = f.parse(raw, source)
    return values, tuple(profiles)


def read_profile(name: str, table: Any, path: Path) -> Profile:
    """The profile of the table ``[profiles.NAME]`` of ``path``: a new one, or a built-in one amended."""
    source = f"[profiles.{name}] in {path}"
    if not isinstance(table, dict):
        raise bad_value(source, table, "a table")
    if name == "twin":
        raise ConfigurationError(
            f"{source}: the 'twin' profile cannot be defined in the config file; it comes from the "
            f"running twin's variables ({TWIN_HINT})."
        )
    base = BUILTIN_PROFILES.get(name)
    unknown = set(table) - set(_PROFILE_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(_PROFILE_KEYS)}."
        )
    if "stac_api" not in table and base is None:
        raise ConfigurationError(f"{source}: 'stac_api' is missing (the URL of the STAC API).")
    stac_api = as_url(table["stac_api"], f"stac_api of {source}") if "stac_api" in table else (
        base.stac_api if base else "")
    if "signing_endpoint" in table:
        signing = as_optional_url(table["signing_endpoint"], f"signing_endpoint of {source}")
    else:
        signing = base.signing_endpoint if base else None
    if "signable_hosts" in table:
        hosts = as_hosts(table["signable_hosts"], f"signable_hosts of {source}")
    else:
        hosts = base.signable_hosts if base else ((MESO_STORAGE_DOMAIN,) if signing else ())
    description = as_str(table.get("description", base.description if base else ""),
                         f"description of {source}")
    return Profile(name=name, stac_api=stac_api, signing_endpoint=signing, signable_hosts=hosts,
                   description=description)
