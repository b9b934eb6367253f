"""Faults the object store injects on demand: what they are, and their JSON form.

The store applies them to object requests (see :mod:`.app`): latency, ``5xx`` answers, connection
resets, truncated bodies and a bandwidth throttle; to the next ``count`` matching requests, to every one,
or to a fraction of them (``probability``), drawn reproducibly from ``seed``.

A fault with a probability decides for each request from a hash of its seed, its kind, the request's
path and ``Range`` and how many times that same request came before: the decisions do not depend on the
order in which concurrent requests arrive, so a computation meets the same faults run after run, and the
retry of a failed request gets a draw of its own.

Examples
--------
>>> fault = Fault.from_dict({"kind": "error", "status": 503, "count": 2, "match": "SCENE1"})
>>> fault.terminal, fault.to_dict()["kind"]
(True, 'error')
>>> Fault(kind="truncate", after_bytes=100).terminal
False
>>> sometimes = Fault(kind="error", status=503, probability=0.1, seed=7)
>>> hits = [sometimes.draws("/b/a.tif", "bytes=0-99", n) for n in range(1000)]
>>> 50 < sum(hits) < 150, hits == [sometimes.draws("/b/a.tif", "bytes=0-99", n) for n in range(1000)]
(True, True)
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["Fault", "FaultKind"]


class FaultKind(enum.StrEnum):
    """Kinds of faults the store can inject."""

    LATENCY = "latency"
    ERROR = "error"
    RESET = "reset"
    TRUNCATE = "truncate"
    THROTTLE = "throttle"


@dataclass
class Fault:
    """One fault to inject in the responses of the store.

    Parameters
    ----------
    kind
        ``latency`` (wait ``seconds`` before answering), ``error`` (answer ``status`` with an S3
        error document and ``Retry-After``), ``reset`` (reset the TCP connection: before answering
        when ``after_bytes`` is None, else after the headers and ``after_bytes`` body bytes),
        ``truncate`` (declare the full ``Content-Length``, send ``after_bytes`` body bytes, or half
        the body when None, then close the connection), ``throttle`` (send the body at ``rate``
        bytes per second).
    match
        Substring of the request path the fault applies to; empty matches every object request.
    count
        How many matching requests the fault applies to; None for every one until cleared.
    skip
        Matching requests let through before the fault starts applying (the first ``skip``).
    seconds
        Latency added, for ``latency``.
    status, retry_after
        Status code and ``Retry-After`` header (seconds, None for none), for ``error``.
    after_bytes
        Body bytes sent before a ``reset`` or ``truncate``.
    rate
        Bytes per second, for ``throttle``.
    probability
        Fraction of the matching requests the fault applies to (1: every one), decided by :meth:`draws`.
    seed
        Seed of those decisions: the same seed gives the same faults to the same requests.
    """

    kind: FaultKind | str
    match: str = ""
    count: int | None = None
    skip: int = 0
    seconds: float = 0.0
    status: int = 503
    retry_after: int | None = 1
    after_bytes: int | None = None
    rate: float = 0.0
    probability: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or None for every request)")
        if self.kind is FaultKind.ERROR and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.kind is FaultKind.THROTTLE and self.rate <= 0:
            raise ValueError("rate must be a positive number of bytes per second")
        if self.skip < 0:
            raise ValueError("skip must not be negative")
        if self.seconds < 0 or (self.after_bytes is not None and self.after_bytes < 0):
            raise ValueError("seconds and after_bytes must not be negative")
        if not 0.0 < self.probability <= 1.0:
            raise ValueError("probability must be in (0, 1]: the fraction of matching requests faulted")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from its JSON form (the keys are the parameters)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of the fault."""
        data = asdict(self)
        data["kind"] = str(self.kind)
        return data

    def draws(self, path: str, range_header: str, n: int) -> bool:
        """Whether the fault applies to the ``n``-th (0-based) request of ``path`` with ``range_header``.

        Always true with ``probability=1``; otherwise true for that fraction of requests, from a hash of
        the seed, the kind, the request and ``n`` (no shared random state, so thread order does not matter).
        """
        if self.probability >= 1.0:
            return True
        key = f"{self.seed}|{self.kind}|{path}|{range_header}|{n}".encode()
        value = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64
        return value < self.probability

    @property
    def terminal(self) -> bool:
        """Whether the fault answers in place of the store (error, reset before the answer)."""
        return self.kind is FaultKind.ERROR or (
            self.kind is FaultKind.RESET and self.after_bytes is None
        )
