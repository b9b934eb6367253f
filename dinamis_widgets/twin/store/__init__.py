"""Object store of the twin: files under a folder, served over HTTP to valid SigV4 presigned URLs.

``GET`` and ``HEAD`` on ``/<bucket>/<key...>`` answer like S3: ``Accept-Ranges: bytes``,
``Content-Length``, ``ETag``, ``Last-Modified``, ``Content-Type``; one byte range (``bytes=N-M``,
``bytes=N-``, ``bytes=-N``) gives ``206`` with ``Content-Range``; several ranges give ``206``
``multipart/byteranges`` (overlapping ranges merged); an unsatisfiable range gives ``416`` with
``Content-Range: bytes */<size>``; a syntactically invalid ``Range`` header is ignored (``200``), as
RFC 9110 says. Errors are S3-like XML documents (``<Error><Code>...</Code><Message>...``).

Access rules:

- every request needs a valid presigned URL (see :mod:`dinamis_widgets.twin.sigv4`), checked against
  the request's ``Host`` header, which must also be the host of ``config.data_url``; otherwise ``403``;
- buckets of ``config.public_buckets`` are served without a signature; a request that carries one is
  still checked, as S3 does, so an expired signed URL of a public object is refused too;
- ``404 NoSuchKey`` is only answered once the signature is valid, so unsigned callers learn nothing
  about which objects exist;
- keys with empty, ``.`` or ``..`` segments (also percent-encoded), backslashes or NUL are refused
  (``403``) before any file system access; a key resolving outside ``data_root`` (symbolic links) is
  ``404``.

The store counts requests and bytes (:class:`StoreState`) and injects faults on demand
(:class:`Fault`): latency, ``5xx`` answers, connection resets, truncated bodies and a bandwidth
throttle. Both are driven from Python or over HTTP by the control routes under ``/_twin/``
(``x-twin-admin`` header), so that tests in another process can use them.

Modules: :mod:`.app` (the ASGI app, counters and faults around object requests), :mod:`.objects`
(access rules, object answers), :mod:`.ranges`, :mod:`.s3_errors`, :mod:`.faults`, :mod:`.state`
(counters and faults), :mod:`.connection` (resets, truncations, throttling), :mod:`.control`.

Examples
--------
>>> from dinamis_widgets.twin.config import ServicesConfig
>>> config = ServicesConfig(data_root="/tmp", data_url="http://127.0.0.1:9000",
...                         signing_url="http://127.0.0.1:9001/")
>>> app = create_store_app(config)
>>> store_state(app).add_fault(Fault(kind="error", status=503, count=2, match="SCENE1"))
"""

from ..config import ADMIN_HEADER
from .app import create_store_app
from .control import CONTROL_PREFIX
from .faults import Fault, FaultKind
from .state import StoreState, store_state

__all__ = [
    "ADMIN_HEADER",
    "CONTROL_PREFIX",
    "Fault",
    "FaultKind",
    "StoreState",
    "create_store_app",
    "store_state",
]

