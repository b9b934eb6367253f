"""The small defects a trainee met in the Explorer (issue 12, section 5), one test each, in the kernel."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from dinamis_widgets.errors import mask_signatures
from dinamis_widgets.reading.options import COMMON_NAMES
from dinamis_widgets.ui import Explorer
from dinamis_widgets.ui.aoi_picker import AOIPicker
from dinamis_widgets.ui.download_view import DownloadView
from dinamis_widgets.ui.i18n import LABELS
from dinamis_widgets.ui.search_panel import SearchPanel
from dinamis_widgets.ui.sign_dialog import SignDialog
from dinamis_widgets.ui.styles import EXPLORER_CSS

from .ui_helpers import DECK_ITEM, ROCHEFORT, TWO_DATES, item, searched_explorer, wait_for

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

#: Words that give English away in a French message.
_ENGLISH = re.compile(r"\b(Invalid|validity|cannot|signed|processing(?!:)|Accepted|forms|the|not)\b")


@pytest.fixture(scope="module")
def explorer(twin: Any, tmp_path_factory: pytest.TempPathFactory) -> Explorer:
    return searched_explorer(download_folder=str(tmp_path_factory.mktemp("downloads")))


def _text(value: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", value))


def test_the_count_is_said_once_and_apart_from_descending(explorer: Explorer) -> None:
    n = len(explorer.results.items)  # type: ignore[union-attr]
    panel, lst = explorer.panel, explorer.results_list
    said = f"{n} résultats"
    # the search tab: once, under the button (not again in its status line)
    assert said in panel.count.value and said not in panel.status.message
    # the results tab: once, in its header, its own widget with a margin, before the sort controls
    header = lst.list_view.children[0]
    assert header.children[0] is lst.count_label and lst.count_label.value == said
    assert lst.order_box in header.children[1].children and lst.count_label.layout.margin
    assert said not in lst.order_box.description and lst.order_box.description == "Décroissant"


@pytest.mark.parametrize(("lang", "word"), [("fr", "rectangle"), ("en", "rectangle")])
def test_the_area_summary_names_the_shape_once(lang: str, word: str) -> None:
    picker = AOIPicker(lang=lang)
    picker.set_from_text(",".join(map(str, ROCHEFORT)))
    summary = _text(picker.summary.value)
    assert "bbox, bbox" not in summary and summary.count("bbox") == 0 and word in summary
    picker.set_from_text("POLYGON ((-0.98 45.92, -0.93 45.92, -0.95 45.96, -0.98 45.92))")
    assert ("polygone" if lang == "fr" else "polygon") in _text(picker.summary.value)


def test_the_english_ui_has_english_spacing_and_the_french_french(twin: Any) -> None:
    for lang, good, bad in (("en", "Provider: ", "Provider :"), ("fr", "Fournisseur : ", "Fournisseur: ")):
        panel = SearchPanel(lang=lang)
        assert panel.wait(60)
        panel.collections = ("SEASG-TA-PHR-FR-GUF", "REGARDS-PHR")
        info = _text(panel.collection_info.value)
        assert good + "SEAS Guyane" in info and bad not in info, info
        if lang == "en":
            assert " : " not in info, info
        else:
            assert "non signables" in info.lower() and not _ENGLISH.search(info), info


def test_the_resolution_readout_is_as_wide_as_its_text() -> None:
    # ipywidgets caps a readout's width: the explorer's rule lifts the cap for its filters' sliders
    rule = EXPLORER_CSS.split(".dw-filter .widget-readout", 1)[1].split("{", 1)[1].split("}", 1)[0]
    assert ".dw-filter .widget-readout" in EXPLORER_CSS and "max-width: none" in rule
    assert "min-width: max-content" in rule


def test_the_brut_reason_breaks_between_words_and_is_french(explorer: Explorer) -> None:
    brut = explorer.card(DECK_ITEM + "_BRUT")
    assert brut is not None
    style = re.search(r"dw-info-signable' style='([^']*)'", brut.info_panel.value).group(1)  # type: ignore[union-attr]
    assert "anywhere" not in style and "word-break:normal" in style, style  # the reason: between words
    ident = re.search(r"dw-info-id' style='([^']*)'", brut.info_panel.value).group(1)  # type: ignore[union-attr]
    assert "anywhere" in ident  # an id has no spaces: it may wrap anywhere rather than widen the table
    reason = brut.info_panel.fields()["Signature d'URL"]
    assert "BRUT" in reason and "catalogue DINAMIS" in reason and not _ENGLISH.search(reason), reason


def test_a_bad_validity_says_it_once_in_french_and_removes_the_previous_url(twin: Any,
                                                                           twin_items: list[dict[str, Any]]
                                                                           ) -> None:
    dialog = SignDialog(item(twin_items, DECK_ITEM), lang="fr")
    dialog.validity_text.value = "30min"
    dialog.sign()
    assert dialog.wait(60) and dialog.signed, dialog.status.message
    assert dialog.results_box.children and dialog.status.level == "success"
    dialog.validity_text.value = "abc"
    dialog.sign()
    error = dialog.error
    assert error.count("Validité") == 1 and "abc" in error and not _ENGLISH.search(error), error
    assert dialog.results_box.children == () and dialog.signed == {} and dialog.status.message == ""
    dialog.validity_text.value = "400d"  # too long for the signing service
    dialog.sign()
    assert "trop longue" in dialog.error and not _ENGLISH.search(dialog.error), dialog.error
    en = SignDialog(item(twin_items, DECK_ITEM), lang="en")
    en.validity_text.value = "abc"
    en.sign()
    assert en.error.lower().count("validity") == 1, en.error


def test_a_signed_url_is_one_line_with_a_copy_button(twin: Any, twin_items: list[dict[str, Any]]) -> None:
    dialog = SignDialog(item(twin_items, DECK_ITEM), lang="fr")
    dialog.sign()
    assert dialog.wait(60) and dialog.signed, dialog.status.message
    href = dialog.signed["multispectral"].href
    url = dialog.url_areas["multispectral"]
    masked = mask_signatures(href)
    assert type(url).__name__ == "Text" and url.value == masked  # one line, not a three-line text area
    copy = dialog.copy_buttons["multispectral"]
    assert copy.label == "Copier" and "dw-copy-ms" in copy._dom_classes and copy.text == href
    url.value = "edited"  # read-only: the URL stays as signed
    assert url.value == masked


def test_the_query_code_button_is_as_wide_as_its_label(explorer: Explorer) -> None:
    assert explorer.panel.code_button.layout.width == "auto"
    assert explorer.panel.code_button.description == "Code de la requête"


def test_the_progress_line_goes_when_the_download_ends(twin: Any, twin_items: list[dict[str, Any]],
                                                       tmp_path: Any) -> None:
    view = DownloadView(item(twin_items, DECK_ITEM), folder=str(tmp_path), lang="fr")
    view.asset.value = "panchromatic"
    view.start()
    assert view.wait(60), view.status.message
    assert view.status.level == "success" and "Téléchargé" in view.status.message
    assert view.label.value == ""  # no "Téléchargement… 1.8 MB / 1.8 MB" left under "✔ Téléchargé"


def test_every_band_is_in_view(explorer: Explorer) -> None:
    bands = explorer.basket.bands
    assert bands.rows >= len(bands.options) == len(COMMON_NAMES) and "nir" in bands.options


def test_a_brut_product_put_in_the_basket_is_explained_where_clicked(explorer: Explorer) -> None:
    basket = explorer.basket
    basket.clear()
    brut = explorer.card(DECK_ITEM + "_BRUT")
    assert brut is not None
    brut.basket_button.click()
    assert basket.ids == []
    said = brut.status.message
    assert brut.status.level == "warning" and "BRUT" in said and "catalogue DINAMIS" in said, said
    assert not _ENGLISH.search(said), said
    # put there by code all the same: "Charger" says it left it out
    basket.items = [brut.item, explorer.card(TWO_DATES[0]).item]  # type: ignore[union-attr]
    basket.bands.value = ("red", "nir")
    basket.load()
    assert basket.wait(120), basket.status.message
    assert basket.status.level == "success" and brut.item_id in basket.status.message
    assert "Laissés de côté" in basket.status.message
    basket.clear()


def test_removing_a_product_updates_the_code_and_a_new_load_removes_the_old_ndvi(explorer: Explorer) -> None:
    basket, m = explorer.basket, explorer.map
    basket.clear()
    for item_id in TWO_DATES:
        explorer.card(item_id).basket_button.click()  # type: ignore[union-attr]
    basket.bands.value = ("red", "nir")
    basket.load()
    assert basket.wait(120), basket.status.message
    assert all(i in basket.code.value for i in TWO_DATES)
    basket.remove(TWO_DATES[1])
    assert TWO_DATES[0] in basket.code.value and TWO_DATES[1] not in basket.code.value
    basket.compute_ndvi()
    wait_for(lambda: basket.ndvi is not None or basket.status.level == "error", 120, "the NDVI")
    assert basket.wait(120) and basket.plot.children and m.overlay in m.map.layers
    basket.load()  # a second load: the NDVI of the first cube goes, from the basket and from the map
    assert basket.wait(120), basket.status.message
    assert basket.ndvi is None and basket.plot.children == () and basket.overlay is None
    assert m.overlay is None and m.legend is None
    assert not [la for la in m.map.layers if type(la).__name__ == "ImageOverlay" and "NDVI" in la.name]
    basket.clear()


@pytest.mark.parametrize(("lang", "month"), [("fr", "févr."), ("en", "Feb")])
def test_dates_are_in_the_interface_language(twin_items: list[dict[str, Any]], lang: str, month: str) -> None:
    from dinamis_widgets.ui.result_card import ResultCard

    card = ResultCard(item(twin_items, DECK_ITEM), lang=lang)
    assert f"24 {month} 2026 10:36:27" in card.header.value


def test_both_languages_have_every_label() -> None:
    assert set(LABELS["fr"]) == set(LABELS["en"])


def test_french_ui_says_core_errors_in_french_with_the_english_folded(twin: Any) -> None:
    """Search errors, services down, loads, a bad area: French text in the French UI, the core's English
    sentence only as the folded detail; the English UI shows the core's sentence itself."""
    import datetime as dt

    from dinamis_widgets.errors import CubeTooLargeError, MissingBandError, SigningError
    from dinamis_widgets.ui.status import StatusBar

    down = SearchPanel(lang="fr", profile="http://127.0.0.1:9/")
    assert down.wait(60) and down.status.level == "error"
    said = down.status.message
    assert "127.0.0.1:9 ne répond pas" in said and not _ENGLISH.search(said), said
    assert "Cannot reach" in down.status.detail and "Détail (en anglais)" in down.status._html.value
    bar = StatusBar(lang="fr")
    for exc in (SigningError("Signing failed", status=503, url="http://127.0.0.1:1/sign"),
                CubeTooLargeError("The cube would hold 40 GB."), MissingBandError("ndvi needs 'nir'.")):
        bar.report(exc)
        assert not _ENGLISH.search(bar.message) and bar.detail == exc.message, bar.message
    bar.report(SigningError("Signing failed", status=503, url="http://127.0.0.1:1/sign"))
    assert bar.message.endswith("127.0.0.1:1 a un problème (HTTP 503). Réessayez plus tard."), bar.message
    picker = AOIPicker(lang="fr")
    picker.set_from_text("45.92, -0.98, 45.96, -0.93")  # latitude first
    assert picker.error.startswith("Zone illisible") and picker.error_detail
    assert not _ENGLISH.search(picker.error)
    # the dates, as French writes them, under the pickers (which show the browser's format)
    panel = SearchPanel(lang="fr", connect=False)
    panel.date_start.value, panel.date_end.value = dt.date(2025, 6, 1), dt.date(2025, 6, 30)
    assert panel.period.value == "Période : du 01/06/2025 au 30/06/2025"
    from dinamis_widgets.errors import AuthenticationError

    bar.report(AuthenticationError("An API key needs both an access key and a secret key."))
    assert bar.message == "Le service de signature a refusé la connexion." and "secret key" in bar.detail
