"""AWS SigV4 presigned URLs: the published AWS example, round trips and every kind of tampering."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from dinamis_widgets.twin.sigv4 import (
    MAX_EXPIRES,
    MaskSignaturesFilter,
    VerifyStatus,
    canonical_host,
    canonical_request,
    is_presigned,
    mask_url,
    parse_query,
    presign,
    strip_presign_params,
    verify,
)

# The example of "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
# Amazon S3 API reference.
AWS_AK = "AKIAIOSFODNN7EXAMPLE"
AWS_SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_NOW = datetime(2013, 5, 24, 0, 0, 0, tzinfo=UTC)
AWS_URL = "https://examplebucket.s3.amazonaws.com/test.txt"
AWS_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
AWS_CANONICAL_REQUEST = "\n".join([
    "GET",
    "/test.txt",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1"
    "%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host",
    "host:examplebucket.s3.amazonaws.com",
    "",
    "host",
    "UNSIGNED-PAYLOAD",
])

AK, SK = "TWINKEY", "twin-secret"
CREDS = {AK: SK}
HOST = "127.0.0.1:9000"
NOW = datetime(2026, 2, 24, 10, 36, 27, tzinfo=UTC)


def _sign(url: str = f"http://{HOST}/products/SCENE1/ms.tif", expires: int = 3600,
          **kw: object) -> str:
    params: dict[str, object] = {"access_key": AK, "secret_key": SK, "expires": expires, "now": NOW}
    params.update(kw)
    return presign(url, **params)  # type: ignore[arg-type]


def _check(url: str, *, method: str = "GET", host: str = HOST, now: datetime = NOW,
           creds: dict[str, str] | None = None) -> VerifyStatus:
    parts = urlsplit(url)
    result = verify(method, unquote(parts.path), parts.query, host,
                    credentials=CREDS if creds is None else creds, now=now)
    return result.status


def _replace_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    pairs = [(k, value if k == name else v) for k, v in parse_query(parts.query)]
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return parts._replace(query=query).geturl()


# --------------------------------------------------------------------------------------------------


def test_aws_published_example() -> None:
    url = presign(AWS_URL, access_key=AWS_AK, secret_key=AWS_SK, expires=86400, now=AWS_NOW)
    assert url == (
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        f"&X-Amz-Signature={AWS_SIGNATURE}"
    )
    params = [(k, v) for k, v in parse_query(urlsplit(url).query) if k != "X-Amz-Signature"]
    assert canonical_request("GET", "/test.txt", params, "examplebucket.s3.amazonaws.com") == (
        AWS_CANONICAL_REQUEST
    )
    # ... and the store side accepts it, within its validity only.
    result = verify("GET", "/test.txt", urlsplit(url).query, "examplebucket.s3.amazonaws.com",
                    credentials={AWS_AK: AWS_SK}, now=AWS_NOW + timedelta(hours=23))
    assert result.ok and result.access_key == AWS_AK
    assert result.expires_at == AWS_NOW + timedelta(seconds=86400)


def test_round_trip_and_shape() -> None:
    url = _sign()
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"] == [f"{AK}/20260224/us-east-1/s3/aws4_request"]
    assert query["X-Amz-Date"] == ["20260224T103627Z"]
    assert query["X-Amz-Expires"] == ["3600"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert len(query["X-Amz-Signature"][0]) == 64
    assert url.split("&")[-1].startswith("X-Amz-Signature=")
    assert _check(url) is VerifyStatus.OK
    assert _check(url, now=NOW + timedelta(seconds=3600)) is VerifyStatus.OK


@pytest.mark.parametrize(
    "path",
    ["/products/a b/ümlaut+plus=.tif", "/products/key%20with%25percent.tif", "/b/~tilde_(x)!.tif"],
)
def test_round_trip_special_characters(path: str) -> None:
    url = _sign(f"http://{HOST}{path}")
    assert " " not in url
    assert _check(url) is VerifyStatus.OK


def test_extra_query_parameters_are_signed() -> None:
    url = _sign(f"http://{HOST}/b/k.tif?versionId=3&flag")
    assert _check(url) is VerifyStatus.OK
    assert _check(_replace_param(url, "versionId", "4")) is VerifyStatus.SIGNATURE_MISMATCH


def test_tampered_path() -> None:
    url = _sign()
    assert _check(url.replace("SCENE1", "SCENE2")) is VerifyStatus.SIGNATURE_MISMATCH
    assert _check(url.replace("ms.tif", "ms.tif/")) is VerifyStatus.SIGNATURE_MISMATCH


def test_tampered_host() -> None:
    url = _sign()
    assert _check(url, host="127.0.0.1:9001") is VerifyStatus.SIGNATURE_MISMATCH
    assert _check(url, host="localhost:9000") is VerifyStatus.SIGNATURE_MISMATCH


def test_tampered_query_parameters() -> None:
    url = _sign()
    added = url + "&foo=bar"
    assert _check(added) is VerifyStatus.SIGNATURE_MISMATCH
    longer = _replace_param(url, "X-Amz-Expires", "7200")
    assert _check(longer) is VerifyStatus.SIGNATURE_MISMATCH
    later = _replace_param(url, "X-Amz-Date", "20260224T113627Z")
    assert _check(later) is VerifyStatus.SIGNATURE_MISMATCH
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert _check(_replace_param(url, "X-Amz-Signature", flipped)) is (
        VerifyStatus.SIGNATURE_MISMATCH
    )


def test_expiry_and_clock_skew() -> None:
    url = _sign(expires=60)
    assert _check(url, now=NOW + timedelta(seconds=60)) is VerifyStatus.OK
    assert _check(url, now=NOW + timedelta(seconds=61)) is VerifyStatus.EXPIRED
    assert _check(url, now=NOW - timedelta(seconds=30)) is VerifyStatus.OK  # small skew accepted
    assert _check(url, now=NOW - timedelta(minutes=5)) is VerifyStatus.NOT_YET_VALID


def test_expires_limits() -> None:
    with pytest.raises(ValueError, match="604800"):
        _sign(expires=0)
    with pytest.raises(ValueError, match="604800"):
        _sign(expires=MAX_EXPIRES + 1)
    url = _sign(expires=MAX_EXPIRES)
    assert _check(url) is VerifyStatus.OK
    for bad in ("0", "604801", "-5", "1.5", "abc"):
        assert _check(_replace_param(url, "X-Amz-Expires", bad)) is VerifyStatus.MALFORMED


def test_unsigned_and_malformed() -> None:
    assert _check(f"http://{HOST}/b/k.tif") is VerifyStatus.UNSIGNED
    assert _check(f"http://{HOST}/b/k.tif?foo=bar") is VerifyStatus.UNSIGNED
    url = _sign()
    no_sig = url.rsplit("&X-Amz-Signature=", 1)[0]
    assert _check(no_sig) is VerifyStatus.MALFORMED
    assert _check(url + "&X-Amz-Date=20260224T103627Z") is VerifyStatus.MALFORMED
    assert _check(_replace_param(url, "X-Amz-Algorithm", "AWS4-HMAC-SHA1")) is (
        VerifyStatus.MALFORMED
    )
    assert _check(_replace_param(url, "X-Amz-SignedHeaders", "host;range")) is (
        VerifyStatus.MALFORMED
    )
    assert _check(_replace_param(url, "X-Amz-Date", "2026-02-24")) is VerifyStatus.MALFORMED
    assert _check(_replace_param(url, "X-Amz-Credential", "TWINKEY/20260224")) is (
        VerifyStatus.MALFORMED
    )


def test_unknown_key_and_wrong_scope() -> None:
    url = _sign()
    assert _check(url, creds={"OTHER": SK}) is VerifyStatus.UNKNOWN_KEY
    assert _check(url, creds={AK: "wrong-secret"}) is VerifyStatus.SIGNATURE_MISMATCH
    assert _check(_sign(region="eu-west-1")) is VerifyStatus.WRONG_SCOPE
    assert _check(_sign(service="execute-api")) is VerifyStatus.WRONG_SCOPE
    other_day = _replace_param(url, "X-Amz-Credential", f"{AK}/20260223/us-east-1/s3/aws4_request")
    assert _check(other_day) is VerifyStatus.WRONG_SCOPE


def test_methods() -> None:
    get_url = _sign()
    # Leniency: GDAL probes with HEAD a URL presigned for GET.
    assert _check(get_url, method="HEAD") is VerifyStatus.OK
    assert _check(_sign(method="HEAD"), method="HEAD") is VerifyStatus.OK
    assert _check(get_url, method="PUT") is VerifyStatus.SIGNATURE_MISMATCH
    assert _check(_sign(method="PUT"), method="GET") is VerifyStatus.SIGNATURE_MISMATCH


def test_resigning_replaces_old_parameters() -> None:
    first = _sign(expires=60)
    again = _sign(first, expires=120, now=NOW + timedelta(seconds=30))
    query = parse_qs(urlsplit(again).query)
    assert all(len(v) == 1 for v in query.values())
    assert query["X-Amz-Expires"] == ["120"]
    assert _check(again, now=NOW + timedelta(seconds=100)) is VerifyStatus.OK
    assert is_presigned(again) and not is_presigned(strip_presign_params(again))
    assert strip_presign_params(_sign(f"http://{HOST}/b/k?a=1")) == f"http://{HOST}/b/k?a=1"


def test_default_ports_are_not_signed() -> None:
    assert canonical_host("http://Example.COM:80/x") == "example.com"
    assert canonical_host("https://example.com:443/x") == "example.com"
    assert canonical_host("http://example.com:8080/x") == "example.com:8080"
    assert canonical_host("127.0.0.1:9000") == "127.0.0.1:9000"
    url = _sign("http://example.com:80/b/k.tif")
    assert _check(url, host="example.com") is VerifyStatus.OK


def test_naive_now_is_utc() -> None:
    assert _sign(now=NOW.replace(tzinfo=None)) == _sign()


def test_masking() -> None:
    url = _sign()
    masked = mask_url(f"failed to open {url}: 403")
    assert "X-Amz-Signature=***" in masked and "X-Amz-Credential=***" in masked
    assert parse_qs(urlsplit(url).query)["X-Amz-Signature"][0] not in masked
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("1.2.3.4", "GET", url, "1.1", 200), None)
    MaskSignaturesFilter().filter(record)
    assert "X-Amz-Signature=***" in record.getMessage()
