"""Shared fixtures of the tests: the session's twin (``twin``, ``twin_items``) is in the repository's root
``conftest.py``, shared with the docstring examples; the fixtures several test modules use are here."""

from __future__ import annotations

from typing import Any

import pystac
import pytest


@pytest.fixture(scope="module")
def spot(twin_items: list[dict[str, Any]]) -> pystac.Item:
    """The twin's SPOT ORTHO scene ``..._W001N46_SCENE1`` (one per module: a test may change its copy)."""
    return next(pystac.Item.from_dict(d) for d in twin_items
                if d["id"].endswith("W001N46_SCENE1") and d["properties"]["processing:level"] == "ORTHO")
