"""No signature, token or key leaves the toolkit but where the user asks for it (an href): not in reprs,
logs at DEBUG, warnings, exception messages and tracebacks, cube attributes or exported files; key and
token files are private; the twin's store refuses tampered, expired, replayed and escaping requests.
(The tutorials, saved with their widget state, are searched in tests/test_notebooks.py.)"""

from __future__ import annotations

import http.client
import json
import logging
import os
import pickle
import re
import stat
import traceback
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pystac
import pytest
import requests

import dinamis_widgets as dw
from dinamis_widgets.errors import DinamisError, mask_signatures
from dinamis_widgets.reading.download import download
from dinamis_widgets.signing.apikeys import ApiKey, save_api_key
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.signing.credentials import ApiKeyAuth
from dinamis_widgets.signing.tokens import Token, save_token
from dinamis_widgets.signing.urls import is_signed
from dinamis_widgets.twin.sigv4 import presign
from tests.secret_scan import leaks, twin_secrets

BBOX = (-0.99, 45.92, -0.93, 45.96)
AOI = [-0.975, 45.93, -0.945, 45.95]


@pytest.fixture(scope="module")
def secrets(twin: Any) -> dict[str, str]:
    return twin_secrets(twin)


@pytest.fixture(scope="module")
def ortho(twin: Any) -> list[pystac.Item]:
    items = dw.search(collections=["SPOT67_HCF_GS1"], bbox=BBOX, filters={"processing:level": "ORTHO"})
    assert len(items) >= 2
    return list(items)[:2]


def _all_files_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in sorted(folder.rglob("*")) if p.is_file())


# -- reprs -----------------------------------------------------------------------------------------


def test_signed_objects_keep_their_signature_out_of_reprs(ortho: list[pystac.Item],
                                                           secrets: dict[str, str]) -> None:
    item = dw.sign(ortho[0])
    asset = item.assets["multispectral"]
    assert is_signed(asset.href)                        # the href is the signed URL to read...
    alone = dw.sign(ortho[0].assets["multispectral"])
    shown = [repr(asset), asset._repr_html_(), repr(item), item._repr_html_(), repr(alone),
             alone._repr_html_(), repr(item.clone()), item.clone()._repr_html_(),
             repr(pickle.loads(pickle.dumps(asset))), repr(dw.get_signer().sign_url(asset.href)),
             repr(dw.get_signer())]
    for text in shown:                                  # ...and no repr shows it
        assert leaks(text, secrets) == [], text[:300]
    assert "X-Amz-Signature=***" in repr(asset)
    assert isinstance(item, pystac.Item) and item.to_dict()["assets"]["multispectral"]["href"] == asset.href


def test_key_and_token_reprs_hide_their_secrets(secrets: dict[str, str]) -> None:
    key = ApiKey("twin-demo-access-key", secrets["API secret key"])
    token = Token.from_response({"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0cmFpbmVlIn0.c2ln",
                                 "refresh_token": "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJSZWZyZXNoIn0.c2ln",
                                 "expires_in": 300, "refresh_expires_in": 1800})
    for text in (repr(key), str(key), repr(token), str(token)):
        assert leaks(text, secrets) == [], text


def test_cubes_and_exported_files_keep_no_signature(twin: Any, ortho: list[pystac.Item],
                                                    secrets: dict[str, str], tmp_path: Path) -> None:
    signed = [dw.sign(i) for i in ortho]                # even when given signed items
    cube = dw.load(signed, bands=["red", "nir"], aoi=AOI)
    ndvi = dw.ndvi(cube)
    shown = [repr(cube), cube._repr_html_(), repr(ndvi), json.dumps(cube.attrs, default=str),
             json.dumps({k: v.attrs for k, v in cube.data_vars.items()}, default=str),
             json.dumps(ndvi.attrs, default=str)]
    for text in shown:
        assert leaks(text, secrets) == [], text[:300]
    first = ndvi.isel(time=0).compute()
    dw.to_cog(first, tmp_path / "ndvi.tif")
    dw.to_zarr(first, tmp_path / "ndvi.zarr", progress=False)
    dw.to_netcdf(first, tmp_path / "ndvi.nc", progress=False)
    written = _all_files_text(tmp_path)
    assert "dinamis_hrefs" in written                   # provenance is written, unsigned
    assert leaks(written, secrets) == []


