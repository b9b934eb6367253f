"""Every public entry validates its input: the corpus of tests/bad_inputs_cases.py (Python API, options,
analysis, export, catalogue, reads, command line), and hypothesis properties for validities, AOIs and
dates (any text is parsed or refused with a DinamisError, never another exception, and at once).

Each case must raise a :class:`~dinamis_widgets.DinamisError` subclass whose message names the input,
quotes at most ~80 characters of it, and says what to do. "At once" is checked with a 2 s alarm per case
(the inputs answer in milliseconds; the patterns that backtracked took seconds to minutes on them), not by
timing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pystac
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dinamis_widgets as dw
from dinamis_widgets.errors import DinamisError, quote

from .bad_inputs_cases import CASES, Case
from .servers import bind_loopback, run_app

pytestmark = [
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::dinamis_widgets.DinamisWarning"),
]

#: Words of a message that says what to do.
HINT_RE = re.compile(
    r"\b(give|use|write|pass|check|try|choose|load|search|swap|set|create|remove|ask|draw|"
    r"copy|fix|wrap|turn|sign|leave|tell|raise|define|for minutes|did you mean|accepted forms|"
    r"known profiles)\b|e\.g\.",
    re.I,
)
#: Seconds any case may take (they take milliseconds; a backtracking pattern took minutes).
ALARM = 2
#: Characters of an input a message may quote (the quote helper keeps 80, plus quotes and an ellipsis).
QUOTED = 100


class _TooSlowError(Exception):
    pass


@contextlib.contextmanager
def alarm(seconds: int = ALARM) -> Iterator[None]:
    """Raise :class:`_TooSlowError` in the main thread if the block runs longer than ``seconds``."""

    def _ring(signum: int, frame: Any) -> None:
        raise _TooSlowError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def raised(case: Case, ctx: Any, seconds: int = ALARM) -> BaseException:
    """What ``case`` raises (the expected error, or the test fails). It runs twice: once to load the modules
    it uses (imports take seconds the first time), then under the alarm."""
    for limit in (30, seconds):
        with pytest.raises(case.error) as info, alarm(max(limit, seconds)):
            case.call(ctx)
    return info.value


def check_message(exc: BaseException, case: Case) -> None:
    message = str(exc)
    assert case.names.lower() in message.lower(), f"the message does not name {case.names!r}: {message}"
    assert HINT_RE.search(message), f"the message says nothing to do: {message}"
    if case.raw is not None and len(case.raw) > QUOTED:
        assert case.raw[:QUOTED] not in message, "the message quotes more than ~80 characters of the input"
        assert len(message) < 2000, f"the message is {len(message)} characters long"


def cli(argv: list[str]) -> None:
    """Run ``dinamis-widgets ARGV``; it must exit with 2 and one line of error, raised here as a
    DinamisError to be checked as the others."""
    from dinamis_widgets.cli.commands import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    assert code == 2, f"exit code {code}: {err.getvalue()}"
    text = err.getvalue()
    assert text.startswith("dinamis-widgets: error: ") and "Traceback" not in text, text
    raise DinamisError(text)


def _html_site(request: Any) -> Any:
    from starlette.responses import HTMLResponse

    return HTMLResponse("<!DOCTYPE html><html><body>A web site, not an API</body></html>")


@pytest.fixture(scope="module")
def html_url() -> Iterator[str]:
    """A web site answering an HTML page at every path (not a STAC API, not a signing service)."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    app = Starlette(routes=[Route("/{path:path}", _html_site, methods=["GET", "POST"])])
    with run_app(app, bind_loopback()) as url:
        yield url.rstrip("/") + "/"


@pytest.fixture(scope="module")
def ctx(twin: Any, twin_items: list[dict[str, Any]], html_url: str, tmp_path_factory: Any) -> Iterator[Any]:
    from dinamis_widgets.signing.client import Signer

    spot = sorted(
        (
            pystac.Item.from_dict(d)
            for d in twin_items
            if "W001N46_SCENE1" in d["id"]
            and d["properties"].get("processing:level") == "ORTHO"
            and "REGARDS" not in d["collection"]
        ),
        key=lambda it: str(it.datetime),
    )
    s2 = [pystac.Item.from_dict(d) for d in twin_items if d["collection"] == "sentinel2-l2a-theia"]
    tmp = tmp_path_factory.mktemp("bad_inputs")
    readonly = tmp / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    if os.geteuid() == 0:  # root writes in any folder, but not in /proc
        readonly = Path("/proc")
    a_file = tmp / "a_file"
    a_file.write_text("not a zarr store")
    cube = dw.load(spot[:1], bands=["red", "nir"], chunks=256)

    def signer(endpoint: str) -> Signer:
        default = dw.get_signer()
        return Signer(
            endpoint,
            credentials=default.credentials,
            signable_hosts=default.signable_hosts,
            retry_total=0,
            retry_deadline=1,
        )

    def read_with_fault(status: int) -> Any:
        """Read a corner of a file the store refuses (403, a fault of the twin), or of a file it does not
        have (404: the item's href changed to a missing key)."""
        from dinamis_widgets.reading.gdal_io import clear_gdal_cache

        item = spot[0].clone()
        asset = item.assets["multispectral"]
        name = asset.href.rsplit("/", 1)[-1]
        clear_gdal_cache()
        if status == 404:
            asset.href = asset.href.replace(name, name.replace(".tif", "_MISSING.tif"))
        else:
            twin.set_faults(kind="error", status=status, match=name, count=100)
        try:
            return (
                dw.load([item], bands=["red"], chunks=256)
                .red.isel(time=0, x=slice(0, 8), y=slice(0, 8))
                .compute()
            )
        finally:
            twin.clear_faults()
            clear_gdal_cache()

    url = spot[0].assets["multispectral"].href
    yield SimpleNamespace(
        twin=twin,
        spot=spot,
        s2=s2,
        spot_item=spot[0],
        tmp=tmp,
        readonly=readonly,
        a_file=a_file,
        cube=cube,
        signer=signer,
        url=url,
        html_url=html_url,
        read_with_fault=read_with_fault,
        cli=cli,
    )
    (tmp / "readonly").chmod(0o755)


