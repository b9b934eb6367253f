"""odc-loader's pixel-level read, vendored: the reader driver reads pixels exactly as odc-stac's own reader.

odc-loader has no public function for "read these bands of an open dataset over this destination grid"
(its public :class:`odc.loader.RioReader` opens the file itself, one band at a time, and logs the URL it
failed to read, signature included), so the few functions that do it are copied here, their code unchanged
(only imports, names without the leading underscore, docstrings and comments adapted):

=====================  ==============================  ===================
here                   odc-loader 0.6.5                file
=====================  ==============================  ===================
:func:`do_read`        ``_do_read``                    ``odc/loader/_rio.py``
:func:`pick_overview`  ``pick_overview``               ``odc/loader/_reader.py``
:func:`same_nodata`    ``same_nodata``                 ``odc/loader/_reader.py``
:func:`nodata_mask`    ``nodata_mask``                 ``odc/loader/_reader.py``
=====================  ==============================  ===================

Copyright (c) 2015-2020 ODC Contributors, Apache License 2.0
(https://github.com/opendatacube/odc-loader/blob/develop/LICENSE). The nodata and dtype rules they use
(``resolve_src_nodata``, ``resolve_dst_nodata``, ``resolve_dst_dtype``) are odc-loader's public API.

``tests/test_odc_read.py`` compares these functions with odc-loader's on synthetic rasters and checks
that upstream's source has not changed: when it fails after an odc-loader upgrade, re-check this copy
against the files above.

Examples
--------
>>> pick_overview(3, [2, 4, 8])   # read_shrink 3: overview 0 (factor 2)
0
>>> pick_overview(1, [2, 4, 8]) is None
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import rasterio
import rasterio.warp
from odc.geo.geobox import GeoBox
from odc.geo.overlap import ReprojectInfo
from odc.geo.roi import roi_is_empty, roi_shape, w_
from odc.geo.warp import resampling_s2rio
from odc.loader import RasterLoadParams, resolve_dst_dtype, resolve_dst_nodata, resolve_src_nodata

__all__ = ["ODC_LOADER_VERSION", "do_read", "nodata_mask", "pick_overview", "same_nodata"]

#: The odc-loader release these functions were copied from.
ODC_LOADER_VERSION = "0.6.5"


# From odc/loader/_reader.py (odc-loader 0.6.5).
def pick_overview(read_shrink: int, overviews: Sequence[int]) -> int | None:
    """The overview to read for a shrink factor (index into ``overviews``), None for full resolution."""
    if len(overviews) == 0 or read_shrink < overviews[0]:
        return None

    _idx = 0
    for idx, ovr in enumerate(overviews):
        if ovr > read_shrink:
            break
        _idx = idx

    return _idx


# From odc/loader/_reader.py (odc-loader 0.6.5).
def same_nodata(a: float | None, b: float | None) -> bool:
    """Whether two nodata values are the same (NaN equals NaN)."""
    if a is None:
        return b is None
    if b is None:
        return False
    if math.isnan(a):
        return math.isnan(b)
    return a == b


# From odc/loader/_reader.py (odc-loader 0.6.5).
def nodata_mask(pix: np.ndarray, nodata: float | None) -> np.ndarray:
    """Boolean mask of the nodata pixels (NaN always counts for floats)."""
    if pix.dtype.kind == "f":
        if nodata is None or math.isnan(nodata):
            return np.isnan(pix)
        return np.bitwise_or(np.isnan(pix), pix == nodata)
    if nodata is None:
        return np.zeros_like(pix, dtype="bool")
    return pix == nodata


# From odc/loader/_rio.py (odc-loader 0.6.5), ``_do_read``.
def do_read(
    src: rasterio.Band,
    cfg: RasterLoadParams,
    dst_geobox: GeoBox,
    rr: ReprojectInfo,
    dst: np.ndarray | None = None,
) -> tuple[tuple[slice, slice], np.ndarray]:
    """Read ``src`` (one band, or several as ``(B, Y, X)``) over ``dst_geobox``: paste or reproject.

    Returns the part of ``dst_geobox`` covered and its pixels, in the dtype and nodata of ``cfg``.
    """
    resampling = resampling_s2rio(cfg.resampling)
    rdr = src.ds
    roi_dst: tuple[slice, slice] = rr.roi_dst  # type: ignore
    ndim = 2
    prefix: tuple[int, ...] = ()

    if isinstance(src.bidx, int):
        src_nodata0 = rdr.nodatavals[src.bidx - 1]
    else:
        ndim = 3
        prefix = (len(src.bidx),)
        (src_nodata0,) = (rdr.nodatavals[b - 1] for b in src.bidx[:1])

    if dst is not None:
        # Assumes Y,X or B,Y,X order
        assert dst.ndim == ndim
        _dst = dst[(..., *roi_dst)]
    else:
        shape = prefix + roi_shape(rr.roi_dst)
        _dst = np.ndarray(shape, dtype=resolve_dst_dtype(src.dtype, cfg))

    src_nodata = resolve_src_nodata(src_nodata0, cfg)
    dst_nodata = resolve_dst_nodata(_dst.dtype, cfg, src_nodata)

    if roi_is_empty(roi_dst):
        return (roi_dst, _dst)

    if roi_is_empty(rr.roi_src):
        # no overlap case
        if dst_nodata is not None:
            np.copyto(_dst, dst_nodata)
        return (roi_dst, _dst)

    if rr.paste_ok and rr.read_shrink == 1:
        rdr.read(src.bidx, out=_dst, window=w_[rr.roi_src])

        if dst_nodata is not None and not same_nodata(src_nodata, dst_nodata):
            # remap nodata from source to output
            np.copyto(_dst, dst_nodata, where=nodata_mask(_dst, src_nodata))
    else:
        # some form of reproject
        rasterio.warp.reproject(
            src,
            _dst,
            src_nodata=src_nodata,
            dst_crs=str(dst_geobox.crs),
            dst_transform=dst_geobox[rr.roi_dst].transform,
            dst_nodata=dst_nodata,
            resampling=resampling,
        )

    return (roi_dst, _dst)
