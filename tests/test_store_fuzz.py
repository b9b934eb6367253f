"""A seeded fuzz of the twin store's request parsing: 10,000 random ``Range`` headers, query strings and
paths on one store, over one keep-alive connection. No answer is a 5xx, none crashes the server, every
200/206 carries exactly the bytes of the file, and the store still serves a valid request afterwards."""

from __future__ import annotations

import http.client
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest

from dinamis_widgets.twin.config import ServicesConfig
from dinamis_widgets.twin.sigv4 import presign
from dinamis_widgets.twin.store import StoreState, create_store_app
from tests.servers import bind_loopback, run_app, socket_url

KEY = "/products/FUZZ/SCENE/data.bin"
DATA = bytes(range(256)) * 16  # 4096 bytes
#: How many random requests one run sends (RELIABILITY.md quotes this figure).
REQUESTS = 10_000
#: What the store may answer to a request it does not like (never a 5xx).
ALLOWED = {200, 206, 400, 403, 404, 405, 416}


@dataclass
class FuzzStore:
    config: ServicesConfig
    url: str
    state: StoreState

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def signed_query(self, key: str = KEY) -> str:
        return urlsplit(presign(self.url + key, access_key=self.config.storage_access_key,
                                secret_key=self.config.storage_secret_key, expires=600)).query


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzStore]:
    root = tmp_path_factory.mktemp("fuzz") / "data"
    (root / KEY.lstrip("/")).parent.mkdir(parents=True)
    (root / KEY.lstrip("/")).write_bytes(DATA)
    sock = bind_loopback()
    config = ServicesConfig(data_root=root, data_url=socket_url(sock), signing_url="http://127.0.0.1:9/")
    state = StoreState()
    with run_app(create_store_app(config, state), sock) as url:
        yield FuzzStore(config, url, state)


# -- random inputs -----------------------------------------------------------------------------------

_NUMBERS = ["0", "1", "99", "4095", "4096", "4097", "-1", "00", "007", " 5", "5 ", "1e3", "0x10", "+3",
            "99999999999999999999999999999999", "18446744073709551616", "²", "٣", "", "-", "--"]
_JUNK_BYTES = [b"", b" ", b",", b"=", b"-", b";", b"\t", b"\xff", b"\xb2", b"\xa0", b"\x7f", b"bytes",
               b"BYTES", b"items", b"%", b"\x00"]


def _number(rng: random.Random) -> str:
    return rng.choice(_NUMBERS) if rng.random() < 0.3 else str(rng.randrange(0, 6000))


def _range_header(rng: random.Random) -> bytes | None:
    """A Range header: often well formed, often odd, sometimes bytes that are no text at all."""
    roll = rng.random()
    if roll < 0.1:
        return None
    if roll < 0.2:
        return b"".join(rng.choice(_JUNK_BYTES) for _ in range(rng.randrange(1, 8)))
    specs = []
    for _ in range(rng.choice([1, 1, 1, 2, 3, 20, 200])):
        form = rng.randrange(4)
        if form == 0:
            specs.append(f"{_number(rng)}-{_number(rng)}")
        elif form == 1:
            specs.append(f"{_number(rng)}-")
        elif form == 2:
            specs.append(f"-{_number(rng)}")
        else:
            specs.append(rng.choice(["", " ", "-", "a-b", "1-2-3", "=", "5--6"]))
    unit = rng.choice(["bytes", "bytes", "bytes", "Bytes", " bytes ", "byte", "", "bytes=bytes"])
    sep = rng.choice([",", ",", ", ", " , ", ";"])
    return (unit + "=" + sep.join(specs)).encode("utf-8")


_ODD_VALUES = ["", "%", "%Z", "%ZZ", "%00", "%C2%B2", "%D9%A3", "%FF%FE", "%2F", "%26", "%3D", "+", "a+b",
               "AWS4-HMAC-SHA256",
                "0", "-1", "604801", "99999999999999999999", "%20%2060", "20250101T000000Z",
               "2025-01-01T00:00:00Z", "20251301T000000Z", "99991231T235959Z", "host", "HOST", "host%3Brange",
               "x" * 3000, "a/b/c/d/e", "AK/20250101/us-east-1/s3/aws4_request", "//////", "0" * 64,
               "A" * 64, "g" * 64]
_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
           "X-Amz-Signature", "x-amz-signature", "X-Amz-Security-Token", "response-content-type", "v", "",
           "%", "%ZZ", "X-Amz-Expires%00"]


