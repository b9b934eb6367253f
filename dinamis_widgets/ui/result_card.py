"""One result, as a compact card of the catalogue: summary line and actions; the details on demand.

The summary shows the sensor, date and time, cloud %, incidence angle and whether the product can be
signed. The actions are those of the catalogue: Zoomer sur, Télécharger la métadonnée (a ``data:`` link
to the STAC JSON, so it works on Binder and in Voilà), Télécharger le produit (a resumable download),
Visualiser (the quicklook on the map; "Pas d'aperçu", disabled, for a product with no image to preview
it with: :func:`~dinamis_widgets.ui.quicklook.preview_asset`), Signer l'Url (the
:class:`~dinamis_widgets.ui.sign_dialog.SignDialog`; hidden for products that cannot be signed: BRUT,
Regards, not georeferenced), Ouvrir dans un SIG (the product's signed VRT, QGIS layer and pyotb line:
:class:`~dinamis_widgets.ui.gis_export.GisExport`; hidden as Signer l'Url) and Ajouter au panier.

The card shows its summary, "Information", and the actions used while browsing (Zoomer sur, Visualiser,
Ajouter au panier) with a status line under them for their feedback. "Information" opens the card's
:attr:`ResultCard.details`: the Information panel, the other actions (métadonnée, produit, Signer l'Url)
(and Ouvrir dans un SIG) and the forms they open. On its own the card shows its details under itself; in a
:class:`~dinamis_widgets.ui.results_list.ResultsList` the list shows them in its one details pane
(``hosted``), so no form is ever stacked inside a card.

Zoom, visualise and basket actions are for whoever composes the card (the explorer): register with
:meth:`ResultCard.on_action`, called as ``callback(card, action)`` with ``action`` one of ``"zoom"``,
``"visualise"``, ``"basket"``. The card's state (``selected``, ``in_basket``) is in traits, set by the
list that holds it.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from traitlets import Any as AnyTrait
from traitlets import Bool, Unicode, observe

from ..errors import mask_signatures
from ..signing.rules import explain_signability
from ..signing.urls import unsigned_url
from .i18n import DEFAULT_LANG, t
from .info_panel import InfoPanel, card_summary
from .localized import reason_text
from .quicklook import preview_asset
from .status import StatusBar

if TYPE_CHECKING:
    from ..signing.client import Signer

__all__ = ["ResultCard", "metadata_json"]

#: Buttons of a card: as wide as their label, short (the four actions of a card fit one row of the side
#: panel at 1366x768).
_SMALL = {"width": "auto", "height": "26px", "margin": "1px", "padding": "0 4px", "flex": "0 0 auto"}


def metadata_json(item: Any) -> str:
    """The item's STAC JSON (hrefs unsigned: no signature is ever handed out in metadata)."""
    data = item.to_dict(transform_hrefs=False) if hasattr(item, "to_dict") else dict(item)
    for asset in (data.get("assets") or {}).values():
        if isinstance(asset, dict) and isinstance(asset.get("href"), str):
            asset["href"] = unsigned_url(asset["href"])
            asset.pop("dinamis:expiry", None)
    return mask_signatures(json.dumps(data, indent=2, ensure_ascii=False))


