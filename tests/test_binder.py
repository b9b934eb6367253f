"""Binder: its files name the same dependencies as environment.yml and pyproject.toml, and binder/postBuild
then binder/start give kernels that see the twin and run tutorial 1.

What is tested here and what is not (docs/decisions/0006-binder-conda-postgis-and-pip.md): repo2docker's
conda step (binder/environment.yml) is not run, there is no conda on this machine; postBuild runs in a
throwaway virtual environment whose dependencies are those already installed for the tests,
with a throwaway HOME (pip fetches only its build backend); start runs as Binder runs it, around
``jupyter execute``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
PIP_STEP = 'pip install --no-cache-dir -e ".[all]"'
JUPYTER_EXECUTE = "import sys; from nbclient.cli import main; sys.exit(main())"


def _conda_packages(path: Path) -> tuple[list[str], list[Any]]:
    deps = yaml.safe_load(path.read_text())["dependencies"]
    return [d for d in deps if isinstance(d, str)], [d["pip"] for d in deps if isinstance(d, dict)]


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_binder_and_environment_yml_name_the_same_conda_packages() -> None:
    binder, binder_pip = _conda_packages(BINDER / "environment.yml")
    root, root_pip = _conda_packages(ROOT / "environment.yml")
    assert sorted(binder) == sorted(root)
    # The Python packages come from pyproject.toml only: pip installs the package with all its extras.
    assert root_pip == [['-e ".[all]"']]
    assert binder_pip == []
    assert PIP_STEP in (BINDER / "postBuild").read_text()
    assert 'pip install -q -e ".[all]"' in (ROOT / "scripts" / "setup.sh").read_text()


def test_the_conda_python_satisfies_pyproject() -> None:
    conda, _ = _conda_packages(ROOT / "environment.yml")
    python = next(p.split("=", 1)[1] for p in conda if p.startswith("python="))
    assert python + ".0" in SpecifierSet(_pyproject()["requires-python"])


def test_all_extra_holds_every_extra() -> None:
    extras = _pyproject()["optional-dependencies"]
    (all_,) = extras["all"]
    named = set(re.fullmatch(r"dinamis_widgets\[(.*)\]", all_)[1].split(","))  # type: ignore[index]
    # `bench` (the benchmark's peers) stays out: stackstac pins pandas < 3, which `all` must not inherit
    assert named == set(extras) - {"all", "bench"}


def _distribution_names() -> set[str]:
    project = _pyproject()
    reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}


def test_tutorials_import_only_declared_packages() -> None:
    """Every module a tutorial imports comes with Python or with a dependency pyproject.toml names."""
    from importlib.metadata import packages_distributions

    declared = _distribution_names() | {"dinamis-widgets"}
    providers = packages_distributions()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        for module in set(re.findall(r"^\s*(?:from|import) (\w+)", code, re.MULTILINE)):
            if module in sys.stdlib_module_names or module == "dinamis_widgets":
                continue
            dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
            assert dists & declared, f"{path.name} imports {module} ({dists}), not declared in pyproject.toml"
    assert {"jupyter-server-proxy", "distributed", "bokeh"} <= declared


@pytest.mark.slow
def test_postbuild_then_start_give_kernels_that_see_the_twin(tmp_path: Path) -> None:
    import venv

    # A throwaway environment: its own interpreter and editable install of this checkout, the dependencies
    # of the test environment through a .pth file, a HOME of its own.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / "bin"
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    home = tmp_path / "home"
    home.mkdir()
    # TMPDIR holds the twin's database, run by a service user when we are root: not under pytest's 0700 folder
    tmp = Path(tempfile.mkdtemp(prefix="dw-binder-test-"))
    tmp.chmod(0o755)
    try:
        _postbuild_then_start(tmp_path, home, tmp, bin_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _postbuild_then_start(tmp_path: Path, home: Path, tmp: Path, bin_dir: Path) -> None:
    from dinamis_widgets.twin.scenes import default_cache_dir

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DINAMIS_", "TLD_", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", HOME=str(home), TMPDIR=str(tmp),
               PIP_DISABLE_PIP_VERSION_CHECK="1",
               # the scenes generated for this test session (generating them again is test_scenes' job)
               DINAMIS_TWIN_CACHE=str(default_cache_dir()))
    # pip finds every dependency installed (only the build backend, setuptools, is fetched, from the index)
    build = subprocess.run(["bash", str(BINDER / "postBuild")], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert (bin_dir / "dinamis-widgets").exists()

    out = tmp_path / "executed.ipynb"
    # a copy: the kernel runs in the notebook's folder, where tutorial 1 writes url_signee.txt
    notebook = tmp_path / "01_rechercher_et_signer.ipynb"
    shutil.copy(ROOT / "notebooks" / notebook.name, notebook)
    run = subprocess.Popen(
        # `jupyter execute`, whose script the throwaway environment lacks (its dependencies are borrowed)
        ["bash", str(BINDER / "start"), "python", "-c", JUPYTER_EXECUTE, "--kernel_name=python3",
         f"--output={out}", str(notebook)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        output, _ = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGTERM)
            run.wait(timeout=30)
    assert run.returncode == 0, output[-5000:]

    twin = json.loads((tmp / "dinamis-twin.json").read_text())
    nb = nbformat.read(out, as_version=4)
    first = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    # The kernel found the twin that start ran (it did not start one of its own).
    assert "Profil actif : twin" in first and twin["stac_api"] in first, first
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    print((tmp / "dinamis-twin.log").read_text().splitlines()[-1])   # "dinamis twin ready in N s"


def test_readme_badge_opens_tutorial_0_in_jupyterlab() -> None:
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\?urlpath=lab/tree/([^)]+)\)",
                      (ROOT / "README.md").read_text())
    assert badge, "no Binder badge opening JupyterLab"
    assert badge[1] == "notebooks/00_notions.ipynb" and (ROOT / badge[1]).exists()
