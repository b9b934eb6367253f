"""Guards against absurd loads, checked before odc-stac builds the dask graph (no IO).

:func:`check_extent` estimates the output grid (:func:`odc.stac.output_geobox`), the cube's size
(pixels x bands x time steps x bytes per pixel) and its chunks, and refuses with a
:class:`~dinamis_widgets.errors.CubeTooLargeError` giving these figures when:

- the resolution looks like degrees on a CRS in metres (``resolution=0.0001``: a 0.1 mm pixel);
- the items lie in several UTM zones and no ``crs`` was given (odc-stac would pick one zone and stretch a
  grid over all the items: a cube of tens of GB without a word);
- the cube would be larger than :data:`MAX_CUBE_BYTES` (``DINAMIS_MAX_CUBE_BYTES`` or
  ``LoadOptions(max_cube_bytes=...)``), or have more chunks than :data:`MAX_CHUNKS`.
Sizes are written by :func:`~dinamis_widgets.reading.sizes.format_bytes` (binary units).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import CubeTooLargeError, InputError
from .options import DEFAULT_CHUNK, default_chunks
from .sizes import format_bytes

__all__ = ["MAX_CHUNKS", "MAX_CUBE_BYTES", "CubeEstimate", "check_extent", "max_cube_bytes"]

#: Default largest cube, in bytes of the output (the env var ``DINAMIS_MAX_CUBE_BYTES`` overrides it).
MAX_CUBE_BYTES = 50_000_000_000
#: Largest number of output chunks (all bands and time steps): more makes a graph dask cannot schedule.
MAX_CHUNKS = 1_000_000
#: Smallest pixel, in metres, taken as meant: below it the resolution was surely typed in degrees.
MIN_METRIC_PIXEL = 0.05
_ENV = "DINAMIS_MAX_CUBE_BYTES"
_METRES_PER_DEGREE = 111_320.0


def max_cube_bytes(option: int | None = None) -> int:
    """The size limit: ``option`` (``LoadOptions(max_cube_bytes=...)``), else ``DINAMIS_MAX_CUBE_BYTES``,
    else :data:`MAX_CUBE_BYTES`."""
    if option is not None:
        return int(option)
    text = os.environ.get(_ENV, "").strip()
    if not text:
        return MAX_CUBE_BYTES
    try:
        value = int(float(text))
    except ValueError:
        raise InputError(f"{_ENV}={text[:40]!r} is not a number of bytes: set it to e.g. 100000000000 "
                         "(100 GB), or unset it.") from None
    if value <= 0:
        raise InputError(f"{_ENV}={text[:40]!r} must be positive: set it to e.g. 100000000000, or unset it.")
    return value


@dataclass(frozen=True)
class CubeEstimate:
    """The figures of a load's plan known before the graph: grid, time steps, bytes and chunks."""

    crs: str
    shape: tuple[int, int, int]
    resolution: float
    bands: int
    itemsize: int
    chunks: int

    @property
    def bytes(self) -> int:
        t, ny, nx = self.shape
        return t * ny * nx * self.bands * self.itemsize

    def describe(self) -> str:
        t, ny, nx = self.shape
        return (f"plan: {ny} x {nx} pixels of {self.resolution:g} in {self.crs}, {t} time step(s), "
                f"{self.bands} band(s) -> {format_bytes(self.bytes)}, {self.chunks} chunk(s)")


def _time_steps(parsed: Sequence[Any], groupby: Any) -> int:
    if groupby == "solar_day":
        return len({p.solar_date for p in parsed}) or 1
    if groupby == "time":
        return len({p.nominal_datetime for p in parsed}) or 1
    return len(parsed) or 1


def _zones(parsed: Sequence[Any], bands: Sequence[str]) -> list[str]:
    zones = set()
    for p in parsed:
        try:
            crs = p.crs(list(bands))
        except Exception:  # a band missing in an item: odc-stac says so when it builds the graph
            crs = None
        epsg = getattr(crs, "epsg", None) if crs is not None else None
        if epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
            zones.add(f"{epsg % 100}{'N' if epsg < 32700 else 'S'} (EPSG:{epsg})")
    return sorted(zones)