def test_the_corpus_is_large_and_covers_every_family() -> None:
    families = {c.family for c in CASES}
    assert len(CASES) >= 150
    assert {
        "validity",
        "dates",
        "aoi",
        "query",
        "sign",
        "load",
        "options",
        "analysis",
        "catalog",
        "read",
        "cli",
    } <= families
    assert len({c.id for c in CASES}) == len(CASES), "two cases have the same id"


@pytest.mark.parametrize("case", [c for c in CASES if not c.twin], ids=lambda c: c.id)
def test_bad_input_offline(case: Case) -> None:
    error = raised(case, SimpleNamespace(cli=cli))
    assert isinstance(error, DinamisError)
    check_message(error, case)


@pytest.mark.parametrize("case", [c for c in CASES if c.twin], ids=lambda c: c.id)
def test_bad_input_with_the_catalogue(case: Case, ctx: Any) -> None:
    error = raised(case, ctx, 60 if case.family in ("catalog", "read") else ALARM)
    assert isinstance(error, DinamisError)
    check_message(error, case)


def test_quote_cuts_and_tells_the_length() -> None:
    assert quote("3h") == "'3h'"
    text = quote("y" * 100_000)
    assert len(text) < 110 and "100000 characters" in text
    assert "X-Amz-Signature=***" in quote("https://h/f.tif?X-Amz-Signature=abc")


def test_the_bbox_pattern_is_linear() -> None:
    """The digits-and-spaces strings that backtracked (300 characters: 1 s; 900: no answer) now take no
    longer at 100 times the size than the alarm allows."""
    from dinamis_widgets.catalog.aoi_forms import _NUMBERS_RE

    for text in ("1" + " " * 100_000 + "x", "1 " * 50_000, "1 , " * 25_000, "1" + " " * 50_000 + "2 3 4 x"):
        with alarm():
            assert _NUMBERS_RE.match(text) is None


def test_a_good_load_still_plans(ctx: Any) -> None:
    """The guards leave a sensible load alone, and dw.plan still shows it."""
    p = dw.plan(ctx.spot, bands=["red", "nir"], estimate=False)
    assert p.shape[0] == len(ctx.spot) and p.output_bytes > 0


def test_the_size_limit_is_set_by_the_environment(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINAMIS_MAX_CUBE_BYTES", "1000")
    with pytest.raises(dw.CubeTooLargeError, match="DINAMIS_MAX_CUBE_BYTES"):
        dw.load(ctx.spot[:1], bands=["red"])
    monkeypatch.setenv("DINAMIS_MAX_CUBE_BYTES", "a lot")
    with pytest.raises(dw.InputError, match="DINAMIS_MAX_CUBE_BYTES"):
        dw.load(ctx.spot[:1], bands=["red"])


# --- properties -----------------------------------------------------------------------------------
_FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="0123456789 .,;:-+eEPTHMSDWhmsdw/", max_size=3000),
    st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["1 ", "1", " ", "1h", "P1", "1,", "1.", "e", "/", "-"]),
        st.integers(0, 5000),
    ),
)


def _parsed_or_refused(func: Any, value: Any) -> None:
    with alarm():
        try:
            func(value)
        except DinamisError as exc:
            assert len(str(exc)) < 2000
            assert HINT_RE.search(str(exc)), str(exc)


@_FAST
@given(_TEXT)
def test_any_text_is_a_validity_or_a_validity_error(text: str) -> None:
    _parsed_or_refused(dw.parse_validity, text)


@_FAST
@given(
    st.one_of(
        _TEXT,
        st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=7),
        st.builds(
            json.dumps,
            st.recursive(
                st.none() | st.floats() | st.text(max_size=5),
                lambda c: st.lists(c) | st.dictionaries(st.text(max_size=5), c),
                max_leaves=20,
            ),
        ),
    )
)
def test_any_value_is_an_aoi_or_a_query_error(value: Any) -> None:
    _parsed_or_refused(dw.as_aoi, value)


@_FAST
@given(st.one_of(_TEXT, st.tuples(_TEXT, _TEXT), st.tuples(st.dates(), st.dates())))
def test_any_value_is_a_date_range_or_a_query_error(value: Any) -> None:
    from dinamis_widgets.catalog.dates import datetime_range

    _parsed_or_refused(datetime_range, value)
