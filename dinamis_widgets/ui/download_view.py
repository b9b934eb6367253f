""""Télécharger le produit": download an asset into a folder, with a progress bar, resumably.

The work is :func:`dinamis_widgets.reading.download.download_asset` in a background thread; an interrupted
download (broken connection, "Annuler", a restarted kernel) resumes where it stopped the next time.

Examples
--------
In a notebook, with the twin running::

    from dinamis_widgets.ui.download_view import DownloadView
    view = DownloadView(item, folder="downloads")
    view.start_button.click(); view.wait(); view.path
"""

from __future__ import annotations

import html
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from traitlets import Any as AnyTrait
from traitlets import Unicode

from ..reading.download import DownloadCancelledError, DownloadProgress, download_asset
from ..reading.sizes import format_bytes
from ..signing.rules import signability
from .i18n import DEFAULT_LANG, t
from .localized import reason_text
from .status import StatusBar
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ..signing.client import Signer

__all__ = ["DownloadView", "human_bytes"]


def human_bytes(n: float | None) -> str:
    """``1.5 MB``-style sizes (``?`` when unknown).

    Examples
    --------
    >>> human_bytes(1536), human_bytes(None)
    ('1.5 KB', '?')
    """
    return "?" if n is None else format_bytes(n)


class DownloadView(widgets.VBox):
    """Download one asset of an item (CSS class ``dw-download``).

    Parameters
    ----------
    item
        The pystac Item.
    folder
        Default destination folder (the notebook's folder by default).
    lang
        ``"fr"`` or ``"en"``.
    signer
        The :class:`~dinamis_widgets.Signer` (the active profile's by default).

    Attributes
    ----------
    path : str
        The file written by the last successful download (empty before).
    """

    item = AnyTrait(None)
    path = Unicode("")
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, item: Any, folder: str = ".", lang: str = DEFAULT_LANG, signer: Signer | None = None,
                 **kwargs: Any) -> None:
        self.signer = signer
        self._cancel = threading.Event()
        self._active = False
        self.status = StatusBar(lang=lang)
        self._tasks = TaskRunner(self.status, "dinamis-download")
        reason = signability(item)
        data_assets = [k for k, a in item.assets.items() if "data" in (a.roles or [])] or list(item.assets)
        self.asset = widgets.Dropdown(options=data_assets, description=t("download_asset", lang),
                                      style={"description_width": "initial"})
        self.asset.add_class("dw-download-asset")
        self.folder = widgets.Text(value=folder, description=t("download_folder", lang),
                                   style={"description_width": "initial"})
        self.folder.add_class("dw-download-folder")
        self.start_button = widgets.Button(description=t("download_start", lang), icon="download",
                                           disabled=reason is not None)
        self.start_button.add_class("dw-download-start")
        self.cancel_button = widgets.Button(description=t("download_cancel", lang), icon="stop",
                                            disabled=True)
        self.cancel_button.add_class("dw-download-cancel")
        self.bar = widgets.IntProgress(value=0, min=0, max=1000, layout=widgets.Layout(width="98%"))
        self.bar.add_class("dw-download-progress")
        self.label = widgets.HTML()
        self.label.add_class("dw-download-status")
        children: list[widgets.Widget] = [self.asset, self.folder,
                                          widgets.HBox([self.start_button, self.cancel_button]),
                                          self.bar, self.label, self.status]
        if reason is not None:
            title = html.escape(t("not_downloadable", lang))
            note = widgets.HTML(f"<div style='color:#b00020'><b>{title}</b>"
                                f"<br>{html.escape(reason_text(reason, lang) or '')}</div>")
            note.add_class("dw-download-reason")
            children = [note]
        super().__init__(children=children, item=item, lang=lang, **kwargs)
        self.add_class("dw-download")
        self.start_button.on_click(lambda _b: self.start())
        self.cancel_button.on_click(lambda _b: self._cancel.set())

    def _progress(self, p: DownloadProgress) -> None:
        if not self._active:  # a late report of a download that has ended: its line stays cleared
            return
        if p.total:
            self.bar.value = int(1000 * min(1.0, p.done / p.total))
        self.label.value = html.escape(t("downloading", self.lang, name=p.path.name, done=human_bytes(p.done),
                                         total=human_bytes(p.total)))

    def start(self) -> None:
        """Start (or resume) the download in the background."""
        key, folder = self.asset.value, Path(self.folder.value or ".").expanduser()
        self._cancel = threading.Event()
        cancel = self._cancel
        self.start_button.disabled = True
        self.cancel_button.disabled = False
        self.bar.value = 0
        self.label.value = ""
        self.status.clear()
        self._active = True

        item, signer = self.item, self.signer

        def progress(p: DownloadProgress) -> None:  # in the download's thread: handed to the main loop
            self._tasks.post(self._progress, p, key="progress")

        def work() -> Path | None:
            from ..signing.registry import get_signer

            try:
                return download_asset(item, key, folder, signer=signer or get_signer(), progress=progress,
                                      cancel=cancel, chunk_size=256 * 1024)
            except DownloadCancelledError:
                return None

        def finished() -> None:
            self._active = False
            if self.status.level == "error":
                self.label.value = ""
            self.start_button.disabled = False
            self.cancel_button.disabled = True

        self._tasks.run(work, on_done=self._done, on_finally=finished)

    def _done(self, path: Path | None) -> None:
        self._active = False
        self.label.value = ""  # the progress line is over: the status says how it ended
        if path is None:
            self.status.warning(t("download_cancelled", self.lang))
            return
        self.bar.value = self.bar.max
        self.path = str(path)
        self.status.success(t("downloaded", self.lang, path=str(path)))

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for a download under way; False on timeout."""
        return self._tasks.wait(timeout)