class ResultCard(widgets.VBox):
    """A result card (CSS classes ``dw-result-card``, and ``dw-signable`` or ``dw-not-signable``).

    Parameters
    ----------
    item
        The pystac Item.
    lang
        ``"fr"`` or ``"en"``.
    signer
        The :class:`~dinamis_widgets.Signer` the sign dialog and downloads use.
    download_folder
        Default folder of "Télécharger le produit".

    Attributes
    ----------
    signability : Signability
        The verdict on the product (:func:`~dinamis_widgets.explain_signability`).
    reason : str or None
        Why the product cannot be signed (None when it can).
    has_preview : bool
        Whether the item has an image to preview it with (else "Visualiser" says "Pas d'aperçu").
    selected, in_basket : bool
        Highlight states, set by the explorer.
    hosted : bool
        The details are shown elsewhere (a list's details pane), not under the card.
    details : ipywidgets.VBox
        Information panel, the other actions and their forms (CSS class ``dw-card-details``).
    sign_dialog, download_view, gis_export
        Created on first use (None before).
    """

    item = AnyTrait(None)
    lang = Unicode(DEFAULT_LANG)
    selected = Bool(False)
    in_basket = Bool(False)
    hosted = Bool(False)

    def __init__(self, item: Any, lang: str = DEFAULT_LANG, signer: Signer | None = None,
                 download_folder: str = ".", **kwargs: Any) -> None:
        self.signer = signer
        self.download_folder = download_folder
        self.signability = explain_signability(item)
        found = self.signability.reason
        self.reason: str | None = reason_text(found, lang)
        self.sign_dialog: Any = None
        self.download_view: Any = None
        self.gis_export: Any = None
        # Actions are one-off commands (clicking "Zoomer sur" twice zooms twice), not state: a dispatcher.
        self._action_callbacks = widgets.CallbackDispatcher()
        self.header = widgets.HTML()
        self.header.add_class("dw-card-title")
        self.info_button = widgets.ToggleButton(description=t("information", lang), icon="info-circle",
                                                value=False, layout=widgets.Layout(**_SMALL))
        self.info_button.add_class("dw-info-button")
        self.info_panel = InfoPanel(item, lang=lang, signable_reason=self.reason,
                                    layout=widgets.Layout(display="none"))

        def button(key: str, css: str, icon: str) -> widgets.Button:
            b = widgets.Button(description=t(key, lang), icon=icon, tooltip=t(key, lang),
                               layout=widgets.Layout(**_SMALL))
            b.add_class(css)
            return b

        self.zoom_button = button("zoom", "dw-zoom-button", "search-plus")
        self.metadata_button = button("metadata", "dw-metadata-button", "file-code-o")
        self.download_button = button("download", "dw-download-button", "download")
        self.visualise_button = button("visualise", "dw-visualise-button", "eye")
        self.has_preview = preview_asset(item) is not None
        if not self.has_preview:
            self.visualise_button.description = t("no_preview", lang)
            self.visualise_button.icon = "eye-slash"
            self.visualise_button.tooltip = t("no_preview_help", lang)
            self.visualise_button.disabled = True
            self.visualise_button.add_class("dw-no-preview")
        self.sign_url_button = button("sign_url", "dw-sign-url-button", "key")
        self.gis_button = button("gis_open", "dw-gis-open-button", "map-o")
        self.basket_button = button("basket_add", "dw-basket-add", "shopping-basket")
        self.basket_button.description = t("basket_add_short", lang)  # "Au panier"; the tooltip says it all
        if self.reason is not None:
            self.sign_url_button.layout.display = "none"
            self.gis_button.layout.display = "none"
        self.metadata_link = widgets.HTML()
        self.metadata_link.add_class("dw-metadata-link")
        self.status = StatusBar(lang=lang)
        self.status.add_class("dw-card-status")
        self.action_area = widgets.VBox()
        self.action_area.add_class("dw-card-actions")
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        actions = widgets.HBox([self.info_button, self.zoom_button, self.visualise_button,
                                self.basket_button], layout=row)
        self.details = widgets.VBox([self.info_panel,
                                     widgets.HBox([self.metadata_button, self.download_button,
                                                   self.sign_url_button, self.gis_button], layout=row),
                                     self.metadata_link, self.action_area],
                                    layout=widgets.Layout(display="none"))
        self.details.add_class("dw-card-details")
        self._base: list[widgets.Widget] = [self.header, actions, self.status]
        super().__init__(children=[*self._base, self.details], lang=lang,
                         layout=widgets.Layout(border="1px solid #ccc", padding="2px 4px", margin="2px 0",
                                               flex="0 0 auto"),
                         **kwargs)
        self.add_class("dw-result-card")
        self.add_class("dw-signable" if self.reason is None else "dw-not-signable")
        self.item = item
        self.info_button.observe(self._toggle_info, names="value")
        for b, fn in ((self.zoom_button, lambda: self._action("zoom")),
                      (self.visualise_button, lambda: self._action("visualise")),
                      (self.basket_button, lambda: self._action("basket")),
                      (self.metadata_button, self.show_metadata_link),
                      (self.download_button, self.toggle_download),
                      (self.sign_url_button, self.toggle_sign_dialog),
                      (self.gis_button, self.toggle_gis_export)):
            b.on_click(self._guarded(fn))

    def _guarded(self, fn: Callable[[], None]) -> Callable[[Any], None]:
        """A click handler that shows errors in the card's status line instead of a traceback."""

        def handler(_button: Any) -> None:
            with self.status.guard():
                fn()

        return handler

    @property
    def item_id(self) -> str:
        """The item's id."""
        return str(self.item.id)

    # -- rendering -------------------------------------------------------------------------------
    @observe("item", "selected", "in_basket")
    def _render(self, _change: Any = None) -> None:
        if self.item is None:
            return
        sensor, when, cloud, angle = card_summary(self.item, self.lang)
        ok = self.reason is None
        yes, no = html.escape(t("signable", self.lang)), html.escape(t("not_signable", self.lang))
        why = html.escape(self.reason or "")
        if ok and self.signability.verdict == "unverified":
            caution = html.escape(t("unverified", self.lang))
            badge = (f"<span class='dw-badge-signable dw-badge-unverified' style='color:#9a6a00' "
                     f"title='{caution}'>⚠ {yes}</span>")
        elif ok:
            badge = f"<span class='dw-badge-signable' style='color:#2e7d32' title='{yes}'>✓ {yes}</span>"
        else:
            badge = f"<span class='dw-badge-not-signable' style='color:#b00020' title='{why}'>✗ {no}</span>"
        basket = (f" · <span style='color:#2e7d32'>🧺 {html.escape(t('in_basket', self.lang))}</span>"
                  if self.in_basket else "")
        parts = [f"<b>{html.escape(sensor)}</b>" if sensor else "", html.escape(when)]
        for value, label, sign in ((cloud, "info_cloud", "☁"), (angle, "info_angle", "∠")):
            if value:
                parts.append(f"<span title='{html.escape(t(label, self.lang))}'>{sign} "
                             f"{html.escape(value)}</span>")
        summary = " ".join(p for p in parts if p)
        self.header.value = (
            f"<div>{summary} · {badge}{basket}"
            f"<br><span class='dw-card-id' style='font-size:11px;color:#555;overflow-wrap:anywhere'>"
            f"{html.escape(self.item_id)}</span></div>")
        self.layout.border = "2px solid #d81b60" if self.selected else "1px solid #ccc"
        self.basket_button.disabled = self.in_basket

    def _toggle_info(self, change: dict[str, Any]) -> None:
        self.info_panel.layout.display = "" if change["new"] else "none"
        self.details.layout.display = "" if change["new"] else "none"

    @observe("hosted")
    def _on_hosted(self, change: dict[str, Any]) -> None:
        """Hosted: the details leave the card (the host shows them); else they come back under it."""
        self.children = tuple(self._base if change["new"] else [*self._base, self.details])

    def show_info(self, show: bool = True) -> None:
        """Open (or close) the Information panel."""
        self.info_button.value = show

    # -- actions ---------------------------------------------------------------------------------
    def on_action(self, callback: Any, remove: bool = False) -> None:
        """Register ``callback(card, action)`` for ``"zoom"``, ``"visualise"``, ``"basket"``."""
        self._action_callbacks.register_callback(callback, remove=remove)

    def _action(self, action: str) -> None:
        self._action_callbacks(self, action)

    def show_metadata_link(self) -> None:
        """Show a link that downloads the item's STAC JSON (a ``data:`` URL, built in the kernel)."""
        payload = base64.b64encode(metadata_json(self.item).encode("utf-8")).decode("ascii")
        name = f"{self.item_id}.json"
        self.metadata_link.value = (
            f"<a class='dw-metadata-anchor' download='{html.escape(name)}' target='_blank' "
            f"href='data:application/json;base64,{payload}'>"
            f"⬇ {html.escape(t('metadata_link', self.lang, name=name))}</a>")

    def open_details(self) -> None:
        """Open the details (Information panel, other actions and their forms)."""
        self.info_button.value = True

    def toggle_download(self) -> None:
        """Show (or hide) the download form."""
        from .download_view import DownloadView

        if self.download_view is None:
            self.download_view = DownloadView(self.item, folder=self.download_folder, lang=self.lang,
                                              signer=self.signer)
        self._toggle_in_area(self.download_view)

    def toggle_sign_dialog(self) -> None:
        """Show (or hide) the "Signer l'Url" dialog."""
        from .sign_dialog import SignDialog

        if self.sign_dialog is None:
            self.sign_dialog = SignDialog(self.item, lang=self.lang, signer=self.signer)
        self._toggle_in_area(self.sign_dialog)

    def toggle_gis_export(self) -> None:
        """Show (or hide) "Ouvrir dans un SIG": this product's signed VRT, QGIS layer, pyotb line."""
        from .gis_export import GisExport

        if self.gis_export is None:
            self.gis_export = GisExport(lang=self.lang, folder=self.download_folder, stem=self.item_id)
            self.gis_export.signer = self.signer
            self.gis_export.items = [self.item]
        self._toggle_in_area(self.gis_export)

    def _toggle_in_area(self, widget: widgets.Widget) -> None:
        self.open_details()
        children = list(self.action_area.children)
        if widget in children:
            children.remove(widget)
        else:
            children.append(widget)
        self.action_area.children = tuple(children)
