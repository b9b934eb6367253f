"""Deterministic hashing and value noise, identical on grids and on scattered points.

Everything the scene generator draws comes from here: 64-bit keys derived from readable parts
(seed, site, date...) with BLAKE2b (never Python's salted :func:`hash`), an integer hash of lattice
coordinates (SplitMix64 finaliser), and multi-octave value noise.

Value noise is evaluated either on a north-up grid given by its 1-D axes (:meth:`ValueNoise.grid`,
fast: the lattice is interpolated along x once, then rows are gathered) or at scattered points
(:meth:`ValueNoise.points`). Both use only additions, multiplications, ``floor`` and integer
operations on the 2-D arrays, in the same order, so a pixel gets bit-identical values whatever the
window it is rendered in, and the point path agrees with the grid path to the last bit at the
same coordinates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ValueNoise", "derive_key", "hash_unit", "make_rng", "smoothstep"]

FloatArray = NDArray[np.float64]
_U64 = np.uint64
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_PX = _U64(0x9E3779B97F4A7C15)
_PY = _U64(0xC2B2AE3D27D4EB4F)
_S30, _S27, _S31, _S11 = _U64(30), _U64(27), _U64(31), _U64(11)
_TO_UNIT = float(2.0**-53)


def derive_key(*parts: object) -> int:
    """Derive a stable 64-bit key from readable parts.

    Parameters
    ----------
    *parts
        Anything with a stable ``str()``, e.g. ``(seed, "rochefort", "clouds")``.

    Returns
    -------
    int
        An unsigned 64-bit integer, the same on every machine and Python run.
    """
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def make_rng(*parts: object) -> np.random.Generator:
    """Return a numpy Generator seeded from :func:`derive_key` of ``parts``."""
    return np.random.default_rng(derive_key(*parts))


def _mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    with np.errstate(over="ignore"):  # wrap-around multiplication is intended
        z = z ^ (z >> _S30)
        z = z * _MIX1
        z = z ^ (z >> _S27)
        z = z * _MIX2
        return z ^ (z >> _S31)


def hash_unit(ix: NDArray[np.int64], iy: NDArray[np.int64], key: int) -> FloatArray:
    """Hash integer lattice coordinates to floats uniform in ``[0, 1)``.

    Parameters
    ----------
    ix, iy
        Integer coordinates (broadcastable arrays).
    key
        64-bit key choosing the random field.

    Returns
    -------
    numpy.ndarray
        Float64 values in ``[0, 1)``, broadcast shape of ``ix`` and ``iy``.
    """
    with np.errstate(over="ignore"):
        hx = np.asarray(ix, dtype=np.int64).astype(_U64) * _PX
        hy = np.asarray(iy, dtype=np.int64).astype(_U64) * _PY
    z = _mix64(hx ^ _mix64(hy ^ _U64(key & 0xFFFFFFFFFFFFFFFF)))
    return (z >> _S11).astype(np.float64) * _TO_UNIT


def smoothstep(t: FloatArray) -> FloatArray:
    """Cubic smoothstep ``3t² - 2t³`` of ``t`` clipped to ``[0, 1]`` (polynomial only)."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class ValueNoise:
    """Multi-octave value noise in ``[-1, 1]`` on a square lattice, in metres.

    Parameters
    ----------
    key
        64-bit key of the field.
    scale
        Lattice spacing of the first (coarsest) octave, in metres.
    octaves
        Number of octaves; each halves the spacing (times 0.53 to avoid aligned lattices) and the
        amplitude.
    """

    key: int
    scale: float
    octaves: int = 1

    def _octaves(self) -> list[tuple[float, float, int]]:
        out = []
        amp, scale = 1.0, self.scale
        for k in range(self.octaves):
            out.append((scale, amp, derive_key(self.key, "octave", k)))
            amp *= 0.5
            scale *= 0.53
        total = sum(a for _, a, _ in out)
        return [(s, a / total, k) for s, a, k in out]

    def grid(self, xs: FloatArray, ys: FloatArray) -> FloatArray:
        """Evaluate on the grid ``ys[:, None] x xs[None, :]``.

        Parameters
        ----------
        xs, ys
            1-D coordinates of columns and rows (metres, increasing or decreasing).

        Returns
        -------
        numpy.ndarray
            Array of shape ``(len(ys), len(xs))``, bit-identical to :meth:`points` at the same
            coordinates.
        """
        out: FloatArray | None = None
        for scale, amp, key in self._octaves():
            octave = _grid_octave(xs, ys, scale, key)
            out = octave * amp if out is None else out + octave * amp
        assert out is not None
        return out

    def points(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Evaluate at scattered points (broadcastable arrays ``x`` and ``y``).

        Returns
        -------
        numpy.ndarray
            Values with the broadcast shape of ``x`` and ``y``.
        """
        out: FloatArray | None = None
        for scale, amp, key in self._octaves():
            octave = _points_octave(x, y, scale, key)
            out = octave * amp if out is None else out + octave * amp
        assert out is not None
        return out


def _points_octave(x: FloatArray, y: FloatArray, scale: float, key: int) -> FloatArray:
    gx = x / scale
    gy = y / scale
    fx = np.floor(gx)
    fy = np.floor(gy)
    wx = smoothstep(gx - fx)
    wy = smoothstep(gy - fy)
    ix = fx.astype(np.int64)
    iy = fy.astype(np.int64)
    v00 = hash_unit(ix, iy, key) * 2.0 - 1.0
    v01 = hash_unit(ix + 1, iy, key) * 2.0 - 1.0
    v10 = hash_unit(ix, iy + 1, key) * 2.0 - 1.0
    v11 = hash_unit(ix + 1, iy + 1, key) * 2.0 - 1.0
    top = v00 * (1.0 - wx) + v01 * wx
    bottom = v10 * (1.0 - wx) + v11 * wx
    result: FloatArray = top * (1.0 - wy) + bottom * wy
    return result


def _grid_octave(xs: FloatArray, ys: FloatArray, scale: float, key: int) -> FloatArray:
    gx = xs / scale
    gy = ys / scale
    fx = np.floor(gx)
    fy = np.floor(gy)
    ix = fx.astype(np.int64)
    iy = fy.astype(np.int64)
    ix0, iy0 = int(np.min(ix)), int(np.min(iy))
    nlx, nly = int(np.max(ix)) - ix0 + 2, int(np.max(iy)) - iy0 + 2
    if nlx * nly > 4 * len(xs) * len(ys):
        # Sparse (strided) grid: the lattice would dwarf the output; same values point-wise.
        return _points_octave(xs[None, :], ys[:, None], scale, key)
    wx = smoothstep(gx - fx)
    wy = smoothstep(gy - fy)
    lat_x = np.arange(ix0, ix0 + nlx, dtype=np.int64)
    lat_y = np.arange(iy0, iy0 + nly, dtype=np.int64)
    lattice = hash_unit(lat_x[None, :], lat_y[:, None], key) * 2.0 - 1.0
    jx = ix - ix0
    along_x = lattice[:, jx] * (1.0 - wx) + lattice[:, jx + 1] * wx
    jy = iy - iy0
    result: FloatArray = along_x[jy] * (1.0 - wy)[:, None] + along_x[jy + 1] * wy[:, None]
    return result
