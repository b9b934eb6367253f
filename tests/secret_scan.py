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
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["leaks", "notebook_leaks", "twin_secrets"]

_PATTERNS = {
    "X-Amz-Signature": re.compile(r"X-Amz-Signature(?:=|%3D|\\u003d)(?!\*)[0-9a-fA-F]{8}", re.I),
    "X-Amz-Credential": re.compile(r"X-Amz-Credential(?:=|%3D|\\u003d)(?!\*)[A-Za-z0-9]", re.I),
    "X-Amz-Security-Token": re.compile(r"X-Amz-Security-Token(?:=|%3D)(?!\*)\w", re.I),
    "JSON Web Token": re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}"),
    "Bearer token": re.compile(r"Bearer\s+(?!\*)[\w.~+/-]{16,}", re.I),
}



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


def notebook_leaks(path: Any, secrets: Mapping[str, str]) -> list[str]:
    """Secrets found anywhere in a saved notebook: outputs, widget state, metadata."""
    text = Path(path).read_text()
    nbformat.reads(text, as_version=4)  # a notebook, or an error
    return leaks(text, secrets)
