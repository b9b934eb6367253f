"""The signer against the twin's real signing service (uvicorn on 127.0.0.1): batching, cache, reuse of
signed URLs, threads, retries, typed errors, signability rules, pystac and pystac-client objects, pickling.
"""

from __future__ import annotations

import concurrent.futures
import copy as copy_module
import multiprocessing
import pickle
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pystac
import pytest

from dinamis_widgets.errors import (
    AuthenticationError,
    NotSignableError,
    SigningError,
    ValidityError,
)
from dinamis_widgets.settings import override
from dinamis_widgets.signing import registry
from dinamis_widgets.signing.apikeys import ApiKey
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.signing.credentials import ApiKeyAuth
from dinamis_widgets.signing.dispatch import EXPIRY_FIELD, sign, sign_inplace
from dinamis_widgets.signing.registry import get_signer, resign_url
from dinamis_widgets.signing.rules import NotSignable, signability
from dinamis_widgets.signing.urls import SignedURL, is_signed, parse_signed_url, unsigned_url
from dinamis_widgets.warnings import NotSignableWarning
from tests import signing_service
from tests.signing_service import DATA_URL, SIGNABLE, Service, point_at

# Fixtures of the helpers module: a twin signing service in a uvicorn thread, and isolation of each test.
isolated = signing_service.isolated
service = signing_service.service
service_factory = signing_service.service_factory

BASE = DATA_URL + "/scenes/SPOT67_HCF_GS1"


def make_signer(service: Service, **kw: Any) -> Signer:
    kw.setdefault("backoff_factor", 0.01)
    kw.setdefault("credentials", ApiKeyAuth(service.demo_key, "the test"))
    kw.setdefault("signable_hosts", SIGNABLE)
    return Signer(service.url, **kw)


def urls(n: int, tag: str = "") -> list[str]:
    return [f"{BASE}/ITEM{tag}{i:04d}/ITEM{tag}{i:04d}_MS.tif" for i in range(n)]


def make_item(item_id: str = "SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1", *, level: str = "ORTHO",
              provider: str = "MTD", host: str = DATA_URL, collection: pystac.Collection | None = None,
              providers: list[pystac.Provider] | None = None) -> pystac.Item:
    props: dict[str, Any] = {"processing:level": level, "dinamis:provider": provider}
    item = pystac.Item(item_id, {"type": "Point", "coordinates": [3.9, 43.6]}, [3.9, 43.6, 3.9, 43.6],
                       datetime(2026, 2, 24, 10, 36, tzinfo=UTC), props)
    if providers is not None:
        item.common_metadata.providers = providers
    for key, suffix in (("multispectral", "MS.tif"), ("panchromatic", "PAN.tif")):
        item.add_asset(key, pystac.Asset(f"{host}/scenes/SPOT67_HCF_GS1/{item_id}/{item_id}_{suffix}",
                                         roles=["data"]))
    item.add_asset("metadata", pystac.Asset(f"https://example.org/{item_id}.xml", roles=["metadata"]))
    if collection is not None:
        item.set_collection(collection)
    return item


# --------------------------------------------------------------------------------------------------
# Signed URLs, without a server
# --------------------------------------------------------------------------------------------------


def test_parse_signed_urls() -> None:
    url = (f"{BASE}/k.tif?v=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101%2Fus-east-1"
           "%2Fs3%2Faws4_request&X-Amz-Date=20260101T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
           "&X-Amz-Signature=deadbeef")
    s = parse_signed_url(url)
    assert s is not None
    assert s.unsigned_href == f"{BASE}/k.tif?v=1"
    assert s.expiry == datetime(2026, 1, 1, 13, tzinfo=UTC)
    assert s.issued == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert s.lifetime == 3600 and s.signed
    assert s.ttl(datetime(2026, 1, 1, 12, 30, tzinfo=UTC)) == 1800
    assert "deadbeef" not in repr(s) and "deadbeef" not in str(s) and "X-Amz-Signature=***" in repr(s)
    assert s.vsicurl() == "/vsicurl/" + url
    assert is_signed(url) and not is_signed(f"{BASE}/k.tif") and not is_signed(f"{BASE}/k.tif?v=1")
    assert unsigned_url(f"{BASE}/k.tif") == f"{BASE}/k.tif"
    assert parse_signed_url(f"{BASE}/k.tif") is None
    assert parse_signed_url(f"{BASE}/k.tif?X-Amz-Signature=x&X-Amz-Date=bad&X-Amz-Expires=1") is None
    assert parse_signed_url(f"{BASE}/k.tif?x-amz-signature=x&x-amz-date=20260101T120000Z&x-amz-expires=5")


