"""Byte counts as people read them, in binary units: one formatter for the load's plan, its guards and the
download progress.

Examples
--------
>>> format_bytes(208834), format_bytes(512), format_bytes(52_000_000_000)
('203.9 KB', '512 B', '48.4 GB')
"""

from __future__ import annotations

__all__ = ["format_bytes"]


def format_bytes(n: float) -> str:
    """A byte count with a binary unit (1 KB = 1024 B), one decimal above bytes, GB at most."""
    for unit in ("B", "KB", "MB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
