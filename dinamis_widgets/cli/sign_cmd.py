"""``dinamis-widgets sign``: sign asset URLs, or the assets of item ids, for QGIS or GDAL.

Every input is resolved first (item ids looked up in the catalogue, assets chosen, signability checked),
then everything is signed in one batched call, and each signed URL is printed with its expiry.

Examples
--------
>>> time_left(45), time_left(25 * 60), time_left(3 * 3600 + 600), time_left(2 * 86400 + 4 * 3600)
('45 s', '25 min', '3h10', '2d 4h')
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import AuthenticationError, DinamisError, HTTPServiceError, NotSignableError, QueryError, quote

__all__ = ["GDAL_WARNING", "run_sign", "sign_targets", "time_left"]

#: The one warning ``sign`` prints (stderr) about GDAL/QGIS versions and signed URLs (DESIGN.md section 4).
GDAL_WARNING = (
    "dinamis-widgets: warning: GDAL older than 3.10 (e.g. Debian 12's GDAL 3.6.2, and QGIS built on it "
    "such as QGIS 3.22) downloads the WHOLE file when it opens a signed URL (OSGeo/gdal issue 7150); "
    "GDAL >= 3.10 (as in rasterio's wheels) and QGIS built on GDAL >= 3.10 (see QGIS Help > About) read "
    "only the parts they need. Set GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR; after expiry QGIS shows a blank "
    "canvas: sign again."
)


def _is_url(text: str) -> bool:
    return text.strip().lower().startswith(("http://", "https://"))


#: Longest item id or URL accepted (the catalogue's ids are under 100 characters).
_MAX_TARGET = 2000


def check_targets(targets: Sequence[str]) -> None:
    """Refuse what is neither an asset URL nor an item id: empty, too long, spaces or control characters
    inside, another URL scheme.

    Examples
    --------
    >>> check_targets(["SPOT67_HCF_202504141052135_GS1_W001N46_SCENE1", "https://host/f.tif"])
    >>> check_targets(["s3://bucket/f.tif"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dinamis_widgets.errors.QueryError: 's3://bucket/f.tif' is a URL the signing service does not sign: ...
    """
    if not targets:
        raise QueryError("Nothing to sign: give asset URLs (https://...) or item ids of the catalogue.")
    for target in targets:
        text = target.strip()
        if not text:
            raise QueryError("An empty argument is neither an asset URL nor an item id: give asset URLs "
                             "(https://...) or item ids copied from the catalogue's Information panel.")
        if len(text) > _MAX_TARGET:
            raise QueryError(f"{quote(text)} is too long for an item id or a URL: give asset URLs "
                             "(https://...) or item ids copied from the catalogue's Information panel.")
        if "://" in text and not _is_url(text):
            raise QueryError(f"{quote(text)} is a URL the signing service does not sign: give the asset's "
                             "https:// URL (its href in the item), or the item id.")
        if not _is_url(text) and (any(c.isspace() or not c.isprintable() for c in text)):
            raise QueryError(f"{quote(text)} is not an item id (it has spaces or control characters): give "
                             "one id per argument, copied from the catalogue's Information panel, or an "
                             "asset URL.")


def _data_assets(item: Any) -> list[str]:
    """The item's data assets (role ``data``; else all but thumbnails and metadata), MS then PAN first."""
    keys = [k for k, a in item.assets.items() if "data" in (a.roles or [])] or [
        k for k, a in item.assets.items() if not {"thumbnail", "overview", "metadata"} & set(a.roles or [])]
    first = ("multispectral", "panchromatic")
    return sorted(keys, key=lambda k: (first.index(k) if k in first else len(first), k))


def time_left(seconds: int) -> str:
    """A duration for people: ``40 s``, ``25 min``, ``3h10``, ``2d 4h``."""
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h{minutes:02d}" if hours else f"{minutes} min"


def _expiry_text(expiry: datetime | None) -> tuple[str | None, str | None, str]:
    """The expiry in UTC and local time (ISO 8601), and the note printed under the URL."""
    if expiry is None:
        return None, None, "no signature needed: not a host the signing service signs; printed unchanged"
    utc = expiry.astimezone(UTC)
    local = expiry.astimezone()
    left = time_left(max(0, round((utc - datetime.now(UTC)).total_seconds())))
    text = (f"expires {local.strftime('%Y-%m-%d %H:%M:%S %Z')} (local time), "
            f"{utc.strftime('%Y-%m-%d %H:%M:%S')} UTC, in {left}")
    return utc.isoformat().replace("+00:00", "Z"), local.isoformat(timespec="seconds"), text


def sign_targets(targets: Sequence[str], *, validity: str | None = None, assets: Sequence[str] | None = None,
                 profile: str | None = None, stac_api: str | None = None) -> list[dict[str, Any]]:
    """Sign asset URLs and the assets of item ids; one record per signed URL.

    Parameters
    ----------
    targets
        Asset URLs (``http://``, ``https://``) and item ids of the catalogue.
    validity
        How long the URLs stay valid (``3h``, ``PT3H``...); the settings' default when None.
    assets
        Asset keys of the items, or ``all`` (the data assets, the default).
    profile, stac_api
        The catalogue (a profile name, or a STAC API URL); the active profile when both are None.

    Returns
    -------
    list of dict
        ``input``, ``item``, ``asset``, ``href``, ``vsicurl``, ``expiry`` (UTC), ``expiry_local``, ``signed``
        and ``note`` (the line printed under the URL).

    Raises
    ------
    DinamisError
        For an unknown id, a product that cannot be signed, an invalid validity, or a failing service.
    """
    from ..catalog.client import open_catalog
    from ..settings import get_settings, profile_for
    from ..signing.client import Signer
    from ..signing.rules import check_signable, explain_signability, warn_unverified
    from ..signing.validity import parse_validity

    check_targets(targets)
    settings = get_settings()
    if validity is not None:
        parse_validity(validity, maximum=settings.max_validity)
    cat = profile_for(stac_api or profile, settings)
    wanted = list(assets or ["all"])
    # 1. resolve every input before signing anything
    jobs: list[dict[str, Any]] = []
    ids = [t for t in targets if not _is_url(t)]
    found: dict[str, list[Any]] = {}
    if ids:
        from ..catalog.searching import search

        client = open_catalog(cat, settings=settings)
        results = search(ids=ids, catalog=client, sortby=None, max_items=None, validate=False)
        for item in results:
            found.setdefault(item.id, []).append(item)
        missing = [i for i in ids if i not in found]
        if missing:
            raise QueryError(f"No item with id {missing[0]!r} in the catalogue at {cat.stac_api} "
                             f"(profile {cat.name!r}). Copy the id from the catalogue's Information "
                             "panel (Identifiant), or give an asset URL.")
    for target in targets:
        if _is_url(target):
            jobs.append({"input": target, "item": None, "asset": None, "url": target.strip()})
            continue
        for item in found[target]:
            check_signable(item)
            warn_unverified([explain_signability(item)])  # signed, but nothing told its level: say so
            keys = _data_assets(item) if "all" in wanted else list(dict.fromkeys(wanted))
            absent = [k for k in keys if k not in item.assets]
            if absent:
                raise NotSignableError(f"Item {item.id!r} has no asset {absent[0]!r}; its assets are: "
                                       f"{', '.join(item.assets)}.")
            for key in keys:
                jobs.append({"input": target, "item": item.id, "asset": key, "url": item.assets[key].href})
    # 2. sign everything in one batched call
    signer = Signer.from_settings(settings, cat)
    signed = signer.sign_urls([j["url"] for j in jobs], validity)
    out = []
    for job in jobs:
        s = signed[job["url"]]
        expiry, local, text = _expiry_text(s.expiry)
        out.append({"input": job["input"], "item": job["item"], "asset": job["asset"], "href": s.href,
                    "vsicurl": s.vsicurl(), "expiry": expiry, "expiry_local": local, "signed": s.signed,
                    "note": text})
    return out


def _one_line(message: str) -> str:
    return " ".join(message.split())


def run_sign(targets: Sequence[str], *, validity: str | None = None, assets: Sequence[str] | None = None,
             profile: str | None = None, stac_api: str | None = None, vsicurl: bool = False,
             as_json: bool = False) -> int:
    """Sign (see :func:`sign_targets`) and print the URLs (GDAL paths if ``vsicurl``) or a JSON array.

    Returns
    -------
    int
        The exit status: 0 signed, 1 a service failed, 2 wrong input or credentials (one line on stderr).
    """
    try:
        records = sign_targets(targets, validity=validity, assets=assets, profile=profile, stac_api=stac_api)
    except AuthenticationError as exc:
        print(f"dinamis-widgets: error: {_one_line(exc.message)}", file=sys.stderr)
        return 2
    except HTTPServiceError as exc:
        print(f"dinamis-widgets: error: {_one_line(exc.message)}", file=sys.stderr)
        return 1
    except DinamisError as exc:
        print(f"dinamis-widgets: error: {_one_line(exc.message)}", file=sys.stderr)
        return 2
    if any(r["signed"] for r in records):
        print(GDAL_WARNING, file=sys.stderr)
    if as_json:
        print(json.dumps([{k: v for k, v in r.items() if k != "note"} for r in records], indent=1))
        return 0
    for r in records:
        if r["item"]:
            print(f"{r['item']} {r['asset']}:")
        print(r["vsicurl"] if vsicurl else r["href"])
        print(f"  {r['note']}")
    return 0