def test_without_a_signing_service_everything_passes_through() -> None:
    s = Signer(None, signable_hosts=SIGNABLE)
    assert s.sign_url(f"{BASE}/k.tif") == SignedURL(f"{BASE}/k.tif", f"{BASE}/k.tif", None)
    assert s.sign_url(f"{BASE}/k.tif").ttl() == float("inf")
    assert s.stats["passed_through"] == 2


def test_bad_validity_is_refused_before_any_request(service: Service) -> None:
    s = make_signer(service, max_validity="P7D")
    before = service.sign_requests()
    for bad in ("30m", "0", "-3h", "1h30min", "soon"):
        with pytest.raises(ValidityError) as info:
            s.sign_urls(urls(1), bad)
        assert repr(bad) in str(info.value) and "Accepted forms" in str(info.value)
    with pytest.raises(ValidityError, match=r"'8d'.*above the maximum validity of 7 days"):
        s.sign_urls(urls(1), "8d")
    assert service.sign_requests() == before


# --------------------------------------------------------------------------------------------------
# Against the service
# --------------------------------------------------------------------------------------------------


def test_batches_of_64(service: Service) -> None:
    s = make_signer(service)
    wanted = urls(150, "B")
    before = service.stats()
    signed = s.sign_urls(wanted, "3h")
    after = service.stats()
    assert after["sign_requests"] - before["sign_requests"] == 3  # 64 + 64 + 22
    assert after["urls_signed"] - before["urls_signed"] == 150
    assert list(signed) == wanted
    now = datetime.now(UTC)
    for url, result in signed.items():
        assert result.unsigned_href == url
        assert result.href.startswith(url + "?") and "X-Amz-Signature=" in result.href
        assert result.expiry is not None and 3 * 3600 - 60 < result.ttl(now) <= 3 * 3600
        assert "X-Amz-Expires=10800" in result.href
    assert s.stats["requests"] == 3 and s.stats["urls_sent"] == 150


def test_cache_hit_sends_nothing(service: Service) -> None:
    s = make_signer(service)
    wanted = urls(10, "C")
    first = s.sign_urls(wanted)
    before = service.sign_requests()
    again = s.sign_urls(wanted)
    assert service.sign_requests() == before
    assert again == first and s.stats["cache_hits"] == 10
    # a validity within the margin of the cached one is served from the cache (the default is 8 h)...
    assert s.sign_urls(wanted, "8h") == first
    assert s.sign_urls(wanted, "PT7H45M") == first
    assert service.sign_requests() == before
    # ...a much shorter or longer one is not: the validity asked is what the user gets
    short = s.sign_urls(wanted, "1h")
    assert service.sign_requests() == before + 1
    assert all(3500 < x.ttl() <= 3600 for x in short.values())
    assert s.sign_urls(wanted, "1h") == short
    s.sign_urls(wanted, "P2D")
    assert service.sign_requests() == before + 2
    # with no validity asked, whatever is cached and valid for the margin is used
    assert all(x.ttl() > 86400 for x in s.sign_urls(wanted).values())
    assert service.sign_requests() == before + 2


def test_duplicates_and_order(service: Service) -> None:
    s = make_signer(service)
    a, b = urls(2, "D")
    foreign = "https://example.org/x.tif"
    before = service.sign_requests()
    out = s.sign_urls([b, foreign, a, b])
    assert list(out) == [b, foreign, a]
    assert out[foreign].href == foreign and out[foreign].expiry is None
    assert service.sign_requests() == before + 1
    assert service.stats()["urls_requested"] >= 2


def test_foreign_hosts_pass_through_without_a_request(service: Service) -> None:
    s = make_signer(service)
    before = service.sign_requests()
    foreign = ["https://example.org/a.tif", "http://127.0.0.1:1/b.tif", "https://evilmeso.umontpellier.fr/c"]
    out = s.sign_urls(foreign)
    assert all(out[u].href == u and not out[u].signed for u in foreign)
    assert service.sign_requests() == before


