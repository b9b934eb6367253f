"""The explorer's few CSS rules, for what ipywidgets' layout traits cannot reach (a slider's readout).

They come as a ``<style>`` element in an HTML widget (no JavaScript, no front-end extension), scoped to
``.dw-explorer`` so nothing else on the page changes. Both the ``widget-*`` and ``jupyter-widget-*``
class names of ipywidgets 8 are covered.

Examples
--------
>>> ".dw-explorer" in style_widget().value
True
"""

from __future__ import annotations

import ipywidgets as widgets

__all__ = ["EXPLORER_CSS", "style_widget"]

#: The rules: the side panel's tabs scroll their content instead of squeezing it, with a thin padding; a
#: range slider's readout as wide as its text ("0.00 – 1.50" overflowed its box), cards'
#: buttons in a smaller type, texts in the panel at a text's line height (not a button's), an id (no spaces)
#: wrapped anywhere rather than past the card; the
#: live view's box on the map compact, on a light background.
EXPLORER_CSS = """
.dw-explorer .dw-search-panel > *, .dw-explorer .dw-results > *, .dw-explorer .dw-results-list > *,
.dw-explorer .dw-basket > * { flex-shrink: 0; }
.dw-explorer .dw-filter .widget-readout, .dw-explorer .dw-filter .jupyter-widget-readout {
  max-width: none; min-width: max-content; overflow: visible; flex: 0 0 auto;
}
.dw-explorer .dw-result-card button, .dw-explorer .dw-result-details button { font-size: 12px; }
.dw-explorer .dw-side-panel :is(.widget-html-content, .jupyter-widget-html-content) { line-height: 1.35; }
.dw-explorer .dw-side-panel code { overflow-wrap: anywhere; }
.dw-explorer .dw-card-title { min-width: 0; width: 100%; }
.dw-explorer .dw-side-tabs > :is(.widget-tab-contents, .jupyter-widget-tab-contents) { padding: 6px 4px; }
.dw-explorer .dw-card-id { overflow-wrap: anywhere; }
.dw-explorer .dw-live-view { background: rgba(255, 255, 255, 0.92); border-radius: 4px; }
.dw-explorer .dw-live-view button { font-size: 12px; height: 28px; line-height: 28px; }
.dw-explorer .dw-live-view .dw-status { font-size: 12px; }
.dw-explorer .dw-live-kind :is(.widget-toggle-buttons, .jupyter-widget-toggle-buttons),
.dw-explorer .dw-live-kind > div { flex-wrap: nowrap; }
.dw-explorer .dw-live-kind :is(.widget-label, .jupyter-widget-label) { display: none; }
"""


def style_widget() -> widgets.HTML:
    """An HTML widget holding the explorer's rules (CSS class ``dw-styles``); it shows nothing."""
    html = widgets.HTML(f"<style>{EXPLORER_CSS}</style>", layout=widgets.Layout(height="0px", margin="0"))
    html.add_class("dw-styles")
    return html
