"""The tutorial environment: JupyterLab over the tutorial notebooks, with the offline twin behind it.

``dinamis-widgets lab`` starts the twin, copies the tutorial notebooks into a working folder (never
overwriting a notebook the user already has there, so the repository's notebooks stay clean), and runs
JupyterLab there with every kernel pointed at the twin. Ctrl-C stops JupyterLab, then the twin.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from ..errors import ConfigurationError

__all__ = ["copy_tutorials", "run_lab", "tutorials_folder"]


def tutorials_folder() -> Path:
    """The folder holding the tutorial notebooks (``notebooks/`` of the repository).

    Raises
    ------
    ConfigurationError
        When the package is not run from a checkout of the repository.
    """
    here = Path(__file__).resolve().parents[2] / "notebooks"
    if here.is_dir() and any(here.glob("*.ipynb")):
        return here
    raise ConfigurationError(
        "the tutorial notebooks were not found: they live in the notebooks/ folder of the "
        "dinamis_widgets repository; run `dinamis-widgets lab` from an editable install of a checkout")


def copy_tutorials(dest: Path, source: Path | None = None) -> list[Path]:
    """Copy the tutorial notebooks into ``dest``, keeping any the user already has there.

    Returns
    -------
    list of Path
        The notebooks copied now.
    """
    source = source or tutorials_folder()
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for nb in sorted(source.glob("*.ipynb")):
        target = dest / nb.name
        if not target.exists():
            shutil.copy2(nb, target)
            copied.append(target)
    return copied


def run_lab(dest: Path, *, port: int = 0, open_browser: bool = True, seed: int = 0,
            extra_args: Sequence[str] = ()) -> int:
    """Run JupyterLab in ``dest`` (tutorials copied in) with the twin behind it, until interrupted.

    Parameters
    ----------
    dest
        Working folder for the notebooks.
    port
        JupyterLab's port (default: Jupyter's choice, 8888 or the next free one).
    open_browser
        Open a browser tab (off on servers, Binder does its own).
    seed
        Seed of the twin's scenes.
    extra_args
        More arguments for ``jupyter lab``.

    Returns
    -------
    int
        JupyterLab's exit code.
    """
    from .. import twin as twin_mod

    copied = copy_tutorials(dest)
    t = twin_mod.start(seed=seed)  # points this process's environment (inherited by kernels) at it
    print(f"DINAMIS twin ready: STAC API {t.stac_api}", flush=True)
    if copied:
        print(f"tutorials copied to {dest}: {', '.join(p.name for p in copied)}", flush=True)
    args = [sys.executable, "-m", "jupyter", "lab", "--ip=127.0.0.1", f"--notebook-dir={dest}"]
    if port:
        args.append(f"--port={port}")
    if not open_browser:
        args.append("--no-browser")
    if os.geteuid() == 0:
        args.append("--allow-root")
    args += list(extra_args)
    proc = subprocess.Popen(args, env=os.environ.copy())

    def _forward(signum: int, frame: FrameType | None) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, _forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        t.stop()