def _mutate_query(rng: random.Random, query: str) -> str:
    """A valid presigned query string, then 1 to 4 random changes to its parameters."""
    pairs = [[name, value] for name, _, value in (p.partition("=") for p in query.split("&"))]
    for _ in range(rng.choice([1, 1, 2, 4])):
        action = rng.randrange(6)
        if action == 0 and pairs:                      # change a value
            rng.choice(pairs)[1] = rng.choice(_ODD_VALUES)
        elif action == 1 and pairs:                    # drop a parameter
            pairs.pop(rng.randrange(len(pairs)))
        elif action == 2 and pairs:                    # repeat one
            pairs.append(list(rng.choice(pairs)))
        elif action == 3:                              # add one
            pairs.append([rng.choice(_PARAMS), rng.choice(_ODD_VALUES)])
        elif action == 4:                              # shuffle
            rng.shuffle(pairs)
        else:                                          # a bare name, or an empty part
            pairs.insert(rng.randrange(len(pairs) + 1), [rng.choice(_PARAMS), ""])
    return "&".join(f"{k}={v}" if rng.random() < 0.95 else k for k, v in pairs)


_PATHS = [KEY, KEY, KEY, KEY, "/products/FUZZ/SCENE/other.bin", "/products/FUZZ/SCENE/", "/products",
          "/", "/products/%2e%2e/%2e%2e/etc/passwd", "/products/FUZZ/SCENE/data.bin%00", "/products//x",
          "/products/FUZZ/./SCENE/data.bin", "/%ff%fe", "/products/FUZZ/SCENE/data%2Ebin",
          "/quicklooks/x.png", "/_twin/stats", "/products/" + "a" * 2000]


def _request(rng: random.Random, store: FuzzStore, signed: dict[str, str]) -> tuple[str, str, bytes | None]:
    """One random request: method, target (printable ASCII, as sent) and Range header."""
    path = rng.choice(_PATHS)
    base_query = signed.setdefault(path, store.signed_query(path))
    query = _mutate_query(rng, base_query) if rng.random() < 0.5 else base_query
    target = path + ("?" + query if rng.random() < 0.97 else "")
    target = quote(target, safe="/?&=%+;:@!$'()*,~")
    method = rng.choice(["GET"] * 16 + ["HEAD", "HEAD", "PUT", "OPTIONS"])
    return method, target, _range_header(rng)


# -- the run ---------------------------------------------------------------------------------------


class _Client:
    """One keep-alive connection; a new one only when the server says it closes."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.reconnects = 0

    def send(self, method: str, target: str, range_header: bytes | None
             ) -> tuple[int, dict[str, str], bytes]:
        self.conn.putrequest(method, target, skip_accept_encoding=True)
        if range_header is not None:
            self.conn.putheader("Range", range_header)
        self.conn.endheaders()
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.will_close:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.reconnects += 1
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body

    def close(self) -> None:
        self.conn.close()


def _check_body(method: str, status: int, headers: dict[str, str], body: bytes) -> None:
    """A 200 carries the whole file, a single-range 206 exactly the bytes it announces."""
    if method == "HEAD":
        assert body == b""
    elif status == 200:
        assert body == DATA
    elif status == 206 and "content-range" in headers:
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", headers["content-range"])
        assert m and int(m[3]) == len(DATA), headers
        assert body == DATA[int(m[1]):int(m[2]) + 1]


def test_random_requests_never_break_the_store(store: FuzzStore) -> None:
    rng = random.Random(20261127)
    client = _Client(store.port)
    statuses: Counter[int] = Counter()
    signed: dict[str, str] = {}
    reached_the_app = 0  # the server's HTTP parser answers 400 itself; control routes are not counted
    try:
        for i in range(REQUESTS):
            method, target, range_header = _request(rng, store, signed)
            status, headers, body = client.send(method, target, range_header)
            statuses[status] += 1
            reached_the_app += status != 400 and not target.startswith("/_twin/")
            assert status in ALLOWED, (i, method, target[:300], range_header, status, body[:300])
            _check_body(method, status, headers, body)
    finally:
        client.close()
    print(f"\n{REQUESTS} requests: {dict(sorted(statuses.items()))}, reconnects {client.reconnects}")
    assert statuses[200] + statuses[206] > REQUESTS // 10, "the fuzz must also reach the file"
    assert statuses[403] > REQUESTS // 10, "and be refused often"
    # The store still answers, and counted every request it was sent.
    conn = http.client.HTTPConnection("127.0.0.1", store.port, timeout=10)
    try:
        conn.request("GET", f"{KEY}?{store.signed_query()}", headers={"Range": "bytes=10-19"})
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (206, DATA[10:20])
    finally:
        conn.close()
    assert store.state.stats()["requests"] == reached_the_app + 1


@pytest.mark.parametrize(("name", "value"), [("X-Amz-Expires", "%C2%B2"), ("X-Amz-Expires", "%D9%A3"),
                                             ("X-Amz-Date", "99991231T235959Z")])
def test_what_the_fuzz_found_is_refused_not_a_crash(store: FuzzStore, name: str, value: str) -> None:
    """``X-Amz-Expires=²`` (``str.isdigit`` but not ``int``) and an expiry past year 9999 were 500s."""
    query = re.sub(rf"{name}=[^&]*", f"{name}={value}", store.signed_query())
    client = _Client(store.port)
    try:
        status, _, body = client.send("GET", f"{KEY}?{query}", None)
    finally:
        client.close()
    assert status == 403 and b"AuthorizationQueryParametersError" in body