def check_extent(parsed: Sequence[Any], bands: Sequence[str], kwargs: Mapping[str, Any], *,
                 limit: int | None = None) -> CubeEstimate | None:
    """Estimate the cube a load will build and refuse an absurd one (see the module). None when odc-stac
    cannot tell the grid yet (it will say why when it builds the graph)."""
    import numpy as np
    import odc.stac

    zones = _zones(parsed, bands) if kwargs.get("crs") is None else []
    options = {k: kwargs[k] for k in ("crs", "resolution", "anchor", "geopolygon")
               if kwargs.get(k) is not None}
    try:
        geobox = odc.stac.output_geobox(list(parsed), list(bands), **options)
    except ValueError:
        return None
    if geobox is None:
        return None
    res = abs(float(geobox.resolution.x))
    units = geobox.crs.units if geobox.crs is not None else ()
    epsg = geobox.crs.epsg if geobox.crs is not None else None
    crs_text = f"EPSG:{epsg}" if epsg else str(geobox.crs)
    ny, nx = (int(v) for v in geobox.shape.yx)
    dtype = kwargs.get("dtype")
    dtypes = list(dtype.values()) if isinstance(dtype, Mapping) else [dtype or "uint16"]
    itemsize = max(np.dtype(d).itemsize for d in dtypes)
    chunks = kwargs.get("chunks") or default_chunks(ny, nx)
    steps = _time_steps(parsed, kwargs.get("groupby", "solar_day"))
    cy, cx = (chunks.get(k, DEFAULT_CHUNK) for k in ("y", "x"))
    n_chunks = (math.ceil(ny / (cy if cy > 0 else ny or 1)) * math.ceil(nx / (cx if cx > 0 else nx or 1))
                * steps * len(bands))
    estimate = CubeEstimate(crs_text, (steps, ny, nx), res, len(bands), itemsize, n_chunks)
    if len(zones) > 1:
        first = zones[0].split("EPSG:")[1].rstrip(")")
        raise CubeTooLargeError(
            f"The {len(parsed)} items lie in {len(zones)} UTM zones ({', '.join(zones)}) and no crs was "
            "given: one grid over all of them would be large and mostly empty "
            f"({estimate.describe()}). Pass crs=... (e.g. crs='EPSG:{first}', or 'EPSG:2154' for mainland "
            "France) and an aoi, or load each zone's items apart.")
    if units and units[0] in ("metre", "m", "meter") and res < MIN_METRIC_PIXEL:
        raise CubeTooLargeError(
            f"resolution={res:g} looks like degrees, but the output CRS {crs_text} is in metres ({res:g} m "
            f"is a {res * 1000:g} mm pixel). Give the resolution in metres, e.g. resolution="
            f"{max(1, round(res * _METRES_PER_DEGREE)):g} (about {res:g} degree), or 'ms' / 'pan' for the "
            f"native one. ({estimate.describe()})")
    allowed = max_cube_bytes(limit)
    if estimate.bytes > allowed:
        raise CubeTooLargeError(
            f"The cube would hold {format_bytes(estimate.bytes)}, above the limit of {format_bytes(allowed)} "
            f"({estimate.describe()}). Load a smaller area (aoi=...), fewer dates or bands, or a coarser "
            "resolution; check the plan with dw.plan(...). If you really mean it, raise the limit: "
            f"LoadOptions(max_cube_bytes=...) or the environment variable {_ENV}.")
    if n_chunks > MAX_CHUNKS:
        raise CubeTooLargeError(
            f"The cube would have {n_chunks} chunks, more than dask can schedule well ({MAX_CHUNKS}) "
            f"({estimate.describe()}). Use larger chunks (chunks=2048 or more), a smaller area, or fewer "
            "dates.")
    return estimate
