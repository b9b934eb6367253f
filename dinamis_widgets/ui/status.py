"""A status line with a progress bar: messages, errors without tracebacks, sign-in links.

:class:`StatusBar` shows the toolkit's errors in its language
(:func:`~dinamis_widgets.ui.error_text.error_text`: the core's
:attr:`~dinamis_widgets.errors.DinamisError.message` in English; in French, a French sentence with the
core's folded under it as the :attr:`~StatusBar.detail`), and a short message for any other exception
(the traceback goes to the ``dinamis_widgets.ui`` logger, which has a :class:`logging.NullHandler` so
nothing lands in a notebook cell unless logging is configured). Signatures are masked and everything is
escaped.

Examples
--------
>>> from dinamis_widgets.errors import QueryError
>>> bar = StatusBar(lang="en")
>>> bar.report(QueryError("Give one area of interest, not aoi and bbox."))
>>> bar.level, bar.message
('error', 'Give one area of interest, not aoi and bbox.')
>>> french = StatusBar(lang="fr")
>>> french.report(QueryError("Give one area of interest, not aoi and bbox."))
>>> french.message.startswith("Critère de recherche invalide"), french.detail.startswith("Give one area")
(True, True)
"""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
from traitlets import Enum, Instance, Int, Unicode, observe

from ..errors import DinamisError, mask_signatures, masked_logger
from .error_text import detail_html, error_text
from .i18n import DEFAULT_LANG, t

__all__ = ["StatusBar", "log"]

#: Logger of the user interface (tracebacks of unexpected errors go here).
log = masked_logger("dinamis_widgets.ui")
log.addHandler(logging.NullHandler())

_COLORS = {"info": "#333", "busy": "#1b5e9a", "success": "#2e7d32", "warning": "#9a6a00", "error": "#b00020"}
_ICONS = {"info": "", "busy": "⏳ ", "success": "✔ ", "warning": "⚠ ", "error": "✖ "}


class StatusBar(widgets.VBox):
    """Status line (CSS class ``dw-status``) and progress bar (``dw-progress``) of a component.

    Parameters
    ----------
    lang
        Language of the fixed labels (``"fr"`` or ``"en"``).

    Attributes
    ----------
    message : str
        The text shown (plain text; escaped when rendered).
    detail : str
        The core's English message of the error shown, folded under :attr:`message` (empty for none).
    level : str
        ``"info"``, ``"busy"``, ``"success"``, ``"warning"`` or ``"error"``.
    last_error : BaseException or None
        The last exception reported, for inspection from a notebook.
    """

    message = Unicode("")
    detail = Unicode("")
    level = Enum(["info", "busy", "success", "warning", "error"], default_value="info")
    lang = Unicode(DEFAULT_LANG)
    progress_value = Int(0)
    progress_max = Int(0)
    last_error = Instance(BaseException, allow_none=True)

    def __init__(self, lang: str = DEFAULT_LANG, **kwargs: Any) -> None:
        self._html = widgets.HTML("")
        self._html.add_class("dw-status")
        self._bar = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="100%",
                                                                                        display="none"))
        self._bar.add_class("dw-progress")
        self._extra = widgets.HTML("")
        self._extra.add_class("dw-sign-in")
        super().__init__(children=[self._html, self._bar, self._extra], lang=lang, **kwargs)
        self.add_class("dw-status-bar")

    # -- rendering -------------------------------------------------------------------------------
    @observe("message", "level", "detail")
    def _render(self, _change: Any = None) -> None:
        if not self.message:
            self._html.value = ""
            return
        color = _COLORS[self.level]
        text = html.escape(mask_signatures(self.message)).replace("\n", "<br>")
        detail = detail_html(mask_signatures(self.detail), self.lang)
        self._html.value = (f"<div class='dw-status-{self.level}' style='color:{color};white-space:normal;"
                            f"overflow-wrap:anywhere;line-height:1.35'>{_ICONS[self.level]}{text}{detail}</div>")

    @observe("progress_value", "progress_max")
    def _render_progress(self, _change: Any = None) -> None:
        if self.progress_max <= 0:
            self._bar.layout.display = "none"
            return
        self._bar.max = self.progress_max
        self._bar.value = min(self.progress_value, self.progress_max)
        self._bar.layout.display = ""

    # -- API -------------------------------------------------------------------------------------
    def show(self, message: str, level: str = "info") -> None:
        """Show ``message`` at ``level`` (``info``, ``busy``, ``success``, ``warning``, ``error``)."""
        with self.hold_trait_notifications():  # rendered once, with both
            self.level = level
            self.message = message
            self.detail = ""
            if level != "busy":
                self.progress_max = 0

    def info(self, message: str) -> None:
        """Show an information."""
        self.show(message, "info")

    def busy(self, message: str) -> None:
        """Show that work is under way."""
        self.show(message, "busy")

    def success(self, message: str) -> None:
        """Show that something worked."""
        self.show(message, "success")

    def warning(self, message: str) -> None:
        """Show a warning."""
        self.show(message, "warning")

    def clear(self) -> None:
        """Remove the message, the progress bar and any sign-in link."""
        self.show("", "info")
        self._extra.value = ""

    def progress(self, done: int, total: int) -> None:
        """Show a progress bar at ``done`` of ``total`` (``total <= 0`` hides it)."""
        self.progress_max = max(0, int(total))
        self.progress_value = max(0, int(done))

    def report(self, exc: BaseException) -> None:
        """Show an exception as a message: the toolkit's own message, never a traceback.

        A :class:`~dinamis_widgets.errors.DinamisError` shows its ``message`` (in French: a French sentence,
        the message as :attr:`detail`). Anything else shows its
        type and first line, and its traceback goes to the ``dinamis_widgets.ui`` logger.
        """
        self.last_error = exc
        self._extra.value = ""
        if isinstance(exc, DinamisError):
            text, detail = error_text(exc, self.lang)
            with self.hold_trait_notifications():
                self.show(text, "error")
                self.detail = detail
            return
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        first = mask_signatures(first)[:300]
        log.error("Unexpected error in the user interface: %s: %s", type(exc).__name__, first, exc_info=exc)
        self.show(t("unexpected", self.lang, kind=type(exc).__name__, message=first or "-"), "error")

    def show_sign_in(self, code: Any) -> None:
        """Show a sign-in link (a :class:`~dinamis_widgets.signing.prompting.DeviceCode`): the handler of
        :func:`dinamis_widgets.signing.prompting.set_sign_in_handler` while the UI signs."""
        render = getattr(code, "_repr_html_", None)
        self._extra.value = render() if callable(render) else html.escape(str(code))
        self.show(t("sign_in", self.lang), "busy")

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Run a block and show any exception it raises instead of letting it escape.

        Examples
        --------
        >>> bar = StatusBar(lang="en")
        >>> with bar.guard():
        ...     raise RuntimeError("boom")
        >>> bar.message
        'Unexpected error (RuntimeError): boom'
        """
        try:
            yield
        except Exception as exc:
            self.report(exc)
