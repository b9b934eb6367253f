"""The package: a fast import that needs no display, lazy exports, no ipywidgets in the core."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import time

import pytest

import dinamis_widgets as dw

#: Modules the core is made of (the twin and the UI are separate layers).
CORE = sorted(m.name.removeprefix("dinamis_widgets.")
              for m in pkgutil.walk_packages(dw.__path__, "dinamis_widgets.")
              if not m.name.startswith(("dinamis_widgets.ui", "dinamis_widgets.twin"))
              and not m.name.endswith("__main__"))
#: What ``import dinamis_widgets`` must not load.
HEAVY = ["pystac", "pystac_client", "requests", "numpy", "shapely", "pandas", "xarray", "dask", "odc",
         "rasterio", "pyproj", "ipywidgets", "ipyleaflet", "IPython", "matplotlib", "anywidget"]


def python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    return subprocess.run([sys.executable, "-c", code], env=env, text=True, capture_output=True, timeout=120)


def test_import_is_light_and_needs_no_display() -> None:
    done = python(
        "import json, sys, time\n"
        "t = time.perf_counter()\n"
        "import dinamis_widgets\n"
        "elapsed = time.perf_counter() - t\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print(json.dumps({'elapsed': elapsed, 'heavy': heavy, 'version': dinamis_widgets.__version__}))\n")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["heavy"] == []
    assert report["elapsed"] < 0.25, f"import dinamis_widgets took {report['elapsed']:.3f} s"
    assert report["version"] == dw.__version__


@pytest.mark.parametrize("name", sorted(dw._LAZY))
def test_lazy_exports_resolve(name: str) -> None:
    value = getattr(dw, name)
    assert callable(value)
    assert value is getattr(dw, name)
    assert name in dir(dw) and name in dw.__all__


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        dw.nope  # noqa: B018


def test_no_module_shadows_a_public_name() -> None:
    """No module or folder of the package has the name of a public function (``dw.search``, ``dw.load``...),
    so importing a submodule never replaces a function on the package, without any trick in ``__init__``."""
    import pkgutil

    names = {m.name.rsplit(".", 1)[-1] for m in pkgutil.walk_packages(dw.__path__, "dinamis_widgets.")}
    assert not names & set(dw._LAZY), names & set(dw._LAZY)
    done = python(
        "import dinamis_widgets as dw, pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(dw.__path__, 'dinamis_widgets.'):\n"
        "    if not any(p in m.name for p in ('.twin', '.ui', '__main__')): importlib.import_module(m.name)\n"
        "assert dw.search.__module__ == 'dinamis_widgets.catalog.searching', dw.search\n"
        "assert callable(dw.load) and callable(dw.plan) and callable(dw.pansharpen) and callable(dw.sign)\n"
        "print('ok')\n")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_core_never_imports_widgets() -> None:
    assert {"settings", "signing.client", "catalog.searching", "reading.loading"} <= set(CORE)
    imports = "\n".join(f"import dinamis_widgets.{m}" for m in CORE)
    done = python(f"import sys\n{imports}\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
                  "('ipywidgets', 'ipyleaflet', 'anywidget', 'IPython', 'traitlets', 'matplotlib')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_command_line_help() -> None:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dinamis_widgets", "sign", "--help"], text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and "--vsicurl" in done.stdout and "--validity" in done.stdout
    assert time.perf_counter() - start < 10


def test_modules_stay_small() -> None:
    """One concern per module: none over 500 lines (docs/decisions/0003-one-room-per-stage.md)."""
    from pathlib import Path

    root = Path(dw.__file__).parent
    sizes = {str(p.relative_to(root)): len(p.read_text().splitlines()) for p in root.rglob("*.py")}
    assert len(sizes) > 50
    assert {name: n for name, n in sizes.items() if n > 500} == {}
