"""Fixtures shared by the tests (``tests/``) and the docstring examples (``--doctest-modules`` over
``dinamis_widgets/``): one offline twin for the whole session (127.0.0.1, stopped at the end).

Docstring examples run as a newcomer runs them: without the ``DINAMIS_*``/``TLD_*`` variables that the
session's twin sets in this process, except the examples of :data:`EXAMPLES_ON_THE_TWIN`, which search and
read a catalogue and run against the twin, as a trainee's notebook does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

#: Modules whose docstring examples need a catalogue: they run with the session's twin behind them.
EXAMPLES_ON_THE_TWIN = frozenset({"dinamis_widgets.reading.loading", "dinamis_widgets.reading.planning",
                                  "dinamis_widgets.twin"})
#: Variables of the machine, not of a twin: kept for every example (the examples of the twin start one).
_MACHINE_VARIABLES = frozenset({"DINAMIS_TWIN_CACHE", "DINAMIS_PG_BINDIR"})


@pytest.fixture(scope="session")
def twin() -> Iterator[Any]:
    """A running twin over the default scenes (generated once and cached)."""
    from dinamis_widgets import twin as twin_mod

    with twin_mod.start() as t:
        yield t


@pytest.fixture(scope="session")
def twin_items(twin: Any) -> list[dict[str, Any]]:
    """The generated items as served (hrefs point at the running store)."""
    from dinamis_widgets.twin.scenes import DATA_URL_PLACEHOLDER

    return [json.loads(line.replace(DATA_URL_PLACEHOLDER, twin.data))
            for line in twin.scenes.items_path.read_text().splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _environment_of_doctests(request: pytest.FixtureRequest,
                             monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if isinstance(request.node, pytest.DoctestItem):
        if request.node.dtest.globs["__name__"] in EXAMPLES_ON_THE_TWIN:
            request.getfixturevalue("twin")
        else:
            for name in list(os.environ):
                if name.startswith(("DINAMIS_", "TLD_")) and name not in _MACHINE_VARIABLES:
                    monkeypatch.delenv(name)
    yield
