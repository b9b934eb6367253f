"""Where settings live on disk by default: the user's config folders of this toolkit and of the official SDK.

Both follow ``appdirs.user_config_dir`` (the official ``teledetection`` SDK's rule), i.e. on Linux
``$XDG_CONFIG_HOME/NAME``, or ``~/.config/NAME``.

Examples
--------
>>> default_config_file().parts[-2:]
('dinamis_widgets', 'config.toml')
>>> default_tld_config_dir().name
'teledetection'
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["default_config_file", "default_tld_config_dir", "user_config_dir"]


def user_config_dir(appname: str) -> Path:
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
    return user_config_dir("teledetection")


def default_config_file() -> Path:
    """``config.toml`` in ``appdirs.user_config_dir("dinamis_widgets")`` (``~/.config/dinamis_widgets``)."""
    return user_config_dir("dinamis_widgets") / "config.toml"
