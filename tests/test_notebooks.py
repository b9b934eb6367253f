"""The tutorial notebooks are tests: committed without outputs, and every cell runs against the twin."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.secret_scan import notebook_leaks, twin_secrets

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_tutorials() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["00_", "01_", "02_", "03_", "04_"]


def _code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _without_comments(source: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


#: What touches the twin: its module, its variables, its control routes, its address.
TWIN_WORDS = re.compile(r"\btwin\b|jumeau|_twin|DINAMIS_TWIN|127\.0\.0\.1")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_tutorial_calls_the_twin_outside_its_first_cell(path: Path) -> None:
    first, *others = _code_cells(path)
    # The first cell holds the one setting to change for the real services.
    assert re.search(r'^PROFIL = "twin"', first, re.MULTILINE), "the first code cell sets PROFIL"
    assert "dw.set_settings(profile=PROFIL)" in first
    for source in others:
        code = _without_comments(source)
        assert not TWIN_WORDS.search(code), f"{path.name}: the twin is used outside the first cell:\n{source}"
        assert "PROFIL =" not in code and "profile=" not in code, f"{path.name}: a second profile setting"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_tutorial_follows_the_structure(path: Path) -> None:
    """Pythia's structure (overview, prerequisites, steps, summary), and what differs on the real services."""
    nb = nbformat.read(path, as_version=4)
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("## ")]
    for wanted in ("## Aperçu", "## Prérequis", "## Étapes", "## Sur les vrais services", "## Résumé"):
        assert wanted in headings, f"{path.name} has no '{wanted}'"
    assert headings[-1] == "## Résumé"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"


#: Notebooks that must also run with other parameters (their cell tagged ``parameters`` is replaced): the
#: cube tutorial runs unchanged on the MTD API's shape of the SPOT 6/7 collection.
VARIANTS = {"02_cube_ndvi.ipynb": [{"COLLECTION": "spot-6-7-drs"}]}
RUNS = [(p, {}) for p in NOTEBOOKS] + [(p, v) for p in NOTEBOOKS for v in VARIANTS.get(p.name, [])]


def _set_parameters(nb: nbformat.NotebookNode, values: dict[str, str]) -> None:
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "one cell tagged 'parameters'"
    names = {line.split("=")[0].strip() for line in cells[0].source.splitlines() if "=" in line}
    assert set(values) <= names, (values, names)
    cells[0].source = "\n".join(f"{k} = {v!r}" for k, v in values.items())


@pytest.mark.parametrize(("path", "values"), RUNS,
                         ids=[p.name + "".join(f"[{v}]" for v in values.values()) for p, values in RUNS])
def test_notebook_runs_against_the_twin(path: Path, values: dict[str, str], twin: Any,
                                        tmp_path: Path) -> None:
    from nbclient import NotebookClient

    work = tmp_path / path.name
    shutil.copy(path, work)
    nb = nbformat.read(work, as_version=4)
    if values:
        _set_parameters(nb, values)
    # The kernel inherits this process's environment, which the session twin points at itself.
    client = NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # Saved as a trainee saves it (outputs and widget state): no signature, token or key of the twin.
    nbformat.write(nb, work)
    assert notebook_leaks(work, twin_secrets(twin)) == []
    shown = str([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert all(v in shown for v in values.values()), "the parameters were not used"
