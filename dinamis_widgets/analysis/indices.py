"""Spectral indices of a loaded cube: lazy, float32, NaN where data is missing.

Each index takes the Dataset of :func:`dinamis_widgets.load` (bands by common name) and returns a lazy
``float32`` DataArray that keeps the load's provenance attributes (``dinamis_*``) and CRS.
Pixels equal to a band's ``nodata`` (its ``attrs["nodata"]``, 0 for DINAMIS
products) or NaN give NaN, and so do zero denominators, without any ``RuntimeWarning``.

Formulas (bands as loaded, DNs or reflectances):

- NDVI = (nir - red) / (nir + red)
- NDWI (McFeeters 1996) = (green - nir) / (green + nir)
- SAVI = (1 + L) (nir - red) / (nir + red + L), on reflectances in [0, 1] (``scale`` turns DNs into
  reflectances; L = 0.5 by default)

Examples
--------
>>> import numpy as np, xarray as xr
>>> ds = xr.Dataset({"red": ("x", np.array([100, 0, 0], "uint16")),
...                  "nir": ("x", np.array([300, 5, 0], "uint16"))})
>>> ds["red"].attrs["nodata"] = 0
>>> ndvi(ds).values
array([0.5, nan, nan], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError, MissingBandError, quote

__all__ = ["ndvi", "ndwi", "normalized_difference", "savi"]


def _band(ds: xr.Dataset, name: str, index: str) -> xr.DataArray:
    if not isinstance(ds, xr.Dataset):
        hint = (" Turn a DataArray of bands into one with .to_dataset(dim='band')."
                if isinstance(ds, xr.DataArray) else "")
        raise InputError(f"{index} needs a cube (an xarray Dataset with bands as variables), not a "
                         f"{type(ds).__name__} ({quote(ds)}): give what dw.load(items, bands=[...]) "
                         f"returns.{hint}")
    if not isinstance(name, str) or not name:
        raise InputError(f"{index}: the band name {quote(name)} is not a band name: give the name of a "
                         f"variable of the cube ({', '.join(map(str, ds.data_vars)) or 'none'}).")
    if name not in ds.data_vars:
        have = ", ".join(map(str, ds.data_vars)) or "none"
        raise MissingBandError(f"{index} needs the band {name!r}; the dataset has: {have}. "
                       f"Load it: dw.load(items, bands=[..., {name!r}]).")
    return ds[name]


def _as_float(values: np.ndarray, nodata: Any) -> np.ndarray:
    out = values.astype(np.float32, copy=True)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        out[values == nodata] = np.nan
    return out


def _provenance(ds: xr.Dataset) -> dict[str, Any]:
    """The load's provenance attributes (``dinamis_*``, ``pansharpening``), carried to the index."""
    return {k: v for k, v in ds.attrs.items() if k.startswith("dinamis_") or k == "pansharpening"}


def _apply(kernel: Callable[..., np.ndarray], bands: list[xr.DataArray], name: str,
           attrs: dict[str, Any], **kwargs: Any) -> xr.DataArray:
    nodatas = [b.attrs.get("nodata") for b in bands]

    def wrapped(*arrays: np.ndarray) -> np.ndarray:
        return _by_row_blocks(kernel, [np.asarray(a) for a in arrays], nodatas, kwargs)

    out = xr.apply_ufunc(wrapped, *bands, dask="parallelized", output_dtypes=[np.float32],
                         keep_attrs=False)
    out.name = name
    out.attrs = {**attrs, "units": "1"}
    for cname, coord in bands[0].coords.items():  # apply_ufunc drops coordinate attributes (the CRS)
        if cname in out.coords and coord.attrs and not out.coords[cname].attrs:
            out.coords[cname].attrs.update(coord.attrs)
    grid_mapping = bands[0].encoding.get("grid_mapping")
    if grid_mapping:
        out.encoding["grid_mapping"] = grid_mapping
    return out


#: Elements of a row block (about 2 MB of float32): the kernels run a block of rows at a time.
_BLOCK = 1 << 19


