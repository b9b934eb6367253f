"""Query strings of presigned URLs: decoding, and removing or detecting query authentication.

Examples
--------
>>> parse_query("a=1&b=x+y&c")
[('a', '1'), ('b', 'x+y'), ('c', '')]
>>> url = "http://h/b/k.tif?v=2&X-Amz-Expires=60&X-Amz-Signature=abc"
>>> is_presigned(url), strip_presign_params(url)
(True, 'http://h/b/k.tif?v=2')
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["is_presigned", "parse_query", "strip_presign_params"]


def parse_query(query_string: str) -> list[tuple[str, str]]:
    """Split a raw query string into decoded pairs, keeping blanks and order.

    ``+`` is kept as a literal plus sign (RFC 3986), as S3 does for signature checks.

    Parameters
    ----------
    query_string
        The query, without ``?``.

    Returns
    -------
    list of (str, str)
        Decoded (name, value) pairs; ``a`` alone gives ``("a", "")``.
    """
    pairs: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def _is_auth_param(name: str) -> bool:
    """Whether a query parameter belongs to SigV4 query authentication."""
    return name.lower().startswith("x-amz-")


def strip_presign_params(url: str) -> str:
    """Remove every ``X-Amz-*`` query parameter from a URL, keeping the others in order.

    Parameters
    ----------
    url
        A URL, presigned or not.

    Returns
    -------
    str
        The URL without query authentication.
    """
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not _is_auth_param(unquote(p.split("=")[0]))]
    return urlunsplit(parts._replace(query="&".join(kept)))


def is_presigned(url: str) -> bool:
    """Whether a URL carries an ``X-Amz-Signature`` query parameter."""
    return any(k.lower() == "x-amz-signature" for k, _ in parse_query(urlsplit(url).query))
