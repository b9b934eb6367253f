"""Where credentials are kept: JSON files in ``TLD_CONFIG_DIR`` shared with the official SDK.

``.apikey`` (:mod:`.apikeys`) and ``.jwt`` (:mod:`.tokens`) are written atomically and readable by their
owner only; when they change, the default signer is rebuilt so that it sends the new credentials.

Examples
--------
>>> import json, stat, tempfile, pathlib
>>> path = write_private(pathlib.Path(tempfile.mkdtemp()) / ".apikey", {"access-key": "ak"})
>>> json.loads(path.read_text()), oct(stat.S_IMODE(path.stat().st_mode))
({'access-key': 'ak'}, '0o600')
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["credentials_changed", "write_private"]


def write_private(path: Path, data: Mapping[str, Any]) -> Path:
    """Write JSON to ``path`` atomically, readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)
            json.dump(dict(data), fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    return path


def credentials_changed() -> None:
    """Let the default signer pick up new credentials (nothing to do before it exists)."""
    registry = sys.modules.get("dinamis_widgets.signing.registry")
    if registry is not None:
        registry._reset_default_signer()
