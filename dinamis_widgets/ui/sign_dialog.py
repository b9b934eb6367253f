"""The "Signer l'Url" dialog: sign the multispectral and panchromatic images of a product, separately.

The validity is typed as in the catalogue (``3h``, ``30min``, ``PT3H10M``; default ``3h``) and read by
:func:`~dinamis_widgets.parse_validity`: a wrong one is shown under the field, quoting what was
typed, in the interface's language (a new error removes the URLs signed before, so no stale "valid until"
stays under it). Each signed URL is shown on one line, its signature masked, with a "Copier" button that
copies the whole URL (for QGIS), with its ``/vsicurl/`` form for GDAL (masked too, with its own button) and
its expiry time (local time and UTC): no widget's state holds a signature, so a notebook saved with its
widget state holds none (:mod:`~dinamis_widgets.ui.copy_url` says how the button gets the URL). Next to
them, a note on QGIS/GDAL before 3.10, which download the whole file when they open a signed URL.
Products that cannot be signed (BRUT, Regards, not georeferenced) get the reason instead of a sign button;
a product whose processing level nothing tells gets a caution above its images (``dw-sign-unverified``).

Examples
--------
In a notebook, with the twin running::

    from dinamis_widgets.ui import SignDialog
    dialog = SignDialog(item)              # an ORTHO item of MTD or SEAS Guyane
    dialog.validity_text.value = "30min"
    dialog.sign_button.click(); dialog.wait()
    dialog.signed["multispectral"].href
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from traitlets import Any as AnyTrait
from traitlets import Dict, Unicode, observe

from ..errors import ValidityError, mask_signatures
from ..signing.rules import explain_signability, signability
from ..signing.urls import SignedURL, unsigned_url
from ..signing.validity import format_validity, parse_validity
from .copy_url import CopyURL
from .i18n import DEFAULT_LANG, t
from .localized import format_day, reason_text
from .status import StatusBar
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ..signing.client import Signer

__all__ = ["SignDialog", "asset_css", "describe_expiry"]

#: Assets offered, in order, with their label key and CSS suffix.
#: The two images' names in the dialog's labels (other assets keep their key).
_IMAGE_WORDS = {"fr": {"multispectral": "image multispectrale", "panchromatic": "image panchromatique"},
                "en": {"multispectral": "multispectral image", "panchromatic": "panchromatic image"}}
_MAIN_ASSETS = {"multispectral": ("sign_multispectral", "ms"), "panchromatic": ("sign_panchromatic", "pan")}


def asset_css(key: str) -> str:
    """CSS suffix of an asset: ``ms``, ``pan``, or the key itself.

    Examples
    --------
    >>> asset_css("multispectral"), asset_css("nir")
    ('ms', 'nir')
    """
    return _MAIN_ASSETS.get(key, ("", key))[1]


def _human_left(seconds: float, lang: str) -> str:
    seconds = max(0, round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = round(rest / 60)
    if minutes == 60:
        hours, minutes = hours + 1, 0
    parts = []
    if days:
        parts.append(f"{days} {'j' if lang == 'fr' else 'd'}")
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def describe_expiry(expiry: _dt.datetime | None, lang: str = DEFAULT_LANG,
                    now: _dt.datetime | None = None) -> str:
    """When a signed URL expires, in local time and UTC, and how long is left.

    Examples
    --------
    >>> import datetime as dt
    >>> exp = dt.datetime(2026, 2, 24, 13, 5, tzinfo=dt.UTC)
    >>> describe_expiry(exp, "en", now=exp - dt.timedelta(minutes=30)).split(" — ")[1]
    '24 Feb 2026 13:05:00 UTC, in 30 min'
    >>> describe_expiry(exp, "fr", now=exp - dt.timedelta(hours=3)).split(" — ")[1]
    '24/02/2026 13:05:00 UTC, dans 3 h'
    """
    if expiry is None:
        return t("no_expiry", lang)
    now = now or _dt.datetime.now(_dt.UTC)
    local = expiry.astimezone()
    return t("expires", lang, local=_when(local, lang), tz=local.tzname() or "local",
             utc=_when(expiry.astimezone(_dt.UTC), lang),
             left=_human_left((expiry - now).total_seconds(), lang))


def _when(moment: _dt.datetime, lang: str) -> str:
    """A day and time as the language writes them (``24/02/2026 13:05:00`` in French)."""
    return f"{format_day(moment.date(), lang)} {moment:%H:%M:%S}"


#: An ISO 8601 duration quoted in the core's message (what it suggests writing instead).
_QUOTED_ISO = re.compile(r"'(P(?:\d+[WD])*(?:T(?:\d+[HMS])+)?)'")

def _read_only(area: widgets.Textarea | widgets.Text) -> None:
    """Keep a text area's value as set (selectable and copyable, unlike a disabled one)."""
    kept = area.value

    def revert(change: dict[str, Any]) -> None:
        if change["new"] != kept:
            area.value = kept

    area.observe(revert, names="value")


