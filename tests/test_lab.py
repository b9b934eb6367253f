"""`dinamis-widgets lab`: the tutorial environment (JupyterLab + the twin), started and stopped cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

from dinamis_widgets.cli.lab import copy_tutorials, tutorials_folder
from dinamis_widgets.twin.processes import bind_loopback


def test_copy_tutorials_keeps_the_users_notebooks(tmp_path: Path) -> None:
    first = copy_tutorials(tmp_path)
    assert {p.name for p in first} == {p.name for p in tutorials_folder().glob("*.ipynb")}
    mine = first[0]
    mine.write_text("my edits")
    assert copy_tutorials(tmp_path) == []
    assert mine.read_text() == "my edits"


def test_lab_runs_jupyterlab_with_the_twin_and_stops_both(tmp_path: Path) -> None:
    s = bind_loopback(0)
    port = s.getsockname()[1]
    s.close()
    work = tmp_path / "tutorials"
    proc = subprocess.Popen([sys.executable, "-m", "dinamis_widgets", "lab", "--no-browser",
                             "--port", str(port), "--dir", str(work)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.5)
        else:
            raise AssertionError("JupyterLab did not answer")
        assert sorted(p.name for p in work.glob("*.ipynb")) == \
            sorted(p.name for p in tutorials_folder().glob("*.ipynb"))
        kids = [psutil.Process(p.pid) for p in psutil.Process(proc.pid).children(recursive=True)]
        assert len(kids) >= 3, "JupyterLab, the database and the twin's services"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    _gone, alive = psutil.wait_procs(kids, timeout=30)
    assert not alive
