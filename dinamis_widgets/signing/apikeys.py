"""API keys of the signing service, and the ``.apikey`` file shared with the official SDK.

The key to use comes from ``TLD_ACCESS_KEY`` and ``TLD_SECRET_KEY`` (or
:func:`~dinamis_widgets.settings.set_settings` ``access_key``/``secret_key``), else from the ``.apikey``
file of ``TLD_CONFIG_DIR`` (``~/.config/teledetection/.apikey``, JSON ``{"access-key": ...,
"secret-key": ...}``): what ``tld apikey register`` of the official CLI writes, so its users need nothing
more. :func:`~.account.create_api_key` creates one after a sign-in.

Examples
--------
Store an API key once (it is then used by this toolkit and by the official SDK):

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> save_api_key("my-access-key", "my-secret-key", config_dir=folder).name
'.apikey'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AuthenticationError
from ..settings import Settings, get_settings
from .storage import credentials_changed, write_private

__all__ = ["ApiKey", "load_api_key", "save_api_key"]


@dataclass(frozen=True)
class ApiKey:
    """An API key of the signing service (the secret never appears in the repr).

    Examples
    --------
    >>> ApiKey("AK1234", "s3cret")
    ApiKey(access_key='AK1234', secret_key=***)
    >>> ApiKey("AK1234", "s3cret").headers()
    {'access-key': 'AK1234', 'secret-key': 's3cret'}
    """

    access_key: str
    secret_key: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        """The request headers that carry the key."""
        return {"access-key": self.access_key, "secret-key": self.secret_key}

    def to_dict(self) -> dict[str, str]:
        """The JSON of the ``.apikey`` file."""
        return self.headers()

    def __repr__(self) -> str:
        return f"ApiKey(access_key={self.access_key!r}, secret_key=***)"


def load_api_key(settings: Settings | None = None) -> tuple[ApiKey, str] | None:
    """The API key to use, and where it came from, or None.

    The environment (``TLD_ACCESS_KEY`` and ``TLD_SECRET_KEY``, or overrides) comes before the
    ``.apikey`` file of ``TLD_CONFIG_DIR``. An unreadable file counts as absent, like in the SDK.
    """
    s = settings or get_settings()
    if s.access_key and s.secret_key:
        return ApiKey(s.access_key, s.secret_key), "TLD_ACCESS_KEY/TLD_SECRET_KEY"
    try:
        data = json.loads(s.apikey_path.read_text(encoding="utf-8"))
        key = ApiKey(str(data["access-key"]), str(data["secret-key"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not key.access_key or not key.secret_key:
        return None
    return key, str(s.apikey_path)


def save_api_key(access_key: str | ApiKey, secret_key: str | None = None, *,
                 config_dir: str | os.PathLike[str] | None = None) -> Path:
    """Store an API key in ``.apikey`` (mode 0600), where this toolkit and the official SDK read it.

    Parameters
    ----------
    access_key, secret_key
        The key (or an :class:`ApiKey` alone).
    config_dir
        Folder; ``TLD_CONFIG_DIR`` (default ``~/.config/teledetection``) by default.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    key = access_key if isinstance(access_key, ApiKey) else ApiKey(access_key, secret_key or "")
    if not key.access_key or not key.secret_key:
        raise AuthenticationError("An API key needs both an access key and a secret key.")
    folder = Path(config_dir) if config_dir is not None else get_settings().config_dir
    path = write_private(folder / ".apikey", key.to_dict())
    credentials_changed()
    return path

