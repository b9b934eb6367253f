"""How state flows in the explorer: background results reach the widgets on the main loop, and the drawn area
has one source of truth."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import traitlets

import dinamis_widgets as dw
from dinamis_widgets.ui.status import StatusBar
from dinamis_widgets.ui.tasks import MainLoop, TaskRunner, main_loop

from .ui_helpers import ROCHEFORT, TWO_DATES, browser_draw

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

SQUARE = {"type": "Polygon", "coordinates": [[[ROCHEFORT[0], ROCHEFORT[1]], [ROCHEFORT[2], ROCHEFORT[1]],
                                              [ROCHEFORT[2], ROCHEFORT[3]], [ROCHEFORT[0], ROCHEFORT[3]],
                                              [ROCHEFORT[0], ROCHEFORT[1]]]]}
FEATURE = {"type": "Feature", "properties": {"style": {"color": "#6a1b9a"}}, "geometry": SQUARE}


class _Threads:
    """Records the thread of every notification of the traits it watches."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def watch(self, owner: traitlets.HasTraits, *names: str) -> None:
        def record(change: Any) -> None:
            self.seen.append((f"{type(owner).__name__}.{change['name']}", threading.current_thread().name))

        owner.observe(record, names=list(names))

    def others(self) -> list[tuple[str, str]]:
        main = threading.main_thread().name
        return [s for s in self.seen if s[1] != main]


