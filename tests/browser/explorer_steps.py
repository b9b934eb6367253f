"""Steps and facts shared by the Explorer's browser tests: the notebook cell, the test site, running the
notebook until the Explorer renders, centring the map on the site.
"""

from __future__ import annotations

import re
from typing import Any

from .browser import LabPage

EXPLORER_CELL = "import dinamis_widgets as dw\nexplorer = dw.Explorer()\nexplorer"

#: The test site: the twin's SPOT 6/7 scenes near Montpellier (three ORTHO, one BRUT), (W, S, E, N).
SITE_BBOX = (3.85, 43.59, 3.905, 43.632)
SITE_ZOOM = 12

#: Fields of the Information panel, as the DINAMIS catalogue names them (French by default).
INFO_FIELDS = ("Capteur", "Pays", "Département", "Région", "Ville", "Identifiant", "Plateforme", "Résolution",
               "Angle", "Nuage", "Couverture neigeuse")

def int_in(text: str) -> int | None:
    m = re.search(r"\d+", text.replace("\u202f", "").replace("\xa0", ""))
    return int(m.group()) if m else None


def items_in(items: list[dict[str, Any]], bbox: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    w, s, e, n = bbox
    return [it for it in items if it["bbox"][0] < e and it["bbox"][2] > w and it["bbox"][1] < n
            and it["bbox"][3] > s]


def run_and_render(page: LabPage) -> Any:
    """Run the open notebook and wait for the Explorer (search button and map) to render."""
    page.run_all()
    page.widget("dw-search-button").first.wait_for(state="visible", timeout=60_000)
    leaflet = page.leaflet_map("dw-map")
    leaflet.wait_for(state="visible")
    page.shot("rendered")
    return leaflet


def centre_on_site(page: LabPage) -> None:
    """Centre the Explorer's map on the test site, as a user would pan and zoom there."""
    page.kernel(f"explorer.map.map.center = ({(SITE_BBOX[1] + SITE_BBOX[3]) / 2}, "
                f"{(SITE_BBOX[0] + SITE_BBOX[2]) / 2}); explorer.map.map.zoom = {SITE_ZOOM}")


def wait_for_site_view(page: LabPage) -> None:
    """Wait until the front-end reports the site's view: it sends its bounds ((S, W), (N, E)) after each
    move, so the kernel's ``bounds`` cover the site at :data:`SITE_ZOOM` once the map got there."""
    w, s, e, n = SITE_BBOX
    page.wait_until(lambda: page.kernel_json(
        f"(lambda b: bool(b) and b[0][0] < {s} and b[0][1] < {w} and b[1][0] > {n} and b[1][1] > {e}"
        f" and explorer.map.map.zoom == {SITE_ZOOM})(explorer.map.map.bounds)"), "the map on the site")


def copy_signed_url(page: LabPage, copy: Any) -> str:
    """Click a sign dialog's Copy button and return what the browser's clipboard then holds (the field shows
    the URL with its signature masked; the button gives the whole URL)."""
    page.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    page.wait_until(lambda: "Copié" in copy.inner_text(), "the Copy button saying it copied")
    return str(page.page.evaluate("() => navigator.clipboard.readText()")).strip()
