"""Open a catalogue: a :class:`DinamisClient` for a profile (``twin``, ``dinamis``...) or any STAC API URL.

:class:`DinamisClient` is a pystac-client ``Client`` that also knows its catalogue profile (which signing
service signs its assets) and keeps the queryables it fetched. It recognises conformance classes of any
STAC API 1.x version, so pystac-client does not warn about extensions the API does declare. Nothing here
changes the process's warning filters.

Examples
--------
With the settings pointing at a catalogue (``dinamis_widgets.twin.start()`` does it for the twin)::

    import dinamis_widgets as dw
    client = dw.open_catalog()                 # DINAMIS_PROFILE, DINAMIS_STAC_API...
    client = dw.open_catalog("theia")          # a named profile
    client = dw.open_catalog("https://stac.example.org/")
    client.dinamis_profile.signing_endpoint    # what later steps sign with
    profile_of(client)                         # the same, for any pystac-client Client
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pystac
from pystac_client import Client, ConformanceClasses

from ..errors import ConfigurationError, DinamisError, NotSignableError, SearchError, quote
from ..http import RetryPolicy, service_message
from ..settings import Profile, Settings, get_settings, profile_for
from ..signing.client import Signer
from ..signing.dispatch import sign_inplace
from ..signing.validity import ValidityLike, parse_validity
from ..warnings import NotSignableWarning
from .conformance import stac_api_pattern

if TYPE_CHECKING:
    from pystac_client import Modifiable
    from pystac_client.stac_api_io import StacApiIO, Timeout
    from requests import Request

__all__ = ["DinamisClient", "SigningModifier", "default_catalog", "open_catalog", "profile_of"]


class DinamisClient(Client):
    """A pystac-client ``Client`` that knows its catalogue profile and keeps the queryables it fetched.

    :func:`open_catalog` returns one; ``DinamisClient.open(url, profile=...)`` opens one as
    ``Client.open`` does. Everything of pystac-client's ``Client`` works the same, with two differences:

    - :meth:`conforms_to` accepts a conformance class declared in any STAC API 1.x version (stac-fastapi
      declares ``https://api.stacspec.org/v1.1.0/item-search#sort``), where pystac-client knows 1.0 only
      and would warn that the API does not conform to what it declares;
    - :attr:`dinamis_profile` holds the :class:`~dinamis_widgets.settings.Profile` (STAC API, signing
      service, signable hosts), :attr:`queryables_cache` what :func:`~dinamis_widgets.fetch_queryables`
      read, and :attr:`collections_cache` the collections of the items searched.

    Examples
    --------
    ::

        client = DinamisClient.open("https://api.stac.teledetection.fr/")
        client.dinamis_profile.name          # 'dinamis': the profile of that URL
        client.conforms_to("SORT")           # True, though the API declares sort in STAC API 1.1
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # pystac builds clients with Catalog's arguments (from_dict, clone): they all go to Client
        super().__init__(*args, **kwargs)
        self._profile: Profile | None = None
        #: Queryables read by :func:`~dinamis_widgets.fetch_queryables`: sorted collection ids -> schemas.
        self.queryables_cache: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}
        #: Collections of the items searched (:mod:`~dinamis_widgets.catalog.collection_cache`): id -> it.
        self.collections_cache: dict[str, pystac.Collection | None] = {}

    @classmethod
    def open(
        cls,
        url: str,
        headers: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
        ignore_conformance: bool | None = None,
        modifier: Callable[[Modifiable], None] | None = None,
        request_modifier: Callable[[Request], Request | None] | None = None,
        stac_io: StacApiIO | None = None,
        timeout: Timeout | None = None,
        *,
        profile: Profile | None = None,
    ) -> DinamisClient:
        """``Client.open``, with the catalogue ``profile`` (the one of ``url`` by default).

        As ``Client.open``, it warns (``pystac_client.warnings.NoConformsTo``) when the landing page
        declares no conformance classes: that URL is a static catalogue, not an API to search.

        Parameters
        ----------
        url, headers, parameters, ignore_conformance, modifier, request_modifier, stac_io, timeout
            As for pystac-client's ``Client.open``.
        profile
            The :class:`~dinamis_widgets.settings.Profile` of the catalogue; None: found from ``url``
            (:func:`~dinamis_widgets.profile_for`) when first asked for.
        """
        client = super().open(url, headers=headers, parameters=parameters,
                              ignore_conformance=ignore_conformance, modifier=modifier,
                              request_modifier=request_modifier, stac_io=stac_io, timeout=timeout)
        if not isinstance(client, DinamisClient):  # pragma: no cover - Client.open builds a cls
            raise TypeError(f"pystac-client's Client.open returned a {type(client).__name__}")
        client._profile = profile
        return client

    @property
    def dinamis_profile(self) -> Profile:
        """The catalogue profile: the one given to :meth:`open`, else the one of the client's URL."""
        if self._profile is None:
            self._profile = profile_for(self.get_self_href())
        return self._profile

    def conforms_to(self, conformance_class: ConformanceClasses | str) -> bool:
        """Whether the API declares a conformance class, in any STAC API 1.x version.

        Parameters
        ----------
        conformance_class
            A ``pystac_client.ConformanceClasses``, or its name (``"SORT"``, ``"FILTER"``...).
        """
        if super().conforms_to(conformance_class):
            return True
        if isinstance(conformance_class, str):
            conformance_class = ConformanceClasses.get_by_name(conformance_class)
        pattern = stac_api_pattern(conformance_class.value)
        return any(pattern.match(uri) for uri in self.get_conforms_to())

    def __repr__(self) -> str:
        name = self._profile.name if self._profile is not None else None
        return f"<DinamisClient id={self.id}" + (f" profile={name!r}>" if name else ">")


