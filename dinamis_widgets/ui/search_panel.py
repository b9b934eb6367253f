"""The search panel: catalogue, collections, dates, generated filters, free criteria, area, search.

:class:`SearchPanel` composes the core: :func:`~dinamis_widgets.catalog.client.open_catalog` for the catalogue
picker, :func:`~dinamis_widgets.fetch_queryables` for the filter widgets,
:class:`~dinamis_widgets.Query` for the query (``panel.query``, and ``panel.query_code`` the same
as code), and :func:`~dinamis_widgets.search_pages` to fetch results page by page in a background
thread. Errors are shown in the panel's status line, never as a traceback.

Examples
--------
In a notebook, with the twin running (``dinamis_widgets.twin.start()``)::

    from dinamis_widgets.ui import SearchPanel
    panel = SearchPanel()
    panel                                   # pick collections, dates, filters, draw or type an area
    panel.aoi_picker.set_from_text("-0.98,45.92,-0.93,45.96")
    panel.search()                          # or click "Rechercher"
    panel.wait(); panel.results             # a dinamis_widgets Results (ItemCollection)
    print(panel.query_code)
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as _dt
import html
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets
from traitlets import Bool, Dict, Instance, Int, Tuple, Unicode, observe, validate

from ..catalog.aoi import AOI
from ..catalog.client import profile_of
from ..catalog.results import Results
from ..errors import ConfigurationError, DinamisError
from ..settings import get_settings
from .aoi_picker import AOIPicker
from .catalog_choice import available_profiles, collection_summary
from .criteria import CriteriaEditor
from .filters import QueryableFilters
from .i18n import DEFAULT_LANG, t
from .localized import period_text, reason_text
from .status import StatusBar
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ..catalog.query import Query
    from ..signing.client import Signer

__all__ = ["SearchPanel", "available_profiles", "collection_summary"]  # the last two from catalog_choice

#: Called as ``callback(panel, results=..., page=..., replace=...)`` when results arrive.
ResultsCallback = Callable[..., None]


def _extends(old: Results | None, new: Results) -> bool:
    """Whether ``new`` is ``old`` with more items after (a next page), the same item objects first."""
    if old is None or len(new.items) < len(old.items):
        return False
    return all(a is b for a, b in zip(old.items, new.items, strict=False))


class SearchPanel(widgets.VBox):
    """Search form of a catalogue (CSS class ``dw-search-panel``).

    Parameters
    ----------
    lang
        ``"fr"`` (default) or ``"en"``.
    profile
        Catalogue profile (``twin``, ``dinamis``, ``theia``...) or STAC API URL; the active one by default.
    page_size
        Results per page (each "Plus de résultats" fetches one more page).
    connect
        Open the catalogue at once (in the background).
    more_button_here
        Show "Plus de résultats" beside "Rechercher" (the explorer puts it under the results instead).

    Attributes
    ----------
    profile : str
        The catalogue; changing it reconnects.
    collections : tuple of str
        Chosen collections (empty: all).
    queryables : dict
        Queryables of the chosen collections (generate the filters).
    results : Results or None
        Every result fetched so far (all pages).
    matched : int or None
        How many items match, when the API counts them.
    has_more : bool
        Whether "Plus de résultats" may bring more.
    busy : bool
        A search is under way.
    client
        The pystac-client ``Client`` of the catalogue (None until connected).
    """

    profile = Unicode("")
    collections = Tuple()
    queryables = Dict()
    results = Instance(Results, allow_none=True)
    matched = Int(None, allow_none=True)
    has_more = Bool(False)
    busy = Bool(False)
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, lang: str = DEFAULT_LANG, profile: str | None = None, page_size: int = 20,
                 connect: bool = True, more_button_here: bool = True, **kwargs: Any) -> None:
        self.client: Any = None
        self._connected_text = ""
        self._collection_info: dict[str, dict[str, Any]] = {}
        self._pages: Iterator[Results] | None = None
        self._signers: dict[str, Signer] = {}
        self._results_handlers: dict[ResultsCallback, Callable[[dict[str, Any]], None]] = {}
        self._client_future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._client_future.set_exception(ConfigurationError(t("not_connected", lang)))  # until connect()
        self.status = StatusBar(lang=lang)
        self._tasks = TaskRunner(self.status, "dinamis-catalog")
        self._search_tasks = TaskRunner(self.status, "dinamis-search")

        self.profile_box = widgets.Combobox(options=tuple(available_profiles()), ensure_option=False,
                                            description=t("catalogue", lang), continuous_update=False,
                                            style={"description_width": "initial"},
                                            layout=widgets.Layout(width="98%"))
        self.profile_box.add_class("dw-profile")
        self.collection_select = widgets.SelectMultiple(options=[], rows=5,
                                                        layout=widgets.Layout(width="98%"))
        self.collection_select.add_class("dw-collection")
        self.collection_info = widgets.HTML()
        self.collection_info.add_class("dw-collection-info")
        self.date_start = widgets.DatePicker(description=t("date_start", lang),
                                             layout=widgets.Layout(width="auto"))
        self.date_start.add_class("dw-date-start")
        self.date_end = widgets.DatePicker(description=t("date_end", lang),
                                           layout=widgets.Layout(width="auto"))
        self.date_end.add_class("dw-date-end")
        self.period = widgets.HTML()  # the dates as the language writes them (the pickers: the browser's)
        self.period.add_class("dw-period")
        self.filters = QueryableFilters(lang=lang)
        self.criteria = CriteriaEditor(lang=lang)
        self.aoi_picker = AOIPicker(lang=lang)
        self.page_size = widgets.BoundedIntText(value=page_size, min=1, max=1000,
                                                description=t("page_size", lang),
                                                style={"description_width": "initial"},
                                                layout=widgets.Layout(width="150px"))
        self.page_size.add_class("dw-page-size")
        self.search_button = widgets.Button(description=t("search", lang), icon="search",
                                            button_style="primary")
        self.search_button.add_class("dw-search-button")
        self.more_button = widgets.Button(description=t("more", lang), icon="plus", disabled=True)
        self.more_button.add_class("dw-more-button")
        self.count = widgets.HTML()
        self.count.add_class("dw-result-count")
        self.code = widgets.Textarea(layout=widgets.Layout(width="98%", height="160px", display="none"),
                                     disabled=False)
        self.code.add_class("dw-query-code")
        self.code_button = widgets.ToggleButton(description=t("show_code", lang), icon="code", value=False,
                                                layout=widgets.Layout(width="auto"))
        self.code_button.add_class("dw-query-code-toggle")

        def section(key: str) -> widgets.HTML:
            return widgets.HTML(f"<b>{html.escape(t(key, lang))}</b>")

        # The area and "Rechercher" first (what every search needs, in view without scrolling), then the
        # result count and messages next to the button, then what narrows the search.
        buttons = [self.search_button, self.page_size] + ([self.more_button] if more_button_here else [])
        super().__init__(children=[
            self.aoi_picker,
            widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.count, self.status,
            self.profile_box,
            section("collections"), self.collection_select, self.collection_info,
            widgets.HBox([self.date_start, self.date_end], layout=widgets.Layout(flex_flow="row wrap")),
            self.period,
            section("filters"), self.filters,
            self.criteria,
            self.code_button, self.code,
        ], lang=lang, **kwargs)
        self.add_class("dw-search-panel")

        self.search_button.on_click(lambda _b: self.search())
        self.more_button.on_click(lambda _b: self._guarded_more())
        self.collection_select.observe(self._on_collection_select, names="value")
        widgets.link((self, "profile"), (self.profile_box, "value"))
        for consumer in (self.filters, self.criteria):
            traitlets.dlink((self, "queryables"), (consumer, "queryables"))
        self.code_button.observe(self._on_code_toggle, names="value")
        for picker in (self.date_start, self.date_end):
            picker.observe(lambda _c: setattr(self.period, "value", html.escape(period_text(
                self.date_start.value, self.date_end.value, self.lang))), names="value")
        self._render_count()
        if connect:
            self.profile = profile or self._default_profile()

    # -- catalogue and collections ----------------------------------------------------------------
    @staticmethod
    def _default_profile() -> str:
        with contextlib.suppress(DinamisError):
            return get_settings().profile
        return "dinamis"

    @validate("profile")
    def _valid_profile(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"]).strip()
        return value or self.profile  # an emptied box keeps the catalogue

    @observe("profile")
    def _on_profile(self, _change: dict[str, Any]) -> None:
        self.connect()

    def connect(self) -> None:
        """Open the catalogue of :attr:`profile` and list its collections (in the background)."""
        from ..catalog.client import open_catalog

        profile = self.profile
        self.client = None
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._client_future = future
        self._collection_info = {}
        self.collection_select.options = []
        self.collection_info.value = ""
        self.queryables = {}

        def work() -> tuple[Any, list[dict[str, Any]]]:
            try:
                client = open_catalog(profile)
                summaries = [collection_summary(c) for c in client.get_collections()]
            except BaseException as exc:
                future.set_exception(exc)
                raise
            future.set_result(client)  # a search started meanwhile waits for it (in its own thread)
            return client, summaries

        self._tasks.run(work, on_done=self._on_connected, busy=t("connecting", self.lang, what=profile))

    def _on_connected(self, result: tuple[Any, list[dict[str, Any]]]) -> None:
        client, summaries = result
        self.client = client
        self._collection_info = {s["id"]: s for s in sorted(summaries, key=lambda s: s["id"])}
        self.collection_select.options = [(self._collection_label(s), s["id"])
                                           for s in self._collection_info.values()]
        self.collection_select.tooltip = "\n".join(label for label, _ in self.collection_select.options)
        name = profile_of(client).name
        self._connected_text = t("connected", self.lang, name=name, n=len(summaries))
        self.status.success(self._connected_text)
        wanted = tuple(i for i in self.collections if i in self._collection_info)
        self.collection_select.value = wanted
        self._render_collection_info()
        self._load_queryables(wanted)

    def _collection_label(self, summary: Mapping[str, Any]) -> str:
        ok = summary["signable_reason"] is None
        mark = "✓ " + t("signable", self.lang) if ok else "✗ " + t("not_signable", self.lang)
        provider = f" — {summary['provider']}" if summary["provider"] else ""
        return f"{summary['id']}{provider} — {mark}"

    def _on_collection_select(self, change: dict[str, Any]) -> None:
        self.collections = tuple(change["new"])

    @observe("collections")
    def _on_collections(self, change: dict[str, Any]) -> None:
        ids = tuple(change["new"])
        if tuple(self.collection_select.value) != ids:
            offered = {value for _, value in self.collection_select.options}
            self.collection_select.value = tuple(i for i in ids if i in offered)
        self._render_collection_info()
        if self.client is not None:
            self._load_queryables(ids)

    def _render_collection_info(self) -> None:
        rows = []
        for cid in self.collections:
            s = self._collection_info.get(cid)
            if s is None:
                continue
            ok = s["signable_reason"] is None
            if ok:
                verdict = (t("signable_products_level", self.lang, level=s["level"]) if s.get("level")
                           else t("signable_products", self.lang))
            elif s.get("reason_kind", "provider") == "provider":
                verdict = t("signable_regards", self.lang)
            else:
                said = reason_text(s.get("reason"), self.lang) or s["signable_reason"]
                verdict = t("not_signable_because", self.lang, reason=said)
            color = "#2e7d32" if ok else "#b00020"
            rows.append(f"<div><b>{html.escape(s['id'])}</b> {html.escape(s['title'])}<br>"
                        f"{html.escape(t('provider_is', self.lang, name=s['provider'] or '?'))} · "
                        f"<span style='color:{color}'>{html.escape(verdict)}</span></div>")
        self.collection_info.value = "".join(rows) or f"<i>{html.escape(t('all_collections', self.lang))}</i>"

    def _load_queryables(self, ids: tuple[str, ...]) -> None:
        from ..catalog.queryables import fetch_queryables

        client = self.client
        what = ", ".join(ids) or t("catalogue", self.lang)
        self._tasks.run(lambda: fetch_queryables(client, ids or None), on_done=self._on_queryables,
                        busy=t("queryables_loading", self.lang, what=what))

    def _on_queryables(self, queryables: dict[str, dict[str, Any]]) -> None:
        self.queryables = queryables
        if self.status.level == "busy":
            self.status.success(self._connected_text)

    # -- the query --------------------------------------------------------------------------------
    @property
    def aoi(self) -> AOI | None:
        """The area of interest (None: no area)."""
        return self.aoi_picker.aoi

    @aoi.setter
    def aoi(self, value: Any) -> None:
        self.aoi_picker.set_aoi(value)

    def build_query(self) -> Query:
        """The query the form describes.

        Raises
        ------
        QueryError
            Invalid dates, criteria or area.
        """
        from ..catalog.query import Query

        filters = self.filters.filters() + self.criteria.criteria()
        start, end = self.date_start.value, self.date_end.value
        dates: tuple[_dt.date | None, _dt.date | None] | None = None if start is None and end is None else (
            start, end)
        return Query(list(self.collections) or None, aoi=self.aoi, datetime=dates, filters=filters or None,
                     limit=int(self.page_size.value), max_items=None)

    @property
    def query(self) -> Query:
        """The current :class:`~dinamis_widgets.Query` (raises QueryError if the form is invalid)."""
        return self.build_query()

    @property
    def query_code(self) -> str:
        """The current query as Python code (``dinamis_widgets.search``)."""
        return self.build_query().to_code(catalog=self.client if self.client is not None else self.profile)

    @property
    def signer(self) -> Signer:
        """The signer of this catalogue's profile (cached per profile)."""
        from ..signing.client import Signer

        signer = self._signers.get(self.profile)
        if signer is None:
            signer = Signer.from_settings(profile=self.profile)
            self._signers[self.profile] = signer
        return signer

    def _on_code_toggle(self, change: dict[str, Any]) -> None:
        self.code.layout.display = "" if change["new"] else "none"
        if change["new"]:
            self._refresh_code()

    def _refresh_code(self) -> None:
        try:
            self.code.value = self.query_code
        except DinamisError as exc:
            self.code.value = f"# {exc.message}"

    # -- searching --------------------------------------------------------------------------------
    def on_results(self, callback: ResultsCallback, remove: bool = False) -> None:
        """Call ``callback(panel, results=..., page=..., replace=...)`` when :attr:`results` changes:
        ``results`` is everything fetched so far, ``page`` what is new, ``replace`` True for a new search.

        A shorthand for ``panel.observe(..., names="results")``: a next page extends the previous
        results (the same items first), a new search replaces them.
        """
        if remove:
            registered = self._results_handlers.pop(callback, None)
            if registered is not None:
                self.unobserve(registered, names="results")
            return
        if callback in self._results_handlers:
            return

        def handler(change: dict[str, Any]) -> None:
            old, new = change["old"], change["new"]
            if new is None:
                return
            if _extends(old, new):
                callback(self, results=new, page=Results(new.items[len(old.items):], clone_items=False),
                         replace=False)
            else:
                callback(self, results=new, page=new, replace=True)

        self._results_handlers[callback] = handler
        self.observe(handler, names="results")

    def search(self) -> None:
        """Run the search in the background (results replace the previous ones)."""
        from ..catalog.searching import search_pages

        with self.status.guard():
            query = self.build_query()
            lang = self.lang

            connection = self._client_future

            def work() -> tuple[Iterator[Results], Results | None]:
                try:
                    client = connection.result(timeout=120)  # a connection under way, if any
                except DinamisError:
                    raise  # why the catalogue could not be opened: its URL, and what to do
                except Exception:
                    raise ConfigurationError(t("not_connected", lang)) from None
                pages = search_pages(query, catalog=client)
                return pages, next(pages, None)

            self._set_busy(True)
            self._search_tasks.run(work, on_done=self._on_first_page, busy=t("searching", self.lang),
                                   on_finally=lambda: self._set_busy(False))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.search_button.disabled = busy
        self.more_button.disabled = busy or not self.has_more

    def _on_first_page(self, result: tuple[Iterator[Results], Results | None]) -> None:
        pages, first = result
        self._pages = pages
        page = first if first is not None else Results([], matched=0)
        results = Results(list(page.items), clone_items=False, query=page.query, matched=page.matched,
                          catalog_url=page.catalog_url)
        self.matched = page.matched
        self.has_more = self._more_expected(page, len(results))
        self.results = results
        self.status.clear()  # the count says it, once, under the button
        self._refresh_code()

    def _more_expected(self, page: Results, total: int) -> bool:
        if page.matched is not None:
            return total < page.matched
        return len(page.items) >= int(self.page_size.value)

    def _guarded_more(self) -> None:
        with self.status.guard():
            self.more()

    def more(self) -> None:
        """Fetch the next page of results (in the background) and add it."""
        if self._pages is None or self.results is None:
            return
        pages = self._pages
        self._set_busy(True)
        self._search_tasks.run(lambda: next(pages, None), on_done=self._on_next_page,
                               busy=t("fetching_more", self.lang), on_finally=lambda: self._set_busy(False))

    def _on_next_page(self, page: Results | None) -> None:
        assert self.results is not None
        if page is None or not page.items:
            self.has_more = False
            self.status.info(t("no_more", self.lang))
            return
        known = set(self.results.ids)
        new_items = [it for it in page.items if it.id not in known]
        items = list(self.results.items) + new_items
        results = Results(items, clone_items=False, query=self.results.query, matched=self.results.matched,
                          catalog_url=self.results.catalog_url)
        self.has_more = self._more_expected(page, len(items)) if page.matched is not None else (
            len(page.items) >= int(self.page_size.value))
        self.results = results
        self.status.clear()

    @observe("results", "matched", "has_more")
    def _render_count(self, _change: Any = None) -> None:
        self.count.value = f"<b>{html.escape(self._count_text())}</b>" if self.results is not None else ""
        self.more_button.disabled = self.busy or not self.has_more

    def _count_text(self) -> str:
        n = len(self.results.items) if self.results is not None else 0
        if self.matched is not None and self.matched > n:
            return t("n_of_matched", self.lang, n=n, matched=self.matched)
        if self.has_more:
            return t("more_available", self.lang, n=n)
        if n == 0:
            return t("n_results_zero", self.lang)
        return t("n_results_one", self.lang) if n == 1 else t("n_results", self.lang, n=n)

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait for the background work (connection, queryables, search); False on timeout.

        Both runners share the kernel's loop: applying one's result may start the other's next task (a
        connection starts reading the criteria), so they are waited for until neither has work left.
        """
        deadline, runners = time.monotonic() + timeout, (self._tasks, self._search_tasks)
        while True:
            for runner in runners:
                if not runner.wait(max(0.0, deadline - time.monotonic())):
                    return False
            if all(r.settled for r in runners):
                return True
