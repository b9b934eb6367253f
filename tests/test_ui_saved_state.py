"""The widget state a notebook saves holds no signature, after the Explorer signed, downloaded, visualised and
wrote a VRT and a QGIS layer file: what JupyterLab writes into the ``.ipynb`` with "Save Widget State"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ipywidgets import Widget

from .secret_scan import leaks, twin_secrets
from .ui_helpers import DECK_ITEM, TWO_DATES, searched_explorer

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]


def _models() -> dict[str, Any]:
    """Every live widget model's state, as the widget manager saves it (what ``ipywidgets.embed`` writes)."""
    return Widget.get_manager_state(drop_defaults=False)["state"]


def test_no_widget_state_holds_a_signature_after_signing_and_exports(twin: Any, tmp_path: Path) -> None:
    before = set(_models())
    ex = searched_explorer(download_folder=str(tmp_path))
    card = ex.card(DECK_ITEM)
    assert card is not None
    card.sign_url_button.click()
    dialog = card.sign_dialog
    for box in dialog.asset_boxes.values():
        box.value = True
    dialog.sign()
    assert dialog.wait(60) and set(dialog.signed) == {"multispectral", "panchromatic"}, dialog.status.message
    hrefs = [s.href for s in dialog.signed.values()]
    assert all("X-Amz-Signature=" in h for h in hrefs)
    assert {b.text for b in dialog.copy_buttons.values()} == set(hrefs)  # the buttons still copy them whole
    card.download_button.click()
    card.download_view.asset.value = "panchromatic"
    card.download_view.start_button.click()
    assert card.download_view.wait(60), card.download_view.status.message
    ex.visualise(card.item, card)
    assert ex.wait(60)
    for item_id in TWO_DATES:
        ex.card(item_id).basket_button.click()  # type: ignore[union-attr]
    for button in (ex.gis_export.vrt_button, ex.gis_export.qlr_button):
        button.click()
        assert ex.gis_export.wait(60), ex.status.message
    assert len(ex.gis_export.written) == 2
    state = {k: v for k, v in _models().items() if k not in before}
    assert len(state) > 100  # the whole explorer, its dialogs and their results
    text = json.dumps(state)
    assert not any(h in text for h in hrefs)
    assert leaks(text, twin_secrets(twin)) == []
    assert "X-Amz-Signature=***" in text  # the masked URLs are shown
