"""Start and stop the offline twin of the DINAMIS services.

The twin is a PostgreSQL + pgstac cluster and one service process (STAC API via stac-fastapi-pgstac,
signing service, object store), all on 127.0.0.1, over scenes generated once and cached.
Everything it starts dies with it, and its temporary folder is removed.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from ..errors import TwinError
from .config import ADMIN_HEADER, DEMO_ACCESS_KEY, DEMO_SECRET_KEY, ServicesConfig
from .processes import STORE_SEND_BUFFER, bind_loopback, die_with_parent, log_tail, stop_process
from .queryables import queryables_for

__all__ = ["Twin", "start"]

_WORKDIR_PREFIX = "dinamis-twin-"


@dataclass
class Twin:
    """A running twin. Use it as a context manager, or call :meth:`stop`.

    Attributes
    ----------
    stac_api
        URL of the STAC API landing page (ends with ``/``).
    signing
        URL of the signing service (ends with ``/``), what ``TLD_SIGNING_ENDPOINT`` takes.
    data
        URL of the object store (no trailing ``/``); its host is the only signable one.
    access_key, secret_key
        The twin's documented demo API key.
    admin_token
        Secret for the ``/_twin/*`` control routes (statistics, faults, device approval).
    scenes
        The generated scene set served (:class:`dinamis_widgets.twin.scenes.SceneSet`).
    """

    stac_api: str
    signing: str
    data: str
    access_key: str
    secret_key: str
    admin_token: str
    scenes: Any
    workdir: Path
    _procs: list[Any] = field(default_factory=list, repr=False)
    _cluster: Any = field(default=None, repr=False)
    _saved_env: dict[str, str | None] | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    # -- what other processes need ---------------------------------------------------------------
    @property
    def data_host(self) -> str:
        """``host:port`` of the object store, the only host the signing service signs."""
        return self.data.split("://", 1)[1]

    def env(self) -> dict[str, str]:
        """Environment variables that point the toolkit (and the official SDK) at this twin."""
        return {
            "DINAMIS_PROFILE": "twin",
            "DINAMIS_STAC_API": self.stac_api,
            "DINAMIS_SIGNABLE_HOSTS": self.data_host,
            "DINAMIS_TWIN_DATA": self.data,
            "DINAMIS_TWIN_ADMIN_TOKEN": self.admin_token,
            "TLD_SIGNING_ENDPOINT": self.signing,
            "TLD_ACCESS_KEY": self.access_key,
            "TLD_SECRET_KEY": self.secret_key,
        }

    def info(self) -> dict[str, Any]:
        """What ``dinamis-widgets twin --json`` prints."""
        return {
            "stac_api": self.stac_api, "signing": self.signing, "data": self.data,
            "access_key": self.access_key, "secret_key": self.secret_key,
            "admin_token": self.admin_token, "scenes": str(self.scenes.root),
            "workdir": str(self.workdir), "env": self.env(),
        }

    # -- control routes --------------------------------------------------------------------------
    def _admin(self, method: str, url: str, **kw: Any) -> Any:
        r = requests.request(method, url, headers={ADMIN_HEADER: self.admin_token},
                             timeout=10, **kw)
        r.raise_for_status()
        return r.json() if r.content else None

    def store_stats(self) -> dict[str, Any]:
        """Requests and bytes the object store served since the last reset."""
        return dict(self._admin("GET", f"{self.data}/_twin/stats"))

    def reset_store_stats(self) -> None:
        """Set the object store's counters to zero."""
        self._admin("POST", f"{self.data}/_twin/stats/reset")

    def _service_url(self, service: str) -> str:
        urls = {"store": self.data, "signing": self.signing.rstrip("/"),
                "stac_api": self.stac_api.rstrip("/")}
        if service not in urls:
            raise ValueError(f"unknown service {service!r}; the twin's services are {sorted(urls)}")
        return urls[service]

    def set_faults(self, service: str = "store", **faults: Any) -> Any:
        """Inject faults in a service: ``"store"`` (default), ``"signing"`` or ``"stac_api"``.

        ``faults`` is one fault (``kind="error", status=503, probability=0.1, seed=1``...) or
        ``faults=[...], replace=True``; see :class:`dinamis_widgets.twin.store.Fault`.
        """
        return self._admin("POST", f"{self._service_url(service)}/_twin/faults", json=faults)

    def clear_faults(self, service: str | None = None) -> None:
        """Remove every injected fault (of one service, or of all three)."""
        for name in [service] if service else ["store", "signing", "stac_api"]:
            self._admin("DELETE", f"{self._service_url(name)}/_twin/faults")

    def fault_stats(self, service: str) -> dict[str, Any]:
        """Requests and answers (``by_status``, 0 for a reset) of the signing service or the STAC API since
        the last :meth:`reset_fault_stats`; for the store, :meth:`store_stats`."""
        if service == "store":
            return self.store_stats()
        return dict(self._admin("GET", f"{self._service_url(service)}/_twin/faults/stats"))

    def reset_fault_stats(self, service: str) -> None:
        """Set the counters of :meth:`fault_stats` (and the draws of faults with a probability) to zero."""
        if service == "store":
            self.reset_store_stats()
        else:
            self._admin("POST", f"{self._service_url(service)}/_twin/faults/stats/reset")

    def add_items(self, items: list[dict[str, Any]], collections: list[dict[str, Any]] | None = None) -> None:
        """Add (or replace) collections and items in the catalogue while the twin runs (benchmarks
        of large searches); their hrefs are used as given."""
        if self._cluster is None:
            raise TwinError("the twin's catalogue is not running")
        self._cluster.load(list(collections or []), list(items))

    def approve_device(self, user_code: str, username: str = "trainee", deny: bool = False) -> Any:
        """Approve (or deny) a pending OAuth2 device-flow sign-in, as the user would in a browser."""
        return self._admin("POST", f"{self.signing}_twin/device/approve",
                           json={"user_code": user_code, "username": username, "deny": deny})

    # -- life cycle ------------------------------------------------------------------------------
    def exited(self) -> str | None:
        """Which process of the twin has exited on its own, if any.

        Returns
        -------
        str or None
            ``"services"`` (the process serving the STAC API, the signing service and the object
            store) or ``"postgresql"`` (the catalogue's database) when it is no longer running; None
            while both run, and after :meth:`stop`, which ends them on purpose.
        """
        if self._stopped:
            return None
        if any(proc.poll() is not None for proc in self._procs):
            return "services"
        database = getattr(self._cluster, "proc", None)
        if database is not None and database.poll() is not None:
            return "postgresql"
        return None

    def stop(self) -> None:
        """Stop every process of the twin and remove its temporary files. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        for proc in self._procs:
            stop_process(proc, signal.SIGTERM, timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._cluster is not None:
            self._cluster.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self._saved_env is not None:
            _restore_env(self._saved_env)
        with contextlib.suppress(ValueError):
            atexit.unregister(self.stop)

    def __enter__(self) -> Twin:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _apply_env(env: dict[str, str]) -> dict[str, str | None]:
    """Set ``env`` in this process; return the previous values, for :func:`_restore_env`."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    return saved


def _restore_env(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _sweep_stale_workdirs() -> None:
    """Remove folders of twins whose process died without cleaning up (killed with SIGKILL)."""
    for d in Path(tempfile.gettempdir()).glob(f"{_WORKDIR_PREFIX}*"):
        try:
            pid = int((d / "owner.pid").read_text())
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (OSError, ValueError):
            continue


def _read_ready(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the service process to print READY."""
    result: list[bool] = []

    def _reader() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            if raw.strip() == b"READY":
                result.append(True)
                return
        result.append(False)

    t = threading.Thread(target=_reader, daemon=True)
    t.start()
    t.join(timeout)
    return bool(result and result[0])


def start(*, seed: int = 0, scene_set: str = "default", ports: tuple[int, int, int] | None = None,
          configure_environment: bool = True, log_level: str = "warning",
          timeout: float = 90.0) -> Twin:
    """Start the twin and return when its three services answer.

    Parameters
    ----------
    seed, scene_set
        Which generated scenes to serve (``"default"``, or ``"bench"`` with a 10000 x 10000 scene).
        Scenes are generated on first use and cached (see
        :func:`dinamis_widgets.twin.scenes.default_cache_dir`).
    ports
        Ports for the STAC API, the signing service and the object store; free ones by default.
    configure_environment
        Point this process's settings at the twin (``DINAMIS_*`` and ``TLD_*`` variables) until it
        stops.
    log_level
        Log level of the services (their log is kept in the twin's folder while it runs).
    timeout
        Seconds to wait for the services.

    Returns
    -------
    Twin
        The running twin; ``with start() as t:`` stops it at the end of the block.

    Raises
    ------
    TwinError
        If PostgreSQL/PostGIS is missing or a service fails to start (with its log).

    Examples
    --------
    >>> import os
    >>> from dinamis_widgets import twin
    >>> with twin.start() as t:                  # PostgreSQL, pgstac, the services: a few seconds
    ...     print(t.stac_api.startswith("http://127.0.0.1:"), os.environ["DINAMIS_STAC_API"] == t.stac_api)
    ...     print(t.exited(), t.store_stats()["requests"])
    True True
    None 0
    >>> t.workdir.exists()                       # stopped: processes and files gone
    False
    """
    from .postgres import PgstacCluster
    from .scenes import DATA_URL_PLACEHOLDER, generate

    scenes = generate(seed=seed, scene_set=scene_set)
    _sweep_stale_workdirs()
    workdir = Path(tempfile.mkdtemp(prefix=_WORKDIR_PREFIX))
    (workdir / "owner.pid").write_text(str(os.getpid()))
    socks = {name: bind_loopback(p, send_buffer=STORE_SEND_BUFFER if name == "data" else None)
             for name, p in zip(("stac_api", "signing", "data"), ports or (0, 0, 0), strict=True)}
    urls = {name: f"http://127.0.0.1:{s.getsockname()[1]}" for name, s in socks.items()}
    cfg = ServicesConfig(data_root=scenes.data_root, data_url=urls["data"],
                         signing_url=urls["signing"] + "/")
    twin = Twin(stac_api=urls["stac_api"] + "/", signing=cfg.signing_url, data=cfg.data_url,
                access_key=DEMO_ACCESS_KEY, secret_key=DEMO_SECRET_KEY,
                admin_token=cfg.admin_token, scenes=scenes, workdir=workdir)
    atexit.register(twin.stop)
    try:
        # The services' process starts first: its imports (seconds) overlap PostgreSQL's start and the
        # load; it gets the database's address on its standard input once the catalogue is in.
        proc = _spawn_services(twin, cfg, socks, log_level)
        cluster = PgstacCluster(workdir)
        twin._cluster = cluster
        cluster.start()
        items = [json.loads(line.replace(DATA_URL_PLACEHOLDER, cfg.data_url))
                 for line in scenes.items_path.read_text().splitlines() if line.strip()]
        collections = [json.loads(json.dumps(c).replace(DATA_URL_PLACEHOLDER, cfg.data_url))
                       for c in scenes.collections()]
        cluster.load(collections, items, queryables_for(items))
        _await_services(twin, proc, cluster.env(), timeout)
    except BaseException:
        twin.stop()
        raise
    finally:
        for s in socks.values():
            s.close()
    if configure_environment:
        twin._saved_env = _apply_env(twin.env())
    return twin


def _spawn_services(twin: Twin, cfg: ServicesConfig, socks: dict[str, Any],
                   log_level: str) -> subprocess.Popen[bytes]:
    """Start the services' process; it imports its modules, then waits for the database's address."""
    workdir = twin.workdir
    cfg_path = workdir / "services.json"
    spec_path = workdir / "spec.json"
    for p, text in ((cfg_path, cfg.to_json()), (spec_path, json.dumps({
        "services_config": str(cfg_path),
        "fds": {name: s.fileno() for name, s in socks.items()},
        "log_level": log_level,
        "database_env_on_stdin": True,
        "env": {"STAC_FASTAPI_TITLE": "DINAMIS twin STAC API",
                "STAC_FASTAPI_DESCRIPTION": "Offline twin of the DINAMIS catalogue "
                                            "(dinamis_widgets); generated scenes.",
                "STAC_FASTAPI_LANDING_ID": "dinamis-twin",
                "DB_MIN_CONN_SIZE": "1", "DB_MAX_CONN_SIZE": "8"},
    }))):
        p.touch(mode=0o600)
        p.write_text(text)
    log = open(workdir / "services.log", "wb")  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dinamis_widgets.twin.serve", str(spec_path)],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.PIPE,
            pass_fds=[s.fileno() for s in socks.values()],
            preexec_fn=die_with_parent(signal.SIGTERM),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    finally:
        log.close()
    twin._procs.append(proc)
    return proc


def _await_services(twin: Twin, proc: subprocess.Popen[bytes], pg_env: dict[str, str],
                    timeout: float) -> None:
    """Hand the database's address to the services' process and wait until the STAC API answers."""
    workdir = twin.workdir
    assert proc.stdin is not None
    try:  # the password travels through the pipe, not through a file or the command line
        proc.stdin.write((json.dumps(pg_env) + "\n").encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass  # the process died: said below with its log
    if not _read_ready(proc, timeout):
        raise TwinError("the twin's services did not start:\n" + log_tail(workdir / "services.log"))
    # The STAC API is ready when it answers a search (its database pool is up).
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(twin.stac_api + "collections", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise TwinError("the twin's STAC API does not answer:\n"
                            + log_tail(workdir / "services.log"))
        time.sleep(0.05)