class SigningModifier:
    """pystac-client ``modifier`` that signs what the client returns, in place.

    Products the catalogue cannot sign (BRUT, Regards) are left unsigned with a
    :class:`~dinamis_widgets.warnings.NotSignableWarning` instead of failing the whole page or
    collection.

    Parameters
    ----------
    signer
        The :class:`~dinamis_widgets.Signer` of the catalogue's profile.
    validity
        How long signatures last (any form of :func:`~dinamis_widgets.parse_validity`).
    """

    def __init__(self, signer: Signer, validity: ValidityLike | None = None) -> None:
        self.signer = signer
        self.validity = validity

    def __call__(self, obj: Any) -> None:
        if isinstance(obj, pystac.Collection) and not obj.assets:
            return  # nothing to sign: no warning for a Regards collection that is only browsed
        try:
            sign_inplace(obj, self.validity, signer=self.signer)
        except NotSignableError as exc:
            warnings.warn(f"Left unsigned: {exc.message}", NotSignableWarning, stacklevel=3)

    def __repr__(self) -> str:
        return f"SigningModifier({self.signer!r}, validity={self.validity!r})"


def _twin_hint(profile: Profile) -> str:
    if profile.name == "twin":
        return (" Is the twin still running? Start it with `dinamis-widgets twin` (and export the variables "
                "it prints) or `dinamis_widgets.twin.start()`.")
    return " Check the URL and your network (or use the offline twin: DINAMIS_PROFILE=twin)."


