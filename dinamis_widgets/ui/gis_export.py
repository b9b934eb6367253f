"""Buttons that hand the basket to a GIS: a signed VRT, a QGIS layer definition, the pyotb line.

:class:`GisExport` (CSS class ``dw-gis-export``) writes, in a folder, the files of
:mod:`dinamis_widgets.analysis.gis_handoff` for its ``items`` (the explorer links them to the basket's),
in a worker thread, and says where they are and until when their links work.

Examples
--------
>>> from dinamis_widgets.ui.status import StatusBar
>>> box = GisExport(StatusBar(), lang="en")
>>> [b.description for b in (box.vrt_button, box.qlr_button)]
['VRT (QGIS, GDAL, OTB)', 'QGIS layers (.qlr)']
>>> box.vrt_button.disabled  # no item yet
True
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


def _words(lang: str) -> Mapping[str, str]:
    return _WORDS.get(lang, _WORDS["fr"])


class GisExport(widgets.VBox):
    """Write the VRT or the QGIS layer definition of :attr:`items` (see the module).

    Parameters
    ----------
    status
        Where progress and errors are shown.
    lang
        ``"fr"`` or ``"en"``.
    folder
        Where the files go (the field's default).

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

    def __init__(self, status: StatusBar, lang: str = "fr", folder: str = ".", **kwargs: Any) -> None:
        words = _words(lang)
        self._words, self._status = words, status
        self._tasks = TaskRunner(status, "dinamis-gis-export")
        self.written: list[tuple[Path, datetime | None]] = []
        self.asset_menu = widgets.Dropdown(
            options=[(words["multispectral"], "multispectral"), (words["panchromatic"], "panchromatic")],
            value="multispectral", description=words["asset"], layout=widgets.Layout(width="240px"))
        self.validity_text = widgets.Text(value="3h", description=words["validity"],
                                          layout=widgets.Layout(width="160px"))
        self.folder_text = widgets.Text(value=folder, description=words["folder"],
                                        layout=widgets.Layout(width="300px"))
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
            widgets.HBox([self.asset_menu, self.validity_text, self.folder_text]),
            widgets.HBox([self.vrt_button, self.qlr_button]), self.output], **kwargs)
        self.add_class("dw-gis-export")
        self.vrt_button.on_click(lambda _b: self.write("vrt"))
        self.qlr_button.on_click(lambda _b: self.write("qlr"))
        self._render()

    @observe("items")
    def _render(self, _change: Any = None) -> None:
        self.vrt_button.disabled = self.qlr_button.disabled = not self.items

    def write(self, kind: str) -> None:
        """Write the ``"vrt"`` or the ``"qlr"`` of the items, in the background."""
        items, asset = list(self.items), self.asset_menu.value
        validity, signer = self.validity_text.value.strip() or None, self.signer
        name = f"dinamis_{asset}.{kind}" if kind == "vrt" else "dinamis_basket.qlr"
        path = Path(self.folder_text.value or ".").expanduser() / name

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
        stamp = expiry.strftime("%Y-%m-%d %H:%M UTC") if expiry is not None else "-"
        text = self._words["written"].format(path=path.resolve(), expiry=stamp)
        code = otb_line(path.resolve(), expiry) if path.suffix == ".vrt" else ""
        self.output.value = (f"<div>{html.escape(text)}</div>"
                             + (f"<code>{html.escape(code)}</code>" if code else ""))
        self._status.success(text)
