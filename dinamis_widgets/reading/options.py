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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from ..errors import LoadError
from ..signing.validity import ValidityLike

if TYPE_CHECKING:
    from ..signing.client import Signer
    from .band_names import BandRef
    from .finishing import MaskRequest

__all__ = [
    "COMMON_NAMES",
    "DEFAULT_BANDS",
    "DEFAULT_CHUNK",
    "LoadArguments",
    "LoadOptions",
    "Resolution",
    "check_arguments",
    "norm_bands",
    "norm_chunks",
]

#: Common names of the bands of DINAMIS products (``eo:bands``).
COMMON_NAMES = ("coastal", "blue", "green", "red", "rededge", "nir", "pan")
#: Bands loaded when none are asked.
DEFAULT_BANDS = ("red", "green", "blue", "nir")
#: Default chunk side, in output pixels (a multiple of the 256-pixel tiles of the COGs).
DEFAULT_CHUNK = 2048

Resolution = float | int | tuple[float, float] | Literal["ms", "pan"]


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
    out = list(dict.fromkeys(bands))
    if not out:
        raise LoadError(f"No band asked: choose among {', '.join(COMMON_NAMES)}.")
    return out


def norm_chunks(chunks: int | Mapping[str, int] | None) -> dict[str, int]:
    """Chunks for odc-stac: one time step per chunk, :data:`DEFAULT_CHUNK` pixels by default.

    Examples
    --------
    >>> norm_chunks(512)
    {'time': 1, 'y': 512, 'x': 512}
    """
    if chunks is None:
        return {"time": 1, "y": DEFAULT_CHUNK, "x": DEFAULT_CHUNK}
    if isinstance(chunks, int):
        return {"time": 1, "y": chunks, "x": chunks}
    out = {"time": 1, **{str(k): int(v) for k, v in chunks.items()}}
    if any(v <= 0 and v != -1 for v in out.values()):
        raise LoadError(f"chunks must be positive (or -1 for one chunk), not {dict(chunks)!r}")
    return out


def check_arguments(arguments: Mapping[str, Any]) -> None:
    """Refuse keyword arguments that are not :class:`LoadArguments` (a typo would be ignored otherwise).

    Examples
    --------
    >>> check_arguments({"aoi": None, "chunk": 512})
    Traceback (most recent call last):
    ...
    TypeError: unexpected keyword argument(s) 'chunk'; a load takes aoi, band_map, chunks, crs, groupby, \
mask, options, resolution, signer
    """
    unknown = sorted(set(arguments) - set(LoadArguments.__annotations__))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}; a load takes "
                        f"{', '.join(sorted(LoadArguments.__annotations__))}")
