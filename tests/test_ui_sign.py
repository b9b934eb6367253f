"""The "Signer l'Url" dialog against the twin: the signed URL streams, expiry shown, errors inline."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import rasterio

from dinamis_widgets.errors import mask_signatures
from dinamis_widgets.signing.urls import parse_signed_url
from dinamis_widgets.ui.sign_dialog import SignDialog, describe_expiry

from .ui_helpers import DECK_ITEM, first, item


def test_sign_30min_gives_a_url_that_streams_with_its_expiry(twin: Any,
                                                             twin_items: list[dict[str, Any]]) -> None:
    dialog = SignDialog(item(twin_items, DECK_ITEM), lang="fr")
    assert dialog.reason is None and "dw-sign-button" in dialog.sign_button._dom_classes
    assert set(dialog.asset_boxes) == {"multispectral", "panchromatic"}
    assert dialog.asset_boxes["multispectral"].value and not dialog.asset_boxes["panchromatic"].value
    assert "dw-sign-ms" in dialog.asset_boxes["multispectral"]._dom_classes
    assert dialog.validity_text.value == "3h"
    assert "3.10" in dialog.note.value  # the QGIS/GDAL note
    dialog.validity_text.value = "30min"
    dialog.asset_boxes["panchromatic"].value = True
    before = dt.datetime.now(dt.UTC)
    dialog.sign_button.click()
    assert dialog.wait(60) and not dialog.error, dialog.status.message
    assert set(dialog.signed) == {"multispectral", "panchromatic"}
    ms = dialog.signed["multispectral"]
    assert "X-Amz-Signature=" in ms.href
    assert dialog.url_areas["multispectral"].value == mask_signatures(ms.href)
    assert dialog.vsicurl_areas["multispectral"].value == mask_signatures("/vsicurl/" + ms.href)
    assert dialog.copy_buttons["multispectral"].text == ms.href  # what "Copier" copies: the whole URL
    assert dialog.vsicurl_copy_buttons["multispectral"].text == "/vsicurl/" + ms.href
    assert "dw-signed-url-ms" in dialog.url_areas["multispectral"]._dom_classes
    assert ms.expiry is not None
    assert abs((ms.expiry - before).total_seconds() - 1800) < 120
    assert parse_signed_url(ms.href).expiry == ms.expiry  # type: ignore[union-attr]
    label = dialog.expiry_labels["multispectral"].value
    assert f"{ms.expiry:%H:%M:%S} UTC" in label and "heure locale" in label
    assert re.search(r"dans (29|30) min", label)
    # the text areas keep the masked URL (read-only), and GDAL streams what the button copies
    dialog.url_areas["multispectral"].value = "edited"
    assert dialog.url_areas["multispectral"].value == mask_signatures(ms.href)
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), \
            rasterio.open(dialog.vsicurl_copy_buttons["multispectral"].text) as src:
        assert src.count == 4 and src.crs is not None
        assert src.read(1, window=((0, 16), (0, 16))).shape == (16, 16)


def test_a_bad_validity_is_shown_inline_quoting_it(twin: Any, twin_items: list[dict[str, Any]]) -> None:
    dialog = SignDialog(item(twin_items, DECK_ITEM), lang="fr")
    dialog.validity_text.value = "abc"
    dialog.sign_button.click()
    assert dialog.wait(10)
    assert "abc" in dialog.error and "Validité" in dialog.error
    assert "abc" in dialog.error_html.value and "dw-sign-error" in dialog.error_html._dom_classes
    assert dialog.signed == {}
    dialog.validity_text.value = "1h30min"  # several values: the message suggests the ISO form
    dialog.sign()
    assert "PT1H30M" in dialog.error
    dialog.validity_text.value = "PT3H10M"
    assert dialog.error == ""  # cleared while typing
    for box in dialog.asset_boxes.values():
        box.value = False
    dialog.sign()
    assert dialog.error  # nothing chosen


@pytest.mark.parametrize("kind", ["BRUT", "Regards"])
def test_brut_and_regards_products_get_the_reason_and_no_sign_button(twin_items: list[dict[str, Any]],
                                                                      kind: str) -> None:
    if kind == "BRUT":
        product = first(twin_items, lambda d: d["properties"]["processing:level"] == "BRUT")
    else:
        product = first(twin_items, lambda d: d["properties"].get("dinamis:provider") == "Regards")
    dialog = SignDialog(product, lang="en")
    assert dialog.reason is not None and kind in dialog.reason
    assert dialog.sign_button not in dialog.children
    reason = [c for c in dialog.children if "dw-sign-reason" in c._dom_classes]
    assert reason and kind in reason[0].value and "cannot be signed" in reason[0].value


def test_describe_expiry_in_both_languages() -> None:
    expiry = dt.datetime(2026, 2, 24, 13, 5, tzinfo=dt.UTC)
    now = expiry - dt.timedelta(hours=3)
    assert describe_expiry(expiry, "fr", now=now).endswith("24/02/2026 13:05:00 UTC, dans 3 h")
    assert "local time" in describe_expiry(expiry, "en", now=now)
    assert describe_expiry(None, "en") == "This URL needs no signature."


class _SignerNeedingSignIn:
    """A signer that asks for a device-flow sign-in, as the OAuth2 credentials do, then signs."""

    max_validity = None

    def sign_urls(self, urls: list[str], validity: Any = None) -> dict[str, Any]:
        from dinamis_widgets.signing import prompting
        from dinamis_widgets.signing.urls import SignedURL

        code = prompting.DeviceCode(verification_uri="http://127.0.0.1/device", user_code="ABCD-EFGH",
                               verification_uri_complete="http://127.0.0.1/device?user_code=ABCD-EFGH",
                               expires_in=600, interval=5, device_code="secret")
        assert prompting._sign_in_handler is not None
        prompting._sign_in_handler(code)
        self.shown = True
        return {u: SignedURL(u, u, None) for u in urls}


def test_a_sign_in_link_shows_in_the_dialog(twin_items: list[dict[str, Any]]) -> None:
    from dinamis_widgets.signing import prompting

    signer = _SignerNeedingSignIn()
    dialog = SignDialog(item(twin_items, DECK_ITEM), lang="en", signer=signer)  # type: ignore[arg-type]
    before = prompting._sign_in_handler
    dialog.sign()
    assert dialog.wait(10)
    assert "ABCD-EFGH" in dialog.status._extra.value and "href=" in dialog.status._extra.value
    assert prompting._sign_in_handler is before  # restored
    assert "needs no signature" in dialog.expiry_labels["multispectral"].value
