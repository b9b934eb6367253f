"""The twin's signing service on 127.0.0.1: protocol, limits, API keys, the OAuth2 device flow, and
the public ``teledetection`` SDK signing through it unchanged (in subprocesses)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from dinamis_widgets.twin.config import (
    DEMO_ACCESS_KEY,
    DEMO_SECRET_KEY,
    MAX_URLS_PER_REQUEST,
    ServicesConfig,
)
from dinamis_widgets.twin.signing import SigningState, create_signing_app
from dinamis_widgets.twin.store import StoreState, create_store_app
from tests.servers import bind_loopback, run_app, socket_url

COG_KEY = "/products/SPOT67_HCF/SCENE1/ms.tif"
PAN_KEY = "/products/SPOT67_HCF/SCENE1/pan.tif"
QUICKLOOK_KEY = "/quicklooks/SPOT67_HCF/SCENE1/ql.png"
CONTENT = bytes(range(256)) * 64
DEMO = {"access-key": DEMO_ACCESS_KEY, "secret-key": DEMO_SECRET_KEY}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Services:
    """The signing service and the object store, running."""

    config: ServicesConfig
    signing: str  # ends with /
    data: str
    store: StoreState
    state: SigningState

    @property
    def admin(self) -> dict[str, str]:
        return {"x-twin-admin": self.config.admin_token}

    @property
    def oidc(self) -> str:
        return self.signing + "auth/realms/dinamis/protocol/openid-connect/"

    def sign(self, urls: list[str], duration: int | None = None,
             headers: dict[str, str] | None = None) -> requests.Response:
        body: dict[str, Any] = {"urls": urls}
        if duration is not None:
            body["duration_seconds"] = duration
        return requests.post(self.signing + "sign_urls", json=body,
                             headers=DEMO if headers is None else headers, timeout=10)

    def token(self, **form: str) -> requests.Response:
        return requests.post(self.oidc + "token", data={"client_id": "gdal", **form}, timeout=10)

    def stats(self) -> dict[str, Any]:
        return dict(requests.get(self.signing + "_twin/stats", headers=self.admin,
                                 timeout=10).json())


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("signing") / "data"
    for key in (COG_KEY, PAN_KEY, QUICKLOOK_KEY):
        (root / key.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / key.lstrip("/")).write_bytes(CONTENT)
    data_sock, signing_sock = bind_loopback(), bind_loopback()
    config = ServicesConfig(
        data_root=root, data_url=socket_url(data_sock), signing_url=socket_url(signing_sock),
        access_token_lifetime=2, refresh_token_lifetime=60, device_code_lifetime=30,
        device_poll_interval=1,
    )
    store, state = StoreState(), SigningState(config)
    with run_app(create_store_app(config, store), data_sock) as data, \
            run_app(create_signing_app(config, state), signing_sock) as signing:
        yield Services(config, signing + "/", data, store, state)


@pytest.fixture(autouse=True)
def _clean(services: Services) -> None:
    services.state.reset()
    services.store.reset()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _opens(url: str) -> int:
    return requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10).status_code


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"bearer {token}"}


def _tokens_for(services: Services, username: str) -> dict[str, Any]:
    r = requests.post(services.signing + "_twin/tokens", json={"username": username},
                      headers=services.admin, timeout=10)
    r.raise_for_status()
    return dict(r.json())


# -- protocol --------------------------------------------------------------------------------------


def test_openapi_declares_the_token_url(services: Services) -> None:
    spec = requests.get(services.signing + "openapi.json", timeout=10).json()
    flows = spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    token_url = flows["password"]["tokenUrl"]
    assert token_url == services.oidc + "token"
    # What the SDK derives from it.
    device = token_url.rsplit("/", 1)[0] + "/auth/device"
    r = requests.post(device, data={"client_id": "gdal", "scope": "openid"}, timeout=10)
    assert r.status_code == 200 and "device_code" in r.json()
    assert "/sign_urls" in spec["paths"] and "/create_api_key" in spec["paths"]


def test_sign_json_body_with_default_validity(services: Services) -> None:
    urls = [services.data + COG_KEY, services.data + PAN_KEY, "https://example.com/a.tif"]
    before = datetime.now(UTC)
    r = services.sign(urls)
    assert r.status_code == 200
    answer = r.json()
    assert set(answer) == {"hrefs", "expiry"} and list(answer["hrefs"]) == urls
    expiry = datetime.fromisoformat(answer["expiry"])
    assert expiry.tzinfo is not None
    assert abs((expiry - before).total_seconds() - 28_800) < 5
    for url in urls[:2]:
        signed = answer["hrefs"][url]
        query = _query(signed)
        assert query["X-Amz-Expires"] == ["28800"]
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Credential"][0].startswith(services.config.storage_access_key + "/")
        assert query["X-Amz-Credential"][0].endswith("/us-east-1/s3/aws4_request")
        assert signed.startswith(url + "?")
        assert _opens(signed) == 206
    assert answer["hrefs"][urls[2]] == urls[2]


def test_sign_query_parameters_form(services: Services) -> None:
    urls = [services.data + COG_KEY, services.data + PAN_KEY]
    r = requests.post(services.signing + "sign_urls",
                      params=[*[("urls", u) for u in urls], ("duration_seconds", "60")],
                      headers=DEMO, timeout=10)
    assert r.status_code == 200
    hrefs = r.json()["hrefs"]
    assert list(hrefs) == urls
    assert all(_query(h)["X-Amz-Expires"] == ["60"] for h in hrefs.values())
    assert all(_opens(h) == 206 for h in hrefs.values())


def test_at_most_64_urls(services: Services) -> None:
    urls = [f"{services.data}/products/x/{i}.tif" for i in range(MAX_URLS_PER_REQUEST + 1)]
    ok = services.sign(urls[:MAX_URLS_PER_REQUEST])
    assert ok.status_code == 200 and len(ok.json()["hrefs"]) == 64
    too_many = services.sign(urls)
    assert too_many.status_code == 400
    assert "64" in too_many.json()["detail"] and "65" in too_many.json()["detail"]


@pytest.mark.parametrize("duration", [0, -5, "abc", 1.5, None])
def test_invalid_durations_are_422(services: Services, duration: Any) -> None:
    body = {"urls": [services.data + COG_KEY], "duration_seconds": duration}
    if duration is None:
        body = {"duration_seconds": 60}  # no URLs at all
    r = requests.post(services.signing + "sign_urls", json=body, headers=DEMO, timeout=10)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and ("duration_seconds" in detail or "urls" in detail)
    ast.literal_eval(r.text)  # the SDK logs errors with literal_eval


def test_maximum_validity(services: Services) -> None:
    top = services.config.max_validity
    ok = services.sign([services.data + COG_KEY], duration=top)
    assert ok.status_code == 200
    assert _query(ok.json()["hrefs"][services.data + COG_KEY])["X-Amz-Expires"] == [str(top)]
    above = services.sign([services.data + COG_KEY], duration=top + 1)
    assert above.status_code == 400
    assert str(top) in above.json()["detail"] and "maximum" in above.json()["detail"]


def test_only_the_store_host_is_signed(services: Services) -> None:
    port = urlsplit(services.data).port or 0
    foreign = [
        "https://example.com/products/a.tif",
        f"http://127.0.0.1:{port + 1 if port != 65535 else 1}/products/a.tif",
        f"http://localhost:{port}/products/a.tif",
        "not a url",
        "",
    ]
    public = services.data + QUICKLOOK_KEY
    r = services.sign([*foreign, public])
    hrefs = r.json()["hrefs"]
    assert all(hrefs[u] == u for u in foreign)
    assert "X-Amz-Signature" in hrefs[public] and _opens(hrefs[public]) == 206
    stats = services.stats()
    assert stats["urls_signed"] == 1 and stats["urls_passed_through"] == len(foreign)


def test_presigned_urls_are_signed_again(services: Services) -> None:
    first = services.sign([services.data + COG_KEY], duration=60).json()["hrefs"]
    old = first[services.data + COG_KEY]
    again = services.sign([old]).json()["hrefs"][old]
    query = _query(again)
    assert all(len(v) == 1 for v in query.values())
    assert query["X-Amz-Expires"] == ["28800"]
    assert again.split("?")[0] == services.data + COG_KEY
    assert _opens(again) == 206


def test_signed_url_expires_in_the_store(services: Services) -> None:
    url = services.sign([services.data + COG_KEY], duration=1).json()["hrefs"][
        services.data + COG_KEY]
    assert _opens(url) == 206
    time.sleep(2.1)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403 and b"Request has expired" in r.content


def test_counters(services: Services) -> None:
    services.sign([services.data + COG_KEY, services.data + PAN_KEY, "https://example.com/x"])
    services.sign([services.data + COG_KEY], duration=-1)
    services.sign([services.data + COG_KEY], headers={})
    stats = services.stats()
    assert stats["sign_requests"] == 3 and stats["sign_requests_ok"] == 1
    assert stats["urls_requested"] == 3 and stats["urls_signed"] == 2
    assert stats["urls_passed_through"] == 1 and stats["auth_failures"] == 1
    assert stats["by_auth"] == {"api_key": 2}
    r = requests.post(services.signing + "_twin/stats/reset", headers=services.admin, timeout=10)
    assert r.json()["sign_requests"] == 0


# -- authentication --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"access-key": DEMO_ACCESS_KEY, "secret-key": "wrong"},
        {"access-key": "unknown", "secret-key": DEMO_SECRET_KEY},
        {"access-key": DEMO_ACCESS_KEY},
        {"secret-key": DEMO_SECRET_KEY},
        {"authorization": "bearer not-a-token"},
        {"authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_unauthenticated_requests_are_401(services: Services, headers: dict[str, str]) -> None:
    r = services.sign([services.data + COG_KEY], headers=headers)
    assert r.status_code == 401
    detail = r.json()["detail"]
    assert "access-key" in detail and "secret-key" in detail and "bearer" in detail
    assert services.oidc + "token" in detail
    assert r.headers["WWW-Authenticate"] == "Bearer"
    ast.literal_eval(r.text)


def test_control_routes_need_the_admin_token(services: Services) -> None:
    assert requests.get(services.signing + "_twin/health", timeout=10).status_code == 200
    for method, route, body in [
        ("GET", "_twin/stats", None),
        ("POST", "_twin/stats/reset", None),
        ("POST", "_twin/device/approve", {"user_code": "ABCD-EFGH"}),
        ("GET", "_twin/device/pending", None),
        ("POST", "_twin/auto_approve", {"enabled": True}),
        ("POST", "_twin/tokens", {"username": "mallory"}),
    ]:
        r = requests.request(method, services.signing + route, json=body, timeout=10)
        assert r.status_code == 403, route
        r = requests.request(method, services.signing + route, json=body,
                             headers={"x-twin-admin": "nope"}, timeout=10)
        assert r.status_code == 403, route
    assert services.state.idp.settings.auto_approve is False


def _start_device_flow(services: Services) -> dict[str, Any]:
    r = requests.post(services.oidc + "auth/device",
                      data={"client_id": "gdal", "scope": "openid offline_access"}, timeout=10)
    assert r.status_code == 200
    return dict(r.json())


def test_bearer_device_flow_end_to_end(services: Services) -> None:
    grant = _start_device_flow(services)
    assert set(grant) >= {"device_code", "user_code", "verification_uri",
                          "verification_uri_complete", "expires_in", "interval"}
    assert grant["interval"] == 1 and grant["expires_in"] == 30
    assert grant["verification_uri"] == services.signing + "device"
    assert grant["user_code"] in grant["verification_uri_complete"]
    poll = {"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]}

    first = services.token(**poll)
    assert first.status_code == 400 and first.json()["error"] == "authorization_pending"
    assert services.token(**poll).json()["error"] == "slow_down"  # polled too soon

    page = requests.get(grant["verification_uri_complete"], timeout=10)
    assert page.status_code == 200 and grant["user_code"] in page.text
    pending = requests.get(services.signing + "_twin/device/pending", headers=services.admin,
                           timeout=10).json()
    assert grant["user_code"] in [p["user_code"] for p in pending]
    approved = requests.post(services.signing + "_twin/device/approve", headers=services.admin,
                             json={"user_code": grant["user_code"], "username": "alice"},
                             timeout=10)
    assert approved.status_code == 200

    time.sleep(1.05)
    tokens = services.token(**poll)
    assert tokens.status_code == 200
    jwt = tokens.json()
    assert {"access_token", "expires_in", "refresh_token", "refresh_expires_in",
            "token_type"} <= set(jwt)
    assert jwt["token_type"] == "Bearer" and jwt["expires_in"] == 2
    assert jwt["refresh_expires_in"] == 60 and jwt["access_token"].count(".") == 2
    time.sleep(1.05)
    assert services.token(**poll).json()["error"] == "invalid_grant"  # a device code is used once

    signed = services.sign([services.data + COG_KEY], headers=_bearer(jwt["access_token"]))
    assert signed.status_code == 200 and _opens(signed.json()["hrefs"][services.data + COG_KEY]) == 206
    info = requests.get(services.oidc + "userinfo", headers=_bearer(jwt["access_token"]),
                        timeout=10).json()
    assert info["preferred_username"] == "alice" and info["sub"] and "@" in info["email"]

    time.sleep(2.2)  # the access token expires
    expired = services.sign([services.data + COG_KEY], headers=_bearer(jwt["access_token"]))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert requests.get(services.oidc + "userinfo", headers=_bearer(jwt["access_token"]),
                        timeout=10).status_code == 401

    refreshed = services.token(grant_type="refresh_token", refresh_token=jwt["refresh_token"])
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["access_token"] != jwt["access_token"]
    assert services.sign([services.data + COG_KEY],
                         headers=_bearer(new["access_token"])).status_code == 200

    bad = services.token(grant_type="refresh_token", refresh_token="garbage")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    other_client = requests.post(services.oidc + "token", timeout=10, data={
        "client_id": "other", "grant_type": "refresh_token", "refresh_token": new["refresh_token"]})
    assert other_client.json()["error"] == "invalid_grant"
    assert services.token(grant_type="password").json()["error"] == "unsupported_grant_type"
    oauth = services.stats()["oauth"]
    assert oauth["device_authorizations"] == 1 and oauth["device_grants"] == 1
    assert oauth["refreshes"] == 1 and services.stats()["by_auth"] == {"bearer": 2}


def test_device_flow_denied_through_the_page(services: Services) -> None:
    grant = _start_device_flow(services)
    page = requests.post(services.signing + "device", timeout=10,
                         data={"user_code": grant["user_code"].lower(), "action": "deny"})
    assert page.status_code == 200 and "denied" in page.text
    r = services.token(grant_type=DEVICE_GRANT, device_code=grant["device_code"])
    assert r.status_code == 400 and r.json()["error"] == "access_denied"
    unknown = requests.post(services.signing + "device", data={"user_code": "<b>NOPE</b>"},
                            timeout=10)
    assert unknown.status_code == 404 and "<b>" not in unknown.text


def test_device_flow_approved_through_the_page(services: Services) -> None:
    grant = _start_device_flow(services)
    page = requests.post(services.signing + "device", timeout=10,
                         data={"user_code": grant["user_code"], "username": "bob",
                               "action": "approve"})
    assert page.status_code == 200 and "approved" in page.text
    r = services.token(grant_type=DEVICE_GRANT, device_code=grant["device_code"])
    assert r.status_code == 200
    info = requests.get(services.oidc + "userinfo", headers=_bearer(r.json()["access_token"]),
                        timeout=10).json()
    assert info["preferred_username"] == "bob"


def test_device_code_expires(services: Services) -> None:
    grant = _start_device_flow(services)
    idp = services.state.idp
    idp.clock = lambda: time.time() + 31
    try:
        r = services.token(grant_type=DEVICE_GRANT, device_code=grant["device_code"])
        assert r.status_code == 400 and r.json()["error"] == "expired_token"
        late = requests.post(services.signing + "_twin/device/approve", headers=services.admin,
                             json={"user_code": grant["user_code"]}, timeout=10)
        assert late.status_code == 404
    finally:
        idp.clock = time.time
    unknown = services.token(grant_type=DEVICE_GRANT, device_code="nope")
    assert unknown.json()["error"] == "invalid_grant"


# -- API keys --------------------------------------------------------------------------------------


def test_api_key_routes(services: Services) -> None:
    alice = _bearer(_tokens_for(services, "alice")["access_token"])
    bob = _bearer(_tokens_for(services, "bob")["access_token"])
    created = requests.get(services.signing + "create_api_key", params={"description": "laptop"},
                           headers=alice, timeout=10)
    assert created.status_code == 200
    key = created.json()
    assert set(key) == {"access-key", "secret-key"}
    listed = requests.get(services.signing + "list_api_keys_with_metadata", headers=alice,
                          timeout=10)
    assert [k["access-key"] for k in listed.json()] == [key["access-key"]]
    entry = listed.json()[0]
    assert entry["description"] == "laptop" and key["secret-key"] not in listed.text
    assert entry["created"].split(".")[0].count(":") == 2  # what the SDK's CLI prints
    datetime.fromisoformat(entry["creation_date"])
    assert requests.get(services.signing + "list_api_keys_with_metadata", headers=bob,
                        timeout=10).json() == []

    with_key = {"access-key": key["access-key"], "secret-key": key["secret-key"]}
    assert services.sign([services.data + COG_KEY], headers=with_key).status_code == 200
    # API keys are managed with a bearer token only.
    assert requests.get(services.signing + "create_api_key", headers=with_key,
                        timeout=10).status_code == 401
    assert requests.get(services.signing + "list_api_keys_with_metadata",
                        timeout=10).status_code == 401
    # Bob cannot revoke Alice's key.
    assert requests.get(services.signing + "revoke_api_key", headers=bob, timeout=10,
                        params={"access_key": key["access-key"]}).status_code == 404
    revoked = requests.get(f"{services.signing}revoke_api_key?access_key={key['access-key']}",
                           headers=alice, timeout=10)
    assert revoked.status_code == 200
    assert services.sign([services.data + COG_KEY], headers=with_key).status_code == 401
    assert requests.get(services.signing + "list_api_keys_with_metadata", headers=alice,
                        timeout=10).json() == []
    assert services.sign([services.data + COG_KEY]).status_code == 200  # demo key unaffected


# -- the public teledetection SDK, unchanged -------------------------------------------------------

SDK_API_KEY_SCRIPT = """
import json, sys
import teledetection.sdk.signing as signing
signing.S3_STORAGE_DOMAIN = sys.argv[1]
import teledetection
args = json.loads(sys.argv[2])
urls = teledetection.sign_urls(args["urls"])
item = teledetection.sign(args["item"])
print("RESULT " + json.dumps({"urls": urls, "item": item}))
"""

SDK_OAUTH_SCRIPT = """
import json, sys
import teledetection.sdk.signing as signing
signing.S3_STORAGE_DOMAIN = sys.argv[1]
import teledetection
urls = teledetection.sign_urls(json.loads(sys.argv[2]))
print("RESULT " + json.dumps({"urls": urls, "username": teledetection.get_username()}))
"""


def _sdk_env(services: Services, config_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TLD_") and "proxy" not in k.lower()}
    env.update(TLD_SIGNING_ENDPOINT=services.signing, TLD_CONFIG_DIR=str(config_dir),
               NO_PROXY="127.0.0.1,localhost", LOGLEVEL="INFO", **extra)
    return env


def _run_sdk(script: str, services: Services, args: Any, env: dict[str, str]) -> dict[str, Any]:
    netloc = urlsplit(services.data).netloc
    proc = subprocess.run([sys.executable, "-c", script, netloc, json.dumps(args)], env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, proc.stdout + proc.stderr[-3000:]
    return dict(json.loads(lines[-1][len("RESULT "):]))


def test_teledetection_sdk_with_the_demo_api_key(services: Services, tmp_path: Path) -> None:
    ms, pan, foreign = services.data + COG_KEY, services.data + PAN_KEY, "https://example.com/q.png"
    item = {
        "type": "Feature", "stac_version": "1.0.0", "id": "SPOT67_HCF_SCENE1",
        "geometry": {"type": "Point", "coordinates": [1.5, 46.0]}, "bbox": [1.5, 46.0, 1.5, 46.0],
        "properties": {"datetime": "2026-02-24T10:36:27Z"}, "links": [],
        "assets": {"ms": {"href": ms}, "pan": {"href": pan}, "thumbnail": {"href": foreign}},
    }
    env = _sdk_env(services, tmp_path, TLD_ACCESS_KEY=DEMO_ACCESS_KEY,
                   TLD_SECRET_KEY=DEMO_SECRET_KEY)
    result = _run_sdk(SDK_API_KEY_SCRIPT, services, {"urls": [ms, foreign], "item": item}, env)
    assert result["urls"][foreign] == foreign
    assert "X-Amz-Signature=" in result["urls"][ms] and _opens(result["urls"][ms]) == 206
    assets = result["item"]["assets"]
    assert assets["thumbnail"]["href"] == foreign
    for name in ("ms", "pan"):
        assert "X-Amz-Signature=" in assets[name]["href"] and _opens(assets[name]["href"]) == 206
    stats = services.stats()
    assert stats["sign_requests_ok"] >= 1 and stats["by_auth"].keys() == {"api_key"}


def test_teledetection_sdk_device_flow(services: Services, tmp_path: Path) -> None:
    config_dir = tmp_path / "tld"
    config_dir.mkdir()
    r = requests.post(services.signing + "_twin/auto_approve", headers=services.admin,
                      json={"enabled": True, "username": "sdk-user"}, timeout=10)
    assert r.json() == {"auto_approve": True, "username": "sdk-user"}
    try:
        result = _run_sdk(SDK_OAUTH_SCRIPT, services, [services.data + COG_KEY],
                          _sdk_env(services, config_dir))
    finally:
        requests.post(services.signing + "_twin/auto_approve", headers=services.admin,
                      json={"enabled": False}, timeout=10)
    signed = result["urls"][services.data + COG_KEY]
    assert "X-Amz-Signature=" in signed and _opens(signed) == 206
    assert result["username"] == "sdk-user"
    saved = json.loads((config_dir / ".jwt").read_text())
    assert {"access_token", "refresh_token", "expires_in", "refresh_expires_in"} <= set(saved)
    assert not (config_dir / ".apikey").exists()
    stats = services.stats()
    assert stats["oauth"]["device_grants"] == 1
    assert stats["by_auth"].keys() == {"bearer"}


def _run_cli(services: Services, config_dir: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", "from teledetection.cli import tld; tld()", *args],
        env=_sdk_env(services, config_dir), capture_output=True, text=True, timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def test_teledetection_cli_manages_api_keys(services: Services, tmp_path: Path) -> None:
    requests.post(services.signing + "_twin/auto_approve", headers=services.admin,
                  json={"enabled": True, "username": "cli-user"}, timeout=10)
    try:
        _run_cli(services, tmp_path, "apikey", "register", "my laptop")
        stored = json.loads((tmp_path / ".apikey").read_text())
        listed = _run_cli(services, tmp_path, "apikey", "list")
        assert stored["access-key"] in listed and "my laptop" in listed
        assert services.sign([services.data + COG_KEY], headers=stored).status_code == 200
        _run_cli(services, tmp_path, "apikey", "revoke-all")
        assert "No API key found" in _run_cli(services, tmp_path, "apikey", "list")
    finally:
        requests.post(services.signing + "_twin/auto_approve", headers=services.admin,
                      json={"enabled": False}, timeout=10)
    assert services.sign([services.data + COG_KEY], headers=stored).status_code == 401
