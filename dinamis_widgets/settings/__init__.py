"""Settings of dinamis_widgets: catalogue profiles, signing service, credentials, timeouts.

One :class:`Settings` object, filled from (highest precedence first):

1. explicit overrides: :func:`set_settings` or the :func:`override` context manager;
2. environment variables (``DINAMIS_*`` and the official ``teledetection`` SDK's ``TLD_*``);
3. the config file (``DINAMIS_CONFIG``, default ``~/.config/dinamis_widgets/config.toml``);
4. defaults.

:func:`get_settings` caches the object and builds it again when a variable it reads or the config file
changes, so a twin started in this process (which sets the variables) is picked up at once; it reads
neither the variables nor the file on every call (see "When changes are noticed" in
:mod:`~dinamis_widgets.settings.store`: changes made in this process are seen at the next call, edits of
the config file by another program within a second). Settings are frozen: change them with
:func:`set_settings`, never by assignment.

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

Modules
-------
:mod:`~.values` parsers of values; :mod:`~.profiles` catalogue profiles; :mod:`~.paths` default folders;
:mod:`~.model` the :class:`Settings` object and its fields; :mod:`~.config_file` the TOML file;
:mod:`~.watch` the audit hook that sees changes; :mod:`~.store` the cache, overrides and reloads.

Examples
--------
>>> from dinamis_widgets import settings
>>> with settings.override(profile="theia", ttl_margin=600):
...     s = settings.get_settings()
...     print(s.active_profile().name, s.ttl_margin)
theia 600
>>> settings.profile_for("dinamis").signing_endpoint
'https://signing.stac.teledetection.fr/'
"""

from .model import ENV_VARS, SIGV4_MAX_VALIDITY, Settings
from .paths import default_config_file, default_tld_config_dir
from .profiles import (
    BUILTIN_PROFILES,
    DINAMIS,
    DINAMIS_SIGNING_ENDPOINT,
    MESO_STORAGE_DOMAIN,
    THEIA,
    Profile,
    host_matches,
)
from .store import CHECK_INTERVAL, get_settings, override, profile_for, reload_settings, set_settings

__all__ = [
    "BUILTIN_PROFILES",
    "CHECK_INTERVAL",
    "DINAMIS",
    "DINAMIS_SIGNING_ENDPOINT",
    "ENV_VARS",
    "MESO_STORAGE_DOMAIN",
    "SIGV4_MAX_VALIDITY",
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
