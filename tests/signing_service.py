"""A twin signing service in a uvicorn thread on 127.0.0.1, and isolation of the process's settings and
sign-ins: shared by the credential and signer tests (``test_auth.py``, ``test_signer.py``).

Test modules take the fixtures by importing them: ``from tests.signing_service import isolated, service``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from dinamis_widgets.settings import ENV_VARS, reload_settings
from dinamis_widgets.signing import credentials, device_flow, prompting, registry
from dinamis_widgets.signing.apikeys import ApiKey
from dinamis_widgets.signing.prompting import DeviceCode

DATA_URL = "https://s3-data.meso.umontpellier.fr"
SIGNABLE = ("meso.umontpellier.fr",)


class Flaky:
    """ASGI wrapper that answers the next ``fail_next`` requests to ``sign_urls`` with an error."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.fail_next = 0
        self.status = 503
        self.retry_after: str | None = None
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/sign_urls"):
            self.calls += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                headers = [(b"content-type", b"application/json")]
                if self.retry_after is not None:
                    headers.append((b"retry-after", self.retry_after.encode()))
                await send({"type": "http.response.start", "status": self.status, "headers": headers})
                await send({"type": "http.response.body", "body": b'{"detail": "busy, try later"}'})
                return
        await self.app(scope, receive, send)


@dataclass
class Service:
    """A twin signing service running on 127.0.0.1."""

    url: str  # ends with "/"
    config: Any
    state: Any
    flaky: Flaky

    def stats(self) -> dict[str, Any]:
        return dict(self.state.stats())

    def sign_requests(self) -> int:
        return int(self.stats()["sign_requests"])

    def admin(self, method: str, route: str, **kw: Any) -> Any:
        r = requests.request(method, self.url + route, headers={"x-twin-admin": self.config.admin_token},
                             timeout=10, **kw)
        r.raise_for_status()
        return r.json()

    def approve(self, user_code: str, username: str = "trainee", deny: bool = False) -> Any:
        return self.admin("POST", "_twin/device/approve",
                          json={"user_code": user_code, "username": username, "deny": deny})

    @property
    def demo_key(self) -> ApiKey:
        from dinamis_widgets.twin.config import DEMO_ACCESS_KEY, DEMO_SECRET_KEY

        return ApiKey(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)


@pytest.fixture(scope="module")
def service_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Service]]:
    """Start twin signing services (in uvicorn threads) with the given ServicesConfig options."""
    import contextlib

    from dinamis_widgets.twin.config import ServicesConfig
    from dinamis_widgets.twin.signing import create_signing_app, signing_state
    from tests.servers import bind_loopback, run_app, socket_url

    stack = contextlib.ExitStack()

    def make(**options: Any) -> Service:
        sock = bind_loopback()
        base = socket_url(sock) + "/"
        data_root = tmp_path_factory.mktemp("data")
        options.setdefault("device_poll_interval", 1)
        cfg = ServicesConfig(data_root=data_root, data_url=DATA_URL, signing_url=base, **options)
        app = create_signing_app(cfg)
        flaky = Flaky(app)
        stack.enter_context(run_app(flaky, sock))
        return Service(base, cfg, signing_state(app), flaky)

    with stack:
        yield make


@pytest.fixture(scope="module")
def service(service_factory: Callable[..., Service]) -> Service:
    """One signing service for a test module."""
    return service_factory()


def reset_process_state() -> None:
    """Forget cached settings, sign-ins, token URLs and signers."""
    reload_settings(keep_overrides=False)
    credentials._device_auths.clear()
    device_flow._token_urls.clear()
    prompting.set_sign_in_handler(None)
    registry._reset_default_signer()
    registry._registry.clear()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No DINAMIS_*/TLD_*/CI variable, a home and TLD_CONFIG_DIR of our own, fresh process state."""
    for name in (*ENV_VARS, "CI", "DINAMIS_TWIN_DATA", "DINAMIS_TWIN_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    config_dir = tmp_path / "tld"
    monkeypatch.setenv("TLD_CONFIG_DIR", str(config_dir))
    reset_process_state()
    yield config_dir
    monkeypatch.undo()
    reset_process_state()


def point_at(service: Service, monkeypatch: pytest.MonkeyPatch, *, api_key: bool = True) -> None:
    """Set the variables a running twin sets (profile twin), with or without its demo API key."""
    monkeypatch.setenv("DINAMIS_PROFILE", "twin")
    monkeypatch.setenv("DINAMIS_STAC_API", "http://127.0.0.1:9/")
    monkeypatch.setenv("DINAMIS_SIGNABLE_HOSTS", ",".join(SIGNABLE))
    monkeypatch.setenv("TLD_SIGNING_ENDPOINT", service.url)
    monkeypatch.setenv("TLD_RETRY_BACKOFF_FACTOR", "0.01")
    if api_key:
        monkeypatch.setenv("TLD_ACCESS_KEY", service.demo_key.access_key)
        monkeypatch.setenv("TLD_SECRET_KEY", service.demo_key.secret_key)


class Approver:
    """A sign-in handler that approves (or denies) each link from another thread, like a person would."""

    def __init__(self, service: Service, username: str = "trainee", deny: bool = False) -> None:
        self.service = service
        self.username = username
        self.deny = deny
        self.codes: list[DeviceCode] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, code: DeviceCode) -> None:
        self.codes.append(code)
        t = threading.Thread(target=self._approve, args=(code.user_code,), daemon=True)
        t.start()
        self.threads.append(t)

    def _approve(self, user_code: str) -> None:
        time.sleep(0.2)
        self.service.approve(user_code, self.username, deny=self.deny)
