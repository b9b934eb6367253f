"""Catalogue profiles: a STAC API, the signing service of its assets, and the hosts that need signing.

The real catalogues are built in (:data:`DINAMIS`, also named ``mtd``, and :data:`THEIA`); the config file
defines or amends others, and ``twin`` is made from the running twin's variables (see
:meth:`~dinamis_widgets.settings.Settings.resolve_profile`).

Examples
--------
>>> DINAMIS.signing_endpoint
'https://signing.stac.teledetection.fr/'
>>> sorted(BUILTIN_PROFILES)
['dinamis', 'mtd', 'theia']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "BUILTIN_PROFILES",
    "DINAMIS",
    "DINAMIS_SIGNING_ENDPOINT",
    "MESO_STORAGE_DOMAIN",
    "THEIA",
    "TWIN_HINT",
    "Profile",
    "host_matches",
]

#: Host suffix of the object storage of the real catalogue (as in the official SDK).
MESO_STORAGE_DOMAIN = "meso.umontpellier.fr"
#: Signing service of the real catalogue.
DINAMIS_SIGNING_ENDPOINT = "https://signing.stac.teledetection.fr/"
#: What to do when the ``twin`` profile is asked and no twin runs.
TWIN_HINT = "start the twin: `dinamis-widgets twin` or `dinamis_widgets.twin.start()`"


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
