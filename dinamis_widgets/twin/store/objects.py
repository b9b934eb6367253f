"""Object requests: ``GET``/``HEAD`` ``/<bucket>/<key...>``, after the access rules.

Access rules: a valid presigned URL for the store's own host (``403`` otherwise), except in public
buckets; ``404 NoSuchKey`` only once the signature is valid; unsafe keys refused before any file system
access. See :mod:`dinamis_widgets.twin.store`.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ..config import ServicesConfig
from ..sigv4 import VerifyStatus, canonical_host, mask_url, parse_query, verify
from .ranges import ObjectResponse, plan_range
from .s3_errors import s3_error

__all__ = ["OBJECT_METHODS", "serve_object"]

log = logging.getLogger(__name__)

#: Methods routed to :func:`serve_object` (which answers 405 to all but GET and HEAD).
OBJECT_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
_DENIALS = {
    VerifyStatus.UNSIGNED: (
        "AccessDenied",
        "Access Denied: this object is only served to a presigned URL; ask the signing service "
        "to sign it",
    ),
    VerifyStatus.MALFORMED: ("AuthorizationQueryParametersError", ""),
    VerifyStatus.UNKNOWN_KEY: (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    ),
    VerifyStatus.WRONG_SCOPE: ("AuthorizationQueryParametersError", ""),
    VerifyStatus.EXPIRED: ("AccessDenied", "Request has expired"),
    VerifyStatus.NOT_YET_VALID: ("AccessDenied", "Request is not valid yet"),
    VerifyStatus.SIGNATURE_MISMATCH: (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    ),
}


def _key_parts(path: str) -> list[str] | None:
    """Split ``/<bucket>/<key...>`` into segments; None when the path could escape the root."""
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None
    parts = path[1:].split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return parts


def _resolve_object(root: Path, parts: list[str]) -> tuple[Path, os.stat_result] | None:
    """Return the file of a key and its status, or None if missing or outside ``root``."""
    try:
        resolved = root.joinpath(*parts).resolve(strict=True)
        if not resolved.is_relative_to(root):
            return None
        status = resolved.stat()
    except (OSError, RuntimeError, ValueError):
        return None
    if not resolved.is_file():
        return None
    return resolved, status


def _denial(request: Request, config: ServicesConfig, resource: str) -> Response | None:
    """Check the presigned URL of a request; return the 403 answer, or None when valid."""
    result = verify(
        request.method,
        request.scope["path"],
        request.scope["query_string"].decode("latin-1"),
        request.headers.get("host", ""),
        credentials={config.storage_access_key: config.storage_secret_key},
    )
    if result.ok:
        expected = canonical_host(config.data_url)
        if canonical_host(request.headers.get("host", ""), request.url.scheme) == expected:
            return None
        code, message = "AccessDenied", f"Access Denied: this store answers on {expected} only"
    else:
        code, message = _DENIALS[result.status]
        message = message or result.message
    log.debug("refused %s %s: %s", request.method, mask_url(str(request.url)), result.message)
    return s3_error(code, message, 403, resource)


async def serve_object(request: Request) -> Response:
    """``GET``/``HEAD`` ``/<bucket>/<key...>``."""
    config: ServicesConfig = request.app.state.config
    path = request.scope["path"]
    if request.method not in ("GET", "HEAD"):
        return s3_error("MethodNotAllowed", "This twin store is read-only (GET and HEAD).", 405,
                         path, headers={"Allow": "GET, HEAD"})
    parts = _key_parts(path)
    if parts is None or len(parts) < 2:
        return s3_error("AccessDenied", "Access Denied: not an object key", 403, path)
    query = parse_query(request.scope["query_string"].decode("latin-1"))
    has_signature = any(name.lower().startswith("x-amz-") for name, _ in query)
    if parts[0] not in config.public_buckets or has_signature:
        denial = _denial(request, config, path)
        if denial is not None:
            return denial
    found = _resolve_object(request.app.state.root, parts)
    if found is None:
        return s3_error("NoSuchKey", "The specified key does not exist.", 404, path)
    file, status = found
    range_header, unsatisfiable = plan_range(request.headers.get("range"), status.st_size)
    if unsatisfiable:
        return s3_error("InvalidRange", "The requested range is not satisfiable", 416, path,
                         headers={"Content-Range": f"bytes */{status.st_size}"})
    headers = {"x-amz-request-id": secrets.token_hex(8).upper()}
    return ObjectResponse(file, status, range_header, headers)
