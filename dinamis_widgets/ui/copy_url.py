"""A "Copier" button that copies a signed URL to the browser's clipboard without the URL in widget state.

Why: JupyterLab and Notebook 7 can save a notebook *with its widget state* (every widget model's synced
traits, in the ``.ipynb`` metadata). A signed URL held in a trait (a ``Text`` value, an ``HTML`` button's
``data-copy`` attribute) is then a live signature in a file trainees share. So the signed URL never enters
a synced trait: the widgets show its masked form (:func:`~dinamis_widgets.errors.mask_signatures`), and this
button receives the whole URL through a transient channel, a custom message on its comm
(:meth:`ipywidgets.Widget.send`), which no notebook or widget state records.

How: the button's front end is an `anywidget <https://anywidget.dev>`_ ES module (a small, well-kept
library; its front end is a prebuilt JupyterLab extension, so it works in JupyterLab, Notebook 7 and Voilà
without a build step; plain ipywidgets 8 has no public way to run front-end code that hears a custom
message). Each view asks the kernel for the text when it is drawn (``{"ask": "text"}``) and keeps the
answer in a JavaScript variable, so the click copies at once, inside the user's gesture, as browsers
require: the Clipboard API where the page may use it (https, localhost), else the older copy command on a
hidden text area (plain http on another machine). A notebook reopened without its kernel draws the button
from saved state, which holds no URL: a click then says to sign again.

Alternatives weighed: writing the URL to a file and showing its path (no front-end code, but a trainee on
JupyterHub must open a file to copy one line, and the file is one more place a signature rests); masking
the traits only while saving (no hook for that in ipywidgets; the front end saves what it holds).

Examples
--------
>>> button = CopyURL("https://h/k.tif?X-Amz-Signature=abcdef", lang="en")
>>> button.text, button.label
('https://h/k.tif?X-Amz-Signature=abcdef', 'Copy')
>>> "abcdef" in str(button.get_state())
False
"""

from __future__ import annotations

from typing import Any

import anywidget
from traitlets import Unicode

from .i18n import DEFAULT_LANG, t

__all__ = ["CopyURL"]

_ESM = """
function copyText(text, done) {
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallback(text, done));
  } else {
    fallback(text, done);
  }
}
function fallback(text, done) {
  const a = document.createElement("textarea");
  a.value = text; a.style.position = "fixed"; a.style.opacity = "0";
  document.body.appendChild(a); a.select();
  try { if (document.execCommand("copy")) { done(); } } finally { document.body.removeChild(a); }
}
export default {
  render({ model, el }) {
    let text = null;
    const b = document.createElement("button");
    b.type = "button";
    b.className = "dw-copy-button jupyter-button";
    b.style.cssText = "height:28px;padding:0 8px;white-space:nowrap";
    const paint = () => { b.textContent = "\\u{1F4CB} " + model.get("label"); b.title = model.get("tip"); };
    const heard = (msg) => { if (msg && typeof msg.text === "string") { text = msg.text; } };
    paint();
    model.on("msg:custom", heard);
    model.on("change:label", paint);
    b.addEventListener("click", () => {
      if (text === null) { b.textContent = model.get("missing"); return; }
      copyText(text, () => { b.textContent = "\\u2714 " + model.get("done"); });
    });
    el.appendChild(b);
    model.send({ ask: "text" });
    return () => { model.off("msg:custom", heard); model.off("change:label", paint); };
  }
};
"""


class CopyURL(anywidget.AnyWidget):
    """A button copying ``text`` (a signed URL) to the clipboard; ``text`` stays in the kernel.

    Parameters
    ----------
    text
        What the button copies. Not a trait: sent to each view on its request, never synced.
    lang
        ``"fr"`` or ``"en"``, for the label, tooltip and messages.

    Attributes
    ----------
    label, done, tip, missing : str
        The button's label, what it says once it copied, its tooltip, and what it says when it has
        nothing to copy (a notebook reopened without its kernel).
    """

    _esm = _ESM
    label = Unicode("").tag(sync=True)
    done = Unicode("").tag(sync=True)
    tip = Unicode("").tag(sync=True)
    missing = Unicode("").tag(sync=True)

    def __init__(self, text: str, lang: str = DEFAULT_LANG, **kwargs: Any) -> None:
        self._text = text
        super().__init__(label=t("copy", lang), done=t("copied", lang), tip=t("copy_help", lang),
                         missing=t("copy_missing", lang), **kwargs)
        self.add_class("dw-copy")
        self.on_msg(self._answer)

    @property
    def text(self) -> str:
        """What the button copies (kept in the kernel only)."""
        return self._text

    def _answer(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("ask") == "text":
            self.send({"text": self._text})
