"""The arguments of a load, written once: :class:`LoadArguments` (what :func:`~dinamis_widgets.load`,
:func:`~dinamis_widgets.plan` and :func:`~.loading.prepare_load` take besides the items and bands),
:class:`LoadOptions` (the less common settings), and their checks (no IO).

Examples
--------
>>> LoadOptions(resampling="bilinear").use_overviews
True
>>> sorted(LoadArguments.__annotations__)
['aoi', 'band_map', 'chunks', 'crs', 'groupby', 'mask', 'options', 'resolution', 'signer']
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from ..errors import InputError, LoadError, quote
from ..signing.validity import ValidityLike

if TYPE_CHECKING:
    from ..signing.client import Signer
    from .band_names import BandRef
    from .finishing import MaskRequest

__all__ = [
    "COMMON_NAMES",
    "DEFAULT_BANDS",
    "DEFAULT_CHUNK",
    "GROUPBY",
    "RESAMPLING",
    "LoadArguments",
    "LoadOptions",
    "Resolution",
    "check_arguments",
    "check_values",
    "default_chunks",
    "norm_bands",
    "norm_chunks",
    "short_bands_possible",
]

#: Common names of the bands of DINAMIS products (``eo:bands``).
COMMON_NAMES = ("coastal", "blue", "green", "red", "rededge", "nir", "pan")
#: Bands loaded when none are asked.
DEFAULT_BANDS = ("red", "green", "blue", "nir")
#: Default chunk side, in output pixels (a multiple of the 256-pixel tiles of the COGs), where row bands
#: (:func:`default_chunks`) would be too wide.
DEFAULT_CHUNK = 2048
#: Height of the default row bands, in output pixels, where the files' tile height is not known: two tile
#: rows of 256-pixel tiles, one of 512.
ROW_BAND = 512
#: Height of the default row bands over files whose tiles are at most this tall in output pixels (and
#: divide it): half the memory of a :data:`ROW_BAND`, each tile still decoded once.
SHORT_ROW_BAND = 256
#: Most pixels of a default row band: twice those of a DEFAULT_CHUNK square (grids up to 16384 wide).
_CHUNK_PIXELS = 2 * DEFAULT_CHUNK * DEFAULT_CHUNK

Resolution = float | int | tuple[float, float] | Literal["ms", "pan"]

#: Resampling methods (GDAL's, as :class:`rasterio.enums.Resampling` names them).
RESAMPLING = ("nearest", "bilinear", "cubic", "cubic_spline", "lanczos", "average", "mode", "gauss", "max",
              "min", "med", "q1", "q3", "sum", "rms")
#: Groupings odc-stac knows by name (any other name must be a property of the items).
GROUPBY = ("solar_day", "time", "id")


def _check_resampling(value: Any) -> None:
    values = list(value.items()) if isinstance(value, Mapping) else [("", value)]
    for band, name in values:
        if not isinstance(name, str) or name.lower() not in RESAMPLING:
            where = f" for band {band!r}" if band else ""
            raise InputError(f"LoadOptions(resampling=...): unknown resampling {quote(name)}{where}; "
                             f"use one of {', '.join(RESAMPLING)} (or a mapping band -> name, '*' for the "
                             "others).")


def _check_dtype(value: Any) -> None:
    import numpy as np

    values = list(value.items()) if isinstance(value, Mapping) else [("", value)]
    for band, name in values:
        try:
            kind: str = np.dtype(name).kind
        except (TypeError, ValueError):
            kind = ""
        if kind not in ("u", "i", "f") or isinstance(name, bool):
            where = f" for band {band!r}" if band else ""
            raise InputError(f"LoadOptions(dtype=...): {quote(name)}{where} is not a numeric data type; use "
                             "'uint16', 'int16', 'float32' or 'float64' (or a mapping band -> dtype).")


@dataclass(frozen=True)
class LoadOptions:
    """Less common load settings, grouped (:func:`~dinamis_widgets.load`'s ``options``).

    Parameters
    ----------
    resampling
        Resampling (``"nearest"``, ``"bilinear"``, ``"cubic"``, ``"average"``...), or one per band
        (``{"pan": "nearest", "*": "bilinear"}``).
    dtype
        Output dtype (one, or per band); by default the files' (``uint16``).
    nodata
        Nodata value to use instead of the files' (0).
    use_overviews
        Read the COGs' overviews when the output is coarser than the files.
    anchor
        ``"native"`` (default): snap the output grid to the pixels of the first item, so pixels are not
        resampled at native resolution; or any odc-geo anchor (``"edge"``, ``"center"``, ``(fx, fy)``).
    validity
        Validity asked for the signatures made at read time (``"1h"``, seconds...); the signer's default
        when None.
    ship_signer
        Pickle the signer (with its credentials) into the graph so that workers need no configuration, or
        let each worker use its own settings (see :mod:`dinamis_widgets.reading.loading`).
    gdal_options
        GDAL configuration options added to :data:`~dinamis_widgets.reading.gdal_io.DEFAULT_GDAL_OPTIONS`.
    fail_on_error
        Stop at the first failed read (after its retry); False leaves the failed parts empty (nodata) and
        logs a warning.
    check_signable
        Leave out BRUT and Regards items (with a :class:`~dinamis_widgets.NotSignableWarning`;
        :class:`~dinamis_widgets.errors.NotSignableError` when no item is left).
    max_cube_bytes
        Largest cube allowed, in bytes of the output (by default ``DINAMIS_MAX_CUBE_BYTES``, else 50 GB):
        a larger one is refused before the graph is built (:mod:`.guards`).
    rescale
        Apply the scale and offset an item declares (``raster:bands``) or the toolkit knows
        (:data:`~.product_tables.KNOWN_COLLECTIONS`: THEIA's reflectance x 10000): such bands are
        ``float32`` with NaN for nodata. False keeps the files' integers.
    """

    resampling: str | Mapping[str, str] = "nearest"
    dtype: str | Mapping[str, str] | None = None
    nodata: float | None = None
    use_overviews: bool = True
    anchor: Any = "native"
    validity: ValidityLike | None = None
    ship_signer: bool = True
    gdal_options: Mapping[str, str] = field(default_factory=dict)
    fail_on_error: bool = True
    check_signable: bool = True
    rescale: bool = True
    max_cube_bytes: int | None = None

    def __post_init__(self) -> None:
        _check_resampling(self.resampling)
        if self.dtype is not None:
            _check_dtype(self.dtype)
        if self.nodata is not None and (isinstance(self.nodata, bool)
                                        or not isinstance(self.nodata, int | float)):
            raise InputError(f"LoadOptions(nodata=...): {quote(self.nodata)} is not a number; give a number "
                             "such as 0, or float('nan') for float bands, or None for the files' nodata.")
        for name in ("use_overviews", "ship_signer", "fail_on_error", "check_signable", "rescale"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"LoadOptions({name}=...): {quote(getattr(self, name))} is not True or "
                                 "False; give a boolean.")
        if not isinstance(self.gdal_options, Mapping) or not all(
                isinstance(k, str) for k in self.gdal_options):
            raise InputError(f"LoadOptions(gdal_options=...): {quote(self.gdal_options)} is not a mapping of "
                             "GDAL option names to values, e.g. {'GDAL_HTTP_TIMEOUT': '30'}.")
        if self.max_cube_bytes is not None and (isinstance(self.max_cube_bytes, bool) or not isinstance(
                self.max_cube_bytes, int | float) or not self.max_cube_bytes > 0):
            raise InputError(f"LoadOptions(max_cube_bytes=...): {quote(self.max_cube_bytes)} is not a "
                             "positive number of bytes; give e.g. 100_000_000_000 (100 GB), or None for the "
                             "default.")
        if self.validity is not None:
            from ..signing.validity import parse_validity

            parse_validity(self.validity)


class LoadArguments(TypedDict, total=False):
    """Keyword arguments of :func:`~dinamis_widgets.load` after ``items`` and ``bands`` (documented there),
    shared by :func:`~dinamis_widgets.plan` and :func:`~.loading.prepare_load`. Defaults: ``aoi``,
    ``resolution``, ``crs``, ``chunks``, ``signer``, ``band_map``, ``mask`` and ``options`` None,
    ``groupby`` ``"solar_day"``."""

    aoi: Any
    band_map: Mapping[str, BandRef] | None
    mask: MaskRequest | None
    resolution: Resolution | None
    crs: Any
    chunks: int | Mapping[str, int] | None
    groupby: str | Any
    signer: Signer | None
    options: LoadOptions | None


def norm_bands(bands: str | Sequence[str] | None, band_map: Mapping[str, Any] | None = None) -> list[str]:
    """The bands asked, without repeats (the names of ``band_map``, else :data:`DEFAULT_BANDS`, when None).

    Examples
    --------
    >>> norm_bands("red"), norm_bands(["nir", "red", "nir"])
    (['red'], ['nir', 'red'])
    >>> norm_bands(None, {"red": ("src_xs", 1)}), norm_bands(None)
    (['red'], ['red', 'green', 'blue', 'nir'])
    """
    if bands is None:
        return list(band_map) if band_map else list(DEFAULT_BANDS)
    if isinstance(bands, str):
        bands = [bands]
    if isinstance(bands, Mapping):
        raise InputError(f"bands={quote(bands)}: give a list of band names, e.g. bands=['red', 'nir']; to "
                         "say which band of which asset a name means, use band_map={'red': ('src_xs', 1)}.")
    if not isinstance(bands, Sequence | set | frozenset) or not all(isinstance(b, str) and b for b in bands):
        raise InputError(f"bands={quote(bands)}: give a band name or a list of band names, e.g. "
                         f"bands=['red', 'nir'] (common names: {', '.join(COMMON_NAMES)}).")
    out = list(dict.fromkeys(bands))
    if not out:
        raise LoadError(f"No band asked: choose among {', '.join(COMMON_NAMES)}.")
    return out


def default_chunks(height: int, width: int, tile_rows: int | None = None, *, cores: int | None = None,
                   steps: int = 1) -> dict[str, int]:
    """The chunks of a load that names none, for an output grid of ``height`` x ``width`` pixels.

    Bands of whole rows, :data:`ROW_BAND` tall, or :data:`SHORT_ROW_BAND` over files whose tiles are
    ``tile_rows`` tall in output pixels when that divides it (taller for narrow grids, up to a
    :data:`DEFAULT_CHUNK` square's pixels), when a row band holds at most twice a square's pixels;
    :data:`DEFAULT_CHUNK` squares otherwise. A COG stores its tiles row by row, so a row band is one
    contiguous run of the file: one request, each tile decoded once, and nothing shared with the chunks
    beside it, which squares need (they hold the decoded rows a row of squares crosses until all of
    them are made). A whole-scene NDVI mean of the bench scene (256-pixel tiles) peaks at ~270 MB with
    256-row bands, ~350 MB with 512-row ones and 465 MB with squares (docs/decisions/0008). ``x`` is
    ``-1`` (the whole width, whatever the grid odc-stac makes). A grid at most :data:`ROW_BAND` tall is
    one band.

    A cube of fewer chunks than ``cores`` (the machine's, by default) over its ``steps`` time steps is cut
    into more bands, each still a whole number of bands of the height above (a tile row is never split
    between chunks, whatever the number of cores), so that every core decodes: a 60 m NDVI of a SPOT
    scene (1000 x 1000) is two bands on two cores (the tile row at their seam is fetched once,
    :func:`~.ranged_files.cached_range`).

    Examples
    --------
    >>> default_chunks(10000, 10000)  # a SPOT scene, tiles unknown: 20 bands of 512 rows
    {'time': 1, 'y': 512, 'x': -1}
    >>> default_chunks(10000, 10000, tile_rows=256)  # 256-pixel tiles: 40 bands of 256 rows
    {'time': 1, 'y': 256, 'x': -1}
    >>> default_chunks(1333, 1333, cores=1)    # a small area, one core: one chunk
    {'time': 1, 'y': 1333, 'x': -1}
    >>> default_chunks(1333, 1333, cores=2)    # two cores: bands of 512 rows
    {'time': 1, 'y': 512, 'x': -1}
    >>> default_chunks(10000, 10000, cores=64)  # many cores: never below a band of 512
    {'time': 1, 'y': 512, 'x': -1}
    >>> default_chunks(1333, 1333, cores=2, steps=2)    # two dates already make two chunks
    {'time': 1, 'y': 1333, 'x': -1}
    >>> default_chunks(50000, 40000)  # a wide mosaic: squares
    {'time': 1, 'y': 2048, 'x': 2048}
    """
    if width <= 0 or height <= 0 or width * ROW_BAND > _CHUNK_PIXELS:
        return norm_chunks(None)
    unit = SHORT_ROW_BAND if tile_rows and tile_rows > 0 and SHORT_ROW_BAND % tile_rows == 0 else ROW_BAND
    rows = max(unit, DEFAULT_CHUNK * DEFAULT_CHUNK // width // unit * unit)
    rows = height if height <= ROW_BAND else min(rows, height)
    cores = cores if cores is not None else (os.cpu_count() or 1)
    wanted = min(-(-cores // max(1, steps)), height // SHORT_ROW_BAND)
    if -(-height // rows) < wanted:
        rows = max(unit, -(-height // wanted) // unit * unit)
    return {"time": 1, "y": rows, "x": -1}


def short_bands_possible(height: int, width: int) -> bool:
    """Whether :func:`default_chunks` could cut this grid into :data:`SHORT_ROW_BAND` bands (so knowing the
    files' tile height matters).

    Examples
    --------
    >>> [short_bands_possible(*grid) for grid in [(10000, 10000), (400, 10000), (10000, 1000)]]
    [True, False, False]
    """
    if height <= ROW_BAND:
        return False
    wide = default_chunks(height, width, cores=1)  # the bands' own height, before any split per core
    return wide["x"] == -1 and default_chunks(height, width, SHORT_ROW_BAND, cores=1)["y"] < wide["y"]


def norm_chunks(chunks: int | Mapping[str, int] | None) -> dict[str, int]:
    """Chunks for odc-stac: one time step per chunk, :data:`DEFAULT_CHUNK` pixels by default.

    Examples
    --------
    >>> norm_chunks(512)
    {'time': 1, 'y': 512, 'x': 512}
    """
    hint = (f"give a chunk side in pixels (e.g. chunks=512; default {DEFAULT_CHUNK}), or a mapping such as "
            "{'x': 1024, 'y': 1024, 'time': 1} (-1 for one chunk along a dimension)")
    if chunks is None:
        return {"time": 1, "y": DEFAULT_CHUNK, "x": DEFAULT_CHUNK}
    if isinstance(chunks, int) and not isinstance(chunks, bool):
        if chunks <= 0:
            raise LoadError(f"chunks={quote(chunks)} must be positive: {hint}.")
        return {"time": 1, "y": chunks, "x": chunks}
    if not isinstance(chunks, Mapping) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in chunks.values()):
        raise InputError(f"chunks={quote(chunks)}: {hint}.")
    unknown = sorted(str(k) for k in chunks if str(k) not in ("x", "y", "time", "band"))
    if unknown:
        raise InputError(f"chunks={quote(chunks)} names {', '.join(map(repr, unknown))}: {hint}.")
    out = {"time": 1, **{str(k): int(v) for k, v in chunks.items()}}
    if any(v <= 0 and v != -1 for v in out.values()):
        raise LoadError(f"chunks must be positive (or -1 for one chunk), not {quote(dict(chunks))}: {hint}.")
    return out


def _check_resolution(value: Any) -> None:
    hint = ("give a pixel size in CRS units (metres for UTM and Lambert-93), e.g. resolution=10, a pair "
            "(10, -10), or 'ms' / 'pan' for the native multispectral or panchromatic one")
    if value is None:
        return
    if isinstance(value, str):
        if value.lower() not in ("ms", "pan"):
            raise LoadError(f"resolution={quote(value)}: {hint}.")
        return
    numbers = list(value) if isinstance(value, Sequence) else [value]
    if not (1 <= len(numbers) <= 2) or (isinstance(value, Sequence) and len(numbers) != 2):
        raise LoadError(f"resolution={quote(value)} has {len(numbers)} value(s): {hint}.")
    for v in numbers:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v == 0:
            raise LoadError(f"resolution={quote(value)}: {hint}.")
        if not isinstance(value, Sequence) and v < 0:
            raise LoadError(f"resolution must be positive, not {quote(value)}: {hint}.")


def _check_crs(value: Any) -> None:
    if value is None:
        return
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError) as exc:
        raise InputError(f"crs={quote(value)} is not a CRS pyproj knows ({str(exc)[:100]}): give an EPSG "
                         "code such as 'EPSG:32631' (UTM 31N) or 'EPSG:2154' (Lambert-93), or None for the "
                         "items' own.") from None


def _check_groupby(value: Any, items: Sequence[Any]) -> None:
    if callable(value) or value in GROUPBY:
        return
    if isinstance(value, str) and value and items and all(value in it.properties for it in items):
        return
    raise InputError(f"groupby={quote(value)}: use {', '.join(map(repr, GROUPBY))}, a property every item "
                     "has (e.g. 'platform'), or a function of (item, parsed item, index).")


def check_values(arguments: Mapping[str, Any], items: Sequence[Any] = ()) -> None:
    """Refuse values of a load's keyword arguments that cannot work (before any IO), saying what to give.

    Examples
    --------
    >>> check_values({"resolution": (10,)})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dinamis_widgets.errors.LoadError: resolution=(10,) has 1 value(s): give a pixel size in CRS units ...
    """
    _check_resolution(arguments.get("resolution"))
    _check_crs(arguments.get("crs"))
    norm_chunks(arguments.get("chunks"))
    if "groupby" in arguments and arguments["groupby"] is not None:
        _check_groupby(arguments["groupby"], items)
    options = arguments.get("options")
    if options is not None and not isinstance(options, LoadOptions):
        raise InputError(f"options={quote(options)}: give a LoadOptions, e.g. "
                         "options=dw.LoadOptions(resampling='bilinear').")


def check_arguments(arguments: Mapping[str, Any]) -> None:
    """Refuse keyword arguments that are not :class:`LoadArguments` (a typo would be ignored otherwise).

    Examples
    --------
    >>> check_arguments({"aoi": None, "chunk": 512})
    Traceback (most recent call last):
    ...
    dinamis_widgets.errors.InputError: unexpected keyword argument(s) 'chunk'; a load takes aoi, band_map, \
chunks, crs, groupby, mask, options, resolution, signer
    """
    unknown = sorted(set(arguments) - set(LoadArguments.__annotations__))
    if unknown:
        raise InputError(f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}; a load takes "
                        f"{', '.join(sorted(LoadArguments.__annotations__))}")