class SignDialog(widgets.VBox):
    """Sign a product's assets (CSS class ``dw-sign-dialog``).

    Parameters
    ----------
    item
        The pystac Item.
    lang
        ``"fr"`` or ``"en"``.
    validity
        Initial validity text (``"3h"``).
    signer
        The :class:`~dinamis_widgets.Signer` (the active profile's by default).

    Attributes
    ----------
    reason : str or None
        Why the product cannot be signed (then there is no sign button).
    signed : dict
        Asset key -> :class:`~dinamis_widgets.signing.urls.SignedURL` of the last signature.
    error : str
        The inline error under the validity field (empty when none).
    """

    item = AnyTrait(None)
    lang = Unicode(DEFAULT_LANG)
    error = Unicode("")
    signed = Dict()

    def __init__(self, item: Any, lang: str = DEFAULT_LANG, validity: str = "3h",
                 signer: Signer | None = None, **kwargs: Any) -> None:
        self.signer = signer
        self.reason: str | None = reason_text(signability(item), lang)
        self.status = StatusBar(lang=lang)
        self._tasks = TaskRunner(self.status, "dinamis-sign")
        self.asset_boxes: dict[str, widgets.Checkbox] = {}
        self.url_areas: dict[str, widgets.Textarea] = {}
        self.vsicurl_areas: dict[str, widgets.Textarea] = {}
        self.expiry_labels: dict[str, widgets.HTML] = {}
        self.validity_text = widgets.Text(value=validity, description=t("validity", lang),
                                          style={"description_width": "initial"})
        self.validity_text.add_class("dw-sign-validity")
        self.sign_button = widgets.Button(description=t("sign", lang), icon="key", button_style="primary")
        self.sign_button.add_class("dw-sign-button")
        self.error_html = widgets.HTML()
        self.error_html.add_class("dw-sign-error")
        self.results_box = widgets.VBox()
        self.results_box.add_class("dw-sign-results")
        note = html.escape(t("qgis_note", lang))
        self.note = widgets.HTML(f"<div style='font-size:11px;color:#555'>{note}</div>")
        self.note.add_class("dw-sign-note")
        super().__init__(lang=lang, **kwargs)
        self.add_class("dw-sign-dialog")
        self.item = item
        self.sign_button.on_click(lambda _b: self.sign())
        self.validity_text.observe(lambda _c: setattr(self, "error", ""), names="value")
        self.copy_buttons: dict[str, CopyURL] = {}
        self.vsicurl_copy_buttons: dict[str, CopyURL] = {}

    @observe("item")
    def _build(self, _change: Any = None) -> None:
        item = self.item
        said = html.escape(t("sign_title", self.lang, id=getattr(item, "id", "?")))
        title = widgets.HTML(f"<b style='overflow-wrap:anywhere'>{said}</b>")  # an id wraps, not cut
        verdict = explain_signability(item)
        self.reason = reason_text(verdict.reason, self.lang)
        if self.reason is not None:
            heading = html.escape(t("not_signable_title", self.lang))
            reason = widgets.HTML(f"<div style='color:#b00020'><b>{heading}</b><br>"
                                  f"{html.escape(self.reason)}</div>")
            reason.add_class("dw-sign-reason")
            self.children = [title, reason]
            return
        self.asset_boxes = {}
        rows: list[widgets.Widget] = []
        keys = self._assets()
        ticked = "multispectral" if "multispectral" in keys else next(iter(keys), None)
        for key in keys:
            label_key, css = _MAIN_ASSETS.get(key, ("sign_asset", key))
            box = widgets.Checkbox(value=(key == ticked), indent=False,
                                   description=t(label_key, self.lang, key=key),
                                   layout=widgets.Layout(width="auto"))
            box.add_class(f"dw-sign-{css}")
            self.asset_boxes[key] = box
            path = html.escape(unsigned_url(item.assets[key].href).split("://", 1)[-1].split("/", 1)[-1])
            rows.append(widgets.VBox([box, widgets.HTML(f"<code style='font-size:11px'>{path}</code>")]))
        hint = html.escape(t("validity_help", self.lang))
        help_text = widgets.HTML(f"<span style='font-size:11px;color:#555'>{hint}</span>")
        caution: list[widgets.Widget] = []
        if verdict.verdict == "unverified":
            text = html.escape(t("unverified", self.lang))
            note = widgets.HTML(f"<div style='color:#9a6a00'>⚠ {text[:1].upper()}{text[1:]}.</div>")
            note.add_class("dw-sign-unverified")
            caution.append(note)
        self.children = [title, *caution, *rows, self.validity_text, help_text, self.error_html,
                         self.sign_button, self.status, self.results_box, self.note]

    def _assets(self) -> list[str]:
        keys = [k for k in _MAIN_ASSETS if k in self.item.assets]
        others = [k for k, a in self.item.assets.items()
                  if k not in keys and "data" in (a.roles or [])]
        return keys + others

    @observe("error")
    def _render_error(self, _change: Any = None) -> None:
        self.error_html.value = (f"<span style='color:#b00020'>{html.escape(self.error)}</span>"
                                 if self.error else "")

    # -- signing ---------------------------------------------------------------------------------
    def _signer(self) -> Signer:
        from ..signing.registry import get_signer

        return self.signer or get_signer()

    def chosen(self) -> list[str]:
        """Asset keys ticked."""
        return [k for k, box in self.asset_boxes.items() if box.value]

    def sign(self) -> None:
        """Check the validity and sign the chosen assets (in the background)."""
        if self.reason is not None:
            return
        text = self.validity_text.value
        try:
            signer = self._signer()
        except Exception as exc:
            self.status.report(exc)
            return
        error = self._validity_error(text, signer.max_validity)
        if error:
            self._clear_signed()
            self.error = error
            return
        validity = parse_validity(text, maximum=signer.max_validity)
        keys = self.chosen()
        if not keys:
            self._clear_signed()
            self.error = t("choose_asset", self.lang)
            return
        self.error = ""
        hrefs = {k: self.item.assets[k].href for k in keys}

        def show_sign_in(code: Any) -> None:  # called in the signing thread: handed to the main loop
            self._tasks.post(self.status.show_sign_in, code)

        def work() -> dict[str, SignedURL]:
            from ..signing.prompting import set_sign_in_handler

            previous = set_sign_in_handler(show_sign_in)
            try:
                signed = signer.sign_urls(list(hrefs.values()), validity)
            finally:
                set_sign_in_handler(previous)
            return {k: signed[h] for k, h in hrefs.items()}

        self.sign_button.disabled = True
        self._tasks.run(work, on_done=self._show, busy=t("signing", self.lang),
                        on_finally=lambda: setattr(self.sign_button, "disabled", False))

    def _validity_error(self, text: str, maximum: Any) -> str:
        """The error to show for a validity, in the interface's language (empty when it is good): the core's
        message is English, so only which of the two faults it is is taken from it."""
        try:
            parse_validity(text)
        except ValidityError as exc:
            message = f"{t('invalid_validity', self.lang, value=text)} {t('validity_help', self.lang)}."
            # The core suggests a form that works ('PT1H30M' for "1h30min"): kept, it is no language.
            tried = [s for s in _QUOTED_ISO.findall(exc.message) if s.upper() != text.strip().upper()]
            return message + (" " + t("validity_try", self.lang, value=tried[0]) if tried else "")
        try:
            parse_validity(text, maximum=maximum)
        except ValidityError:
            return t("validity_too_long", self.lang, value=text,
                     maximum=format_validity(maximum) if maximum else "?")
        return ""

    def _clear_signed(self) -> None:
        """Remove the URLs signed before (an error must not stand above a stale, green "valid until")."""
        self.results_box.children = ()
        self.url_areas, self.vsicurl_areas, self.expiry_labels = {}, {}, {}
        self.copy_buttons, self.vsicurl_copy_buttons = {}, {}
        self.signed = {}
        self.status.clear()

    def _show(self, signed: dict[str, SignedURL]) -> None:
        boxes: list[widgets.Widget] = []
        for key, s in signed.items():
            css = asset_css(key)
            image = _IMAGE_WORDS.get(self.lang, {}).get(key, key)
            label = widgets.HTML(f"<b>{html.escape(t('signed_url', self.lang, key=image))}</b>")
            url = widgets.Text(value=mask_signatures(s.href),
                               layout=widgets.Layout(flex="1 1 auto", width="auto"))
            url.add_class("dw-signed-url")
            url.add_class(f"dw-signed-url-{css}")
            vsi = widgets.Text(value=mask_signatures(s.vsicurl()), description=t("vsicurl", self.lang),
                               style={"description_width": "initial"},
                               layout=widgets.Layout(flex="1 1 auto", width="auto"))
            vsi.add_class("dw-signed-vsicurl")
            when = html.escape(describe_expiry(s.expiry, self.lang))
            expiry = widgets.HTML(f"<span style='color:#9a6a00'>⏱ {when}</span>")
            expiry.add_class("dw-sign-expiry")
            _read_only(url)
            _read_only(vsi)
            copy = CopyURL(s.href, self.lang)
            copy.add_class(f"dw-copy-{css}")
            copy_vsi = CopyURL(s.vsicurl(), self.lang)
            copy_vsi.add_class(f"dw-copy-vsicurl-{css}")
            self.url_areas[key], self.vsicurl_areas[key], self.expiry_labels[key] = url, vsi, expiry
            self.copy_buttons[key], self.vsicurl_copy_buttons[key] = copy, copy_vsi
            line = widgets.Layout(align_items="center")
            box = widgets.VBox([label, widgets.HBox([url, copy], layout=line), expiry,
                                widgets.HBox([vsi, copy_vsi], layout=line)])
            box.add_class(f"dw-signed-{css}")
            boxes.append(box)
        self.results_box.children = boxes
        self.signed = dict(signed)
        first = next(iter(signed.values()), None)
        if first is not None and first.expiry is not None:
            self.status.success(t("signed_ok", self.lang,
                                  expiry=_when(first.expiry.astimezone(), self.lang)))
        else:
            self.status.success(t("no_expiry", self.lang))

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait for a signature under way; False on timeout."""
        return self._tasks.wait(timeout)
