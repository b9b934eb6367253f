"""AWS Signature Version 4 presigned URLs (query-string authentication), as pure functions.

The signing service of the twin presigns URLs with :func:`presign`; the object store checks them with
:func:`verify`. Both follow the AWS specification for Amazon S3 ("Authenticating Requests: Using Query
Parameters"): the canonical request is made of the method, the URI-encoded path (encoded once, never
normalised), the sorted canonical query string without ``X-Amz-Signature``, the single signed header
``host`` and the payload hash ``UNSIGNED-PAYLOAD``.

Examples
--------
>>> from datetime import datetime, timezone
>>> url = presign(
...     "https://examplebucket.s3.amazonaws.com/test.txt",
...     access_key="AKIAIOSFODNN7EXAMPLE",
...     secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
...     expires=86400,
...     now=datetime(2013, 5, 24, tzinfo=timezone.utc),
... )
>>> url.rsplit("X-Amz-Signature=", 1)[1]
'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'

Modules: :mod:`.canonical` (canonical request and its signature), :mod:`.presigning`,
:mod:`.verification`, :mod:`.query` (query strings) and :mod:`.masking` (secrets out of logs).
"""

from .canonical import (
    ALGORITHM,
    MAX_EXPIRES,
    canonical_host,
    canonical_query_string,
    canonical_request,
    canonical_uri,
)
from .masking import MaskSignaturesFilter, install_log_masking, mask_url
from .presigning import presign
from .query import is_presigned, parse_query, strip_presign_params
from .verification import DEFAULT_MAX_SKEW, VerifyResult, VerifyStatus, verify

__all__ = [
    "ALGORITHM",
    "DEFAULT_MAX_SKEW",
    "MAX_EXPIRES",
    "MaskSignaturesFilter",
    "VerifyResult",
    "VerifyStatus",
    "canonical_host",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "install_log_masking",
    "is_presigned",
    "mask_url",
    "parse_query",
    "presign",
    "strip_presign_params",
    "verify",
]
