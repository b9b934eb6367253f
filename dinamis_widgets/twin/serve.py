"""The twin's service process: STAC API, signing service and object store, one event loop.

Started by :mod:`dinamis_widgets.twin.runner` as ``python -m dinamis_widgets.twin.serve CONFIG`` with
three listening sockets inherited from the parent (so ports are chosen without races). It prints
``READY`` on standard output once the three servers accept connections, and exits on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from .config import ServicesConfig

__all__ = ["main"]


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`main` (several servers share a loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _stac_app() -> Any:
    from stac_fastapi.pgstac.app import create_app

    return create_app()


def _server(app: Any, log_level: str) -> _Server:
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="auto",
                            proxy_headers=False, timeout_graceful_shutdown=2,
                            ws="none")
    return _Server(config)


async def _serve(spec: dict[str, Any]) -> None:
    from .signing import create_signing_app
    from .store import create_store_app
    from .store.injection import FaultyService

    cfg = ServicesConfig.from_json(Path(spec["services_config"]).read_text())
    log_level = spec.get("log_level", "warning")
    # The STAC API and the signing service take faults too (``/_twin/faults`` on each), as the store does.
    apps = {
        "stac_api": FaultyService(_stac_app(), cfg, name="STAC API"),
        "signing": FaultyService(create_signing_app(cfg), cfg, name="signing service"),
        "data": create_store_app(cfg),
    }
    servers = {name: _server(app, log_level) for name, app in apps.items()}
    sockets = {name: socket.socket(fileno=int(spec["fds"][name])) for name in apps}

    loop = asyncio.get_running_loop()

    def _exit() -> None:
        for s in servers.values():
            s.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _exit)

    async def _announce() -> None:
        while not all(s.started for s in servers.values()):
            if any(s.should_exit for s in servers.values()):
                return
            await asyncio.sleep(0.02)
        print("READY", flush=True)

    tasks = [asyncio.create_task(servers[n].serve(sockets=[sockets[n]])) for n in apps]
    tasks.append(asyncio.create_task(_announce()))
    done, _ = await asyncio.wait(tasks[:-1], return_when=asyncio.FIRST_COMPLETED)
    # One server stopping (or failing) stops them all.
    _exit()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def _import_services() -> None:
    """Import what the services need (about 4 s, mostly stac-fastapi's models) before they are wanted."""
    import stac_fastapi.pgstac.app  # noqa: F401

    from . import signing, store  # noqa: F401
    from .store import injection  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    """Run the services described by the JSON spec file named in ``argv``.

    With ``"database_env_on_stdin": true`` in the spec, the process imports its modules first, then reads
    one line of JSON from standard input: the database's environment (the parent starts PostgreSQL
    meanwhile, so the two overlap). An empty line or end of input means the parent gave up: exit quietly.
    """
    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    os.environ.update(spec.get("env", {}))
    if spec.get("database_env_on_stdin"):
        _import_services()
        line = sys.stdin.readline().strip()
        if not line:
            return 0
        os.environ.update(json.loads(line))
    asyncio.run(_serve(spec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
