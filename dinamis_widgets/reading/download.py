"""Download product files, resumably, with progress: what "Télécharger le produit" does.

:func:`download` writes a URL (signed at the moment of each request when its host needs it) into a folder.
Bytes go to ``<name>.part`` first, with a small ``<name>.part.json`` describing the remote file; when the
connection breaks (reset, truncated body, timeout) the download goes on from where it stopped with an
HTTP ``Range`` request, guarded by ``If-Range`` so that a file changed on the server starts again rather
than being spliced. A later call resumes a download that an earlier one (or an earlier session) left
unfinished. A signature that expires midway (HTTP 403) is renewed once per attempt.

:func:`download_asset` does the same for an asset of a STAC item, refusing products that cannot be
streamed (BRUT, Regards) with the reason. :func:`fetch_bytes` reads a small file (a quicklook) into
memory. No widget here: the notebook interface (``dinamis_widgets.ui``) shows the progress.

Examples
--------
Against the twin (``dinamis_widgets.twin.start()`` points the settings at it)::

    import dinamis_widgets as dw
    from dinamis_widgets.reading.download import download_asset
    item = dw.search(ids=["SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1"])[0]
    path = download_asset(item, "multispectral", "downloads/",
                          progress=lambda p: print(p.done, "/", p.total))
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import requests
import urllib3

from ..errors import DinamisError, HTTPServiceError, NotSignableError, mask_signatures
from ..http import RetryPolicy, service_message
from ..signing.client import Signer
from ..signing.registry import get_signer
from ..signing.rules import signability
from ..signing.urls import unsigned_url
from ..signing.validity import ValidityLike

if TYPE_CHECKING:
    import pystac

__all__ = [
    "DownloadCancelledError",
    "DownloadError",
    "DownloadProgress",
    "download",
    "download_asset",
    "fetch_bytes",
    "target_name",
]

_PART = ".part"
_META = ".part.json"
_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.I)
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._+-]")


class DownloadError(HTTPServiceError):
    """A file could not be downloaded (HTTP status and the service's message kept when there is one)."""


class DownloadCancelledError(DinamisError):
    """The download was cancelled; what was received stays in the ``.part`` file, to resume later."""


@dataclass(frozen=True)
class DownloadProgress:
    """Where a download stands (passed to the ``progress`` callback).

    Attributes
    ----------
    done
        Bytes on disk (resumed bytes included).
    total
        Size of the file, when the server tells it.
    resumed_from
        Bytes already on disk when this call started (0 for a fresh download).
    attempts
        Requests made so far by this call (more than one after a broken connection).
    path
        The final path of the file.
    """

    done: int
    total: int | None
    resumed_from: int
    attempts: int
    path: Path

    @property
    def fraction(self) -> float | None:
        """``done / total`` (None when the size is unknown)."""
        return self.done / self.total if self.total else None


def target_name(url: str) -> str:
    """The file name a URL is saved as: its path's last segment, without signature, made safe.

    Examples
    --------
    >>> target_name("https://h/b/c/i/SCENE_MS.tif?X-Amz-Signature=abc")
    'SCENE_MS.tif'
    >>> target_name("https://h/")
    'download'
    """
    path = unquote(urlsplit(unsigned_url(url)).path)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    name = _SAFE_NAME_RE.sub("_", name).lstrip(".")
    return name or "download"


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, path)


def _parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    match = _CONTENT_RANGE_RE.match(value or "")
    if not match:
        return None
    start, end, total = match.groups()
    return int(start), int(end), None if total == "*" else int(total)