def test_still_valid_signed_urls_are_reused(service: Service) -> None:
    signed = make_signer(service).sign_urls(urls(3, "R"), "2h")
    fresh = make_signer(service)  # empty cache
    before = service.sign_requests()
    hrefs = [x.href for x in signed.values()]
    out = fresh.sign_urls(hrefs)
    assert service.sign_requests() == before
    assert [out[h].href for h in hrefs] == hrefs
    assert fresh.stats["reused_signed"] == 3
    # the lazy reader's entry point: an already signed URL, still valid, is returned as it is
    assert fresh.resign_url(hrefs[0]).unsigned_href == unsigned_url(hrefs[0])
    assert service.sign_requests() == before


def test_signed_urls_are_signed_again_when_the_margin_is_not_met(service: Service) -> None:
    short = make_signer(service).sign_urls(urls(2, "M"), "10min")
    s = make_signer(service, margin=1800)  # 10 min left < 30 min margin
    before = service.sign_requests()
    hrefs = [x.href for x in short.values()]
    out = s.sign_urls(hrefs)
    assert service.sign_requests() == before + 1
    for h in hrefs:
        assert out[h].href != h and out[h].unsigned_href == unsigned_url(h)
        assert out[h].ttl() > 3600  # the service's default (8 h)
    # asking for more than is left also signs again
    long_enough = make_signer(service).sign_urls(urls(1, "N"), "1h")
    h = next(iter(long_enough.values())).href
    before = service.sign_requests()
    assert make_signer(service).sign_urls([h], "1h")[h].href == h
    assert make_signer(service).sign_urls([h], "P1D")[h].href != h
    assert service.sign_requests() == before + 1
    # a longer-lived URL is not handed out for a short validity (a 2 s demo gets 2 s URLs)
    two = make_signer(service).sign_urls([h], "2s")[h]
    assert two.href != h and "X-Amz-Expires=2&" in two.href
    assert service.sign_requests() == before + 2


def test_cached_entries_expire(service: Service) -> None:
    s = make_signer(service, validity="2s")  # margin becomes 1 s: reused while 1 s is left
    url = urls(1, "E")[0]
    first = s.sign_url(url)
    before = service.sign_requests()
    assert s.sign_url(url) == first
    assert service.sign_requests() == before
    time.sleep(1.2)
    second = s.sign_url(url)
    assert second.href != first.href and service.sign_requests() == before + 1


def test_resign_url(service: Service) -> None:
    s = make_signer(service)
    url = urls(1, "F")[0]
    expired = (f"{url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20200101T000000Z&X-Amz-Expires=60"
               "&X-Amz-SignedHeaders=host&X-Amz-Signature=0123")
    before = service.sign_requests()
    fresh = s.resign_url(expired)
    assert fresh.unsigned_href == url and fresh.ttl() > 3600 and "0123" not in fresh.href
    assert s.resign_url(url) == fresh  # cheap: from the cache
    assert service.sign_requests() == before + 1
    forced = s.resign_url(fresh.href, force=True)  # after a 403
    assert service.sign_requests() == before + 2 and forced.unsigned_href == url


