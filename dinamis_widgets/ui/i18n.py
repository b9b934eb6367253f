"""Labels of the widgets, in French (default, as the DINAMIS catalogue) and English.

Every visible label goes through :func:`t`. A missing key in one language falls back to French, then to the
key itself, so a forgotten translation never breaks a widget.

Examples
--------
>>> t("search")
'Rechercher'
>>> t("search", "en")
'Search'
>>> t("n_results", "en", n=3)
'3 results'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .property_labels import property_label

__all__ = ["DEFAULT_LANG", "LABELS", "LANGUAGES", "check_lang", "property_label", "t"]


DEFAULT_LANG: Final = "fr"

_FR: Final[dict[str, str]] = {
    # explorer
    "title": "Explorateur DINAMIS",
    "results_title": "Résultats",
    "basket_title": "Panier",
    # search panel
    "catalogue": "Catalogue",
    "collections": "Collections",
    "all_collections": "Toutes les collections (aucune choisie)",
    "signable": "signable",
    "not_signable": "non signable",
    "signable_products": "Produits signables (ORTHO)",
    "signable_products_level": "Produits signables ({level})",
    "signable_regards": "Non signables : produits Regards (CNES), à commander",
    "provider": "Fournisseur",
    "date_start": "Du",
    "date_end": "Au",
    "period_both": "Période : du {start} au {end}",
    "period_from": "Période : depuis le {start}",
    "period_to": "Période : jusqu'au {end}",
    "filters": "Filtres",
    "more_filters": "Plus de filtres",
    "criteria": "Autres critères",
    "criteria_add": "+ critère",
    "criteria_property": "Propriété",
    "criteria_value": "Valeur",
    "remove": "Retirer",
    "aoi": "Zone d'intérêt",
    "aoi_placeholder": "bbox ouest,sud,est,nord ou WKT",
    "aoi_apply": "Appliquer",
    "aoi_upload": "GeoJSON…",
    "aoi_view": "Vue de la carte",
    "aoi_clear": "Effacer",
    "aoi_none": "Aucune zone : tout le catalogue (dessinez un rectangle ou un polygone sur la carte)",
    "aoi_summary": "Zone ({source}) : {kind}, emprise {bbox}",
    "aoi_source_draw": "dessinée",
    "aoi_source_text": "saisie",
    "aoi_source_file": "fichier",
    "aoi_source_view": "vue de la carte",
    "aoi_source_code": "code",
    "aoi_no_view": "La vue de la carte n'est pas encore connue : affichez la carte, puis réessayez.",
    "aoi_unreadable": "Zone illisible : écrivez ouest,sud,est,nord (longitudes puis latitudes, en degrés), "
                      "un WKT ou du GeoJSON.",
    "aoi_bad_file": "Le fichier « {name} » n'est pas un GeoJSON lisible. {error}",
    "page_size": "Par page",
    "search": "Rechercher",
    "more": "Plus de résultats",
    "show_code": "Code de la requête",
    "connecting": "Connexion à {what}…",
    "connected": "Catalogue {name} : {n} collections.",
    "searching": "Recherche en cours…",
    "fetching_more": "Chargement de la page suivante…",
    "no_more": "Il n'y a pas d'autres résultats.",
    "n_results": "{n} résultats",
    "n_results_one": "1 résultat",
    "n_results_zero": "Aucun résultat",
    "n_of_matched": "{n} affichés sur {matched}",
    "more_available": "{n} affichés (d'autres correspondent : « Plus de résultats »)",
    "not_connected": "Aucun catalogue ouvert : choisissez-en un.",
    "queryables_loading": "Lecture des critères de {what}…",
    # results and cards
    "sort": "Trier par",
    "sort_date": "Date",
    "sort_cloud": "Nuage",
    "sort_angle": "Angle",
    "sort_desc": "Décroissant",
    "information": "Information",
    "zoom": "Zoomer sur",
    "metadata": "Télécharger la métadonnée",
    "metadata_link": "Télécharger {name}",
    "download": "Télécharger le produit",
    "visualise": "Visualiser",
    "sign_url": "Signer l'Url",
    "gis_open": "Ouvrir dans un SIG",
    "basket_add": "Ajouter au panier",
    "basket_add_short": "Au panier",
    "in_basket": "Dans le panier",
    "selected": "sélectionné",
    "quicklook_loading": "Chargement de l'aperçu de {id}…",
    "quicklook_shown": "Aperçu de {id} affiché sur la carte.",
    "quicklook_missing": "{id} n'a pas d'aperçu (ni asset « thumbnail » ou « overview », ni image PNG/JPEG).",
    # information panel
    "info_sensor": "Capteur",
    "info_country": "Pays",
    "info_department": "Département",
    "info_region": "Région",
    "info_city": "Ville",
    "info_id": "Identifiant",
    "info_platform": "Plateforme",
    "info_resolution": "Résolution",
    "info_angle": "Angle",
    "info_cloud": "Nuage",
    "info_snow": "Couverture neigeuse",
    "info_level": "Niveau de traitement",
    "info_provider": "Fournisseur",
    "info_satellite": "Satellite",
    "info_instruments": "Instruments",
    "info_tile": "Tuile MGRS",
    "info_orbit": "Orbite relative",
    "info_version": "Version de traitement",
    "info_crs": "Système de coordonnées",
    "info_signable": "Signature d'URL",
    "level_from_id": "d'après l'identifiant",
    "level_from_collection": "d'après la collection",
    "level_from_assets": "d'après les assets",
    "georeferenced": "géoréférencé",
    "not_georeferenced": "non géoréférencé",
    "unverified": ("niveau de traitement inconnu : vérifiez que ce n'est pas un produit BRUT avant "
                   "d'utiliser ses URL"),
    "no_preview": "Pas d'aperçu",
    "no_preview_help": ("Ce produit n'a ni aperçu ni vignette (asset « thumbnail », « overview » ou "
                        "image PNG/JPEG)."),
    # sign dialog
    "sign_title": "Signer l'Url de {id}",
    "sign_multispectral": "Signature de l'image multispectrale",
    "sign_panchromatic": "Signature de l'image panchromatique",
    "sign_asset": "Signature de l'asset {key}",
    "validity": "Validité",
    "validity_help": "Format ISO, par ex. PT3H10M, ou valeur et unité uniques, par ex. 3h, 30min",
    "sign": "Signer",
    "signing": "Signature en cours…",
    "signed_ok": "URL signée(s) : valables jusqu'au {expiry}.",
    "invalid_validity": "Validité « {value} » illisible.",
    "choose_asset": "Choisissez au moins une image à signer.",
    "signed_url": "URL signée — {key}",
    "vsicurl": "Chemin GDAL /vsicurl/",
    "expires": "Expire le {local} (heure locale, {tz}) — {utc} UTC, dans {left}",
    "no_expiry": "Cette URL n'a pas besoin de signature.",
    "qgis_note": ("QGIS et GDAL avant la version 3.10 (par ex. QGIS 3.22 de Debian 12, GDAL 3.6) "
                  "téléchargent le fichier entier quand ils ouvrent une URL signée ; GDAL 3.10 et plus "
                  "(QGIS 3.40 et plus, rasterio) ne lisent que ce qu'il faut. Quand l'URL expire, "
                  "QGIS affiche un canevas vide : signez à nouveau."),
    "not_signable_title": "Ce produit ne peut pas être signé.",
    "sign_in": "Connexion au service de signature",
    # download
    "download_asset": "Image",
    "download_folder": "Dossier",
    "download_start": "Télécharger",
    "download_cancel": "Annuler",
    "downloading": "Téléchargement de {name}… {done} / {total}",
    "downloaded": "Téléchargé : {path}",
    "download_cancelled": "Téléchargement annulé ; il reprendra où il s'est arrêté.",
    "not_downloadable": "Ce produit ne peut pas être téléchargé ici.",
    # basket
    "basket_count": "Panier : {n} produit(s)",
    "basket_empty": "Le panier est vide : « Au panier » sur un résultat l'y ajoute.",
    "basket_added": "{id} ajouté au panier.",
    "basket_already": "{id} est déjà dans le panier.",
    "bands": "Bandes",
    "resolution": "Résolution (m)",
    "resolution_placeholder": "native, ms, pan ou mètres",
    "load_aoi": "Zone",
    "load_aoi_search": "Zone de la recherche",
    "load_aoi_items": "Emprise des produits",
    "load": "Charger",
    "loading": "Préparation du cube…",
    "loaded": "Cube prêt (paresseux) : explorer.cube.",
    "load_code": "Le même chargement en code",
    "ndvi": "NDVI",
    "ndvi_computing": "Calcul du NDVI… {done}/{total} tâches",
    "ndvi_done": "NDVI calculé : explorer.ndvi ; moyenne {mean}.",
    "ndvi_needs_cube": "Chargez d'abord le panier (« Charger »).",
    "ndvi_needs_bands": "Le NDVI a besoin des bandes red et nir : ajoutez-les et chargez à nouveau.",
    "ndvi_date": "Date affichée",
    "ndvi_legend": "NDVI",
    "ndvi_mean": "moyenne {mean}",
    "bad_resolution": ("Résolution {value!r} invalide : un nombre de mètres, « ms », « pan » "
                       "ou vide (native)."),
    # status
    "error": "Erreur",
    "unexpected": "Erreur inattendue ({kind}) : {message}",
    "error_detail": "Détail (en anglais)",
    "done": "Terminé.",
    # map
    "layer_footprints": "Emprises",
    "layer_basket": "Panier",
    "layer_aoi": "Zone d'intérêt",
    "layer_quicklook": "Aperçu",
    "layer_graticule": "Graticule",
    "overlay_shown": "{name} affiché sur la carte.",
    # layout (tabs, details, map)
    "tab_search": "Recherche",
    "tab_results": "Résultats",
    "tab_results_n": "Résultats ({n})",
    "tab_basket": "Panier",
    "tab_basket_n": "Panier ({n})",
    "details_back": "Résultats",
    "provider_is": "Fournisseur : {name}",
    "not_signable_because": "non signable : {reason}",
    "aoi_kind_box": "rectangle",
    "aoi_kind_Polygon": "polygone",
    "aoi_kind_MultiPolygon": "multipolygone",
    "wheel_off": "Molette : cliquez sur la carte pour zoomer",
    "wheel_on": "Molette : zoom actif (quittez la carte pour défiler)",
    "copy": "Copier",
    "copy_help": "Copier l'URL dans le presse-papiers (sa signature n'est pas gardée dans le notebook)",
    "copy_missing": "Signez à nouveau pour copier",
    "copied": "Copié",
    "validity_try": "Essayez « {value} ».",
    "validity_too_long": "Validité « {value} » trop longue : au plus {maximum}.",
    "basket_refused": ("{id} n'est pas ajouté : « Charger » ne lit que les produits diffusables (ORTHO de "
                       "MTD et de SEAS Guyane), et celui-ci ne l'est pas ({why}). Pour l'obtenir, ajoutez-le "
                       "au panier du catalogue DINAMIS en ligne, qui passe la commande."),
    "basket_skipped": "Laissés de côté (non diffusables) : {ids}.",
    "reason_level": ("Produit BRUT ({detail}) : brut, en géométrie capteur, non géoréférencé ; il ne peut "
                     "pas être signé ni lu ici."),
    "reason_provider": ("Produit Regards (CNES) ({detail}) : livré par le CNES, il n'est pas diffusé par le "
                        "MTD ; il ne peut pas être signé ni lu ici."),
    "reason_georeferencing": ("Produit non géoréférencé ({detail}) : sans doute un produit brut, en "
                              "géométrie capteur ; il ne peut pas être signé ni lu ici. Si ses fichiers sont "
                              "géoréférencés, signez leurs URL vous-même : dw.sign(item.assets[clé].href)."),
    "reason_advice": ("Seuls les produits ORTHO de MTD et de SEAS Guyane peuvent être signés et diffusés. "
                      "Pour obtenir celui-ci, commandez-le dans le catalogue DINAMIS en ligne (ajoutez-le "
                      "à son panier)."),
    "reason_by_id": "son identifiant contient « {value} »",
}

_EN: Final[dict[str, str]] = {
    "title": "DINAMIS explorer",
    "results_title": "Results",
    "basket_title": "Basket",
    "catalogue": "Catalogue",
    "collections": "Collections",
    "all_collections": "All collections (none chosen)",
    "signable": "signable",
    "not_signable": "not signable",
    "signable_products": "Signable products (ORTHO)",
    "signable_products_level": "Signable products ({level})",
    "signable_regards": "Not signable: Regards (CNES) products, to order",
    "provider": "Provider",
    "date_start": "From",
    "date_end": "To",
    "period_both": "Period: {start} to {end}",
    "period_from": "Period: from {start}",
    "period_to": "Period: until {end}",
    "filters": "Filters",
    "more_filters": "More filters",
    "criteria": "Other criteria",
    "criteria_add": "+ criterion",
    "criteria_property": "Property",
    "criteria_value": "Value",
    "remove": "Remove",
    "aoi": "Area of interest",
    "aoi_placeholder": "bbox west,south,east,north or WKT",
    "aoi_apply": "Apply",
    "aoi_upload": "GeoJSON…",
    "aoi_view": "Map view",
    "aoi_clear": "Clear",
    "aoi_none": "No area: the whole catalogue (draw a rectangle or a polygon on the map)",
    "aoi_summary": "Area ({source}): {kind}, extent {bbox}",
    "aoi_source_draw": "drawn",
    "aoi_source_text": "typed",
    "aoi_source_file": "file",
    "aoi_source_view": "map view",
    "aoi_source_code": "code",
    "aoi_no_view": "The map view is not known yet: show the map, then try again.",
    "aoi_unreadable": "Unreadable area: write west,south,east,north (longitudes then latitudes, degrees), "
                      "WKT or GeoJSON.",
    "aoi_bad_file": "The file {name!r} is not a readable GeoJSON: {error}",
    "page_size": "Per page",
    "search": "Search",
    "more": "More results",
    "show_code": "Query as code",
    "connecting": "Connecting to {what}…",
    "connected": "Catalogue {name}: {n} collections.",
    "searching": "Searching…",
    "fetching_more": "Fetching the next page…",
    "no_more": "There are no more results.",
    "n_results": "{n} results",
    "n_results_one": "1 result",
    "n_results_zero": "No results",
    "n_of_matched": "{n} shown of {matched}",
    "more_available": "{n} shown (more match: \"More results\")",
    "not_connected": "No catalogue open: choose one.",
    "queryables_loading": "Reading the criteria of {what}…",
    "sort": "Sort by",
    "sort_date": "Date",
    "sort_cloud": "Cloud",
    "sort_angle": "Angle",
    "sort_desc": "Descending",
    "information": "Information",
    "zoom": "Zoom to",
    "metadata": "Download metadata",
    "metadata_link": "Download {name}",
    "download": "Download product",
    "visualise": "Visualise",
    "sign_url": "Sign URL",
    "gis_open": "Open in a GIS",
    "basket_add": "Add to basket",
    "basket_add_short": "Add to basket",
    "in_basket": "In the basket",
    "selected": "selected",
    "quicklook_loading": "Loading the quicklook of {id}…",
    "quicklook_shown": "Quicklook of {id} shown on the map.",
    "quicklook_missing": "{id} has no quicklook (no \"thumbnail\" or \"overview\" asset, no PNG/JPEG image).",
    "info_sensor": "Sensor",
    "info_country": "Country",
    "info_department": "Department",
    "info_region": "Region",
    "info_city": "City",
    "info_id": "Identifier",
    "info_platform": "Platform",
    "info_resolution": "Resolution",
    "info_angle": "Angle",
    "info_cloud": "Cloud",
    "info_snow": "Snow cover",
    "info_level": "Processing level",
    "info_provider": "Provider",
    "info_satellite": "Satellite",
    "info_instruments": "Instruments",
    "info_tile": "MGRS tile",
    "info_orbit": "Relative orbit",
    "info_version": "Processing version",
    "info_crs": "Coordinate system",
    "info_signable": "URL signing",
    "level_from_id": "from the item id",
    "level_from_collection": "from the collection",
    "level_from_assets": "from the assets",
    "georeferenced": "georeferenced",
    "not_georeferenced": "not georeferenced",
    "unverified": "processing level unknown: check it is not a BRUT product before using its URLs",
    "no_preview": "No preview",
    "no_preview_help": ("This product has no quicklook nor thumbnail (\"thumbnail\", \"overview\" or "
                        "PNG/JPEG asset)."),
    "sign_title": "Sign the URL of {id}",
    "sign_multispectral": "Sign the multispectral image",
    "sign_panchromatic": "Sign the panchromatic image",
    "sign_asset": "Sign the asset {key}",
    "validity": "Validity",
    "validity_help": "ISO format, e.g. PT3H10M, or one value and unit, e.g. 3h, 30min",
    "sign": "Sign",
    "signing": "Signing…",
    "signed_ok": "Signed URL(s): valid until {expiry}.",
    "invalid_validity": "Validity \"{value}\" not understood.",
    "choose_asset": "Choose at least one image to sign.",
    "signed_url": "Signed URL — {key}",
    "vsicurl": "GDAL path /vsicurl/",
    "expires": "Expires {local} (local time, {tz}) — {utc} UTC, in {left}",
    "no_expiry": "This URL needs no signature.",
    "qgis_note": ("QGIS and GDAL before 3.10 (e.g. Debian 12's QGIS 3.22, GDAL 3.6) download the whole file "
                  "when they open a signed URL; GDAL 3.10 and later (QGIS 3.40 and later, rasterio) read "
                  "only what they need. When the URL expires QGIS shows a blank canvas: sign again."),
    "not_signable_title": "This product cannot be signed.",
    "sign_in": "Sign in to the signing service",
    "download_asset": "Image",
    "download_folder": "Folder",
    "download_start": "Download",
    "download_cancel": "Cancel",
    "downloading": "Downloading {name}… {done} / {total}",
    "downloaded": "Downloaded: {path}",
    "download_cancelled": "Download cancelled; it will resume where it stopped.",
    "not_downloadable": "This product cannot be downloaded here.",
    "basket_count": "Basket: {n} product(s)",
    "basket_empty": "The basket is empty: \"Add to basket\" on a result.",
    "basket_added": "{id} added to the basket.",
    "basket_already": "{id} is already in the basket.",
    "bands": "Bands",
    "resolution": "Resolution (m)",
    "resolution_placeholder": "native, ms, pan or metres",
    "load_aoi": "Area",
    "load_aoi_search": "Search area",
    "load_aoi_items": "Products' footprints",
    "load": "Load",
    "loading": "Preparing the cube…",
    "loaded": "Cube ready (lazy): explorer.cube.",
    "load_code": "The same load as code",
    "ndvi": "NDVI",
    "ndvi_computing": "Computing NDVI… {done}/{total} tasks",
    "ndvi_done": "NDVI computed: explorer.ndvi; mean {mean}.",
    "ndvi_needs_cube": "Load the basket first (\"Load\").",
    "ndvi_needs_bands": "NDVI needs the bands red and nir: add them and load again.",
    "ndvi_date": "Date shown",
    "ndvi_legend": "NDVI",
    "ndvi_mean": "mean {mean}",
    "bad_resolution": "Invalid resolution {value!r}: a number of metres, \"ms\", \"pan\" or empty (native).",
    "error": "Error",
    "unexpected": "Unexpected error ({kind}): {message}",
    "error_detail": "Detail",
    "done": "Done.",
    "layer_footprints": "Footprints",
    "layer_basket": "Basket",
    "layer_aoi": "Area of interest",
    "layer_quicklook": "Quicklook",
    "layer_graticule": "Graticule",
    "overlay_shown": "{name} shown on the map.",
    # layout (tabs, details, map)
    "tab_search": "Search",
    "tab_results": "Results",
    "tab_results_n": "Results ({n})",
    "tab_basket": "Basket",
    "tab_basket_n": "Basket ({n})",
    "details_back": "Results",
    "provider_is": "Provider: {name}",
    "not_signable_because": "not signable: {reason}",
    "aoi_kind_box": "rectangle",
    "aoi_kind_Polygon": "polygon",
    "aoi_kind_MultiPolygon": "multipolygon",
    "wheel_off": "Mouse wheel: click the map to zoom",
    "wheel_on": "Mouse wheel: zoom on (leave the map to scroll)",
    "copy": "Copy",
    "copy_help": "Copy the URL to the clipboard (its signature is not kept in the notebook)",
    "copy_missing": "Sign again to copy",
    "copied": "Copied",
    "validity_try": "Try \"{value}\".",
    "validity_too_long": "Validity \"{value}\" too long: at most {maximum}.",
    "basket_refused": ("{id} is not added: \"Load\" reads only streamable products (ORTHO of MTD and SEAS "
                       "Guyane), and this one is not ({why}). To get it, add it to the basket of the DINAMIS "
                       "web catalogue, which places the order."),
    "basket_skipped": "Left out (not streamable): {ids}.",
    "reason_level": ("BRUT product ({detail}): raw, in sensor geometry, not georeferenced; it cannot be "
                     "signed nor read here."),
    "reason_provider": ("Regards (CNES) product ({detail}): delivered by CNES, not streamed by the MTD; it "
                        "cannot be signed nor read here."),
    "reason_georeferencing": ("Not georeferenced ({detail}): most likely a raw product, in sensor geometry; "
                              "it cannot be signed nor read here. If you know its files are georeferenced, "
                              "sign their URLs yourself: dw.sign(item.assets[key].href)."),
    "reason_advice": ("Only ORTHO products of MTD and SEAS Guyane can be signed and streamed. To get this "
                      "one, order it through the DINAMIS web catalogue (add it to its basket)."),
    "reason_by_id": "its id has the token \"{value}\"",
}

#: Labels by language.
LABELS: Final[Mapping[str, Mapping[str, str]]] = {"fr": _FR, "en": _EN}
#: Languages offered.
LANGUAGES: Final = tuple(LABELS)

def check_lang(lang: str) -> str:
    """Return ``lang`` normalised (``"FR"`` -> ``"fr"``), or raise ``ValueError`` for an unknown language.

    Examples
    --------
    >>> check_lang("EN")
    'en'
    """
    norm = str(lang).strip().lower()
    if norm not in LABELS:
        raise ValueError(f"Unknown language {lang!r}: choose among {', '.join(LANGUAGES)}.")
    return norm


def t(key: str, lang: str = DEFAULT_LANG, /, **values: Any) -> str:
    """The label ``key`` in ``lang``, formatted with ``values``.

    Parameters
    ----------
    key
        A key of :data:`LABELS`.
    lang
        ``"fr"`` (default) or ``"en"``.
    **values
        Fields of the label (``{n}``, ``{id}``...).

    Returns
    -------
    str
        The label; the French one when ``lang`` lacks it; the key itself when no language has it.
    """
    table = LABELS.get(lang, LABELS[DEFAULT_LANG])
    text = table.get(key) or LABELS[DEFAULT_LANG].get(key) or key
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text

