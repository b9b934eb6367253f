"""Configuration shared by the twin's services (signing service and object store).

The twin never reads the toolkit's settings: it is a stand-in for remote services, configured only by
what the runner passes to it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ADMIN_HEADER",
    "DEFAULT_VALIDITY_SECONDS",
    "DEMO_ACCESS_KEY",
    "DEMO_SECRET_KEY",
    "MAX_URLS_PER_REQUEST",
    "MAX_VALIDITY_SECONDS",
    "OAUTH_CLIENT_ID",
    "ServicesConfig",
]

#: The documented demo API key of the twin (never valid on the real service).
DEMO_ACCESS_KEY = "twin-demo-access-key"
DEMO_SECRET_KEY = "twin-demo-secret-key-not-a-secret"

#: Default validity of a signed URL, as on the real service (8 h).
DEFAULT_VALIDITY_SECONDS = 28_800
#: Longest validity the twin grants. SigV4 presigned URLs cannot exceed 7 days.
MAX_VALIDITY_SECONDS = 7 * 24 * 3600
#: Largest number of URLs one ``sign_urls`` request may carry (as on the real service).
MAX_URLS_PER_REQUEST = 64
#: OAuth2 client id used by the official SDK for the device flow.
OAUTH_CLIENT_ID = "gdal"
#: Header carrying ``ServicesConfig.admin_token`` on the services' control routes (``/_twin/...``).
ADMIN_HEADER = "x-twin-admin"


@dataclass
class ServicesConfig:
    """What the signing service and the object store need to know.

    Parameters
    ----------
    data_root
        Folder served by the object store; its first-level folders are buckets.
    data_url
        Base URL of the object store as clients see it, e.g. ``http://127.0.0.1:41234``.
    signing_url
        Base URL of the signing service, ending with ``/``.
    storage_access_key, storage_secret_key
        Credentials the signing service uses to presign URLs (SigV4) and the store uses to check them.
        They are the store's own, never the user's API key.
    api_keys
        Accepted API keys, access key to secret key. The demo key is always there.
    public_buckets
        Buckets the store serves without a signature (quicklooks).
    default_validity, max_validity
        Validity of signed URLs in seconds, when none is asked, and the most that can be asked.
    admin_token
        Shared secret for the ``/_twin/*`` control routes (statistics, faults, device approval).
    access_token_lifetime, refresh_token_lifetime
        Lifetimes in seconds of the OAuth2 tokens of the emulated identity provider (Keycloak's
        defaults: 5 min and 30 min). Tests shorten them to exercise refreshing.
    device_code_lifetime, device_poll_interval
        Lifetime of a device code and the least interval between two polls of the token endpoint
        (the device flow of RFC 8628), in seconds.
    auto_approve
        Approve every device authorization at once, as user ``default_username``, so that a notebook
        on the twin can sign in without a person.
    default_username
        User name given to approvals that do not name one.
    """

    data_root: Path
    data_url: str
    signing_url: str
    storage_access_key: str = field(default_factory=lambda: "TWIN" + secrets.token_hex(8).upper())
    storage_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(30))
    api_keys: dict[str, str] = field(
        default_factory=lambda: {DEMO_ACCESS_KEY: DEMO_SECRET_KEY}
    )
    public_buckets: tuple[str, ...] = ("quicklooks",)
    default_validity: int = DEFAULT_VALIDITY_SECONDS
    max_validity: int = MAX_VALIDITY_SECONDS
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    access_token_lifetime: int = 300
    refresh_token_lifetime: int = 1800
    device_code_lifetime: int = 600
    device_poll_interval: int = 5
    auto_approve: bool = False
    default_username: str = "twin-user"

    def __post_init__(self) -> None:
        self.data_root = Path(self.data_root)
        self.data_url = self.data_url.rstrip("/")
        if not self.signing_url.endswith("/"):
            self.signing_url += "/"
        self.public_buckets = tuple(self.public_buckets)

    def to_json(self) -> str:
        """Serialise to JSON (for the services' process)."""
        d: dict[str, Any] = asdict(self)
        d["data_root"] = str(self.data_root)
        return json.dumps(d)

    @classmethod
    def from_json(cls, text: str) -> ServicesConfig:
        """Read back what :meth:`to_json` wrote."""
        d = json.loads(text)
        d["public_buckets"] = tuple(d["public_buckets"])
        return cls(**d)
