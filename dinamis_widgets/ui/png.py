"""PNG images built in the kernel: encoder, colour ramps, ``data:`` URLs and legends.

Map overlays and plots are sent to the browser as ``data:`` URLs, so they work where the browser cannot
reach the kernel's machine (Binder, Voilà, JupyterHub). No plotting library is needed: the encoder is
:mod:`zlib` and :mod:`struct` over NumPy arrays.

Examples
--------
>>> import numpy as np
>>> png = encode_png(np.zeros((2, 3, 4), dtype=np.uint8))
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> data_url(png)[:22]
'data:image/png;base64,'
"""

from __future__ import annotations

import base64
import html
import struct
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["NDVI_RAMP", "colorize", "data_url", "encode_png", "legend_html", "shrink"]

#: NDVI colour ramp: (value, (r, g, b)) stops, from water and bare soil to dense vegetation.
NDVI_RAMP: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (-1.0, (33, 102, 172)),
    (-0.2, (146, 197, 222)),
    (0.0, (191, 129, 45)),
    (0.2, (246, 232, 195)),
    (0.4, (199, 234, 125)),
    (0.6, (90, 180, 70)),
    (1.0, (0, 104, 55)),
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(rgba: NDArray[np.uint8], level: int = 6) -> bytes:
    """Encode an image as PNG.

    Parameters
    ----------
    rgba
        ``uint8`` array ``(height, width, 4)`` (RGBA), ``(height, width, 3)`` (RGB) or ``(height, width)``
        (grey).
    level
        zlib compression level.

    Returns
    -------
    bytes
        The PNG file.
    """
    array = np.ascontiguousarray(rgba, dtype=np.uint8)
    if array.ndim == 2:
        color_type, channels = 0, 1
        array = array[:, :, None]
    elif array.ndim == 3 and array.shape[2] in (3, 4):
        channels = array.shape[2]
        color_type = 6 if channels == 4 else 2
    else:
        raise ValueError(f"Cannot encode an array of shape {array.shape} as PNG: (h, w), (h, w, 3) "
                         "or (h, w, 4).")
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise ValueError("Cannot encode an empty image as PNG.")
    raw = np.empty((height, 1 + width * channels), dtype=np.uint8)
    raw[:, 0] = 0  # filter "None" on every row
    raw[:, 1:] = array.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + _chunk(b"IEND", b""))


def data_url(data: bytes, mime: str = "image/png") -> str:
    """A ``data:`` URL holding ``data`` (base64)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def colorize(values: NDArray[np.floating], ramp: Sequence[tuple[float, tuple[int, int, int]]] = NDVI_RAMP,
             alpha: int = 255) -> NDArray[np.uint8]:
    """Colour a 2-D array with a ramp; NaN pixels are transparent.

    Parameters
    ----------
    values
        2-D floats.
    ramp
        ``(value, (r, g, b))`` stops in increasing value order; values outside are clamped.
    alpha
        Opacity of valid pixels (0-255).

    Returns
    -------
    numpy.ndarray
        ``uint8`` RGBA ``(height, width, 4)``.

    Examples
    --------
    >>> colorize(np.array([[np.nan, 1.0]]))[0, :, 3].tolist()
    [0, 255]
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"colorize needs a 2-D array, not shape {v.shape}.")
    stops = np.array([s for s, _ in ramp], dtype=np.float64)
    colours = np.array([c for _, c in ramp], dtype=np.float64)
    valid = np.isfinite(v)
    clamped = np.clip(np.where(valid, v, stops[0]), stops[0], stops[-1])
    out = np.zeros((*v.shape, 4), dtype=np.uint8)
    for channel in range(3):
        out[..., channel] = np.interp(clamped, stops, colours[:, channel]).round().astype(np.uint8)
    out[..., 3] = np.where(valid, alpha, 0).astype(np.uint8)
    return out


def shrink(values: NDArray[np.floating], max_side: int = 512) -> NDArray[np.floating]:
    """Subsample a 2-D array so that its longest side is at most ``max_side`` (nearest pixels)."""
    v = np.asarray(values)
    step = max(1, int(np.ceil(max(v.shape[:2]) / max_side)))
    return v[::step, ::step]


def legend_html(title: str, ramp: Sequence[tuple[float, tuple[int, int, int]]] = NDVI_RAMP,
                ticks: Sequence[float] = (-1.0, -0.5, 0.0, 0.5, 1.0)) -> str:
    """HTML of a colour bar with ``ticks`` (for a map legend or next to a plot)."""
    lo, hi = ramp[0][0], ramp[-1][0]
    stops = ", ".join(f"rgb{c} {100 * (s - lo) / (hi - lo):.1f}%" for s, c in ramp)
    labels = "".join(
        f"<span style='position:absolute;left:{100 * (tick - lo) / (hi - lo):.1f}%;"
        f"transform:translateX(-50%)'>{tick:g}</span>" for tick in ticks)
    return (f"<div style='padding:4px 10px;font-size:11px;min-width:170px'>"
            f"<div style='font-weight:bold;margin-bottom:2px'>{html.escape(title)}</div>"
            f"<div style='height:10px;background:linear-gradient(to right, {stops});"
            f"border:1px solid #888'></div>"
            f"<div style='position:relative;height:14px'>{labels}</div></div>")
