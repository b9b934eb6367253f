"""Notebook interface of dinamis_widgets: ipywidgets and ipyleaflet components composing the core.

``Explorer`` does in one cell what the DINAMIS web catalogue does, and goes on to a cube in the kernel;
each component also works on its own (``SearchPanel``, ``ExplorerMap``, ``ResultsList``/``ResultCard``,
``SignDialog``, ``Basket``). Labels are French by default, English with ``lang="en"``. Only ipywidgets 8
and ipyleaflet are used (no custom JavaScript): JupyterLab 4, Notebook 7 and Voilà.

Examples
--------
::

    from dinamis_widgets import twin
    t = twin.start()                      # offline twin (or use the real catalogue)
    import dinamis_widgets as dw
    explorer = dw.Explorer()              # dw.Explorer(lang="en")
    explorer

Components
----------
========================= ====================================================================
``Explorer``              everything, wired (``explorer.aoi``, ``.results``, ``.basket``, ``.cube``,
                          ``.ndvi``, ``.query``, ``.query_code``)
``SearchPanel``           catalogue, collections, dates, generated filters, criteria, area, search
``ExplorerMap``           offline map: drawing, footprints, quicklooks, overlays with legend
``ResultsList``           sortable cards; ``ResultCard`` one result (Information, actions)
``SignDialog``            "Signer l'Url" for one product
``Basket``                products collected, "Charger" (cube) and "NDVI"
``StatusBar``             messages (errors without tracebacks) and progress
========================= ====================================================================

State and threads
-----------------
Each component's state is in traits (``panel.results``, ``map.drawn_aoi``, ``map.selected_id``,
``basket.items``, ``basket.overlay``...), checked by ``@validate`` and reacted to by ``@observe``; the
explorer joins them with ``traitlets.link``/``dlink`` (its ``_wire``). The drawn area has one source: the
draw control's synced ``data``, which ``map.drawn_aoi`` follows and the search panel's area follows in
turn. Only the result cards' actions (zoom, visualise, add to the basket: commands, not state) use a
``CallbackDispatcher``. Background work runs in threads, and its results are applied on the thread that
built the widgets, by its event loop (the kernel's): see :mod:`dinamis_widgets.ui.tasks`.

CSS classes (stable, for browser tests and styling)
---------------------------------------------------
Every interactive element carries a ``dw-*`` class (``widget.add_class``). Repeated elements (cards, rows)
share the class; take the n-th, or scope by the card (``.dw-result-card``).

Containers: ``dw-explorer``, ``dw-side-panel`` (beside the map) holding ``dw-side-tabs`` (Recherche,
Résultats, Panier: ``.lm-TabBar-tab`` elements), ``dw-centre`` (the map and its status), ``dw-search-panel``,
``dw-map-box``, ``dw-results``, ``dw-results-list``, ``dw-result-cards``, ``dw-result-details`` (the one
details pane), ``dw-basket``, ``dw-sign-dialog``, ``dw-download``, ``dw-status-bar``, ``dw-styles`` (the
explorer's CSS rules).

Search panel:

- ``dw-profile`` (catalogue combobox), ``dw-collection`` (collections, multiple select; option labels tell
  the provider and "signable"/"non signable"), ``dw-collection-info``;
- ``dw-date-start``, ``dw-date-end`` (date pickers);
- ``dw-filters``; each generated control has ``dw-filter`` and ``dw-filter-<property>`` with the property
  made CSS-safe: ``dw-filter-eo-cloud-cover``, ``dw-filter-view-incidence-angle``,
  ``dw-filter-eo-snow-cover``, ``dw-filter-gsd`` (range sliders), ``dw-filter-platform``,
  ``dw-filter-instruments``, ``dw-filter-processing-level``, ``dw-filter-dinamis-provider``... (multiple
  selects); ``dw-more-filters`` (accordion of the others);
- ``dw-criteria``, ``dw-criteria-add``, ``dw-criteria-row``, ``dw-criteria-property``, ``dw-criteria-op``,
  ``dw-criteria-value``, ``dw-criteria-remove``, ``dw-criteria-error``;
- area: ``dw-aoi``, ``dw-aoi-text`` (bbox or WKT), ``dw-aoi-apply``, ``dw-aoi-upload`` (GeoJSON file),
  ``dw-aoi-view`` (use the map's view), ``dw-aoi-clear``, ``dw-aoi-summary``, ``dw-aoi-error``;
- ``dw-page-size``, ``dw-search-button``, ``dw-more-button``, ``dw-result-count`` (number of results and
  matches), ``dw-status`` (status line; error text inside ``.dw-status-error``), ``dw-progress``,
  ``dw-query-code-toggle``, ``dw-query-code`` (the query as code).

Map: ``dw-map`` (the leaflet map itself: draw with its toolbar), ``dw-ndvi-legend`` and ``dw-map-legend``
(legend of the overlay, in a map control), ``dw-wheel-hint`` (whether the wheel zooms: after a click on the
map, until the pointer leaves it); the streamed view's box at the top-right, ``dw-live-view``, with
``dw-live-settings`` ("Vue en direct": unfolds ``dw-live-stretch``), ``dw-live-kind`` (true colour / NDVI
buttons), ``dw-live-stop``, ``dw-live-legend`` and its status line ``dw-live-status``.

Results: ``dw-results-header`` with ``dw-results-count``, ``dw-sort`` (date/cloud/angle), ``dw-sort-order``;
``dw-results-footer`` ("Plus de résultats"); ``dw-details-back`` and ``dw-details-title`` (the details pane
of the card whose Information is open: it holds that card's ``dw-card-details``); each card
``dw-result-card`` plus ``dw-signable`` or ``dw-not-signable``, with ``dw-card-title`` (sensor, date and
time, cloud %, angle, signable badge ``dw-badge-signable``/``dw-badge-not-signable``, id),
``dw-info-button`` (toggle), ``dw-info-panel`` (table; value cells ``dw-info-0`` ... in the order Capteur,
Pays, Département, Région, Ville, Identifiant, Plateforme, Résolution, Angle, Nuage, Couverture neigeuse,
Niveau, Fournisseur, Signature), ``dw-zoom-button``, ``dw-metadata-button`` then ``dw-metadata-link``
(holding the ``a.dw-metadata-anchor`` data: download link), ``dw-download-button``, ``dw-visualise-button``,
``dw-sign-url-button`` ("Signer l'Url": opens the dialog; absent (hidden) for BRUT/Regards),
``dw-gis-open-button`` ("Ouvrir dans un SIG": opens a ``dw-gis-export``; hidden as "Signer l'Url"),
``dw-basket-add``, ``dw-card-status`` (messages of the card's actions), ``dw-card-details`` (the
Information panel, metadata, download and sign buttons, and ``dw-card-actions`` where the dialog and the
download form open: shown in the details pane, or under a card on its own).

Sign dialog: ``dw-sign-ms`` and ``dw-sign-pan`` (checkboxes: multispectral, panchromatic),
``dw-sign-validity`` (text), ``dw-sign-error`` (inline error), ``dw-sign-button`` ("Signer"),
``dw-sign-results``, per asset ``dw-signed-ms``/``dw-signed-pan`` boxes holding ``dw-signed-url`` (one-line
text, signature masked; also ``dw-signed-url-ms``/``dw-signed-url-pan``), ``dw-copy``/``dw-copy-ms`` holding
the ``dw-copy-button`` ("Copier", copies the whole URL), ``dw-sign-expiry``, ``dw-signed-vsicurl`` and its
``dw-copy-vsicurl-ms`` button;
``dw-sign-note`` (QGIS/GDAL < 3.10 note), ``dw-sign-reason`` (why a BRUT/Regards product cannot be
signed: then there is no ``dw-sign-button``), ``dw-sign-in`` (a sign-in link when needed).

Download form: ``dw-download-asset``, ``dw-download-folder``, ``dw-download-start``, ``dw-download-cancel``,
``dw-download-progress``, ``dw-download-status``, ``dw-download-reason``.

Basket: ``dw-basket-count``, ``dw-basket-items``, ``dw-basket-item``, ``dw-basket-remove``,
``dw-basket-bands``, ``dw-basket-resolution``, ``dw-basket-aoi``, ``dw-basket-load``, ``dw-cube-summary``,
``dw-load-code``, ``dw-ndvi-button``, ``dw-ndvi-progress``, ``dw-ndvi-time``, ``dw-ndvi-plot`` (holding
``dw-ndvi-image`` images and a ``dw-ndvi-legend``); ``dw-gis-export`` (as in a result's details).

GIS export (``dw-gis-export``): ``dw-gis-vrt``, ``dw-gis-qlr`` (buttons), its ``dw-status`` line (where the
file is, until when its links work), ``dw-gis-output`` (the pyotb line). In French, an error's English
detail is folded in a ``details.dw-error-detail``; the search's dates, as the language writes them, in
``dw-period``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .aoi_picker import AOIPicker
    from .basket import Basket
    from .explorer import Explorer
    from .map import ExplorerMap
    from .result_card import ResultCard
    from .results_list import ResultsList
    from .search_panel import SearchPanel
    from .sign_dialog import SignDialog
    from .status import StatusBar

__all__ = ["AOIPicker", "Basket", "Explorer", "ExplorerMap", "ResultCard", "ResultsList", "SearchPanel",
           "SignDialog", "StatusBar"]

_LAZY = {
    "AOIPicker": "aoi_picker",
    "Basket": "basket",
    "Explorer": "explorer",
    "ExplorerMap": "map",
    "ResultCard": "result_card",
    "ResultsList": "results_list",
    "SearchPanel": "search_panel",
    "SignDialog": "sign_dialog",
    "StatusBar": "status",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