def download(
    url: str,
    folder: str | os.PathLike[str] = ".",
    *,
    filename: str | None = None,
    validity: ValidityLike | None = None,
    signer: Signer | None = None,
    progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
    chunk_size: int = 1 << 20,
    retries: int = 5,
    backoff: float = 0.5,
    timeout: float | tuple[float, float] = (10.0, 60.0),
    overwrite: bool = False,
    session: requests.Session | None = None,
) -> Path:
    """Download ``url`` into ``folder``, resuming after broken connections and earlier attempts.

    Parameters
    ----------
    url
        The file's URL, signed or not: it is signed (again) at each request when its host needs it.
    folder
        Where to save it (created if needed).
    filename
        File name; by default the URL's last path segment (:func:`target_name`).
    validity
        Validity of the signatures asked (``"1h"``...); the signer's default otherwise.
    signer
        The :class:`~dinamis_widgets.Signer`; :func:`~dinamis_widgets.get_signer` by default.
    progress
        Called with a :class:`DownloadProgress` after every chunk written (from this thread).
    cancel
        Set it (from another thread) to stop: :class:`DownloadCancelledError` is raised and the ``.part`` file
        stays, to resume later.
    chunk_size
        Bytes read at a time.
    retries
        Failed requests in a row (broken connection, 429/5xx, expired signature) before giving up; a
        request that brings bytes resets the count.
    backoff
        Seconds waited after the first failure, doubled after each (at most 30 s).
    timeout
        Seconds to connect and between two reads (one number for both).
    overwrite
        Download again even if the file exists.
    session
        A :class:`requests.Session` to use.

    Returns
    -------
    pathlib.Path
        The downloaded file. An existing file is returned as it is unless ``overwrite``.

    Raises
    ------
    DownloadError
        HTTP errors other than transient ones (404, 403 after a new signature...), or too many failures;
        the status and the service's message are kept, signatures masked.
    DownloadCancelledError
        ``cancel`` was set.
    SigningError, AuthenticationError
        The URL could not be signed.
    """
    signer = signer or get_signer()
    plain = unsigned_url(url)
    name = filename or target_name(url)
    directory = Path(folder).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if target.exists() and not overwrite:
        if progress is not None:
            size = target.stat().st_size
            progress(DownloadProgress(size, size, size, 0, target))
        return target
    part = directory / (name + _PART)
    meta_path = directory / (name + _META)
    meta = _read_meta(meta_path)
    if overwrite or meta.get("url") != plain:
        part.unlink(missing_ok=True)
        meta = {"url": plain}
    resumed_from = part.stat().st_size if part.exists() else 0
    own_session = session is None
    http = session or requests.Session()
    # Failures in a row are counted (a request that brings bytes resets them), so no overall deadline.
    policy = RetryPolicy(total=retries, backoff_factor=backoff, deadline=None)
    attempts = failures = 0
    force_sign = False
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelledError(f"Download of {name} cancelled; {part} keeps what was received.")
            if failures > retries:
                raise DownloadError(f"Could not download {mask_signatures(plain)} after {attempts} attempts: "
                                    f"the connection kept failing. Run it again to resume.", url=plain)
            if failures:
                time.sleep(policy.backoff(failures - 1))
            attempts += 1
            href = (signer.resign_url(plain, validity, force=True) if force_sign
                    else signer.sign_url(plain, validity)).href
            force_sign = False
            offset = part.stat().st_size if part.exists() else 0
            total = meta.get("total") if isinstance(meta.get("total"), int) else None
            if total is not None and offset == total and offset > 0:
                break
            headers = {"Accept-Encoding": "identity"}
            if offset > 0:
                headers["Range"] = f"bytes={offset}-"
                if meta.get("etag"):
                    headers["If-Range"] = str(meta["etag"])
            try:
                response = http.get(href, headers=headers, stream=True, timeout=timeout)
            except requests.RequestException:
                failures += 1
                continue
            with contextlib.closing(response):
                status = response.status_code
                if status == 403 and signer.needs_signing(plain) and failures < retries:
                    failures += 1
                    force_sign = True
                    continue
                if status in policy.statuses:
                    failures += 1
                    continue
                if status == 416:
                    unsatisfied = response.headers.get("Content-Range", "").replace("*", "0-0")
                    crange = _parse_content_range(unsatisfied)
                    remote = crange[2] if crange else None
                    if remote is not None and offset == remote:
                        meta["total"] = remote
                        break
                    part.unlink(missing_ok=True)
                    failures += 1
                    continue
                if status >= 400:
                    raise DownloadError(f"Could not download {name}", status=status,
                                        service_message=service_message(response), url=plain)
                if status == 206:
                    crange = _parse_content_range(response.headers.get("Content-Range"))
                    if crange is None or crange[0] != offset:
                        part.unlink(missing_ok=True)  # not the bytes asked: start again
                        failures += 1
                        continue
                    total = crange[2]
                    mode = "ab"
                else:  # 200: the whole file (no range asked, or the file changed)
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    offset, mode = 0, "wb"
                meta.update(total=total, etag=response.headers.get("ETag"))
                _write_meta(meta_path, meta)
                done = offset
                try:
                    with open(part, mode) as out:
                        for chunk in response.iter_content(chunk_size):
                            if cancel is not None and cancel.is_set():
                                raise DownloadCancelledError(
                                    f"Download of {name} cancelled at {done} bytes; run it again to resume.")
                            if not chunk:
                                continue
                            out.write(chunk)
                            done += len(chunk)
                            failures = 0
                            if progress is not None:
                                progress(DownloadProgress(done, total, resumed_from, attempts, target))
                except (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError):
                    failures += 1  # broken connection: resume from what arrived
                    continue
                except OSError as exc:
                    raise DownloadError(f"Could not write {part}: {exc}") from None
            size = part.stat().st_size if part.exists() else 0
            if total is None or size == total:
                break
            failures += 1  # the body ended early: resume from what arrived
        os.replace(part, target)
        meta_path.unlink(missing_ok=True)
    finally:
        if own_session:
            http.close()
    if progress is not None:
        size = target.stat().st_size
        progress(DownloadProgress(size, size, resumed_from, attempts, target))
    return target