async def _until(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    """Wait on the loop (the kernel between two messages) until ``predicate`` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.02)


# -- the main loop --------------------------------------------------------------------------------


def test_worker_results_are_applied_on_the_loop_thread_in_order() -> None:
    async def scenario() -> list[tuple[str, str]]:
        loop = main_loop()
        assert loop.loop is asyncio.get_running_loop() and loop.on_loop_thread
        runner = TaskRunner(StatusBar(lang="en"))
        seen: list[tuple[str, str]] = []
        runner.run(lambda: "result", on_done=lambda v: seen.append((v, threading.current_thread().name)),
                   on_finally=lambda: seen.append(("finally", threading.current_thread().name)))
        # a failure goes to the status bar, on the loop too
        runner.run(lambda: 1 / 0, exclusive=False)
        runner.status.observe(lambda c: seen.append((c["new"], threading.current_thread().name)),
                              names="level")
        await _until(lambda: not runner.running, 10, "the tasks")
        return seen

    seen = asyncio.run(scenario())
    main = threading.main_thread().name
    assert ("result", main) in seen and ("finally", main) in seen and ("error", main) in seen
    assert seen.index(("result", main)) < seen.index(("finally", main))
    assert {name for _, name in seen} == {main}


def test_progress_updates_are_coalesced_while_the_loop_is_busy() -> None:
    async def scenario() -> list[int]:
        loop = main_loop()
        applied: list[int] = []

        def worker() -> None:
            for i in range(100):
                loop.post(lambda i=i: applied.append(i), key="progress")
            loop.post(lambda: applied.append(-1))

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()  # the loop is blocked meanwhile, as during a long cell
        assert applied == [] and loop.pending == 2
        await _until(lambda: loop.pending == 0, 5, "the loop")
        return applied

    assert asyncio.run(scenario()) == [99, -1]


def test_without_a_loop_updates_apply_at_once_and_wait_returns_after_them() -> None:
    result: list[str] = []

    def outside() -> None:
        loop = main_loop()
        assert isinstance(loop, MainLoop) and loop.loop is None
        runner = TaskRunner(StatusBar(lang="en"))
        assert runner.idle
        gate = threading.Event()
        runner.run(lambda: gate.wait(10), on_done=lambda v: result.append(threading.current_thread().name))
        assert not runner.idle  # its thread waits for the gate
        gate.set()
        assert runner.wait(10) and runner.idle

    outside()
    assert len(result) == 1 and result[0].startswith("dinamis-ui-")  # applied in the worker, under the lock


def test_explorer_search_load_and_ndvi_update_widgets_on_the_main_thread(twin: Any) -> None:
    threads = _Threads()

    async def scenario() -> dw.Explorer:
        ex = dw.Explorer(lang="en")
        panel, basket = ex.panel, ex.basket
        threads.watch(panel, "results", "queryables", "busy", "has_more")
        threads.watch(panel.status, "message", "level")
        threads.watch(panel.collection_select, "options")
        threads.watch(ex.results_list, "items")
        threads.watch(ex.map, "items")
        threads.watch(basket, "cube", "ndvi", "overlay")
        threads.watch(basket.ndvi_progress, "value", "max")
        threads.watch(basket.load_button, "disabled")
        await _until(lambda: panel.client is not None and panel.collection_select.options, 60, "catalogue")
        panel.collections = ("SPOT67_HCF_GS1",)
        panel.aoi = ROCHEFORT
        panel.search()  # a click: the result arrives while the loop runs
        await _until(lambda: panel.results is not None and not panel.busy, 60, "the results")
        assert set(TWO_DATES) <= set(panel.results.ids)  # type: ignore[union-attr]
        assert {c.item_id for c in ex.results_list.cards} == set(panel.results.ids)  # type: ignore[union-attr]
        # a cell that searches and waits: wait() applies the results on this (the loop's) thread
        panel.page_size.value = 2
        panel.search()
        assert ex.wait(60) and len(ex.results) == 2  # type: ignore[arg-type]
        for item_id in TWO_DATES:
            basket.add(next(i for i in dw.search(ids=[item_id])))
        basket.bands.value = ("red", "nir")
        basket.load()
        await _until(lambda: basket.cube is not None and not basket.load_button.disabled, 120, "the cube")
        basket.compute_ndvi()
        await _until(lambda: ex.map.overlay is not None, 120, "the NDVI overlay")
        return ex

    ex = asyncio.run(scenario())
    assert ex.ndvi is not None and ex.basket.ndvi_progress.value == ex.basket.ndvi_progress.max > 1
    watched = {name for name, _ in threads.seen}
    assert {"SearchPanel.results", "ResultsList.items", "ExplorerMap.items", "Basket.cube", "Basket.ndvi",
            "Basket.overlay", "IntProgress.value"} <= watched
    assert threads.others() == []


# -- one source of truth for the drawn area -------------------------------------------------------------


def test_drawing_then_clearing_updates_the_panel_area_once_each(twin: Any) -> None:
    ex = dw.Explorer(lang="en")
    assert ex.wait(60)
    picker, draw = ex.panel.aoi_picker, ex.map.draw_control
    changes: list[Any] = []
    picker.observe(lambda c: changes.append(c["new"]), names="aoi")

    # a draw event alone is not the state: the synced list of shapes is
    draw._handle_leaflet_event(None, {"event": "draw:created", "geo_json": FEATURE}, None)
    assert changes == [] and ex.aoi is None
    draw.data = [FEATURE]
    assert len(changes) == 1 and changes[0].bbox == ROCHEFORT
    assert ex.aoi is ex.map.drawn_aoi and picker.source == "draw"
    assert ex.map.aoi_layer.data["features"] == []  # the drawing itself shows the area
    # deleted on the map
    browser_draw(draw, "deleted", FEATURE, [])
    assert changes == [changes[0], None] and ex.aoi is None

    # drawn, then "Clear": the drawings go too, and the area changes once
    changes.clear()
    browser_draw(draw, "created", FEATURE, [FEATURE])
    picker.clear_button.click()
    assert len(changes) == 2 and changes[1] is None
    assert draw.data == [] and ex.map.drawn_aoi is None and ex.aoi is None

    # drawn, then a typed area: it replaces the drawing, once, and is outlined
    changes.clear()
    browser_draw(draw, "created", FEATURE, [FEATURE])
    picker.set_from_text("3.85, 43.59, 3.90, 43.63")
    assert len(changes) == 2 and changes[1].bbox == (3.85, 43.59, 3.90, 43.63) and picker.source == "text"
    assert draw.data == [] and ex.map.drawn_aoi is None
    assert len(ex.map.aoi_layer.data["features"]) == 1
    # the basket loads the same area
    assert ex.basket.search_aoi is ex.aoi


def test_the_map_selection_and_the_cards_are_one_state(twin: Any) -> None:
    ex = dw.Explorer(lang="en")
    assert ex.wait(60)
    ex.panel.collections = ("SPOT67_HCF_GS1",)
    ex.aoi = ROCHEFORT
    ex.panel.search()
    assert ex.wait(60) and ex.results is not None
    first, second = ex.results.ids[:2]
    ex.map.select(first)
    assert ex.results_list.selected_id == first and ex.card(first).selected  # type: ignore[union-attr]
    ex.results_list.selected_id = second
    assert ex.map.selected_id == second and not ex.card(first).selected  # type: ignore[union-attr]
    # a new search without the selected item unselects it everywhere
    ex.aoi = (3.85, 43.59, 3.90, 43.63)
    ex.panel.search()
    assert ex.wait(60)
    assert second not in ex.results.ids
    assert ex.map.selected_id == "" and ex.results_list.selected_id == ""


def test_wait_sees_a_task_started_by_another_task_result() -> None:
    """A connection's result starts the criteria's reading: `wait` returns only once that one is applied too,
    however the threads interleave (a thread not yet started used to be pruned as finished)."""
    runner = TaskRunner(StatusBar(lang="en"))
    stop = threading.Event()

    def poll() -> None:  # another caller asking about the runner, as a second panel or a progress bar would
        while not stop.is_set():
            _ = runner.idle

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        for i in range(200):
            applied: list[int] = []

            def chain(value: int, seen: list[int] = applied) -> None:
                runner.run(lambda: value, on_done=seen.append)

            runner.run(functools.partial(int, i), on_done=chain)
            assert runner.wait(10)
            assert applied == [i], f"run {i}: wait returned before the second task's result was applied"
    finally:
        stop.set()
        poller.join()