# -- logs, warnings, errors ------------------------------------------------------------------------


def test_logs_at_debug_warnings_and_errors_show_no_secret(twin: Any, ortho: list[pystac.Item],
                                                          secrets: dict[str, str], tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        signed = dw.sign(ortho[0], validity="1h")
        dw.load([signed], bands=["red", "nir"], aoi=AOI).compute()
        download(signed.assets["multispectral"].href, tmp_path)
        # A signed URL of a missing file: GDAL's and requests' errors quote the URL they failed on.
        missing = ortho[1].clone()
        for asset in missing.assets.values():
            asset.href = asset.href.replace(".tif", "-missing.tif")
        try:
            dw.load([missing], bands=["red", "nir"], aoi=AOI).compute()
        except DinamisError as exc:
            errors.append(exc)
        try:
            download(dw.sign(missing.assets["multispectral"].href), tmp_path / "missing", retries=0)
        except DinamisError as exc:
            errors.append(exc)
        # Refused credentials: the signing service's answer is quoted, the key is not.
        wrong = ApiKey(twin.access_key, "wrong-" + secrets["API secret key"])
        bad = Signer(twin.signing, credentials=ApiKeyAuth(wrong), signable_hosts=[urlsplit(twin.data).netloc])
        try:
            bad.sign_url(ortho[0].assets["multispectral"].href)
        except DinamisError as exc:
            errors.append(exc)
    assert len(errors) == 3, errors
    assert any(".tif" in str(e) for e in errors)        # the message still says which file
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert any("X-Amz-" in r.getMessage() for r in caplog.records), "the logs quoted signed URLs"
    assert leaks(logged, secrets) == []
    assert leaks("\n".join(str(w.message) for w in caught), secrets) == []
    for exc in errors:
        text = "".join(traceback.format_exception(exc)) + repr(exc) + str(getattr(exc, "url", ""))
        assert leaks(text, secrets) == [], text[-500:]


def test_a_logged_exception_is_masked_too(caplog: pytest.LogCaptureFixture) -> None:
    from dinamis_widgets.errors import masked_logger

    url = "http://h/k.tif?X-Amz-Credential=AK%2F20250101&X-Amz-Signature=" + "ab" * 32
    log = masked_logger("dinamis_widgets.test_secrets")
    try:
        raise RuntimeError(f"GDAL could not read {url}")
    except RuntimeError:
        log.exception("read of %s failed", url)
    assert "X-Amz-Signature=***" in caplog.text and leaks(caplog.text) == []
    assert mask_signatures(url.replace("=", "%3D").replace("&", "%26")).count("***") == 2


# -- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_key_and_token_files_are_readable_by_their_owner_only(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        (tmp_path / ".apikey").write_text("{}")
        os.chmod(tmp_path / ".apikey", 0o666)           # an earlier file, readable by all
        key_file = save_api_key("ak", "a-secret", config_dir=tmp_path)
        token = Token.from_response({"access_token": "at", "refresh_token": "rt", "expires_in": 300,
                                     "refresh_expires_in": 1800})
        token_file = save_token(token, config_dir=tmp_path)
    finally:
        os.umask(old)
    for path in (key_file, token_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert json.loads(key_file.read_text())["secret-key"] == "a-secret"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".apikey", ".jwt"]   # no temporary file left


# -- the twin's store refuses what it must ---------------------------------------------------------


def _raw(twin: Any, method: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    parts = urlsplit(twin.data)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _code(body: bytes) -> str:
    match = re.search(rb"<Code>([^<]+)</Code>", body)
    return match.group(1).decode() if match else body[:80].decode("latin-1")


def test_the_twin_store_refuses_tampered_expired_replayed_and_escaping_requests(
        twin: Any, ortho: list[pystac.Item], secrets: dict[str, str]) -> None:
    url = dw.sign(ortho[0].assets["multispectral"].href)
    other = urlsplit(ortho[1].assets["multispectral"].href).path
    parts = urlsplit(url)
    keys = {"access_key": secrets["store access key"], "secret_key": secrets["store secret key"]}
    now = datetime.now(UTC)
    assert _raw(twin, "GET", f"{parts.path}?{parts.query}", {"Range": "bytes=0-1"}) == (206, b"II")
    longer = re.sub(r"X-Amz-Expires=\d+", "X-Amz-Expires=604800", parts.query)
    flipped = re.sub(r"X-Amz-Signature=(.)", lambda m: "X-Amz-Signature=" + "01"[m[1] == "0"], parts.query)
    cases = {
        "tampered signature": ("GET", f"{parts.path}?{flipped}", "SignatureDoesNotMatch"),
        "replayed for another path": ("GET", f"{other}?{parts.query}", "SignatureDoesNotMatch"),
        "replayed with a longer validity": ("GET", f"{parts.path}?{longer}", "SignatureDoesNotMatch"),
        "expired": ("GET", "{expired}", "AccessDenied"),
        "not yet valid": ("GET", "{future}", "AccessDenied"),
        "unsigned": ("GET", parts.path, "AccessDenied"),
        "written to": ("PUT", f"{parts.path}?{parts.query}", "MethodNotAllowed"),
        "deleted": ("DELETE", f"{parts.path}?{parts.query}", "MethodNotAllowed"),
    }
    expired = urlsplit(presign(twin.data + parts.path, expires=60, now=now - timedelta(hours=2), **keys))
    future = urlsplit(presign(twin.data + parts.path, expires=60, now=now + timedelta(hours=2), **keys))
    targets = {"{expired}": f"{expired.path}?{expired.query}", "{future}": f"{future.path}?{future.query}"}
    for name, (method, target, code) in cases.items():
        status, body = _raw(twin, method, targets.get(target, target))
        assert status in (403, 405) and _code(body) == code, (name, status, body[:200])
    # Path escapes, even signed over the very path asked.
    for path in ["/dinamis-mtd/../../../../etc/passwd", "/dinamis-mtd/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 "/dinamis-mtd/..%2f..%2f..%2fetc%2fpasswd", "//etc/passwd", "/dinamis-mtd/x%00.tif"]:
        for target in (path, "{signed}"):
            if target == "{signed}":
                s = urlsplit(presign(twin.data + path, expires=60, **keys))
                target = f"{s.path}?{s.query}"
            status, body = _raw(twin, "GET", target)
            assert status in (400, 403, 404) and b"root:" not in body, (path, status)
    # Signed for the same store under another host name: refused.
    status, body = _raw(twin, "GET", f"{parts.path}?{parts.query}", {"Host": f"localhost:{parts.port}"})
    assert status == 403
    assert requests.get(url, headers={"Range": "bytes=0-1"}, timeout=10).status_code == 206


@pytest.mark.parametrize(("text", "masked"), [
    ("access_token=abc123&x=1", "access_token=***&x=1"),
    ('{"access_token": "eyJabc"}', '{"access_token": "***"}'),
    ("{'refresh_token': 'xyz'}", "{'refresh_token': '***'}"),
    ("secret-key: s3cr3t", "secret-key: ***"),
    ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer ***"),
    # a message quoting an input that happens to be a key's name keeps its words (found by hypothesis)
    ("Invalid datetime 'DEVICE_CODE': give a date", "Invalid datetime 'DEVICE_CODE': give a date"),
])
def test_tokens_are_masked_and_prose_is_not(text: str, masked: str) -> None:
    assert mask_signatures(text) == masked