def download_asset(item: pystac.Item, asset: str, folder: str | os.PathLike[str] = ".",
                   **options: Any) -> Path:
    """Download an asset of a STAC item (``multispectral``, ``panchromatic``...). See :func:`download`.

    Raises
    ------
    NotSignableError
        The product cannot be streamed (BRUT, Regards: order it through the catalogue), or has no such
        asset (the message lists its assets).
    """
    reason = signability(item)
    if reason is not None:
        raise NotSignableError(reason)
    if asset not in item.assets:
        raise NotSignableError(f"Item {item.id!r} has no asset {asset!r}; its assets are: "
                               f"{', '.join(item.assets) or 'none'}.")
    return download(item.assets[asset].href, folder, **options)


def fetch_bytes(url: str, *, signer: Signer | None = None, max_bytes: int = 32 << 20,
                timeout: float = 30.0) -> bytes:
    """Read a small file (a quicklook) into memory: unsigned first, signed if the server asks.

    Raises
    ------
    DownloadError
        HTTP error, unreachable server, or a file larger than ``max_bytes``.
    """
    plain = unsigned_url(url)

    def get(href: str) -> requests.Response:
        try:
            return requests.get(href, timeout=timeout, stream=True)
        except requests.RequestException as exc:
            raise DownloadError(f"Could not read {plain}: {mask_signatures(str(exc))[:200]}",
                                url=plain) from None

    response = get(plain)
    if response.status_code in (401, 403):
        response.close()
        s = signer or get_signer()
        if s.needs_signing(plain):
            response = get(s.sign_url(plain).href)
    with contextlib.closing(response):
        if response.status_code >= 400:
            raise DownloadError(f"Could not read {target_name(plain)}", status=response.status_code,
                                service_message=service_message(response), url=plain)
        data = bytearray()
        try:
            for chunk in response.iter_content(1 << 16):
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise DownloadError(f"{target_name(plain)} is larger than {max_bytes} bytes.", url=plain)
        except requests.RequestException as exc:
            raise DownloadError(f"Could not read {plain}: {mask_signatures(str(exc))[:200]}",
                                url=plain) from None
        return bytes(data)
