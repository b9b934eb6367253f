"""The toolkit's errors cross process boundaries whole: pickled (as dask.distributed does with an error raised
in a task), each keeps its type, message and attributes; a load whose reads fail on a LocalCluster raises
``LoadError`` naming the file, not a bare ``Exception``."""

from __future__ import annotations

import pickle
from typing import Any

import pystac
import pytest

import dinamis_widgets as dw
from dinamis_widgets.errors import DinamisError
from dinamis_widgets.reading import download as _download  # noqa: F401  # defines subclasses
from dinamis_widgets.reading.gdal_io import clear_gdal_cache
from dinamis_widgets.signing.rules import explain_signability
from dinamis_widgets.ui import quicklook as _quicklook  # noqa: F401  # defines a subclass

from .ui_helpers import DECK_ITEM, item


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


ERRORS = sorted({DinamisError, *_all_subclasses(DinamisError)}, key=lambda c: c.__name__)


def _instance(cls: type[DinamisError]) -> DinamisError:
    message = "Reading band(s) [1] of https://h/k.tif?X-Amz-Signature=abcdef failed"
    if issubclass(cls, dw.errors.HTTPServiceError):
        return cls(message, status=503, service_message="busy", url="https://h/k.tif?X-Amz-Signature=ab")
    return cls(message)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_every_error_round_trips_through_pickle(cls: type[DinamisError]) -> None:
    error = _instance(cls)
    error.asset, error.window = "multispectral", (0, 0, 8, 8)  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls
    assert str(back) == str(error) and back.message == error.message and back.args == error.args
    assert vars(back) == vars(error)
    assert "abcdef" not in str(back)


def test_not_signable_keeps_its_reason(twin_items: list[dict[str, Any]]) -> None:
    brut = next(d for d in twin_items if d["properties"]["processing:level"] == "BRUT")
    reason = explain_signability(brut).reason
    assert reason is not None
    back = pickle.loads(pickle.dumps(dw.errors.NotSignableError(reason)))
    assert back.reason == reason and back.message == reason.message


def test_http_errors_keep_status_and_do_not_repeat_it() -> None:
    error = dw.errors.SigningError("Signing failed", status=500, service_message="boom", url="https://s/sign")
    back = pickle.loads(pickle.dumps(error))
    assert (back.status, back.service_message, back.url) == (500, "boom", "https://s/sign")
    assert str(back) == "Signing failed (HTTP 500: boom)"


def test_a_failed_read_on_a_local_cluster_raises_load_error_naming_the_asset(
        twin: Any, twin_items: list[dict[str, Any]]) -> None:
    distributed = pytest.importorskip("distributed")
    scene: pystac.Item = item(twin_items, DECK_ITEM)
    name = scene.assets["multispectral"].href.rsplit("/", 1)[-1].split("?", 1)[0]
    clear_gdal_cache()
    twin.set_faults(kind="error", status=403, match=name, count=1000)
    try:
        cube = dw.load([scene], bands=["red"], chunks=256).red.isel(time=0, x=slice(0, 8), y=slice(0, 8))
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster), \
                pytest.raises(dw.LoadError) as caught:
            cube.compute()
    finally:
        twin.clear_faults()
        clear_gdal_cache()
    error = caught.value
    assert type(error) is dw.LoadError  # not a plain Exception holding its text
    assert name in str(error) and "403" in str(error) and "window" in str(error), str(error)
    assert error.asset is not None and error.asset.endswith(name) and "X-Amz" not in error.asset
    assert error.window is not None and len(error.window) == 5 and "EPSG" in error.window[4]


def test_a_long_message_keeps_its_type_through_distributed() -> None:
    from distributed.core import error_message
    from distributed.protocol import pickle as dpickle

    try:
        raise dw.LoadError("Reading band(s) [1] of k.tif failed: " + "x" * 20_000, asset="https://h/k.tif")
    except dw.LoadError as exc:
        sent = error_message(exc)  # what a worker sends: distributed shortens messages over 10,000 characters
    back = dpickle.loads(sent["exception"].data)
    assert type(back) is dw.LoadError and "k.tif failed" in str(back)
