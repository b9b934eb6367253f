"""The Explorer in Notebook 7 and in Voilà, offline, on the same server as the JupyterLab tests.

* Notebook 7 (``/notebooks/explorer.ipynb``): the cells run through Notebook 7's own application
  (``window.jupyterapp``, ``notebook:run-all-cells``); the AOI is typed as a bbox in the search panel, the
  search button clicked, and the result cards and their footprints on the map checked.
* Voilà (``/voila/render/explorer.ipynb``, which runs the notebook itself): the Explorer renders, a search
  gives result cards, and a result's multispectral asset is signed for ``30min`` (``X-Amz-Expires=1800``).

Nothing may leave the machine: the page's aborted requests and the server's and kernels' outbound attempts
are both empty (see :mod:`tests.browser.jupyter` for what Voilà would fetch from CDNs and how it is stopped).
Screenshots go to ``tests/screenshots/<test name>/``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .browser import LabPage, NetworkGuard
from .explorer_steps import (
    EXPLORER_CELL,
    SITE_BBOX,
    centre_on_site,
    int_in,
    items_in,
    run_and_render,
)
from .jupyter import JupyterLab, write_notebook

pytestmark = pytest.mark.browser

#: The bbox typed in the AOI field, as ``west,south,east,north``.
SITE_TEXT = ",".join(str(v) for v in SITE_BBOX)

#: Console errors of Notebook 7's own front-end, tolerated: Notebook 7.6.5 on JupyterLab 4.6.6 fails to load
#: the settings of one or two core plugins at start-up (which ones varies: metadataforms, logconsole,
#: context-menu) and its shortcuts plugin then trips over the missing schema. They show on ``/tree`` too, with
#: no notebook open, and also with the harness's page config and setting overrides removed, so they are not
#: ours; nothing the test drives depends on those plugins.
#: Sometimes (seen when the JupyterLab tests ran first in the same browser) its front-end also calls
#: ``filebrowser:open-path``, which only the ``/tree`` page registers, and the server answers 403 ("not in
#: root static directory") to two of Notebook 7's own ``/static/notebook/*.woff2`` fonts: both loopback, and
#: the test checks in the server's log that every 403 was such a font.
NOTEBOOK7_TOLERATED = (
    re.compile(r"^Cannot convert undefined or null to object$"),
    re.compile(r"^page error: Cannot read properties of undefined \(reading 'schema'\)$"),
    re.compile(r"^page error: Command 'filebrowser:open-path' not registered\.$"),
    re.compile(r"^Failed to load resource: the server responded with a status of 403 \(Forbidden\)$"),
)
#: Voilà loads every installed JupyterLab extension's front-end; jupyter-server-proxy's (installed for the
#: dask dashboard of tutorial 4) needs JupyterLab's file browser, which Voilà does not have, and says so
#: once in the console. Nothing on the page depends on it (the proxy's server side works).
VOILA_TOLERATED = (
    re.compile(r"^Error: Shared module @jupyterlab/filebrowser doesn't exist in shared scope default\n.*"
               r"/labextensions/@jupyterhub/jupyter-server-proxy/", re.S),
)
_FORBIDDEN = re.compile(r"\b403 GET (\S+)")
_NOTEBOOK7_FONT = re.compile(r"^/static/notebook/[0-9a-f]+\.woff2$")


def _untolerated(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(p.match(e) for p in NOTEBOOK7_TOLERATED)]


def _search_by_bbox(page: LabPage) -> None:
    """Type the site's bbox in the AOI field, apply it, and click the search button."""
    page.type_into(page.widget("dw-aoi-text").first, SITE_TEXT)
    page.widget("dw-aoi-apply").first.click()
    summary = page.widget("dw-aoi-summary").first
    page.wait_until(lambda: "3.85" in summary.inner_text(), "the AOI summary of the typed bbox")
    page.widget("dw-search-button").first.click()


