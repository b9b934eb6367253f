"""The code stays ruff- and mypy-clean (configuration in pyproject.toml), and test modules never import each
other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


def test_ruff_is_clean() -> None:
    res = _run("ruff", "check", ".")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_mypy_is_clean() -> None:
    res = _run("mypy")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def _test_module_imports(path: Path) -> list[str]:
    """Test modules that ``path`` imports (``tests.test_x``, ``.test_x``, ``tests.browser.test_x``...)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module or ''}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [n for n in names if any(part.startswith("test_") for part in n.split(".") if part)]
    return found


def test_test_modules_never_import_each_other() -> None:
    """Shared fixtures live in conftest.py, shared helpers in helper modules (tests/helpers.py...)."""
    modules = sorted((ROOT / "tests").rglob("*.py"))
    offenders = {str(p.relative_to(ROOT)): found for p in modules if (found := _test_module_imports(p))}
    assert not offenders


def test_the_import_check_sees_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text("from tests.test_load import x\nfrom .test_explorer_browser import y\n"
                      "from tests import test_auth\nimport tests.browser.test_harness_browser\n"
                      "from tests.helpers import native_window\n")
    assert len({n.split(".test_")[-1].split(".")[0] for n in _test_module_imports(sample)}) == 4
