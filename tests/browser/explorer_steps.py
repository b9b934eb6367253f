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
