"""S3-like XML error documents (``<Error><Code>...</Code><Message>...``), as the store answers them.

Examples
--------
>>> response = s3_error("NoSuchKey", "The specified key does not exist.", 404, "/b/k.tif")
>>> response.status_code, response.media_type
(404, 'application/xml')
>>> print(response.body.decode().split("<RequestId>")[0])
<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/b/k.tif</Resource>
"""

from __future__ import annotations

import secrets
from xml.sax.saxutils import escape

from starlette.responses import Response

__all__ = ["ERROR_CODES", "s3_error"]

#: Code and message of the error answers that faults inject, by status.
ERROR_CODES = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    502: ("BadGateway", "Bad gateway."),
    503: ("SlowDown", "Please reduce your request rate."),
    504: ("GatewayTimeout", "Gateway timeout."),
}


def s3_error(
    code: str,
    message: str,
    status: int,
    resource: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    """Return an S3-like XML error document."""
    request_id = secrets.token_hex(8).upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(resource)}</Resource><RequestId>{request_id}</RequestId></Error>"
    )
    all_headers = {"x-amz-request-id": request_id, **(headers or {})}
    return Response(body, status_code=status, media_type="application/xml", headers=all_headers)
