"""Pan-sharpening: multispectral bands sharpened to the panchromatic grid, lazily.

Load the multispectral bands and ``pan`` on the panchromatic grid (the MS bands are resampled to it
while reading), then sharpen::

    ds = dw.load(items, bands=["red", "green", "blue", "nir", "pan"], resolution="pan",
                 options=dw.LoadOptions(resampling={"pan": "nearest", "*": "bilinear"}))
    sharp = dw.pansharpen(ds)                 # lazy float32 cube at PAN resolution
    ndvi = dw.ndvi(sharp)                     # NDVI streamed at PAN resolution

Methods (component substitution; ``I`` is the intensity, a weighted mean of the MS bands
``I = sum(w_k MS_k) / sum(w_k)``, ``P`` the panchromatic band):

``"brovey"`` (default)
    ``MS'_k = MS_k * P / I``. Every band of a pixel is multiplied by the same factor, so **band ratios are
    preserved**: the NDVI (or any normalized difference) of the sharpened cube equals the NDVI of the
    resampled MS bands, with the spatial detail of PAN in the bands themselves.
``"gihs"`` (generalized IHS, "fast IHS", Tu et al. 2001)
    ``MS'_k = MS_k + (P - I)``. Adds the same detail to each band; keeps the radiometry of the bands better
    than Brovey when ``P`` and ``I`` are on the same scale, but changes band ratios (NDVI is not preserved).

Nodata (a band's ``attrs["nodata"]``, 0 for DINAMIS products) and ``I == 0`` give NaN. The result is
``float32`` in the unit of the inputs (DNs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import xarray as xr

from ..errors import InputError, MissingBandError, quote

__all__ = ["METHODS", "pansharpen"]

#: Pan-sharpening methods.
METHODS = ("brovey", "gihs")


def _masked(da: xr.DataArray) -> xr.DataArray:
    out = da.astype(np.float32)
    nodata = da.attrs.get("nodata")
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        out = out.where(da != nodata)
    return out


def pansharpen(
    ds: xr.Dataset,
    method: Literal["brovey", "gihs"] = "brovey",
    *,
    bands: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    pan: str = "pan",
) -> xr.Dataset:
    """Sharpen the multispectral bands of a cube with its panchromatic band (lazy).

    Parameters
    ----------
    ds
        A cube with ``pan`` and multispectral bands **on the same grid** (load with
        ``resolution="pan"``; see the module's documentation).
    method
        ``"brovey"`` (ratio-preserving) or ``"gihs"`` (additive); formulas in the module's documentation.
    bands
        MS bands to sharpen; all the data variables but ``pan`` by default.
    weights
        Weights of the bands in the intensity ``I`` (default: equal). Weights close to the PAN band's
        spectral response (e.g. more weight on red and green than on NIR for SPOT 6/7) give a ``P / I``
        closer to 1 and fewer colour shifts.
    pan
        Name of the panchromatic variable.

    Returns
    -------
    xarray.Dataset
        The sharpened bands (``float32``, NaN where any input is missing), with the ``attrs`` of ``ds``
        and ``pansharpening`` naming the method.

    Raises
    ------
    KeyError
        Missing ``pan`` or band.
    ValueError
        Unknown method, or bands not on the PAN grid.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"red": ("x", np.array([100., 200.])), "nir": ("x", np.array([300., 200.])),
    ...                  "pan": ("x", np.array([400., 0.]))})
    >>> ds["pan"].attrs["nodata"] = 0
    >>> sharp = pansharpen(ds)
    >>> sharp.red.values.tolist(), sharp.nir.values.tolist()
    ([200.0, nan], [600.0, nan])
    """
    if method not in METHODS:
        raise InputError(f"Unknown pan-sharpening method {quote(method)}; choose one of "
                         f"{', '.join(METHODS)}.")
    if not isinstance(ds, xr.Dataset):
        raise InputError(f"pansharpen needs a cube (an xarray Dataset), not a {type(ds).__name__}: give what "
                         "dw.load(items, bands=[..., 'pan'], resolution='pan') returns.")
    if pan not in ds.data_vars:
        raise MissingBandError(f"The cube has no {pan!r} band. Load it on the PAN grid with the MS bands: "
                       "dw.load(items, bands=[..., 'pan'], resolution='pan').")
    names = [str(b) for b in (bands if bands is not None else ds.data_vars) if str(b) != pan]
    missing = [b for b in names if b not in ds.data_vars]
    if missing or not names:
        have = ", ".join(map(str, ds.data_vars))
        raise MissingBandError(f"Bands {quote(missing or names)} are not in the cube (it has {have}): "
                               "load them, or name bands the cube has.")
    p = _masked(ds[pan])
    ms = {b: _masked(ds[b]) for b in names}
    for b, da in ms.items():
        if da.sizes != p.sizes:
            raise InputError(f"Band {b!r} {dict(da.sizes)} is not on the PAN grid {dict(p.sizes)}: load "
                             "the cube with resolution='pan'.")
    w = {b: float((weights or {}).get(b, 1.0)) for b in names}
    if sum(w.values()) <= 0:
        raise InputError(f"The weights of the intensity {quote(weights)} must sum to a positive number: "
                         "give positive weights, e.g. {'red': 1, 'green': 1, 'blue': 1}.")
    intensity = sum(ms[b] * w[b] for b in names) / np.float32(sum(w.values()))
    assert isinstance(intensity, xr.DataArray)
    out = {}
    for b in names:
        if method == "brovey":
            sharp = (ms[b] * p / intensity).where(intensity != 0)
        else:
            sharp = ms[b] + (p - intensity)
        sharp = sharp.astype(np.float32)
        sharp.attrs = {k: v for k, v in ds[b].attrs.items() if k != "nodata"}
        sharp.attrs["pansharpening"] = method
        out[b] = sharp
    result = xr.Dataset(out, attrs={**ds.attrs, "pansharpening": method,
                                    "pansharpening_weights": [w[b] for b in names]})
    return result