def _by_row_blocks(kernel: Callable[..., np.ndarray], arrays: list[np.ndarray], nodatas: list[Any],
                   kwargs: dict[str, Any]) -> np.ndarray:
    """``kernel`` of the bands as float32 (nodata as NaN), one block of rows at a time.

    The indices are per pixel, so a chunk's result is the only chunk-sized array made: the float copies
    of the bands and the kernel's temporaries are those of a block (a 512 x 10000 chunk of two bands:
    20 MB at its peak instead of 40 MB, with each of the scheduler's threads holding one). Arrays that do
    not share one shape (broadcasting) are computed whole.
    """
    shape = arrays[0].shape
    with np.errstate(divide="ignore", invalid="ignore"):
        if not shape or any(a.shape != shape for a in arrays):
            floats = [_as_float(a, nd) for a, nd in zip(arrays, nodatas, strict=True)]
            return np.asarray(kernel(*floats, **kwargs), dtype=np.float32)
        out = np.empty(shape, np.float32)
        out_rows = out.reshape(-1, shape[-1])
        rows = [np.ascontiguousarray(a).reshape(-1, shape[-1]) for a in arrays]
        step = max(1, _BLOCK // max(1, shape[-1]))
        for start in range(0, out_rows.shape[0], step):
            block = slice(start, start + step)
            floats = [_as_float(r[block], nd) for r, nd in zip(rows, nodatas, strict=True)]
            out_rows[block] = kernel(*floats, **kwargs)
    return out


def _nd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(a - b) / (a + b)``, NaN where ``a + b == 0``; ``a`` (a float copy of the kernel's own) is
    overwritten with the result."""
    den = a + b
    np.subtract(a, b, out=a)
    np.divide(a, den, out=a)
    a[den == 0] = np.nan
    return a


def normalized_difference(ds: xr.Dataset, a: str, b: str, *, name: str | None = None) -> xr.DataArray:
    """``(a - b) / (a + b)`` of two bands, lazily, as float32.

    Parameters
    ----------
    ds
        A cube with bands ``a`` and ``b``.
    a, b
        Band names (common names).
    name
        Name of the result (default ``"nd_<a>_<b>"``).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"nir": ("x", np.array([3.0])), "swir": ("x", np.array([1.0]))})
    >>> float(normalized_difference(ds, "nir", "swir")[0])
    0.5
    """
    label = name or f"nd_{a}_{b}"
    return _apply(_nd, [_band(ds, a, label), _band(ds, b, label)], label,
                  {"long_name": f"normalized difference ({a} - {b}) / ({a} + {b})", **_provenance(ds)})


def ndvi(ds: xr.Dataset) -> xr.DataArray:
    """Normalized Difference Vegetation Index, ``(nir - red) / (nir + red)`` (lazy, float32).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"red": ("x", np.array([1, 1], "uint16")), "nir": ("x", np.array([3, 0], "uint16"))})
    >>> ndvi(ds).values.tolist()
    [0.5, -1.0]
    """
    return _apply(_nd, [_band(ds, "nir", "NDVI"), _band(ds, "red", "NDVI")], "ndvi",
                  {"long_name": "NDVI (nir - red) / (nir + red)", **_provenance(ds)})


def ndwi(ds: xr.Dataset) -> xr.DataArray:
    """Normalized Difference Water Index of McFeeters (1996), ``(green - nir) / (green + nir)``.

    Positive over open water, negative over vegetation and soil.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"green": ("x", np.array([300.0])), "nir": ("x", np.array([100.0]))})
    >>> float(ndwi(ds)[0])
    0.5
    """
    return _apply(_nd, [_band(ds, "green", "NDWI"), _band(ds, "nir", "NDWI")], "ndwi",
                  {"long_name": "NDWI (McFeeters) (green - nir) / (green + nir)", **_provenance(ds)})


def savi(ds: xr.Dataset, *, L: float = 0.5, scale: float = 1.0) -> xr.DataArray:  # noqa: N803
    """Soil Adjusted Vegetation Index, ``(1 + L) (nir - red) / (nir + red + L)``.

    Parameters
    ----------
    ds
        A cube with ``red`` and ``nir``.
    L
        Soil brightness correction (0.5 for intermediate vegetation cover).
    scale
        Factor turning the bands into reflectances in [0, 1] (e.g. ``1e-4`` for reflectances stored
        as integers times 10000). SAVI is meaningless on raw DNs.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"red": ("x", np.array([0.1])), "nir": ("x", np.array([0.5]))})
    >>> round(float(savi(ds)[0]), 4)
    0.5455
    """

    def kernel(nir: np.ndarray, red: np.ndarray) -> np.ndarray:
        nir, red = nir * scale, red * scale
        den = nir + red + L
        res = (1.0 + L) * (nir - red) / den
        res[den == 0] = np.nan
        return res

    return _apply(kernel, [_band(ds, "nir", "SAVI"), _band(ds, "red", "SAVI")], "savi",
                  {"long_name": f"SAVI (1 + L)(nir - red) / (nir + red + L), L = {L}", **_provenance(ds)})
