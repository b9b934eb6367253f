"""Life cycle of the twin: start, what it prints, clean-up of processes and files, start-up time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from dinamis_widgets import twin as twin_mod


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_start_serves_three_services_and_cleans_up() -> None:
    before_kids = _children()
    saved = os.environ.get("TLD_SIGNING_ENDPOINT")
    t0 = time.monotonic()
    with twin_mod.start() as t:
        elapsed = time.monotonic() - t0
        print(f"twin ready in {elapsed:.1f} s")
        assert t.stac_api.startswith("http://127.0.0.1:") and t.stac_api.endswith("/")
        assert t.signing.startswith("http://127.0.0.1:") and t.signing.endswith("/")
        assert t.data.startswith("http://127.0.0.1:") and not t.data.endswith("/")
        assert requests.get(t.stac_api, timeout=5).json()["type"] == "Catalog"
        assert requests.get(t.signing + "openapi.json", timeout=5).ok
        assert requests.get(t.data + "/_twin/health", timeout=5).ok
        # this process now points at the twin
        assert os.environ["TLD_SIGNING_ENDPOINT"] == t.signing
        assert os.environ["DINAMIS_STAC_API"] == t.stac_api
        kids = _children() - before_kids
        assert len(kids) >= 2, "a database and a service process"
        workdir = t.workdir
        assert workdir.exists()
        # a service that dies is noticed
        assert t.exited() is None
        _services_process(kids).kill()
        deadline = time.monotonic() + 10
        while t.exited() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert t.exited() == "services"
    assert t.exited() is None, "stopped on purpose"
    assert os.environ.get("TLD_SIGNING_ENDPOINT") == saved
    assert not workdir.exists()
    time.sleep(0.2)
    assert not any(psutil.pid_exists(k) and psutil.Process(k).status() != psutil.STATUS_ZOMBIE
                   for k in kids)


def _services_process(pids: set[int]) -> psutil.Process:
    """The process serving the STAC API, the signing service and the object store."""
    return next(p for p in map(psutil.Process, pids) if "dinamis_widgets.twin.serve" in p.cmdline())


def _read_json_line(proc: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip().startswith("{"):
            return dict(json.loads(line))
        if proc.poll() is not None:
            break
    raise AssertionError(f"no JSON line; stderr: {proc.stderr.read() if proc.stderr else ''}")


def test_cli_prints_json_serves_and_cleans_up_on_sigint() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "dinamis_widgets", "twin", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = _read_json_line(proc)
        assert {"stac_api", "signing", "data", "access_key", "secret_key"} <= set(info)
        workdir = Path(info["workdir"])
        assert workdir.exists()
        r = requests.post(info["signing"] + "sign_urls", timeout=10,
                          headers={"access-key": info["access_key"],
                                   "secret-key": info["secret_key"]},
                          json={"urls": [info["data"] + "/x/y.tif"]})
        assert r.ok, r.text
        assert requests.get(info["stac_api"] + "collections", timeout=10).ok
        kids = {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
        assert kids
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.3)
    assert not any(psutil.pid_exists(k) and psutil.Process(k).status() != psutil.STATUS_ZOMBIE
                   for k in kids)
    assert not workdir.exists()


def test_cli_stops_the_twin_when_a_service_dies() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "dinamis_widgets", "twin", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = _read_json_line(proc)
        kids = [psutil.Process(p.pid) for p in psutil.Process(proc.pid).children(recursive=True)]
        _services_process({k.pid for k in kids}).kill()
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1
        assert "a service of the twin exited (services); stopping" in err
    finally:
        if proc.poll() is None:
            proc.kill()
    _gone, alive = psutil.wait_procs(kids, timeout=30)
    assert not alive, f"left running: {[p.info for p in alive]}"
    assert not Path(info["workdir"]).exists()


def test_children_die_with_a_killed_parent_and_leftovers_are_swept() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "dinamis_widgets", "twin", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    info = _read_json_line(proc)
    kids = [psutil.Process(p.pid) for p in psutil.Process(proc.pid).children(recursive=True)]
    proc.kill()  # SIGKILL: no clean-up code runs in the parent
    proc.wait()
    _gone, alive = psutil.wait_procs(kids, timeout=30)
    assert not alive, f"left running: {[p.info for p in alive]}"
    with pytest.raises(requests.ConnectionError):
        requests.get(info["stac_api"], timeout=2)
    leftover = Path(info["workdir"])
    assert leftover.exists()
    # the next twin removes the folder the killed one could not
    with twin_mod.start(configure_environment=False):
        pass
    assert not leftover.exists()


def test_clusters_after_the_first_start_from_a_template_with_their_own_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    from dinamis_widgets.twin.postgres import _TEMPLATE_PASSWORD, PgstacCluster

    monkeypatch.setenv("DINAMIS_TWIN_CACHE", str(tmp_path / "cache"))
    clusters = []
    workdirs = [tempfile.TemporaryDirectory(prefix="dinamis-test-") for _ in range(2)]  # as the twin's
    try:
        for workdir in workdirs:
            cluster = PgstacCluster(Path(workdir.name))
            clusters.append(cluster)
            cluster.start()
            (template,) = (tmp_path / "cache" / "pg-templates").iterdir()
            assert (template / "ready").exists() and not (template / "data" / "postmaster.pid").exists()
        first, second = clusters
        assert first.password != second.password
        for cluster in clusters:  # each has pgstac, answers to its own password only
            with psycopg.connect(cluster.dsn) as conn:
                assert conn.execute("SELECT pgstac.get_version()").fetchone()[0]
            with pytest.raises(psycopg.OperationalError):
                psycopg.connect(cluster.dsn.replace(cluster.password, _TEMPLATE_PASSWORD), connect_timeout=3)
        second.load([{"type": "Collection", "stac_version": "1.0.0", "id": "c", "description": "",
                      "license": "proprietary", "links": [],
                      "extent": {"spatial": {"bbox": [[0, 0, 1, 1]]},
                                 "temporal": {"interval": [[None, None]]}}}],
                    [])
        with psycopg.connect(first.dsn) as conn:  # the template, and the first cluster, are untouched
            assert conn.execute("SELECT count(*) FROM pgstac.collections").fetchone()[0] == 0
    finally:
        for cluster in clusters:
            cluster.stop()
        for workdir in workdirs:
            workdir.cleanup()
