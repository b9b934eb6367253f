"""Credentials against the twin's real signing service: API keys, the OAuth2 device flow, refreshing,
refusing to prompt where no one can answer, and files shared with the official ``teledetection`` SDK.

The signing service and the isolation of settings come from ``tests/signing_service.py``.
"""

from __future__ import annotations

import json
import os
import pickle
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dinamis_widgets import http as service_io
from dinamis_widgets.errors import AuthenticationError, SigningError
from dinamis_widgets.http import RetryPolicy
from dinamis_widgets.settings import Settings, get_settings, set_settings
from dinamis_widgets.signing import account, credentials, device_flow, prompting, registry
from dinamis_widgets.signing.apikeys import ApiKey, load_api_key, save_api_key
from dinamis_widgets.signing.credentials import ApiKeyAuth, NoAuth, get_credentials
from dinamis_widgets.signing.device_flow import DeviceFlowAuth
from dinamis_widgets.signing.prompting import DeviceCode, can_prompt
from dinamis_widgets.signing.tokens import Token, load_token, save_token
from tests import signing_service
from tests.signing_service import DATA_URL, Approver, Service, point_at

# Fixtures of the helpers module: a twin signing service in a uvicorn thread, and isolation of each test.
isolated = signing_service.isolated
service = signing_service.service
service_factory = signing_service.service_factory


# --------------------------------------------------------------------------------------------------
# API keys
# --------------------------------------------------------------------------------------------------