def test_threads_asking_for_the_same_urls_share_one_request(service: Service) -> None:
    s = make_signer(service)
    wanted = urls(20, "T")
    barrier = threading.Barrier(50)
    results: list[dict[str, SignedURL]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(s.sign_urls(wanted))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    before = service.sign_requests()
    threads = [threading.Thread(target=work) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert service.sign_requests() == before + 1
    assert len(results) == 50 and all(r == results[0] for r in results)


def test_threads_share_errors(service: Service) -> None:
    s = Signer(service.url, credentials=ApiKeyAuth(ApiKey("nobody", "wrong")), signable_hosts=SIGNABLE)
    barrier = threading.Barrier(10)
    caught: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            s.sign_urls(urls(5, "X"))
        except BaseException as exc:
            caught.append(exc)

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(caught) == 10 and all(isinstance(e, AuthenticationError) for e in caught)
    assert not s._inflight


def test_retry_on_503_then_success(service: Service) -> None:
    s = make_signer(service)
    service.flaky.fail_next = 2
    calls, before = service.flaky.calls, service.sign_requests()
    out = s.sign_urls(urls(3, "503"))
    assert all(x.signed for x in out.values())
    assert service.flaky.calls - calls == 3  # two 503, then the service
    assert service.sign_requests() == before + 1


def test_retries_exhausted_keep_status_and_message(service: Service) -> None:
    s = make_signer(service, retry_total=2)
    service.flaky.fail_next = 3
    with pytest.raises(SigningError) as info:
        s.sign_urls(urls(1, "503b"))
    assert info.value.status == 503 and info.value.service_message == "busy, try later"
    assert "HTTP 503: busy, try later" in str(info.value)
    service.flaky.fail_next = 0


def test_unreachable_service(service: Service) -> None:
    s = Signer("http://127.0.0.1:9/", credentials=ApiKeyAuth(service.demo_key), signable_hosts=SIGNABLE,
               retry_total=1, backoff_factor=0.01, timeout=2)
    with pytest.raises(SigningError) as info:
        s.sign_urls(urls(1))
    assert info.value.status is None and "no answer" in str(info.value)


def test_401_is_an_authentication_error_with_advice(service: Service) -> None:
    s = Signer(service.url, credentials=ApiKeyAuth(ApiKey("nobody", "wrong-secret"), "TLD_ACCESS_KEY"),
               signable_hosts=SIGNABLE, backoff_factor=0.01)
    with pytest.raises(AuthenticationError) as info:
        s.sign_urls(urls(1))
    err = info.value
    assert err.status == 401 and "Invalid API key" in err.service_message
    message = str(err)
    assert "refused the API key nobo…" in message and "wrong-secret" not in message
    assert "TLD_ACCESS_KEY and TLD_SECRET_KEY" in message and "create_api_key" in message


def test_validity_above_the_service_maximum(service: Service) -> None:
    s = make_signer(service, max_validity=None)  # no client-side check: the service answers 400
    before = service.sign_requests()
    with pytest.raises(ValidityError) as info:
        s.sign_urls(urls(1), "8d")
    message = str(info.value)
    assert "'8d'" in message and "duration_seconds=691200" in message
    assert "above the maximum validity" in message and "Accepted forms" in message
    assert getattr(info.value, "status", None) == 400
    assert service.sign_requests() == before + 1


def test_signatures_never_in_errors(service: Service) -> None:
    signed = make_signer(service).sign_url(urls(1, "S")[0]).href
    signature = signed.rsplit("X-Amz-Signature=", 1)[1]
    s = make_signer(service, retry_total=0)
    service.flaky.fail_next = 1
    service.flaky.status = 500
    try:
        with pytest.raises(SigningError) as info:
            s.sign_urls([signed], "P2D")  # must be signed again: the cached one is too short
    finally:
        service.flaky.status = 503
    assert signature not in str(info.value) and signature not in repr(info.value)
    assert signature not in repr(s.sign_url(signed))


# --------------------------------------------------------------------------------------------------
# Signability of products
# --------------------------------------------------------------------------------------------------


def test_brut_products_cannot_be_signed(service: Service) -> None:
    s = make_signer(service)
    item = make_item("SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1_BRUT", level="BRUT")
    before = service.sign_requests()
    with pytest.raises(NotSignableError) as info:
        sign(item, signer=s)
    message = str(info.value)
    assert "BRUT product" in message and "processing:level = 'BRUT'" in message
    assert "not georeferenced" in message and "order it through the DINAMIS catalogue" in message
    with pytest.raises(NotSignableError):
        sign(item.assets["multispectral"], signer=s)
    with pytest.raises(NotSignableError):
        sign(item.to_dict(), signer=s)
    assert service.sign_requests() == before


@pytest.mark.parametrize(
    "kind",
    ["property", "providers", "collection"],
)
def test_regards_products_cannot_be_signed(service: Service, kind: str) -> None:
    s = make_signer(service)
    if kind == "property":
        item = make_item("PHR_REGARDS_1", provider="Regards")
    elif kind == "providers":
        item = make_item("PHR_REGARDS_2", provider="",
                         providers=[pystac.Provider("CNES (Regards)", roles=["producer"])])
    else:
        coll = pystac.Collection("REGARDS-PHR", "Pléiades - CNES Regards",
                                 pystac.Extent(pystac.SpatialExtent([[-180, -90, 180, 90]]),
                                               pystac.TemporalExtent([[None, None]])),
                                 providers=[pystac.Provider("CNES (Regards)", roles=["host"])])
        item = make_item("PHR_REGARDS_3", provider="", collection=coll)
    with pytest.raises(NotSignableError) as info:
        sign(item, signer=s)
    message = str(info.value)
    assert "Regards (CNES) product" in message and "order it through" in message
    assert str(signability(item)) == message and info.value.reason == signability(item)


ORDER = ("Only ORTHO products of MTD and SEAS Guyane can be signed and streamed. To get this product, order "
         "it through the DINAMIS catalogue (add it to the basket).")


def test_not_signable_values_say_which_rule_decided() -> None:
    brut = signability(make_item("X_BRUT", level="BRUT"))
    assert isinstance(brut, NotSignable)
    assert (brut.kind, brut.item_id, brut.value, brut.decided_by, brut.subject) == (
        "level", "X_BRUT", "BRUT", "processing:level", "Item")
    assert brut.short == "BRUT product" and brut.detail == "processing:level = 'BRUT'"
    assert brut.why == ("Item 'X_BRUT' cannot be signed: it is a BRUT product (processing:level = 'BRUT': "
                        "raw, in sensor geometry, not georeferenced)")
    assert brut.message == str(brut) == f"{brut.why}. {ORDER}"
    def collection(**fields: Any) -> pystac.Collection:
        extent = pystac.Extent(pystac.SpatialExtent([[-180, -90, 180, 90]]),
                               pystac.TemporalExtent([[None, None]]))
        return pystac.Collection("REGARDS-PHR", "Regards", extent, **fields)

    cases = {
        "dinamis:provider": make_item("P1", provider="Regards"),
        "providers": make_item("P2", provider="", providers=[pystac.Provider("CNES (Regards)")]),
        "the collection's providers": make_item("P3", provider="", collection=collection(
            providers=[pystac.Provider("CNES (Regards)", roles=["host"])])),
        "the collection's dinamis:provider": make_item("P4", provider="", collection=collection(
            extra_fields={"dinamis:provider": "Regards"})),
    }
    for decided_by, item in cases.items():
        reason = signability(item)
        assert reason is not None and reason.kind == "provider" and reason.decided_by == decided_by
        assert reason.short == "Regards (CNES) product" and "\n" not in reason.short
        assert reason.message == (f"Item {reason.item_id!r} cannot be signed: it is a Regards (CNES) product "
                                  f"({decided_by} = {reason.value!r}); Regards products are delivered by "
                                  f"CNES, not streamed by the MTD. {ORDER}")


def test_not_signable_is_phrased_for_a_collection(service: Service) -> None:
    s = make_signer(service)
    regards = signability({"id": "REGARDS-PHR", "properties": {"dinamis:provider": "Regards"}})
    assert regards is not None
    as_collection = regards.for_collection()
    assert as_collection.subject == "Collection" and regards.subject == "Item"  # a new value
    assert as_collection.message == "Collection" + regards.message.removeprefix("Item")
    assert (as_collection.kind, as_collection.short) == (regards.kind, regards.short)
    coll = pystac.Collection("REGARDS-PHR", "Regards", pystac.Extent(
        pystac.SpatialExtent([[-180, -90, 180, 90]]), pystac.TemporalExtent([[None, None]])),
        providers=[pystac.Provider("CNES (Regards)", roles=["host"])])
    coll.add_asset("thumbnail", pystac.Asset(f"{BASE}/thumb.png"))
    for obj in (coll, {**coll.to_dict(), "dinamis:provider": "Regards"}):
        with pytest.raises(NotSignableError) as info:
            sign(obj, signer=s)
        reason = info.value.reason
        assert reason is not None and reason.subject == "Collection" and reason.kind == "provider"
        assert str(info.value).startswith("Collection 'REGARDS-PHR' cannot be signed: it is a Regards (CNES) "
                                          "product (") and str(info.value).endswith(ORDER)


def test_not_signable_error_carries_its_reason_and_pickles() -> None:
    reason = signability({"id": "X_BRUT", "properties": {"processing:level": "brut"}})
    assert reason is not None and reason.short == "BRUT product" and reason.value == "brut"
    error = NotSignableError(reason)
    assert error.reason is reason and error.message == str(error) == reason.message
    wrapped = NotSignableError(reason.message + " (and 2 other item(s))", reason=reason)
    plain = NotSignableError("Item 'x' has no asset 'nir'; its assets are: none.")
    assert plain.reason is None
    for original in (error, wrapped, plain):
        for copy in (pickle.loads(pickle.dumps(original)), copy_module.copy(original)):
            assert type(copy) is NotSignableError and str(copy) == str(original)
            assert copy.message == original.message and copy.reason == original.reason
    assert pickle.loads(pickle.dumps(reason)) == reason


def test_signable_products() -> None:
    assert signability(make_item()) is None
    assert signability(make_item(provider="SEAS Guyane")) is None
    assert signability({"id": "x", "properties": {"processing:level": "ortho"}}) is None
    assert signability(pystac.Asset("https://x/y.tif")) is None


def test_ms_and_pan_are_signed_independently(service: Service) -> None:
    s = make_signer(service)
    item = make_item()
    ms_only = sign(item, "3h", assets=["multispectral"], signer=s)
    assert is_signed(ms_only.assets["multispectral"].href)
    assert not is_signed(ms_only.assets["panchromatic"].href)
    assert ms_only.assets["multispectral"].extra_fields[EXPIRY_FIELD].endswith("Z")
    assert EXPIRY_FIELD not in ms_only.assets["panchromatic"].extra_fields
    assert not is_signed(item.assets["multispectral"].href)  # a copy by default
    pan_only = sign(item, "1h", assets="panchromatic", signer=s)
    assert is_signed(pan_only.assets["panchromatic"].href)
    assert not is_signed(pan_only.assets["multispectral"].href)
    assert pan_only.assets["metadata"].href == item.assets["metadata"].href  # foreign host
    pan = sign(item.assets["panchromatic"], signer=s)
    assert is_signed(pan.href) and pan.owner is item
    with pytest.raises(NotSignableError, match="no asset 'nir'"):
        sign(item, assets=["nir"], signer=s)


def test_sign_whole_item_in_one_request_and_in_place(service: Service) -> None:
    s = make_signer(service)
    item = make_item("SCENE_INPLACE")
    before = service.sign_requests()
    result = sign_inplace(item, signer=s)
    assert result is item
    assert is_signed(item.assets["multispectral"].href) and is_signed(item.assets["panchromatic"].href)
    assert item.assets["metadata"].href == "https://example.org/SCENE_INPLACE.xml"
    assert service.sign_requests() == before + 1
    # signing again reuses the signatures
    sign(item, signer=s)
    assert service.sign_requests() == before + 1


def test_item_collections_and_mappings_skip_unsignable_items(service: Service) -> None:
    s = make_signer(service)
    good = [make_item(f"GOOD_{i}") for i in range(3)]
    brut = make_item("BAD_BRUT", level="BRUT")
    collection = pystac.ItemCollection([*good, brut])
    before = service.sign_requests()
    with pytest.warns(NotSignableWarning, match="1 item\\(s\\) left unsigned.*BAD_BRUT.*BRUT"):
        signed = sign(collection, "3h", signer=s)
    assert service.sign_requests() == before + 1  # one batch for the whole collection
    by_id = {i.id: i for i in signed}
    assert all(is_signed(by_id[f"GOOD_{i}"].assets["multispectral"].href) for i in range(3))
    assert not is_signed(by_id["BAD_BRUT"].assets["multispectral"].href)
    assert not is_signed(good[0].assets["multispectral"].href)  # copied
    # the same as a feature collection mapping (pystac-client's pages)
    fc = collection.to_dict()
    with pytest.warns(NotSignableWarning):
        out = sign(fc, signer=s)
    assert is_signed(out["features"][0]["assets"]["panchromatic"]["href"])
    assert not is_signed(fc["features"][0]["assets"]["panchromatic"]["href"])
    with pytest.warns(NotSignableWarning):
        assert sign_inplace(fc, signer=s) is fc
    assert is_signed(fc["features"][0]["assets"]["panchromatic"]["href"])
    # an item mapping, and a collection
    item_dict = good[0].to_dict()
    assert is_signed(sign(item_dict, signer=s, assets=["multispectral"])["assets"]["multispectral"]["href"])
    coll = pystac.Collection("SPOT67_HCF_GS1", "SPOT 6/7", pystac.Extent(
        pystac.SpatialExtent([[-180, -90, 180, 90]]), pystac.TemporalExtent([[None, None]])))
    coll.add_asset("overview", pystac.Asset(f"{BASE}/overview.tif"))
    assert is_signed(sign(coll, signer=s).assets["overview"].href)
    assert not is_signed(coll.assets["overview"].href)
    assert is_signed(sign(coll.to_dict(), signer=s)["assets"]["overview"]["href"])
    assert sign({"something": "else"}, signer=s) == {"something": "else"}
    with pytest.raises(TypeError, match="Cannot sign a int"):
        sign(42)


def _stac_api(items: list[pystac.Item]) -> Any:
    """A minimal STAC API (landing page and /search) serving ``items``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    features = [i.to_dict() for i in items]

    async def landing(request: Any) -> JSONResponse:
        base = str(request.base_url)
        return JSONResponse({
            "type": "Catalog", "id": "mini", "description": "mini", "stac_version": "1.0.0",
            "conformsTo": ["https://api.stacspec.org/v1.0.0/core",
                           "https://api.stacspec.org/v1.0.0/item-search"],
            "links": [{"rel": "self", "href": base, "type": "application/json"},
                      {"rel": "root", "href": base, "type": "application/json"},
                      {"rel": "search", "href": base + "search", "type": "application/geo+json",
                       "method": "POST"}],
        })

    async def search(request: Any) -> JSONResponse:
        return JSONResponse({"type": "FeatureCollection", "features": features, "links": []})

    return Starlette(routes=[Route("/", landing), Route("/search", search, methods=["GET", "POST"])])


def test_item_search_and_the_modifier_hook(service: Service) -> None:
    from pystac_client import Client, ItemSearch

    from tests.servers import run_app

    s = make_signer(service)
    items = [make_item(f"SEARCH_{i}") for i in range(4)] + [make_item("SEARCH_BRUT", level="BRUT")]
    with run_app(_stac_api(items)) as base:
        search = ItemSearch(base + "/search", method="POST")
        with pytest.warns(NotSignableWarning):
            signed = sign(search, "3h", signer=s)
        assert isinstance(signed, pystac.ItemCollection) and len(signed) == 5
        assert sum(is_signed(i.assets["multispectral"].href) for i in signed) == 4

        # pystac-client's modifier hook, with the default signer of the settings
        with override(profile="twin", stac_api=base, signing_endpoint=service.url,
                      signable_hosts=list(SIGNABLE), access_key=service.demo_key.access_key,
                      secret_key=service.demo_key.secret_key):
            client = Client.open(base + "/", modifier=sign_inplace)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotSignableWarning)
                found = list(client.search(max_items=10).items())
            signed_ids = {i.id for i in found if is_signed(i.assets["panchromatic"].href)}
            assert signed_ids == {f"SEARCH_{i}" for i in range(4)}


def test_default_signer_follows_the_settings(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    point_at(service, monkeypatch)
    first = get_signer()
    assert get_signer() is first and first.endpoint == service.url
    assert first.signable_hosts == SIGNABLE
    assert sign(urls(1, "G")[0]).startswith(urls(1, "G")[0] + "?")
    monkeypatch.setenv("TLD_TTL_MARGIN", "60")
    second = get_signer()
    assert second is not first and second.margin == 60
    monkeypatch.setenv("TLD_URL_DURATION", "PT2H")
    assert get_signer().validity == 7200
    assert "X-Amz-Expires=7200" in resign_url(urls(1, "H")[0]).href
    assert registry.sign_url(urls(1, "H")[0]).ttl() > 7000


def test_twin_profile_without_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    from dinamis_widgets.errors import ConfigurationError

    monkeypatch.setenv("DINAMIS_PROFILE", "twin")
    with pytest.raises(ConfigurationError, match="start the twin"):
        get_signer()


# --------------------------------------------------------------------------------------------------
# Pickling into other processes
# --------------------------------------------------------------------------------------------------


def _sign_in_child(blob: bytes, wanted: list[str]) -> tuple[list[str], int, bool]:
    s = pickle.loads(blob)
    out = s.sign_urls(wanted)
    again = pickle.loads(blob)  # unpickled twice in one process: the same signer, one cache
    again.sign_urls(wanted)
    return [out[u].href for u in wanted], again.stats.get("requests", 0), again is s


def test_pickle_into_a_process_pool(service: Service) -> None:
    s = make_signer(service, validity="1h")
    s.sign_urls(urls(3, "P"))
    blob = pickle.dumps(s)
    assert b"X-Amz-Signature" not in blob and b"Lock" not in blob  # no cache, no lock
    assert pickle.loads(blob) is s  # same process: the same signer
    wanted = urls(5, "Q")
    before = service.sign_requests()
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        hrefs, requests_made, same = pool.submit(_sign_in_child, blob, wanted).result(timeout=120)
    assert same and requests_made == 1
    assert service.sign_requests() == before + 1
    for url, href in zip(wanted, hrefs, strict=True):
        assert href.startswith(url + "?") and "X-Amz-Expires=3600" in href


def test_pickle_into_distributed_workers(service: Service) -> None:
    distributed = pytest.importorskip("distributed")
    s = make_signer(service)
    wanted = urls(4, "W")
    before = service.sign_requests()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        futures = [client.submit(lambda sg, u: sg.resign_url(u).href, s, u, pure=False) for u in wanted * 3]
        hrefs = client.gather(futures)
    assert all(is_signed(h) for h in hrefs)
    assert {unsigned_url(h) for h in hrefs} == set(wanted)
    # each worker process keeps one signer (and cache) however many tasks unpickle it
    assert service.sign_requests() - before <= 2 * len(wanted)


# --------------------------------------------------------------------------------------------------
# Fixtures shared with test_auth (they reset the process state around each test)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reset_flaky(service: Service) -> Iterator[None]:
    yield
    service.flaky.fail_next = 0
    service.flaky.status = 503
    service.flaky.retry_after = None


# --------------------------------------------------------------------------------------------------
# The full twin: STAC API, signing service and object store
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_against_the_full_twin(twin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Search the twin's STAC API with the modifier hook, read signed assets, and re-sign on expiry."""
    import requests
    from pystac_client import Client

    for name, value in twin.env().items():
        monkeypatch.setenv(name, value)
    client = Client.open(twin.stac_api, modifier=sign_inplace)
    with pytest.warns(NotSignableWarning):
        items = list(client.search(max_items=200).items())
    from dinamis_widgets.twin.scenes import DINAMIS_COLLECTIONS

    # (the twin's MTD-shaped items have other asset keys: DINAMIS-shaped ones only)
    signable = [i for i in items if signability(i) is None and i.collection_id in DINAMIS_COLLECTIONS]
    brut = [i for i in items if i.properties.get("processing:level") == "BRUT"]
    regards = [i for i in items if i.properties.get("dinamis:provider") == "Regards"]
    assert signable and brut and regards
    for item in signable[:5]:
        for key in ("multispectral", "panchromatic"):
            href = item.assets[key].href
            assert is_signed(href) and EXPIRY_FIELD in item.assets[key].extra_fields
            r = requests.get(href, headers={"Range": "bytes=0-99"}, timeout=10)
            assert r.status_code == 206 and len(r.content) == 100
    for item in brut + regards:
        assert not is_signed(item.assets["multispectral"].href)
        with pytest.raises(NotSignableError, match="order it through"):
            sign(item)
    # a 2 s validity: the URL expires (the store answers 403), and is signed again on demand
    short = Signer.from_settings(validity="2s")
    first = short.resign_url(signable[0].assets["multispectral"].href)
    assert "X-Amz-Expires=2&" in first.href
    assert requests.get(first.href, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 206
    time.sleep(2.5)
    assert requests.get(first.href, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 403
    again = short.resign_url(first.href)
    assert again.href != first.href
    assert requests.get(again.href, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 206