def open_catalog(
    profile_or_url: str | Profile | None = None,
    *,
    sign: bool = False,
    validity: ValidityLike | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    settings: Settings | None = None,
) -> DinamisClient:
    """Open a catalogue's STAC API as a :class:`DinamisClient` (a pystac-client ``Client``).

    Results are *signed on demand*: by default the client returns items as the catalogue serves them, with
    their plain (unsigned) asset hrefs. Nothing is signed at search time, so a search costs no request to
    the signing service, BRUT and Regards items (which cannot be signed) come back like the others, and
    no signature expires in your results while you look at them. Sign when you read:
    :func:`dinamis_widgets.sign` (or the ``dinamis-widgets sign`` command) for URLs to hand to QGIS or GDAL,
    and :func:`dinamis_widgets.load`, which signs each read at the moment it happens (re-signing when a
    signature expires). Pass ``sign=True`` to have every result signed as it arrives instead (the
    ``sign_inplace`` modifier, as with Planetary Computer): handy for tools that read hrefs directly, but
    the signatures expire after ``validity``.

    Parameters
    ----------
    profile_or_url
        None for the active profile (``DINAMIS_PROFILE`` and the other variables; ``twin`` when a twin
        started in this process), a profile name (``dinamis``, ``mtd``, ``theia``, ``twin``, or one of the
        config file), a :class:`~dinamis_widgets.settings.Profile`, or any STAC API URL.
    sign
        Sign results as they arrive (see above). Unsignable products are left unsigned with a
        :class:`~dinamis_widgets.warnings.NotSignableWarning`.
    validity
        Validity of those signatures (``"3h"``, ``"PT3H"``...); the settings' default otherwise.
    headers
        Extra HTTP headers for the STAC API.
    timeout
        Seconds per request; the settings' ``request_timeout`` by default.
    settings
        Settings to use; :func:`~dinamis_widgets.settings.get_settings` by default.

    Returns
    -------
    DinamisClient
        A pystac-client ``Client`` with the profile in its ``dinamis_profile`` property (STAC API,
        signing service, signable hosts).

    Raises
    ------
    ConfigurationError
        Unknown profile, ``twin`` without a running twin, or a URL that is not a STAC API.
    SearchError
        The STAC API cannot be reached or answers with an error (the URL, the profile, and the HTTP status
        and message are in the error).
    ValidityError
        ``validity`` cannot be read.

    Examples
    --------
    ::

        client = open_catalog()                       # the active profile
        client.dinamis_profile.name                   # 'twin' when a twin runs here
        signed = open_catalog("twin", sign=True, validity="3h")
    """
    from pystac_client.exceptions import APIError
    from pystac_client.stac_api_io import StacApiIO

    if profile_or_url is not None and not isinstance(profile_or_url, str | Profile):
        raise ConfigurationError(f"open_catalog({quote(profile_or_url)}): give a profile name ('dinamis', "
                                 "'twin'...), a STAC API URL ('https://...'), a Profile, or None for the "
                                 "active profile.")
    s = settings or get_settings()
    profile = profile_for(profile_or_url, s)
    modifier: SigningModifier | None = None
    if sign:
        if validity is not None:
            parse_validity(validity, maximum=s.max_validity)
        modifier = SigningModifier(Signer.from_settings(s, profile), validity)
    url = profile.stac_api
    # 500 is not retried here: a STAC API answers it to some malformed queries, which retrying won't mend.
    retry = RetryPolicy.from_settings(s, statuses=frozenset({429, 502, 503, 504})).urllib3_retry()
    stac_io = StacApiIO(headers=dict(headers or {}), timeout=timeout or s.request_timeout, max_retries=retry)
    where = f"the STAC API at {url} (profile {profile.name!r})" if profile.name != url else (
        f"the STAC API at {url}")
    try:
        return DinamisClient.open(url, modifier=modifier, stac_io=stac_io, profile=profile)
    except APIError as exc:
        status = getattr(exc, "status_code", None)
        if status is None:
            raise SearchError(f"Cannot reach {where}: {str(exc)[:300]}.{_twin_hint(profile)}",
                              url=url) from None
        hint = (f". Check that {url} is the root of a STAC API (its landing page is JSON with "
                "'conformsTo'), e.g. https://api.stac.teledetection.fr/"
                if status in (400, 401, 403, 404, 405, 406) else "")
        said = service_message(str(exc))
        said = "an HTML page" if said.lstrip().startswith("<") else said[:200]
        raise SearchError(f"Cannot open {where}{hint}", status=status, url=url,
                          service_message=said) from None
    except (pystac.STACError, pystac.STACTypeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"{url} (profile {profile.name!r}) does not answer as a STAC API landing page: "
            f"{_what_answers(url, timeout or s.request_timeout)} ({str(exc)[:120]}). Give the URL of the "
            "API's root (e.g. https://api.stac.teledetection.fr/).") from None
    except DinamisError:
        raise


def _what_answers(url: str, timeout: float) -> str:
    """What ``url`` answers, in a few words (for the message of a URL that is not a STAC API)."""
    from ..http import session

    try:
        answer = session().get(url, timeout=min(timeout, 10), allow_redirects=True)
    except Exception as exc:  # a diagnosis only: any failure is told, never raised
        return f"it could not be read again ({type(exc).__name__})"
    kind = answer.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    text = answer.text[:2000]
    if "html" in kind or text.lstrip().lower().startswith(("<!doctype html", "<html")):
        return f"it answers an HTML page (HTTP {answer.status_code}, {kind}), a web site rather than an API"
    try:
        data = answer.json()
    except ValueError:
        return f"it answers HTTP {answer.status_code} with {kind}: {quote(text[:60])}"
    if isinstance(data, dict):
        keys = ", ".join(list(map(str, data))[:6]) or "none"
        return (f"it answers JSON without 'conformsTo' nor 'links' of a STAC API (type "
                f"{quote(data.get('type'))}, keys: {keys})")
    return f"it answers JSON that is not an object ({type(data).__name__})"


def profile_of(client: Any) -> Profile:
    """The catalogue profile of a client: a :class:`DinamisClient`'s own, else the one of its URL.

    Reads ``client.dinamis_profile`` (signing service, signable hosts), and also works for a ``Client``
    opened with pystac-client directly.
    """
    if isinstance(client, DinamisClient):
        return client.dinamis_profile
    return profile_for(client.get_self_href())


_default_lock = threading.Lock()
_default: tuple[Settings, DinamisClient] | None = None


def default_catalog() -> DinamisClient:
    """The client of the active profile, opened once per settings (rebuilt when the settings change)."""
    global _default
    settings = get_settings()
    with _default_lock:
        if _default is not None and _default[0] is settings:
            return _default[1]
    client = open_catalog(settings=settings)
    with _default_lock:
        _default = (settings, client)
    return client