def test_api_key_from_env_before_file(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_api_key() is None
    path = save_api_key("file-ak", "file-sk")
    assert path == isolated / ".apikey"
    found = load_api_key()
    assert found is not None and found[0] == ApiKey("file-ak", "file-sk") and found[1] == str(path)
    monkeypatch.setenv("TLD_ACCESS_KEY", "env-ak")
    monkeypatch.setenv("TLD_SECRET_KEY", "env-sk")
    found = load_api_key()
    assert found is not None and found[0] == ApiKey("env-ak", "env-sk")
    assert "TLD_ACCESS_KEY" in found[1]
    creds = get_credentials()
    assert isinstance(creds, ApiKeyAuth)
    assert creds.headers() == {"access-key": "env-ak", "secret-key": "env-sk"}
    assert "env-sk" not in creds.describe() and "env-sk" not in repr(creds)


def test_saved_api_key_is_private_and_in_the_sdk_format(isolated: Path) -> None:
    path = save_api_key(ApiKey("ak", "sk"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"access-key": "ak", "secret-key": "sk"}
    with pytest.raises(AuthenticationError):
        save_api_key("ak", "")
    # an unreadable file counts as absent
    path.write_text("{not json")
    assert load_api_key() is None


def test_disable_auth_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLD_DISABLE_AUTH", "1")
    creds = get_credentials()
    assert isinstance(creds, NoAuth) and creds.headers() == {}


def test_secrets_never_in_reprs() -> None:
    assert "sk" not in repr(ApiKey("ak", "sk")).replace("secret_key", "")
    token = Token("header.payload.sig", 300, "refresh-secret", 1800)
    assert "payload" not in repr(token) and "refresh-secret" not in repr(token)


# --------------------------------------------------------------------------------------------------
# Interactivity
# --------------------------------------------------------------------------------------------------


def test_can_prompt_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    assert can_prompt(interactive=False)[0] is False
    assert can_prompt(interactive=True)[0] is True
    monkeypatch.setenv("CI", "true")
    ok, why = can_prompt()
    assert not ok and "CI" in why
    assert can_prompt(interactive=True)[0] is True  # asked explicitly
    monkeypatch.setenv("CI", "0")
    monkeypatch.setattr(sys, "stderr", open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
    monkeypatch.setattr(sys, "stdout", open(os.devnull, "w"))  # noqa: SIM115
    ok, why = can_prompt()
    assert not ok and "no terminal" in why
    monkeypatch.setenv("DINAMIS_INTERACTIVE", "0")
    assert can_prompt()[0] is False
    monkeypatch.setenv("DINAMIS_INTERACTIVE", "1")
    assert can_prompt()[0] is True


def test_no_sign_in_in_ci_says_how_to_authenticate(service: Service, monkeypatch: pytest.MonkeyPatch,
                                                    isolated: Path) -> None:
    point_at(service, monkeypatch, api_key=False)
    monkeypatch.setenv("CI", "1")
    before = service.state.idp.counters().get("device_authorizations", 0)
    creds = get_credentials()
    assert isinstance(creds, DeviceFlowAuth)
    with pytest.raises(AuthenticationError) as info:
        creds.headers()
    message = str(info.value)
    assert "CI" in message
    assert "TLD_ACCESS_KEY and TLD_SECRET_KEY" in message
    assert "create_api_key(save=True)" in message and "tld apikey register" in message
    assert str(isolated / ".apikey") in message
    assert service.state.idp.counters().get("device_authorizations", 0) == before  # nothing started
    # the signer says the same when it needs credentials
    with pytest.raises(AuthenticationError, match="TLD_ACCESS_KEY"):
        registry.get_signer().sign_url(DATA_URL + "/b/c/i/ms.tif")


def _headers_in_a_worker() -> str:
    """Run in a dask worker: ask for credentials with no stored sign-in."""
    creds = get_credentials(interactive=True)
    try:
        creds.headers()
    except AuthenticationError as exc:
        return str(exc)
    return "no error"


def test_no_sign_in_inside_a_dask_worker(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    point_at(service, monkeypatch, api_key=False)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        prompt = client.submit(can_prompt, interactive=True).result()
        message = client.submit(_headers_in_a_worker).result()
    assert prompt[0] is False and "dask worker" in prompt[1]
    assert "dask worker" in message and "TLD_ACCESS_KEY" in message
    assert service.state.idp.counters().get("device_authorizations", 0) == 0


def _unpickle_and_get_headers(blob: bytes) -> str:
    creds = pickle.loads(blob)
    try:
        creds.headers()
    except AuthenticationError as exc:
        return "refused: " + str(exc)
    return "ok"


def test_a_pickled_sign_in_never_prompts_in_another_process(service: Service,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    point_at(service, monkeypatch, api_key=False)
    creds = DeviceFlowAuth(service.url, get_settings().config_dir, interactive=True)
    blob = pickle.dumps(creds)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        answer = pool.apply(_unpickle_and_get_headers, (blob,))
    assert answer.startswith("refused") and "another process" in answer


# --------------------------------------------------------------------------------------------------
# Device flow, refresh, shared files
# --------------------------------------------------------------------------------------------------


def test_device_flow_end_to_end(service: Service, monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    point_at(service, monkeypatch, api_key=False)
    monkeypatch.setenv("CI", "1")  # only the explicit interactive=True allows the sign-in here
    approver = Approver(service, username="alice")
    token = credentials.login(on_sign_in=approver, interactive=True)
    assert len(approver.codes) == 1
    code = approver.codes[0]
    assert code.link.startswith(service.url + "device?user_code=")
    assert code.user_code in code.message() and code.link in code.message()
    assert "href=" in code._repr_html_()
    assert token.access_valid()
    # stored like the official SDK stores it
    jwt_path = isolated / ".jwt"
    assert stat.S_IMODE(jwt_path.stat().st_mode) == 0o600
    stored = json.loads(jwt_path.read_text())
    assert {"access_token", "expires_in", "refresh_token", "refresh_expires_in", "token_type"} <= set(stored)
    assert stored["access_token"] == token.access_token
    # the signer now signs with the bearer token
    before = service.stats()["by_auth"].get("bearer", 0)
    signed = registry.get_signer().sign_url(DATA_URL + "/b/c/i/ms.tif")
    assert signed.signed and "X-Amz-Signature=" in signed.href
    assert service.stats()["by_auth"]["bearer"] == before + 1
    assert account.userinfo()["preferred_username"] == "alice"
    # logging in again reuses the stored sign-in
    assert credentials.login(on_sign_in=approver, interactive=True).access_token == token.access_token
    assert len(approver.codes) == 1
    credentials.logout()
    assert not jwt_path.exists()


def test_device_flow_denied_and_cancelled(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    point_at(service, monkeypatch, api_key=False)
    with pytest.raises(AuthenticationError, match="denied"):
        credentials.login(on_sign_in=Approver(service, deny=True), interactive=True, force=True)
    cancel = threading.Event()
    shown: list[DeviceCode] = []

    def show_then_cancel(code: DeviceCode) -> None:
        shown.append(code)
        threading.Timer(0.3, cancel.set).start()

    t0 = time.monotonic()
    with pytest.raises(AuthenticationError, match="cancelled"):
        credentials.login(on_sign_in=show_then_cancel, interactive=True, force=True, cancel=cancel)
    assert time.monotonic() - t0 < 5 and len(shown) == 1


def test_device_flow_link_expires(service_factory: Callable[..., Service],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    short = service_factory(device_code_lifetime=2)
    point_at(short, monkeypatch, api_key=False)
    with pytest.raises(AuthenticationError, match="expired"):
        credentials.login(on_sign_in=lambda code: None, interactive=True)


def test_default_handler_prints_to_stderr(service: Service, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    point_at(service, monkeypatch, api_key=False)
    approver = Approver(service)
    printed: list[DeviceCode] = []

    def handler(code: DeviceCode) -> None:  # the default prints, then a person approves
        prompting.print_sign_in(code)
        printed.append(code)
        approver(code)

    previous = prompting.set_sign_in_handler(handler)
    try:
        credentials.login(interactive=True)
    finally:
        prompting.set_sign_in_handler(previous)
    err = capsys.readouterr().err
    assert "open this link" in err and printed[0].link in err


def test_refresh_when_the_access_token_expires(service_factory: Callable[..., Service],
                                               monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    short = service_factory(access_token_lifetime=2, refresh_token_lifetime=60)
    point_at(short, monkeypatch, api_key=False)
    first = credentials.login(on_sign_in=Approver(short), interactive=True)
    creds = get_credentials()
    assert creds.headers()["authorization"] == f"bearer {first.access_token}"
    time.sleep(1.2)  # within the margin (half the 2 s lifetime)
    headers = creds.headers()
    assert headers["authorization"] != f"bearer {first.access_token}"
    assert short.state.idp.counters()["refreshes"] == 1
    assert load_token(isolated).access_token == headers["authorization"].split()[1]  # type: ignore[union-attr]
    # the refreshed token signs
    assert registry.get_signer().sign_url(DATA_URL + "/b/k.tif").signed


def test_a_token_the_service_rejects_is_refreshed(service: Service, monkeypatch: pytest.MonkeyPatch,
                                                  isolated: Path) -> None:
    point_at(service, monkeypatch, api_key=False)
    credentials.login(on_sign_in=Approver(service, username="bob"), interactive=True)
    service.state.idp.revoke_user("bob")  # access and refresh tokens forgotten by the service
    issued = service.admin("POST", "_twin/tokens", json={"username": "bob"})
    stale = load_token(isolated)
    assert stale is not None
    # a valid refresh token with a forgotten access token: the signer gets 401, refreshes, signs
    save_token(Token(stale.access_token, 300, issued["refresh_token"], 1800), isolated)
    credentials._device_auths.clear()
    registry._reset_default_signer()
    refreshes = service.state.idp.counters().get("refreshes", 0)
    failures = service.stats()["auth_failures"]
    assert registry.get_signer().sign_url(DATA_URL + "/b/k2.tif").signed
    assert service.stats()["auth_failures"] == failures + 1  # the forgotten access token
    assert service.state.idp.counters()["refreshes"] == refreshes + 1  # then refreshed


def test_refused_sign_in_without_refresh_is_an_authentication_error(service: Service,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     isolated: Path) -> None:
    point_at(service, monkeypatch, api_key=False)
    monkeypatch.setenv("CI", "1")
    save_token(Token("not-a-token", 300, "", 0), isolated)
    with pytest.raises(AuthenticationError) as info:
        registry.get_signer().sign_url(DATA_URL + "/b/k.tif")
    assert info.value.status == 401
    assert "OAuth2 sign-in" in str(info.value) and "TLD_ACCESS_KEY" in str(info.value)


def test_api_keys_create_list_revoke(service: Service, monkeypatch: pytest.MonkeyPatch,
                                     isolated: Path) -> None:
    point_at(service, monkeypatch, api_key=False)
    credentials.login(on_sign_in=Approver(service, username="carol"), interactive=True)
    key = account.create_api_key("laptop", save=True)
    assert stat.S_IMODE((isolated / ".apikey").stat().st_mode) == 0o600
    found = load_api_key()
    assert found is not None and found[0] == key
    listed = account.list_api_keys()
    assert [k["access-key"] for k in listed] == [key.access_key]
    assert listed[0]["description"] == "laptop"
    assert "secret" not in json.dumps(listed)
    # the stored key is now what the signer uses
    before = service.stats()["by_auth"].get("api_key", 0)
    assert registry.get_signer().sign_url(DATA_URL + "/b/k.tif").signed
    assert service.stats()["by_auth"]["api_key"] == before + 1
    account.revoke_api_key(key.access_key)
    assert account.list_api_keys() == []
    assert load_api_key() is None  # the stored copy is removed with it
    with pytest.raises(SigningError) as info:
        account.revoke_api_key(key.access_key)
    assert info.value.status == 404


def test_token_endpoint_from_openapi(service: Service) -> None:
    url = device_flow.token_endpoint(service.url)
    assert url == service.url + "auth/realms/dinamis/protocol/openid-connect/token"
    with pytest.raises(AuthenticationError) as info:
        device_flow.token_endpoint("http://127.0.0.1:9/", retry_total=0, timeout=2)
    assert info.value.status is None and "no answer" in str(info.value)


def test_token_times_from_a_file_the_sdk_wrote(isolated: Path) -> None:
    import base64

    now = int(time.time())
    payload = base64.urlsafe_b64encode(json.dumps({"exp": now + 250, "iat": now - 50}).encode()).decode()
    access = "e30." + payload.rstrip("=") + ".sig"
    isolated.mkdir(parents=True, exist_ok=True)
    (isolated / ".jwt").write_text(json.dumps({"access_token": access, "expires_in": 300,
                                               "refresh_token": "r", "refresh_expires_in": 0,
                                               "token_type": "Bearer"}))
    token = load_token(isolated)
    assert token is not None and token.issued_at == now - 50
    assert token.access_valid() and token.refresh_valid() and token.refresh_expires_at is None
    # not a JWT: the file's time is the issuance time
    (isolated / ".jwt").write_text(json.dumps({"access_token": "opaque", "expires_in": 300,
                                               "refresh_token": "", "refresh_expires_in": 0,
                                               "token_type": "Bearer"}))
    token = load_token(isolated)
    assert token is not None and abs(token.issued_at - (isolated / ".jwt").stat().st_mtime) < 1e-3
    assert not token.refresh_valid()


_SDK_SCRIPT = """
import json, sys
from teledetection.sdk.model import ApiKey, JWT
from teledetection.sdk.signing import sign_urls
key = ApiKey.from_config_dir()
jwt = JWT.from_config_dir()
url = sys.argv[1]
out = {"apikey": key.access_key if key else None, "jwt_type": jwt.token_type if jwt else None}
out["signed"] = sign_urls([url])[url]
print(json.dumps(out))
"""


def _run_sdk(env: dict[str, str], url: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _SDK_SCRIPT, url], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_the_official_sdk_reads_what_we_write(service: Service, monkeypatch: pytest.MonkeyPatch,
                                              isolated: Path) -> None:
    """Our ``.jwt`` (device flow) and ``.apikey`` work with the official SDK, and its ``.jwt`` with us."""
    pytest.importorskip("teledetection")
    point_at(service, monkeypatch, api_key=False)
    credentials.login(on_sign_in=Approver(service, username="dora"), interactive=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TLD_", "DINAMIS_"))}
    env.update({"TLD_CONFIG_DIR": str(isolated), "TLD_SIGNING_ENDPOINT": service.url, "LOGLEVEL": "WARNING",
                "TLD_RETRY_TOTAL": "1"})
    url = DATA_URL + "/bucket/c/i/ms.tif"

    # 1. the SDK signs with the token we stored (it refreshes it first, and rewrites .jwt)
    before = service.stats()["by_auth"].get("bearer", 0)
    answer = _run_sdk(env, url)
    assert answer["apikey"] is None and answer["jwt_type"] == "Bearer"
    assert "X-Amz-Signature=" in answer["signed"]
    assert service.stats()["by_auth"]["bearer"] == before + 1
    # ... and we read the .jwt the SDK rewrote (without our issued_at field)
    rewritten = json.loads((isolated / ".jwt").read_text())
    assert "issued_at" not in rewritten
    token = load_token(isolated)
    assert token is not None and token.access_valid()
    credentials._device_auths.clear()
    registry._reset_default_signer()
    assert registry.get_signer().sign_url(url + "?v=2").signed

    # 2. the SDK uses the API key we stored
    save_api_key(service.demo_key)
    before = service.stats()["by_auth"].get("api_key", 0)
    answer = _run_sdk(env, url)
    assert answer["apikey"] == service.demo_key.access_key
    assert "X-Amz-Signature=" in answer["signed"]
    assert service.stats()["by_auth"]["api_key"] == before + 1


def test_request_retries_honour_retry_after_and_the_deadline(service: Service) -> None:
    delays: list[float] = []
    url = service.url + "sign_urls"
    service.flaky.fail_next, service.flaky.retry_after, service.flaky.status = 2, "3", 429
    try:
        r = service_io.request("POST", url, json={"urls": []}, headers=service.demo_key.headers(), timeout=5,
                               policy=RetryPolicy(total=5, backoff_factor=0.01), sleep=delays.append)
    finally:
        service.flaky.retry_after, service.flaky.status = None, 503
    assert r.status_code == 200 and delays == [3.0, 3.0]
    # without Retry-After: exponential backoff
    delays.clear()
    service.flaky.fail_next = 3
    r = service_io.request("POST", url, json={"urls": []}, headers=service.demo_key.headers(), timeout=5,
                           policy=RetryPolicy(total=5, backoff_factor=0.5), sleep=delays.append)
    assert r.status_code == 200 and delays == [0.5, 1.0, 2.0]
    # connection errors are retried too, then reported without a status
    delays.clear()
    with pytest.raises(SigningError) as info:
        service_io.request("POST", "http://127.0.0.1:9/sign_urls", timeout=2,
                           policy=RetryPolicy(total=2, backoff_factor=0.25), sleep=delays.append)
    assert delays == [0.25, 0.5] and info.value.status is None and "3 attempt(s)" in str(info.value)
    assert "127.0.0.1:9/sign_urls" in str(info.value)
    # the deadline stops the retries: 10 allowed, but none may start after 5 s (a fake clock)
    now = [0.0]
    delays.clear()

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        now[0] += seconds

    with pytest.raises(SigningError, match="after 3 attempt"):
        service_io.request("POST", "http://127.0.0.1:9/sign_urls", timeout=2,
                           policy=RetryPolicy(total=10, backoff_factor=1.0, deadline=5.0), sleep=sleep,
                           clock=lambda: now[0])
    assert delays == [1.0, 2.0]  # a third wait (4 s) would end after the deadline


def test_retry_policy_for_urllib3_fits_the_deadline() -> None:
    policy = RetryPolicy(total=10, backoff_factor=0.8, deadline=30.0)
    retry = policy.urllib3_retry()
    # 0.8 + 1.6 + 3.2 + 6.4 + 12.8 = 24.8 s fit in 30 s; a sixth wait (25.6 s) would not
    assert retry.total == 5 and retry.backoff_factor == 0.8 and 503 in retry.status_forcelist
    assert RetryPolicy(total=3, deadline=None).urllib3_retry().total == 3
    assert RetryPolicy.from_settings(Settings(retry_total=2, retry_deadline=0)).deadline is None


def test_interactive_setting_is_used(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    point_at(service, monkeypatch, api_key=False)
    monkeypatch.setenv("CI", "1")
    set_settings(interactive=True)
    approver = Approver(service)
    prompting.set_sign_in_handler(approver)
    assert registry.get_signer().sign_url(DATA_URL + "/b/x.tif").signed
    assert len(approver.codes) == 1
