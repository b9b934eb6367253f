"""Start and stop a JupyterLab server for the browser tests: loopback only, isolated, offline.

The server listens on 127.0.0.1 on a free port with a random token (passed through ``JUPYTER_TOKEN``, so it
never shows in ``ps``). Its root, config, data, runtime, settings and workspaces folders all live in one
throwaway folder, so neither the user's ``~/.jupyter`` nor a previous run changes what the test sees.

JupyterLab fetches a few things from the internet on its own; they are switched off at the source:

* the news feed (``https://jupyterlab.github.io/assets/feed.xml``): ``--LabApp.news_url=None``, and the
  front-end ``@jupyterlab/apputils-extension:announcements`` plugin (which asks "get notified about news?"
  and calls ``/lab/api/news`` and ``/lab/api/update``) is disabled in ``labconfig/page_config.json``;
* the update check (``https://pypi.org/pypi/jupyterlab/json``):
  ``--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate``;
* the extension manager's PyPI listing (``https://pypi.org/...``): ``--LabApp.extension_manager=readonly`` and
  the ``@jupyterlab/extensionmanager-extension`` front-end disabled.

The same server also runs Notebook 7 (``/tree``, ``/notebooks/...``; ``window.jupyterapp`` exposed there too
with ``--JupyterNotebookApp.expose_app_in_browser``) and Voilà (``/voila/render/...``), both server extensions
enabled by their packages in the environment's ``etc/jupyter``. Voilà's pages would load three things from
CDNs; they are switched off in the throwaway config (``jupyter_server_config.json``):

* MathJax 3 from cdnjs (``fullMathjaxUrl`` in Voilà's page config): ``mathjax_url`` and ``mathjax_config`` set
  to ``"null"`` in the server's ``tornado_settings``, so Voilà's front-end uses JupyterLab's bundled MathJax
  plugin;
* Font Awesome 5 CSS (all + v4 shims) from jsDelivr, hard-coded in the ``lab`` template: Voilà renders with
  :data:`VOILA_TEMPLATE`, a copy of ``lab`` without those two ``<link>`` tags (the widgets' own Font Awesome,
  bundled by ipywidgets' front-end, is still there). Voilà's ``base/page.html`` (its tree and error pages,
  not ``/voila/render``) still links Font Awesome 4 from jsDelivr.

To prove it, the server and its kernels run under a small launcher that installs a :func:`sys.addaudithook`
recording every non-loopback ``socket.getaddrinfo`` / ``gethostbyname`` / ``connect`` in a log file
(:meth:`JupyterLab.outbound`). The kernels inherit the server's environment, which the fixture extends with
the twin's :meth:`~dinamis_widgets.twin.runner.Twin.env`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

#: Host names and addresses that stay on this machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0", "::", ""})

#: A host name that cannot exist (RFC 6761), looked up on purpose to prove the audit hook records.
PROBE_HOST = "dw-audit-probe.invalid"

#: Front-end plugins that reach out to the internet (or ask the user to let them), disabled in page_config.
DISABLED_LAB_PLUGINS: dict[str, bool] = {
    "@jupyterlab/apputils-extension:announcements": True,
    "@jupyterlab/extensionmanager-extension": True,
}

#: Default settings: never fetch the news nor check for updates, should the plugin be enabled again.
LAB_SETTING_OVERRIDES: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}

#: Voilà's template for the tests: its ``lab`` template minus the Font Awesome CSS links to jsDelivr.
VOILA_TEMPLATE = "dw-offline"

#: Server configuration written to the throwaway config folder (see the module docstring).
SERVER_CONFIG: dict[str, Any] = {
    # The string "null" (not None, which breaks Notebook 7's page handler): what Voilà's front-end takes for
    # "no MathJax URL configured", so it uses JupyterLab's bundled MathJax instead of fetching it from cdnjs.
    "ServerApp": {"tornado_settings": {"mathjax_url": "null", "mathjax_config": "null"}},
    # Notebook 7's lab extension (Lab's "open in Notebook" buttons) cannot load in Voilà's older JupyterLab
    # core ("The getter for the shared module is not a function ... @jupyterlab/docregistry").
    "VoilaConfiguration": {"template": VOILA_TEMPLATE,
                           "extension_denylist": ["@jupyter-notebook/lab-extension"]},
}

_CDN_LINK = re.compile(r"[ \t]*<link\b[^>]*\bhref=\"https?://[^>]*>[ \t]*\n?")

#: Server options that keep JupyterLab quiet and local (the ip, port and root are added by :func:`start_lab`).
OFFLINE_LAB_ARGS: tuple[str, ...] = (
    "--no-browser",
    "--LabApp.expose_app_in_browser=True",
    "--JupyterNotebookApp.expose_app_in_browser=True",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
    "--ServerApp.terminals_enabled=False",
    "--ServerApp.port_retries=0",
    # Safety net if the test process dies without stopping us: kernels idle for 20 min are culled,
    # then the server stops after 20 min without kernels.
    "--MappingKernelManager.cull_idle_timeout=1200",
    "--MappingKernelManager.cull_connected=True",
    "--MappingKernelManager.cull_interval=120",
    "--ServerApp.shutdown_no_activity_timeout=1200",
)

# Runs ``python -c LAUNCHER MODULE ARGS...``: records non-loopback network attempts, then runs MODULE as
# ``python -m MODULE ARGS...`` would. Used for the server (``jupyterlab``) and its kernels
# (``ipykernel_launcher``).
_LAUNCHER = r"""
import os, runpy, sys, time

