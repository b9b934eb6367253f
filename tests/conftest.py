"""Shared fixtures: one offline twin for the whole session (127.0.0.1, stopped at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def twin() -> Iterator[Any]:
    """A running twin over the default scenes (generated once and cached)."""
    from dinamis_widgets import twin as twin_mod

    with twin_mod.start() as t:
        yield t


@pytest.fixture(scope="session")
def twin_items(twin: Any) -> list[dict[str, Any]]:
    """The generated items as served (hrefs point at the running store)."""
    import json

    from dinamis_widgets.twin.scenes import DATA_URL_PLACEHOLDER

    return [json.loads(line.replace(DATA_URL_PLACEHOLDER, twin.data))
            for line in twin.scenes.items_path.read_text().splitlines() if line.strip()]
