"""The toolkit's errors said in the interface's language, the core's English kept as the detail.

The core speaks English (its messages are for the API, the logs and a search engine). In the French
interface, :func:`error_text` says a :class:`~dinamis_widgets.errors.DinamisError` in French from what its
class and attributes tell: why a product cannot be signed (:attr:`NotSignableError.reason`), which service
did not answer or answered which HTTP status (:class:`~dinamis_widgets.errors.HTTPServiceError`'s
``status`` and ``url``), what kind of input was refused and what to do. The core's sentence, which names the
exact input, comes back as the detail, which :func:`error_html` folds under "Détail (en anglais)".

Examples
--------
>>> from dinamis_widgets.errors import SearchError, QueryError
>>> down = SearchError("The search failed: cannot reach the STAC API at http://127.0.0.1:9/ ...",
...                    url="http://127.0.0.1:9/search")
>>> print(error_text(down, "fr")[0])
La recherche dans le catalogue a échoué : 127.0.0.1:9 ne répond pas. Vérifiez le réseau et l'adresse \
du service, puis réessayez.
>>> error_text(down, "en")[0] == down.message
True
>>> text, detail = error_text(QueryError("Unknown search parameter 'cloud'."), "fr")
>>> print(text)
Critère de recherche invalide : corrigez-le, puis relancez la recherche.
>>> detail
"Unknown search parameter 'cloud'."
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from urllib.parse import urlsplit

from ..errors import (
    AuthenticationError,
    ConfigurationError,
    CubeTooLargeError,
    DinamisError,
    ExportError,
    HTTPServiceError,
    InputError,
    LoadError,
    MissingBandError,
    NoMaskError,
    NotSignableError,
    QueryError,
    SearchError,
    SigningError,
    TwinError,
    ValidityError,
)
from .i18n import t
from .localized import reason_text

__all__ = ["detail_html", "error_html", "error_text"]

#: What failed, by class (the most specific first), in French.
_LEADS: tuple[tuple[type[DinamisError], str], ...] = (
    (AuthenticationError, "Le service de signature a refusé la connexion"),
    (SigningError, "La signature des URL a échoué"),
    (SearchError, "La recherche dans le catalogue a échoué"),
    (HTTPServiceError, "Le service a répondu par une erreur"),
    (NotSignableError, "Ce produit ne peut pas être signé ni lu ici."),
    (ValidityError, "Durée de validité invalide : écrivez par exemple 30min, 3h, 1j ou PT1H30M."),
    (QueryError, "Critère de recherche invalide : corrigez-le, puis relancez la recherche."),
    (CubeTooLargeError, "Le cube demandé est trop grand, ou sa grille semble fausse : réduisez la zone, "
                        "les dates ou les bandes, ou choisissez une résolution plus grossière."),
    (MissingBandError, "Une bande nécessaire manque au cube (le NDVI demande « red » et « nir ») : "
                       "chargez-la, puis recommencez."),
    (NoMaskError, "Cette collection n'a pas de masque de nuages : chargez sans masque."),
    (LoadError, "Le chargement des images a échoué."),
    (InputError, "Valeur invalide : corrigez-la, puis recommencez."),
    (ConfigurationError, "Configuration invalide ou incomplète (profil de catalogue, variable "
                         "d'environnement)."),
    (TwinError, "Le jumeau hors ligne n'a pas pu démarrer, ou l'un de ses services a échoué."),
    (ExportError, "L'écriture du fichier a échoué."),
    (DinamisError, "Erreur de dinamis_widgets."),
)
#: How an HTTP service failed, by status, in French (``{host}``, ``{status}``).
_HTTP: Mapping[str, str] = {
    "down": "{host} ne répond pas. Vérifiez le réseau et l'adresse du service, puis réessayez.",
    "server": "{host} a un problème (HTTP {status}). Réessayez plus tard.",
    "denied": "accès refusé par {host} (HTTP {status}) : vérifiez votre clé d'API ou reconnectez-vous.",
    "refused": "{host} a refusé la requête (HTTP {status}).",
}


def _lead(exc: DinamisError) -> str:
    return next(text for kind, text in _LEADS if isinstance(exc, kind))


def _http(exc: HTTPServiceError) -> str:
    host = urlsplit(exc.url).netloc or "le service"
    status = exc.status
    if status is None and not exc.url:  # not an answer missing: the detail says what
        return f"{_lead(exc)}."
    kind = ("down" if status is None else "server" if status >= 500
            else "denied" if status in (401, 403) else "refused")
    return f"{_lead(exc)} : {_HTTP[kind].format(host=host, status=status)}"


def error_text(exc: DinamisError, lang: str = "fr") -> tuple[str, str]:
    """``(text, detail)``: the error said in ``lang``, and the core's English sentence when the text does
    not already say all of it (empty otherwise; always empty in English, where the text is the core's)."""
    if lang == "en":
        return exc.message, ""
    if isinstance(exc, NotSignableError) and exc.reason is not None:
        return reason_text(exc.reason, lang) or exc.message, ""
    if isinstance(exc, HTTPServiceError):
        return _http(exc), exc.message
    return _lead(exc), exc.message


def detail_html(detail: str, lang: str = "fr") -> str:
    """The core's English message folded under "Détail (en anglais)" (HTML, escaped; empty for none)."""
    if not detail:
        return ""
    return (f"<details class='dw-error-detail' style='font-size:11px;color:#555'>"
            f"<summary>{html.escape(t('error_detail', lang))}</summary>{html.escape(detail)}</details>")


def error_html(exc: DinamisError, lang: str = "fr", color: str = "#b00020") -> str:
    """The error as HTML: its text in ``lang``, the core's English folded under "Détail (en anglais)"."""
    text, detail = error_text(exc, lang)
    return f"<span style='color:{color}'>{html.escape(text)}</span>{detail_html(detail, lang)}"
