"""Fixtures of the browser tests: one JupyterLab and one Chromium for the package, one fresh tab per test.

JupyterLab and Chromium are package-scoped: started for the first browser test, stopped (with every kernel)
after the last one, so they do not idle through the rest of the suite. The twin is the session's.

The tests need Debian's Chromium (``/usr/bin/chromium``, installed by ``scripts/setup.sh`` when run as root).
Without it they are skipped, with the reason, only when we are not root; as root (CI) they fail instead,
because setup should have installed it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import CHROMIUM, LabPage, NetworkGuard, launch_chromium
from .jupyter import JupyterLab, start_lab

#: Where the screenshots go (ignored by git), one folder per test.
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def _check_chromium() -> None:
    """Skip (not root) or fail (root) when the browser is missing."""
    if Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK):
        return
    how = "run `bash scripts/setup.sh` as root, or `sudo apt-get install chromium`"
    if os.geteuid() != 0:
        pytest.skip(f"Chromium not found at {CHROMIUM} and not root to install it ({how}); "
                    "DW_CHROMIUM may point at another Chromium")
    pytest.fail(f"Chromium not found at {CHROMIUM} although we are root: {how}")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium executable (skips or fails when missing, see the module docstring)."""
    _check_chromium()
    return CHROMIUM


@pytest.fixture(scope="package")
def lab(chromium: str, twin: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """JupyterLab on 127.0.0.1 whose kernels point at the session's twin; stopped with its kernels."""
    server = start_lab(tmp_path_factory.mktemp("jupyterlab"), env=twin.env())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def guard() -> NetworkGuard:
    """The record of requests the browser tried to send off the machine (all aborted)."""
    return NetworkGuard()


@pytest.fixture(scope="package")
def browser_context(chromium: str, guard: NetworkGuard,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile and the network guard installed, for the whole session."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = launch_chromium(pw, profile, executable=chromium)
        guard.install(context)
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def lab_page(request: pytest.FixtureRequest, lab: JupyterLab, browser_context: Any) -> Iterator[LabPage]:
    """A new tab on the session's JupyterLab; closed, and its kernels shut down, after the test."""
    page = browser_context.new_page()
    lp = LabPage(page, lab, SCREENSHOTS / request.node.name)
    try:
        yield lp
    finally:
        log = lp.shots_dir / "console-errors.txt"
        if lp.console_errors:
            log.write_text("\n".join(lp.console_errors) + "\n", encoding="utf-8")
        else:
            log.unlink(missing_ok=True)
        page.close()
        lab.shutdown_sessions()
