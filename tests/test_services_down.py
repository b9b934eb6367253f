"""Services down: the STAC API, the signing service, the object store and the sign-in endpoints, each
down (a closed port of 127.0.0.1), answering 500 (a tiny real server), or failing in the twin; each time a
typed error that names the endpoint and says what to do, in the retry deadline (short here:
``DINAMIS_RETRY_DEADLINE=2``; 30 s by default, read from the policy). The Explorer shows it in its status
line and stays usable."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pystac
import pytest

from dinamis_widgets.catalog.searching import search
from dinamis_widgets.errors import AuthenticationError, LoadError, SearchError, SigningError
from dinamis_widgets.http import RetryPolicy, request
from dinamis_widgets.reading.download import DownloadError, download
from dinamis_widgets.reading.gdal_io import clear_gdal_cache, reader_stats, reset_reader_stats
from dinamis_widgets.reading.loading import load
from dinamis_widgets.reading.options import LoadOptions
from dinamis_widgets.settings import Settings, reload_settings
from dinamis_widgets.signing.client import Signer
from dinamis_widgets.signing.device_flow import DeviceFlowAuth
from dinamis_widgets.signing.tokens import Token, save_token

from .servers import closed_url, failing_app, run_app
from .ui_helpers import DECK_ITEM, ROCHEFORT, item

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

DEADLINE = 2.0


@pytest.fixture()
def short_deadline(twin: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DINAMIS_RETRY_DEADLINE", str(DEADLINE))
    reload_settings()
    yield
    monkeypatch.undo()
    reload_settings()
    twin.clear_faults()


def timed(call: Any, error: type[Exception]) -> tuple[Any, float]:
    """The error ``call`` raises, and the seconds it took (printed for RELIABILITY.md, not asserted)."""
    start = time.monotonic()
    with pytest.raises(error) as info:
        call()
    return info.value, time.monotonic() - start


def test_the_default_deadline_is_30_s() -> None:
    defaults = Settings()
    assert RetryPolicy.from_settings(defaults).deadline == 30.0
    assert Signer.from_settings(defaults).retry.deadline == 30.0
    # the catalogue (urllib3) gets the retries that fit in 30 s
    policy = RetryPolicy.from_settings(defaults)
    retry = policy.urllib3_retry()
    assert sum(policy.backoff(a) for a in range(retry.total)) <= 30.0 < sum(
        policy.backoff(a) for a in range(retry.total + 1))
    assert RetryPolicy.from_settings(Settings(retry_deadline=5)).deadline == 5.0


def test_a_service_down_is_reported_within_the_default_30_s() -> None:
    """request() against a closed port with the default policy, on a fake clock: the waits it would make."""
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    down = closed_url()
    with pytest.raises(SigningError) as info:
        request("POST", down + "/sign_urls", policy=RetryPolicy.from_settings(Settings()), timeout=5,
                sleep=sleep, clock=lambda: clock[0])
    assert waits == [0.8, 1.6, 3.2, 6.4, 12.8] and sum(waits) <= 30.0
    assert down in info.value.message and "6 attempt(s) in 25 s" in info.value.message


def test_stac_api_down_or_failing(short_deadline: None, twin: Any) -> None:
    down = closed_url()
    err, seconds = timed(lambda: search(collections=["SPOT67_HCF_GS1"], catalog=down), SearchError)
    print(f"\nSTAC API down: {seconds:.2f} s")
    assert down in err.message and "Check" in err.message and err.status is None
    with run_app(failing_app(500)) as url:
        err, seconds = timed(lambda: search(collections=["SPOT67_HCF_GS1"], catalog=url + "/"), SearchError)
    print(f"STAC API answering 500: {seconds:.2f} s")
    assert err.status == 500 and url in err.message
    # the twin's STAC API failing its searches (503) after the catalogue was opened
    from dinamis_widgets.catalog.client import open_catalog

    client = open_catalog("twin")
    twin.set_faults("stac_api", kind="error", status=503, retry_after=None, match="/search")
    err, seconds = timed(lambda: search(collections=["SPOT67_HCF_GS1"], aoi=ROCHEFORT, catalog=client),
                         SearchError)
    print(f"STAC API answering 503 to searches: {seconds:.2f} s")
    assert err.status == 503 and twin.stac_api in err.message and "again later" in err.message
    assert twin.fault_stats("stac_api")["by_status"]["503"] >= 2  # retried before giving up
    # every path failing: the queryables (read first) fail the search, which is not sent (one retry budget)
    twin.clear_faults("stac_api")
    fresh = open_catalog("twin")  # its queryables not read yet
    twin.reset_fault_stats("stac_api")
    twin.set_faults("stac_api", kind="error", status=503, retry_after=None)
    err, seconds = timed(lambda: search(collections=["SPOT67_HCF_GS1"], catalog=fresh), SearchError)
    print(f"STAC API answering 503 to everything: {seconds:.2f} s")
    assert err.status == 503 and twin.stac_api in err.message and "again later" in err.message
    assert "/search" not in twin.fault_stats("stac_api")["paths"]


def test_signing_service_down_or_failing(short_deadline: None, twin: Any) -> None:
    href = f"{twin.data}/dinamis-mtd/any/file_MS.tif"
    down = closed_url() + "/"
    deadline = RetryPolicy.from_settings().deadline
    signer = Signer(down, signable_hosts=[twin.data_host], retry_deadline=deadline)
    err, seconds = timed(lambda: signer.sign_url(href), SigningError)
    print(f"\nsigning service down: {seconds:.2f} s")
    assert down in err.message and "TLD_SIGNING_ENDPOINT" in err.message and err.status is None
    assert "attempt(s)" in err.message
    app = failing_app(500)
    with run_app(app) as url:
        signer = Signer(url + "/", signable_hosts=[twin.data_host], retry_deadline=deadline)
        err, seconds = timed(lambda: signer.sign_url(href), SigningError)
    print(f"signing service answering 500: {seconds:.2f} s")
    assert err.status == 500 and url in err.message and "try again later" in err.message.lower()
    assert app.requests >= 2  # retried before giving up
    twin.set_faults("signing", kind="reset", match="/sign_urls")
    err, seconds = timed(lambda: Signer.from_settings().sign_url(href), SigningError)
    print(f"twin signing service resetting connections: {seconds:.2f} s")
    assert twin.signing in err.message and err.status is None


def test_object_store_down(short_deadline: None, twin: Any, twin_items: list[dict[str, Any]],
                           tmp_path: Path) -> None:
    down = closed_url()
    data = item(twin_items, DECK_ITEM).to_dict()
    for asset in data["assets"].values():
        asset["href"] = asset["href"].replace(twin.data, down)
    scene = pystac.Item.from_dict(data)
    ds = load([scene], bands=["red", "nir"], signer=Signer(None))
    err, seconds = timed(lambda: ds.compute(scheduler="threads"), LoadError)
    print(f"\nobject store down (load): {seconds:.2f} s")
    assert down in err.message and "_MS.tif" in err.message and "over the window" in err.message
    assert "object store answers" in err.message
    # the twin's store answering 503 to everything: GDAL's own retries (one here), not the reader's on top
    clear_gdal_cache()
    reset_reader_stats()
    twin.reset_store_stats()
    twin.set_faults(kind="error", status=503, retry_after=None)
    quick = LoadOptions(gdal_options={"GDAL_HTTP_MAX_RETRY": "1", "GDAL_HTTP_RETRY_DELAY": "0.1"})
    ds = load([item(twin_items, DECK_ITEM)], bands=["red", "nir"], options=quick)
    err, seconds = timed(lambda: ds.compute(scheduler="synchronous"), LoadError)
    print(f"object store answering 503 (GDAL_HTTP_MAX_RETRY=1): {seconds:.2f} s")
    assert "HTTP response code: 503" in err.message and "after 1 attempt(s)" in err.message
    assert reader_stats().get("retries", 0) == 0 and twin.store_stats()["by_status"]["503"] == 2
    twin.clear_faults()
    href = scene.assets["multispectral"].href
    err, seconds = timed(lambda: download(href, tmp_path, signer=Signer(None), retries=2, backoff=0.1),
                         DownloadError)
    print(f"object store down (download, 3 attempts): {seconds:.2f} s")
    assert down in err.message and "Run it again" in err.message


def _expired_sign_in(folder: Path) -> None:
    """A stored sign-in whose access token has expired and whose refresh token is still valid."""
    save_token(Token("access", 60, "refresh", 3600, issued_at=time.time() - 120), folder)


def test_sign_in_endpoints_down_or_failing(short_deadline: None, tmp_path: Path) -> None:
    _expired_sign_in(tmp_path)
    down = closed_url() + "/"
    auth = DeviceFlowAuth(down, tmp_path, interactive=False)
    err, seconds = timed(auth.access_token, AuthenticationError)  # refreshing asks for the token URL
    print(f"\nsign-in endpoints down: {seconds:.2f} s")
    assert down in err.message and "openapi.json" in err.message and "TLD_SIGNING_ENDPOINT" in err.message
    app = failing_app(500)
    with run_app(app) as url:
        auth = DeviceFlowAuth(url + "/", tmp_path, interactive=False)
        err, seconds = timed(auth.access_token, AuthenticationError)
    print(f"sign-in endpoints answering 500: {seconds:.2f} s")
    assert err.status == 500 and url in err.message and app.requests >= 2


def test_the_explorer_shows_a_dead_catalogue_and_stays_usable(short_deadline: None, twin: Any) -> None:
    from dinamis_widgets.ui.explorer import Explorer

    down = closed_url() + "/"
    ex = Explorer(lang="en", profile=down, online=False)
    assert ex.panel.wait(60)
    ex.panel.search_button.click()
    assert ex.panel.wait(60)
    assert ex.panel.status.level == "error", ex.panel.status.message
    assert "127.0.0.1:" + down.rsplit(":", 1)[1].rstrip("/") in ex.panel.status.message
    assert "Traceback" not in ex.panel.status._html.value
    # the next search, against the twin, works
    ex.panel.profile = "twin"
    assert ex.panel.wait(60) and ex.panel.status.level == "success", ex.panel.status.message
    ex.panel.collections = ("SPOT67_HCF_GS1",)
    ex.panel.aoi_picker.set_from_text(",".join(map(str, ROCHEFORT)))
    ex.panel.search_button.click()
    # a search that worked clears the status (the count under the button says it)
    assert ex.panel.wait(60) and ex.panel.status.level != "error", ex.panel.status.message
    assert ex.results is not None and len(ex.results) > 0
    # the twin's catalogue failing a search: the status names it and says so; then it works again
    twin.set_faults("stac_api", kind="error", status=503, retry_after=None, match="/search")
    ex.panel.search_button.click()
    assert ex.panel.wait(60) and ex.panel.status.level == "error"
    assert twin.stac_api in ex.panel.status.message and "503" in ex.panel.status.message
    twin.clear_faults("stac_api")
    ex.panel.results = None
    ex.panel.search_button.click()
    assert ex.panel.wait(60) and ex.panel.status.level != "error", ex.panel.status.message
    assert ex.panel.status.message == "" and ex.results is not None and len(ex.results) > 0