def _dw_net_audit(log, module):
    loop = ("localhost", "::1", "0.0.0.0", "::", "")

    def hook(event, args):
        if event in ("socket.getaddrinfo", "socket.gethostbyname"):
            host, port = args[0], (args[1] if len(args) > 1 else "")
        elif event == "socket.connect":
            addr = args[1]
            if not isinstance(addr, tuple) or len(addr) < 2:
                return
            host, port = addr[0], addr[1]
        else:
            return
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is None or host in loop or str(host).startswith("127."):
            return
        try:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"{time.time():.3f}\t{module}\t{os.getpid()}\t{event}\t{host}\t{port}\n")
        except OSError:
            pass

    sys.addaudithook(hook)

_dw_module = sys.argv[1]
if os.environ.get("DW_NET_AUDIT_LOG"):
    _dw_net_audit(os.environ["DW_NET_AUDIT_LOG"], _dw_module)
sys.argv = [_dw_module, *sys.argv[2:]]
runpy.run_module(_dw_module, run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class OutboundAttempt:
    """One non-loopback network attempt seen by the audit hook of the server or a kernel."""

    time: float  # seconds since the epoch
    process: str  # "jupyterlab" or "ipykernel_launcher"
    pid: int
    event: str  # socket.getaddrinfo, socket.gethostbyname or socket.connect
    host: str
    port: str

    def __str__(self) -> str:
        return f"{self.process}[{self.pid}] {self.event} {self.host}:{self.port}"


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a name or an address, IPv6 possibly in brackets) is this machine."""
    if host is None:
        return True
    host = host.lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class JupyterLab:
    """A running JupyterLab server (see :func:`start_lab`); :meth:`stop` ends it and its kernels."""

    url: str  # base URL, ending with "/"
    token: str
    root_dir: Path
    home: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    net_log_path: Path
    _stopped: bool = field(default=False, repr=False)

    # -- URLs and REST ----------------------------------------------------------------------------
    def lab_url(self, path: str = "", *, reset: bool = True) -> str:
        """URL opening ``path`` (relative to the root) in JupyterLab, token included."""
        suffix = f"tree/{path}" if path else ""
        query = f"?token={self.token}" + ("&reset" if reset else "")
        return f"{self.url}lab/{suffix}{query}"

    def notebook7_url(self, path: str) -> str:
        """URL opening the notebook ``path`` (relative to the root) in Notebook 7, token included."""
        return f"{self.url}notebooks/{path}?token={self.token}"

    def voila_url(self, path: str) -> str:
        """URL rendering the notebook ``path`` (relative to the root) with Voilà, token included."""
        return f"{self.url}voila/render/{path}?token={self.token}"

    def api(self, method: str, path: str, **kw: Any) -> Any:
        """Call the server's REST API (``path`` like ``api/kernels``); the JSON answer, or None."""
        r = requests.request(method, self.url + path, headers={"Authorization": f"token {self.token}"},
                             timeout=kw.pop("timeout", 10), **kw)
        r.raise_for_status()
        return r.json() if r.content else None

    def kernels(self) -> list[dict[str, Any]]:
        """The running kernels."""
        return list(self.api("GET", "api/kernels"))

    def shutdown_sessions(self) -> None:
        """Shut down every session and kernel (between tests), keeping the server running."""
        for s in self.api("GET", "api/sessions"):
            with contextlib.suppress(requests.RequestException):
                self.api("DELETE", f"api/sessions/{s['id']}", timeout=30)
        for k in self.kernels():
            with contextlib.suppress(requests.RequestException):
                self.api("DELETE", f"api/kernels/{k['id']}", timeout=30)

    def outbound(self, *, include_probe: bool = False) -> list[OutboundAttempt]:
        """Non-loopback network attempts made so far by the server or its kernels.

        Attempts on :data:`PROBE_HOST` (a test proving that the recording works) are left out unless
        ``include_probe``.
        """
        if not self.net_log_path.exists():
            return []
        out = []
        for line in self.net_log_path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 6:
                attempt = OutboundAttempt(float(parts[0]), parts[1], int(parts[2]), parts[3], parts[4],
                                          parts[5])
                if include_probe or attempt.host != PROBE_HOST:
                    out.append(attempt)
        return out

    def log_tail(self, n: int = 60) -> str:
        """The last ``n`` lines of the server's log (for error messages)."""
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    # -- life cycle -------------------------------------------------------------------------------
    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server and every kernel it started; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            tree = [self.process.pid] + [c.pid for c in psutil.Process(self.process.pid).children(True)]
        except psutil.Error:
            tree = [self.process.pid]
        if self.process.poll() is None:
            with contextlib.suppress(requests.RequestException):
                self.api("POST", "api/shutdown", timeout=5)  # shuts down the kernels, then the server
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(5)
        # Kernels live in the server's process group but may outlive it: end the ones we started, by pid.
        leftovers = []
        for pid in tree[1:]:
            with contextlib.suppress(psutil.Error):
                leftovers.append(psutil.Process(pid))
        _, alive = psutil.wait_procs(leftovers, timeout=5)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()

    def __enter__(self) -> JupyterLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _write_isolated_config(home: Path, python: str) -> dict[str, str]:
    """Create the throwaway Jupyter folders under ``home``; the environment variables that select them."""
    dirs = {name: home / name for name in ("config", "data", "path", "runtime", "settings", "workspaces")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    labconfig = dirs["config"] / "labconfig"
    labconfig.mkdir(exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": DISABLED_LAB_PLUGINS}, indent=1), encoding="utf-8")
    # The python3 kernel, through the audit launcher. JUPYTER_PATH comes first in Jupyter's data path, so
    # this spec shadows the environment's own python3 spec (which, in a venv, comes before the user's).
    kdir = dirs["path"] / "kernels" / "python3"
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [python, "-c", _LAUNCHER, "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (kdir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    (labconfig / "default_setting_overrides.json").write_text(json.dumps(LAB_SETTING_OVERRIDES),
                                                              encoding="utf-8")
    (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG, indent=1),
                                                                encoding="utf-8")
    _write_voila_template(dirs["path"] / "voila" / "templates" / VOILA_TEMPLATE)
    return {
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_PATH": str(dirs["path"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def _write_voila_template(folder: Path) -> None:
    """:data:`VOILA_TEMPLATE` in ``folder``: Voilà's ``lab`` template without its links to CDNs."""
    from jupyter_core.paths import jupyter_path

    found = [Path(p) for p in jupyter_path("voila", "templates", "lab", "index.html.j2") if Path(p).is_file()]
    if not found:
        return  # Voilà is not installed: nothing to render with
    text, n = _CDN_LINK.subn("", found[0].read_text(encoding="utf-8"))
    if re.search(r"""(?:href|src)=["']https?://""", text):
        raise RuntimeError(f"{found[0]} links to another host in a way the harness does not strip")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    (folder / "index.html.j2").write_text(
        f"{text}\n{{# Voilà's lab template without its {n} link(s) to CDNs (tests/browser/jupyter.py) #}}\n",
        encoding="utf-8")


def start_lab(home: Path, *, env: Mapping[str, str] | None = None, extra_args: Sequence[str] = (),
              timeout: float = 90.0, python: str = sys.executable) -> JupyterLab:
    """Start JupyterLab with its root at ``home/root``; wait until its REST API answers.

    ``env`` is added to this process's environment for the server and so for its kernels (e.g. the twin's
    :meth:`~dinamis_widgets.twin.runner.Twin.env`). Raises :class:`RuntimeError` with the log's tail if the
    server exits or does not answer within ``timeout`` seconds.
    """
    home.mkdir(parents=True, exist_ok=True)
    root = home / "root"
    root.mkdir(exist_ok=True)
    token = secrets.token_hex(24)
    port = free_port()
    log_path = home / "jupyterlab.log"
    net_log = home / "net-audit.log"
    net_log.unlink(missing_ok=True)
    full_env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_PATH"}
    full_env.update({**(env or {}), **_write_isolated_config(home, python), "JUPYTER_TOKEN": token,
                     "DW_NET_AUDIT_LOG": str(net_log)})
    args = [python, "-c", _LAUNCHER, "jupyterlab", "--ip=127.0.0.1", f"--port={port}",
            f"--ServerApp.root_dir={root}", *OFFLINE_LAB_ARGS, *extra_args]
    if os.geteuid() == 0:
        args.append("--allow-root")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, cwd=root, env=full_env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    lab = JupyterLab(url=f"http://127.0.0.1:{port}/", token=token, root_dir=root, home=home, process=proc,
                     log_path=log_path, net_log_path=net_log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode}:\n{lab.log_tail()}")
        try:
            lab.api("GET", "api/status", timeout=2)
            # The lab page itself (built assets found, page config readable).
            requests.get(lab.lab_url(), timeout=10).raise_for_status()
            return lab
        except requests.RequestException as e:
            if time.monotonic() > deadline:
                lab.stop()
                msg = f"JupyterLab did not answer within {timeout:.0f} s:\n{lab.log_tail()}"
                raise RuntimeError(msg) from e
            time.sleep(0.25)


def write_notebook(path: Path, sources: Sequence[str]) -> Path:
    """Write a notebook (no outputs) with one code cell per source, for the python3 kernel."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
