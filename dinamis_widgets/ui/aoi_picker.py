"""The area of interest of a search: typed (bbox or WKT), uploaded (GeoJSON), drawn, or the map's view.

:class:`AOIPicker` holds the current :class:`~dinamis_widgets.AOI` in its ``aoi`` trait (None: no
area, the whole catalogue). Text and files are read by :func:`dinamis_widgets.as_aoi`, which checks
coordinates (and refuses latitude/longitude swapped); errors are shown inline, under the field.

Examples
--------
>>> picker = AOIPicker(lang="en")
>>> picker.set_from_text("-0.98, 45.92, -0.93, 45.96")
>>> picker.aoi.bbox, picker.source
((-0.98, 45.92, -0.93, 45.96), 'text')
>>> picker.set_from_text("POLYGON ((1 2, 3")
>>> picker.aoi.bbox, bool(picker.error)
((-0.98, 45.92, -0.93, 45.96), True)

A map's drawing (the ``drawn`` trait, linked to :attr:`ExplorerMap.drawn_aoi` by the explorer):

>>> from dinamis_widgets import as_aoi
>>> picker.drawn = as_aoi((3.85, 43.59, 3.90, 43.63))
>>> picker.aoi.bbox, picker.source
((3.85, 43.59, 3.9, 43.63), 'draw')
>>> picker.drawn = None
>>> picker.aoi is None
True
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from traitlets import Instance, Unicode, observe

from ..catalog.aoi import AOI, as_aoi
from ..errors import DinamisError
from .error_text import detail_html, error_text
from .i18n import DEFAULT_LANG, t

__all__ = ["AOIPicker"]

#: ``(west, south, east, north)`` of the map's current view, or None when unknown.
ViewProvider = Callable[[], "tuple[float, float, float, float] | None"]


def _round_bbox(bbox: tuple[float, float, float, float]) -> str:
    return "(" + ", ".join(f"{v:.5f}".rstrip("0").rstrip(".") for v in bbox) + ")"


class AOIPicker(widgets.VBox):
    """Area of interest from text, a GeoJSON file or the map (CSS class ``dw-aoi``).

    Parameters
    ----------
    lang
        ``"fr"`` or ``"en"``.
    view_provider
        Returns the map's current view as ``(west, south, east, north)`` (or None): set by the explorer,
        used by the "Vue de la carte" button.

    Attributes
    ----------
    aoi : AOI or None
        The current area (None: no area).
    drawn : AOI or None
        The area drawn on a map, which the explorer links to the map's ``drawn_aoi``: a new drawing
        becomes the area (source ``"draw"``); when it is erased, an area that came from it is removed.
    source : str
        Where it came from: ``"draw"``, ``"text"``, ``"file"``, ``"view"``, ``"code"`` or ``""``.
    error : str
        The last inline error (empty when the last input was good), in the picker's language.
    error_detail : str
        In French, the core's English message of that error (shown folded under it).
    """

    aoi = Instance(AOI, allow_none=True)
    drawn = Instance(AOI, allow_none=True)
    source = Unicode("")
    error = Unicode("")
    error_detail = Unicode("")
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, lang: str = DEFAULT_LANG, view_provider: ViewProvider | None = None,
                 **kwargs: Any) -> None:
        self.view_provider = view_provider
        self.text = widgets.Text(placeholder=t("aoi_placeholder", lang), layout=widgets.Layout(width="auto",
                                                                                             flex="1"))
        self.text.add_class("dw-aoi-text")
        self.text.continuous_update = False
        self.apply_button = widgets.Button(description=t("aoi_apply", lang),
                                           layout=widgets.Layout(width="auto"))
        self.apply_button.add_class("dw-aoi-apply")
        self.upload = widgets.FileUpload(accept=".geojson,.json", multiple=False,
                                         description=t("aoi_upload", lang),
                                         layout=widgets.Layout(width="auto"))
        self.upload.add_class("dw-aoi-upload")
        self.view_button = widgets.Button(description=t("aoi_view", lang), icon="crosshairs",
                                          layout=widgets.Layout(width="auto"))
        self.view_button.add_class("dw-aoi-view")
        self.clear_button = widgets.Button(description=t("aoi_clear", lang), icon="times",
                                           layout=widgets.Layout(width="auto"))
        self.clear_button.add_class("dw-aoi-clear")
        self.summary = widgets.HTML()
        self.summary.add_class("dw-aoi-summary")
        self.error_html = widgets.HTML()
        self.error_html.add_class("dw-aoi-error")
        title = widgets.HTML(f"<b>{html.escape(t('aoi', lang))}</b>")
        super().__init__(children=[
            title,
            widgets.HBox([self.text, self.apply_button]),
            widgets.HBox([self.upload, self.view_button, self.clear_button],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.summary, self.error_html,
        ], lang=lang, **kwargs)
        self.add_class("dw-aoi")
        self.apply_button.on_click(lambda _b: self.set_from_text(self.text.value))
        self.text.observe(self._on_text_submit, names="value")
        self.view_button.on_click(lambda _b: self.set_from_view())
        self.clear_button.on_click(lambda _b: self.clear())
        self.upload.observe(self._on_upload, names="value")
        self._render()

    # -- reactions -------------------------------------------------------------------------------
    @observe("aoi", "source")
    def _render(self, _change: Any = None) -> None:
        if self.aoi is None:
            self.summary.value = f"<i>{html.escape(t('aoi_none', self.lang))}</i>"
            return
        source = t(f"aoi_source_{self.source}", self.lang) if self.source else "-"
        shape = "box" if self.aoi.is_box else str(self.aoi.geometry.get("type"))
        kind = t(f"aoi_kind_{shape}", self.lang)
        kind = shape if kind == f"aoi_kind_{shape}" else kind  # a geometry type without a label: its name
        self.summary.value = html.escape(t("aoi_summary", self.lang, source=source, kind=kind,
                                           bbox=_round_bbox(self.aoi.bbox)))

    @observe("drawn")
    def _on_drawn(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self.set_aoi(change["new"], "draw")
        elif self.source == "draw":
            self.set_aoi(None)

    @observe("error")
    def _render_error(self, _change: Any = None) -> None:
        self.error_html.value = (f"<span style='color:#b00020'>{html.escape(self.error)}</span>"
                                 f"{detail_html(self.error_detail, self.lang)}" if self.error else "")

    def _on_text_submit(self, change: dict[str, Any]) -> None:
        if change["new"].strip():
            self.set_from_text(change["new"])

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if files:
            self.set_from_upload(files)

    # -- API -------------------------------------------------------------------------------------
    def set_aoi(self, value: Any, source: str = "code") -> bool:
        """Set the area from anything :func:`~dinamis_widgets.as_aoi` reads (None clears it).

        Returns
        -------
        bool
            Whether it was accepted (else :attr:`error` says why and the area is unchanged).
        """
        if value is None:
            with self.hold_trait_notifications():  # observers see the area and its source together
                self.error = ""
                self.source = ""
                self.aoi = None
            return True
        try:
            aoi = value if isinstance(value, AOI) else as_aoi(value)
        except DinamisError as exc:  # French: a French sentence, the core's English folded under it
            self.error_detail = error_text(exc, self.lang)[1]
            self.error = t("aoi_unreadable", self.lang) if self.lang != "en" else exc.message
            return False
        except (TypeError, ValueError) as exc:
            self.error_detail = str(exc)[:300] if self.lang != "en" else ""
            self.error = t("aoi_unreadable", self.lang) if self.lang != "en" else str(exc)[:300]
            return False
        with self.hold_trait_notifications():
            self.error = ""
            self.source = source
            self.aoi = aoi
        return True

    def set_from_text(self, text: str) -> None:
        """Read a bbox (``west,south,east,north``), WKT or GeoJSON typed in the field."""
        if not text.strip():
            self.error = ""
            return
        self.set_aoi(text.strip(), "text")

    def set_from_geojson(self, data: bytes | str | dict[str, Any], name: str = "GeoJSON") -> None:
        """Read a GeoJSON document (a file's bytes, text, or a dict)."""
        try:
            obj = json.loads(data) if isinstance(data, bytes | str) else data
        except (ValueError, UnicodeDecodeError) as exc:
            english = self.lang == "en"
            self.error_detail = "" if english else str(exc)[:200]
            self.error = t("aoi_bad_file", self.lang, name=name, error=str(exc)[:200] if english else "")
            return
        if not self.set_aoi(obj, "file"):
            self.error = t("aoi_bad_file", self.lang, name=name, error=self.error)

    def set_from_upload(self, files: Any) -> None:
        """Read the first file of a :class:`ipywidgets.FileUpload` value."""
        first = files[0]
        content = first["content"]
        self.set_from_geojson(bytes(content), str(first.get("name", "GeoJSON")))

    def set_from_view(self) -> None:
        """Use the map's current view as the area."""
        view = self.view_provider() if self.view_provider is not None else None
        if view is None:
            self.error = t("aoi_no_view", self.lang)
            return
        self.set_aoi(view, "view")

    def clear(self) -> None:
        """Remove the area (and the drawings, through the explorer)."""
        self.text.value = ""
        self.set_aoi(None)
