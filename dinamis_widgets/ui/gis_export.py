"""Buttons that hand items to a GIS: a signed VRT, a QGIS layer definition, the pyotb line.

:class:`GisExport` (CSS class ``dw-gis-export``) writes, in a folder, the files of
:mod:`dinamis_widgets.analysis.gis_handoff` for its ``items`` -- the basket's (the explorer links them), or
one result's (its details pane) -- in a worker thread, and says in its one status line where they are and
until when their links work; the pyotb line that opens a VRT shows under it. The image menu offers the
assets every item has (multispectral, panchromatic).

Examples
--------
>>> box = GisExport(lang="en")
>>> [b.description for b in (box.vrt_button, box.qlr_button)]
['VRT (QGIS, GDAL, OTB)', 'QGIS layers (.qlr)']
>>> box.vrt_button.disabled  # no item yet
True
>>> box.file_name("vrt"), GisExport(lang="en", stem="SPOT67_X").file_name("qlr")
('dinamis_multispectral.vrt', 'SPOT67_X_multispectral.qlr')
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from traitlets import Any as AnyTrait
from traitlets import List, observe

from ..analysis.gis_handoff import otb_line, to_qlr, to_vrt
from .localized import format_datetime
from .status import StatusBar
from .tasks import TaskRunner

__all__ = ["GisExport"]

_WORDS: Mapping[str, Mapping[str, str]] = {
    "fr": {"title": "Ouvrir dans un SIG", "vrt": "VRT (QGIS, GDAL, OTB)", "qlr": "Couches QGIS (.qlr)",
           "asset": "Image", "multispectral": "multispectrale", "panchromatic": "panchromatique",
           "folder": "Dossier", "validity": "Validité", "writing": "Écriture des fichiers…",
           "written": "{path} écrit : liens valables jusqu'au {expiry}, à réécrire ensuite.",
           "tip": "Les fichiers contiennent des liens signés : quiconque les a peut lire les images "
                  "jusqu'à l'expiration."},
    "en": {"title": "Open in a GIS", "vrt": "VRT (QGIS, GDAL, OTB)", "qlr": "QGIS layers (.qlr)",
           "asset": "Image", "multispectral": "multispectral", "panchromatic": "panchromatic",
           "folder": "Folder", "validity": "Validity", "writing": "Writing the files…",
           "written": "{path} written: links valid until {expiry}; write it again after.",
           "tip": "The files hold signed links: anyone who has them can read the images until they "
                  "expire."},
}


#: The assets offered, in the menu's order.
ASSETS = ("multispectral", "panchromatic")


def _words(lang: str) -> Mapping[str, str]:
    return _WORDS.get(lang, _WORDS["fr"])


def _assets_of(items: list[Any]) -> list[str]:
    """The assets of :data:`ASSETS` every item has (all of them for no item)."""
    keys = [set((it.get("assets") if isinstance(it, dict) else getattr(it, "assets", None)) or ())
            for it in items]
    return [a for a in ASSETS if all(a in k for k in keys)]


class GisExport(widgets.VBox):
    """Write the VRT or the QGIS layer definition of :attr:`items` (see the module).

    Parameters
    ----------
    status
        Where progress and errors are shown; None: a status line of its own, in the box.
    lang
        ``"fr"`` or ``"en"``.
    folder
        Where the files go (the field's default).
    stem
        The files' names begin with it (``<stem>_<asset>.vrt``, ``<stem>_<asset>.qlr``).

    Attributes
    ----------
    items : list
        The items written (the explorer links the basket's).
    signer : Signer or None
        The signer (None: :func:`~dinamis_widgets.get_signer`'s).
    written : list
        ``(path, expiry)`` of the files written so far.
    """

    items: List[Any] = List()
    signer = AnyTrait(None, allow_none=True)

    def __init__(self, status: StatusBar | None = None, lang: str = "fr", folder: str = ".",
                 stem: str = "dinamis", **kwargs: Any) -> None:
        words = _words(lang)
        self.status = status if status is not None else StatusBar(lang=lang)
        self._words, self._lang, self._stem = words, lang, stem
        self._tasks = TaskRunner(self.status, "dinamis-gis-export")
        self.written: list[tuple[Path, datetime | None]] = []
        field = {"description_width": "initial"}
        self.asset_menu = widgets.Dropdown(
            options=[(words[a], a) for a in ASSETS], value="multispectral", description=words["asset"],
            style=field, layout=widgets.Layout(width="auto", max_width="240px"))
        self.validity_text = widgets.Text(value="3h", description=words["validity"], style=field,
                                          layout=widgets.Layout(width="140px"))
        self.folder_text = widgets.Text(value=folder, description=words["folder"], style=field,
                                        layout=widgets.Layout(width="100%", max_width="360px"))
        self.vrt_button = widgets.Button(description=words["vrt"], icon="th", tooltip=words["tip"],
                                         layout=widgets.Layout(width="auto"))
        self.qlr_button = widgets.Button(description=words["qlr"], icon="map", tooltip=words["tip"],
                                         layout=widgets.Layout(width="auto"))
        self.vrt_button.add_class("dw-gis-vrt")
        self.qlr_button.add_class("dw-gis-qlr")
        self.output = widgets.HTML()
        self.output.add_class("dw-gis-output")
        super().__init__(children=[
            widgets.HTML(f"<b>{html.escape(words['title'])}</b>"),
            widgets.HBox([self.asset_menu, self.validity_text], layout=widgets.Layout(flex_flow="row wrap")),
            self.folder_text, widgets.HBox([self.vrt_button, self.qlr_button]),
            *([self.status] if status is None else []), self.output], **kwargs)
        self.add_class("dw-gis-export")
        self.vrt_button.on_click(lambda _b: self.write("vrt"))
        self.qlr_button.on_click(lambda _b: self.write("qlr"))
        self._render()

    @observe("items")
    def _render(self, _change: Any = None) -> None:
        assets = _assets_of(list(self.items)) or list(ASSETS[:1])
        chosen = self.asset_menu.value if self.asset_menu.value in assets else assets[0]
        self.asset_menu.options = [(self._words[a], a) for a in assets]
        self.asset_menu.value = chosen
        self.vrt_button.disabled = self.qlr_button.disabled = not self.items

    def file_name(self, kind: str) -> str:
        """The name of the ``"vrt"`` or ``"qlr"`` file of the asset chosen."""
        return f"{self._stem}_{self.asset_menu.value}.{kind}"

    def write(self, kind: str) -> None:
        """Write the ``"vrt"`` or the ``"qlr"`` of the items, in the background."""
        items, asset = list(self.items), self.asset_menu.value
        validity, signer = self.validity_text.value.strip() or None, self.signer
        path = Path(self.folder_text.value or ".").expanduser() / self.file_name(kind)

        def work() -> tuple[Path, datetime | None]:
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "vrt":
                return to_vrt(items, path, asset=asset, validity=validity, signer=signer)
            return to_qlr(items, path, asset=asset, validity=validity, signer=signer)

        self._tasks.run(work, on_done=self._done, busy=self._words["writing"])

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the file being written (tests, scripts)."""
        return self._tasks.wait(timeout)

    def _done(self, result: tuple[Path, datetime | None]) -> None:
        path, expiry = result
        self.written.append(result)
        stamp = f"{format_datetime(expiry, self._lang)} UTC" if expiry is not None else "-"
        text = self._words["written"].format(path=path.resolve(), expiry=stamp)
        code = otb_line(path.resolve(), expiry) if path.suffix == ".vrt" else ""
        self.output.value = f"<code>{html.escape(code)}</code>" if code else ""
        self.status.success(text)  # the one message; the pyotb line under it
