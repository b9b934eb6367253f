"""Test helper: find secrets in text (notebooks, logs, messages, files) the toolkit wrote or showed.

What counts as a secret: a live ``X-Amz-Signature`` or ``X-Amz-Credential`` value (not ``***``, plain or
percent-encoded), a JSON Web Token, a ``Bearer`` token, and the running twin's own secrets: the store's
SigV4 keys, the signing service's API secret key and its admin token.

Examples
--------
>>> leaks("https://h/k.tif?X-Amz-Credential=AK%2F2025&X-Amz-Signature=" + "ab" * 32)
['X-Amz-Signature', 'X-Amz-Credential']
>>> leaks("https://h/k.tif?X-Amz-Credential=***&X-Amz-Signature=***")
[]
>>> leaks("key: s3cr3t-value", {"API secret key": "s3cr3t-value"})
['API secret key']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import nbformat

__all__ = ["HANDOUT", "leaks", "notebook_leaks", "twin_secrets"]

_PATTERNS = {
    "X-Amz-Signature": re.compile(r"X-Amz-Signature(?:=|%3D|\\u003d)(?!\*)[0-9a-fA-F]{8}", re.I),
    "X-Amz-Credential": re.compile(r"X-Amz-Credential(?:=|%3D|\\u003d)(?!\*)[A-Za-z0-9]", re.I),
    "X-Amz-Security-Token": re.compile(r"X-Amz-Security-Token(?:=|%3D)(?!\*)\w", re.I),
    "JSON Web Token": re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}"),
    "Bearer token": re.compile(r"Bearer\s+(?!\*)[\w.~+/-]{16,}", re.I),
}
#: A code cell that prints a signed URL (to paste into QGIS): counted apart, its outputs left out of the
#: search. The tutorials have none (tutorial 1 writes the URL to a file): the notebook test wants 0.
HANDOUT = re.compile(r"print\([^()]*\.href\)")


def twin_secrets(twin: Any) -> dict[str, str]:
    """The secrets of a running twin (its services' configuration), by name."""
    config = json.loads((twin.workdir / "services.json").read_text())
    return {
        "store secret key": config["storage_secret_key"],
        "store access key": config["storage_access_key"],
        "admin token": config["admin_token"],
        "API secret key": twin.secret_key,
    }


def leaks(text: str, secrets: Mapping[str, str] | None = None) -> list[str]:
    """Names of the secrets found in ``text`` (empty when there are none)."""
    found = [name for name, pattern in _PATTERNS.items() if pattern.search(text)]
    return found + [name for name, value in (secrets or {}).items() if value and value in text]


def notebook_leaks(path: Any, secrets: Mapping[str, str]) -> tuple[list[str], int]:
    """Secrets found in a saved notebook (outputs, widget state, metadata), and how many cells hand a
    signed URL out on purpose (:data:`HANDOUT`; their outputs are left out of the search)."""
    nb = nbformat.read(path, as_version=4)
    handouts = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and HANDOUT.search(cell.source):
            handouts += 1
            cell.outputs = []
    return leaks(nbformat.writes(nb), secrets), handouts
