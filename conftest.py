"""Docstring examples (``--doctest-modules`` over ``dinamis_widgets/``) run as a newcomer runs them.

The test suite starts a twin that points this process's ``DINAMIS_*`` and ``TLD_*`` variables at itself;
the examples of the docstrings must not see them (their outputs are those of a fresh session).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_environment_for_doctests(request: pytest.FixtureRequest,
                                    monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if isinstance(request.node, pytest.DoctestItem):
        for name in list(os.environ):
            if name.startswith(("DINAMIS_", "TLD_")):
                monkeypatch.delenv(name)
    yield