def test_explorer_notebook7(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard,
                            twin_items: list[dict[str, Any]]) -> None:
    """Notebook 7: run the cell, the Explorer renders, search by a typed bbox, cards and footprints."""
    mark = guard.mark()
    site_ids = {it["id"] for it in items_in(twin_items, SITE_BBOX)}
    write_notebook(lab.root_dir / "explorer-nb7.ipynb", [EXPLORER_CELL])

    lab_page.open_notebook("explorer-nb7.ipynb", notebook7=True)
    assert lab_page.page.evaluate("() => document.body.dataset.notebook") == "notebooks", "not Notebook 7"
    leaflet = run_and_render(lab_page)

    centre_on_site(lab_page)
    _search_by_bbox(lab_page)
    assert lab_page.kernel_json("list(explorer.aoi.bbox)") == pytest.approx(list(SITE_BBOX), abs=1e-9)
    cards = lab_page.widget("dw-result-card")
    lab_page.wait_until(lambda: cards.count() > 0, "the result cards", timeout=90)
    lab_page.wait_kernel_idle()
    n_cards = cards.count()
    assert set(lab_page.kernel_json("[it.id for it in explorer.results.items]")) == site_ids
    assert n_cards == len(site_ids) == int_in(lab_page.widget("dw-results-count").first.inner_text())
    # The footprints: one path per result, besides the AOI's.
    n_footprints = lab_page.kernel_json("len(explorer.results.items)")
    lab_page.wait_until(lambda: lab_page.leaflet_paths(leaflet).count() >= n_footprints + 1,
                        f"{n_footprints} footprints on the map (+ the AOI)")
    lab_page.shot("footprints", focus=leaflet)
    lab_page.shot("searched", focus=cards.first)

    assert guard.since(mark) == [], "the page tried to reach other hosts"
    assert [str(o) for o in lab.outbound()] == []
    assert _untolerated(lab_page.console_errors) == []
    forbidden = _FORBIDDEN.findall(lab.log_path.read_text(encoding="utf-8", errors="replace"))
    assert [u for u in forbidden if not _NOTEBOOK7_FONT.match(u)] == [], "403s other than Notebook 7's fonts"


def test_explorer_voila(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard,
                        twin_items: list[dict[str, Any]]) -> None:
    """Voilà: the Explorer renders, search by a typed bbox, cards, sign a result for 30min."""
    mark = guard.mark()
    site_ids = {it["id"] for it in items_in(twin_items, SITE_BBOX)}
    write_notebook(lab.root_dir / "explorer-voila.ipynb", [EXPLORER_CELL])

    lab_page.page.goto(lab.voila_url("explorer-voila.ipynb"), wait_until="domcontentloaded")
    lab_page.widget("dw-search-button").first.wait_for(state="visible", timeout=90_000)
    leaflet = lab_page.leaflet_map("dw-map")
    leaflet.wait_for(state="visible")
    assert lab_page.page.locator(".jp-OutputArea-output .jp-RenderedText[data-mime-type*=error]").count() == 0
    lab_page.shot("rendered")

    _search_by_bbox(lab_page)
    cards = lab_page.widget("dw-result-card")
    lab_page.wait_until(lambda: cards.count() == len(site_ids), f"{len(site_ids)} result cards", timeout=90)
    assert int_in(lab_page.widget("dw-results-count").first.inner_text()) == len(site_ids)
    titles = " ".join(cards.locator(".dw-card-title").all_inner_texts())
    assert all(i in titles for i in site_ids), titles
    lab_page.wait_until(lambda: lab_page.leaflet_paths(leaflet).count() >= len(site_ids) + 1,
                        "the footprints on the map (+ the AOI)")
    lab_page.shot("searched", focus=cards.first)

    card = lab_page.widget("dw-result-card.dw-signable").first
    card.locator(".dw-info-button").first.click()  # its details pane: Information, signing...
    details = lab_page.widget("dw-result-details").first
    details.locator(".dw-sign-url-button").first.click()
    dialog = details.locator(".dw-sign-dialog").first
    dialog.wait_for(state="visible")
    dialog.locator(".dw-sign-ms input[type=checkbox]").first.check()
    if dialog.locator(".dw-sign-pan input[type=checkbox]").count():
        dialog.locator(".dw-sign-pan input[type=checkbox]").first.uncheck()
    lab_page.type_into(dialog.locator(".dw-sign-validity").first, "30min")
    lab_page.page.wait_for_timeout(300)  # the validity reaches the kernel (no notebook panel to poll here)
    dialog.locator(".dw-sign-button").first.click()
    signed = dialog.locator(".dw-signed-url-ms").first
    lab_page.wait_until(lambda: signed.count() > 0 and "X-Amz-Signature=" in lab_page.value_of(signed),
                        "the signed URL of the multispectral asset")
    lab_page.shot("signed", focus=signed)
    url = lab_page.value_of(signed).strip()
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["1800"], url
    assert urlsplit(url).hostname == "127.0.0.1", url
    assert dialog.locator(".dw-sign-expiry").first.inner_text().strip()

    assert guard.since(mark) == [], "the page tried to reach other hosts"
    assert [str(o) for o in lab.outbound()] == []
    assert [e for e in lab_page.console_errors if not any(p.match(e) for p in VOILA_TOLERATED)] == []
