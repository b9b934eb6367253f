"""Load DINAMIS items as a lazy, dask-backed :class:`xarray.Dataset`, signed at read time.

:func:`load` builds the cube with odc-stac and the toolkit's reader driver
(:class:`~.driver.SigningReaderDriver`); nothing is read until ``.compute()``, ``.values``
or a plot. :func:`plan` tells, before anything is read, what a load will cost: output grid, chunks,
tasks and bytes to fetch (from the files' tile indexes).

Examples
--------
Against the twin (``dinamis_widgets.twin.start()`` points the settings at it)::

    import dinamis_widgets as dw
    items = dw.search(collections=["SPOT67_HCF_GS1"], aoi=(-0.98, 45.92, -0.93, 45.96))
    ds = dw.load(items, bands=["red", "nir"], aoi=(-0.97, 45.93, -0.95, 45.95))
    ndvi = dw.ndvi(ds).compute()          # reads happen here, each tile once

What the cube holds:

- bands by common name (``red``, ``green``, ``blue``, ``nir``, ``rededge``, ``coastal``, ``pan``), whatever
  their order in the files (SPOT and Pléiades files store R, G, B, NIR; Pléiades Neo R, G, B, NIR, RE, DB),
  from the ``multispectral`` and ``panchromatic`` assets;
- 12-bit DNs kept as ``uint16`` with ``nodata = 0`` (in each variable's ``attrs``) until an index needs
  floats (:mod:`dinamis_widgets.analysis.indices` turns nodata into NaN);
- one time step per solar day (``groupby="solar_day"``), mosaicking the items of a day;
- ``attrs`` with the items, the *unsigned* hrefs and the parameters of the load, never a signature.

Scaling out: threads, processes, dask.distributed, dask-gateway
----------------------------------------------------------------
The graph holds unsigned hrefs and a small picklable reader configuration; each read asks the signer for
a URL valid at that moment. So the same code runs with dask's threaded scheduler (the default), with
``dask.config.set(scheduler="processes")``, and with any ``dask.distributed`` client: a ``LocalCluster``,
a dask-gateway cluster on a JupyterHub, or any scheduler::

    from dask_gateway import Gateway
    cluster = Gateway().new_cluster(); cluster.scale(8)
    client = cluster.get_client()         # from now on, .compute() runs on the cluster
    ndvi = dw.ndvi(dw.load(items, bands=["red", "nir"])).compute()

How do workers get credentials? Two ways, chosen with ``LoadOptions(ship_signer=...)``:

- ``ship_signer=True`` (default): the signer is pickled into the graph with its credentials (the API key,
  or the OAuth2 tokens' location), so remote workers need no configuration at all. **Security
  trade-off**: anyone who can read the graph or the scheduler's memory can sign URLs until the key is
  revoked (``dinamis-widgets`` key management, or the web catalogue). Use it on clusters only you (or
  people you trust with the key) can reach; dask-gateway clusters are per-user and TLS-secured.
- ``ship_signer=False``: the graph holds no credentials; each worker builds its own signer from its
  environment and settings (``TLD_SIGNING_ENDPOINT``, ``TLD_ACCESS_KEY``/``TLD_SECRET_KEY`` or
  ``~/.config/teledetection/.apikey``, ``DINAMIS_PROFILE``). With dask-gateway pass them in the cluster
  options (``cluster_options.environment``), as secrets where your deployment supports it. A worker
  never starts an interactive sign-in: with no credentials it fails with an error saying how to
  authenticate.

Either way a signed URL never enters the graph, the cube's ``attrs`` or an error message.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..errors import LoadError, NotSignableError, mask_signatures
from ..signing.client import Signer
from ..signing.dispatch import EXPIRY_FIELD
from ..signing.registry import get_signer
from ..signing.rules import signability
from ..signing.urls import is_signed, unsigned_url
from ..signing.validity import ValidityLike

if TYPE_CHECKING:
    import pystac
    import xarray as xr
    from odc.geo.geom import Geometry

    from .driver import SigningReaderDriver

__all__ = [
    "COMMON_NAMES",
    "DEFAULT_BANDS",
    "DEFAULT_CHUNK",
    "FileCost",
    "LoadOptions",
    "LoadPlan",
    "PreparedLoad",
    "aoi_geometry",
    "load",
    "plan",
    "prepare_load",
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
    """Less common load settings, grouped (:func:`load`'s ``options``).

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
        let each worker use its own settings (see the module's documentation).
    gdal_options
        GDAL configuration options added to :data:`~dinamis_widgets.reading.driver.DEFAULT_GDAL_OPTIONS`.
    fail_on_error
        Stop at the first failed read (after its retry); False leaves the failed parts empty (nodata) and
        logs a warning.
    check_signable
        Leave out BRUT and Regards items (with a :class:`~dinamis_widgets.warnings.NotSignableWarning`;
        :class:`~dinamis_widgets.errors.NotSignableError` when no item is left).
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


# --------------------------------------------------------------------------------------------------
# Input normalisation (no IO)
# --------------------------------------------------------------------------------------------------


def _as_items(items: Any) -> list[pystac.Item]:
    """Unsigned clones of the items (dicts, Items, ItemCollection, ItemSearch, search results)."""
    import pystac

    if hasattr(items, "item_collection") and callable(items.item_collection):
        items = items.item_collection()
    if isinstance(items, pystac.Item | Mapping):
        items = [items]
    if isinstance(items, Mapping) and items.get("type") == "FeatureCollection":
        items = items.get("features", [])
    out: list[pystac.Item] = []
    for it in items:
        item = pystac.Item.from_dict(dict(it), preserve_dict=True) if isinstance(it, Mapping) else it.clone()
        if not isinstance(item, pystac.Item):
            raise LoadError(f"Cannot load a {type(it).__name__}: give STAC items (pystac or dicts).")
        for asset in item.assets.values():
            asset.href = unsigned_url(asset.href)
            asset.extra_fields.pop(EXPIRY_FIELD, None)
        out.append(item)
    if not out:
        raise LoadError("Nothing to load: the list of items is empty. Search with a larger AOI or dates.")
    return out


def _signable_only(items: list[pystac.Item]) -> list[pystac.Item]:
    """The items that can be signed; the others are left out with a warning (all of them: an error)."""
    import warnings

    from ..warnings import NotSignableWarning

    reasons = {it.id: r for it in items if (r := signability(it))}
    if not reasons:
        return items
    if len(reasons) == len(items):
        more = f" (and {len(reasons) - 1} other item(s))" if len(reasons) > 1 else ""
        first = next(iter(reasons.values()))
        raise NotSignableError(first.message + more, reason=first)
    shown = "; ".join(r.why for r in list(reasons.values())[:3])
    warnings.warn(f"{len(reasons)} of {len(items)} item(s) left out, they cannot be streamed: {shown}"
                  f"{'; ...' if len(reasons) > 3 else ''}", NotSignableWarning, stacklevel=4)
    return [it for it in items if it.id not in reasons]


def _norm_bands(bands: str | Sequence[str] | None) -> list[str]:
    if bands is None:
        return list(DEFAULT_BANDS)
    if isinstance(bands, str):
        bands = [bands]
    out = list(dict.fromkeys(bands))
    if not out:
        raise LoadError(f"No band asked: choose among {', '.join(COMMON_NAMES)}.")
    return out


def aoi_geometry(aoi: Any) -> Geometry:
    """An AOI as an odc-geo Geometry in EPSG:4326, checked by :func:`dinamis_widgets.as_aoi`.

    Parameters
    ----------
    aoi
        Any form :func:`~dinamis_widgets.as_aoi` reads (GeoJSON geometry, Feature or
        FeatureCollection, bbox ``(west, south, east, north)`` in degrees, WKT, shapely geometry,
        GeoDataFrame, :class:`~dinamis_widgets.AOI`), or an :class:`odc.geo.geom.Geometry` (its CRS
        is kept).

    Raises
    ------
    QueryError
        If the AOI cannot be read, is empty, out of range or in latitude/longitude order.

    Examples
    --------
    >>> aoi_geometry((-0.97, 45.93, -0.95, 45.95)).boundingbox.left
    -0.97
    """
    from odc.geo import geom

    from ..catalog.aoi import as_aoi

    if isinstance(aoi, geom.Geometry):
        return aoi
    return geom.Geometry(as_aoi(aoi).geometry, "EPSG:4326")


def _clip_to_items(aoi: Geometry, items: Sequence[pystac.Item]) -> Geometry:
    """The part of the AOI the items cover (so that a large AOI does not make a large empty cube)."""
    from odc.geo import geom

    footprints = [geom.Geometry(it.geometry, "EPSG:4326") for it in items if it.geometry]
    if not footprints:
        return aoi
    covered = geom.unary_union(footprints)
    if covered is None:
        return aoi
    clipped = aoi.to_crs("EPSG:4326").intersection(covered)
    if clipped.is_empty:
        asked = tuple(round(v, 5) for v in aoi.boundingbox)
        have = tuple(round(v, 5) for v in covered.boundingbox)
        raise LoadError(f"The AOI {asked} does not intersect the footprints of the {len(items)} item(s) "
                        f"(together {have}).")
    return clipped


def _asset_for_band(item: pystac.Item, band: str) -> tuple[str, int] | None:
    for key, asset in item.assets.items():
        eo = asset.extra_fields.get("eo:bands") or asset.extra_fields.get("bands") or []
        for i, b in enumerate(eo, start=1):
            if isinstance(b, Mapping) and band in (b.get("common_name"), b.get("eo:common_name"),
                                                   b.get("name")):
                return key, i
    return None


def _native_grid(item: pystac.Item, band: str) -> tuple[float, float, float, str | None] | None:
    """(res_x, origin_x, origin_y, crs) of the asset holding ``band``, from the projection extension."""
    found = _asset_for_band(item, band)
    if found is None:
        return None
    asset = item.assets[found[0]]
    transform = asset.extra_fields.get("proj:transform") or item.properties.get("proj:transform")
    code = (asset.extra_fields.get("proj:code") or item.properties.get("proj:code")
            or (f"EPSG:{item.properties['proj:epsg']}" if item.properties.get("proj:epsg") else None))
    if not transform or len(transform) < 6:
        gsd = asset.extra_fields.get("gsd")
        return (float(gsd), math.nan, math.nan, code) if gsd else None
    return float(transform[0]), float(transform[2]), float(transform[5]), code


def _resolve_resolution(items: Sequence[pystac.Item], bands: Sequence[str],
                        resolution: Resolution | None) -> float | tuple[float, float] | None:
    if resolution is None:
        grid = _native_grid(items[0], bands[0])
        return grid[0] if grid else None
    if isinstance(resolution, str):
        band = {"ms": next((b for b in bands if b != "pan"), "red"), "pan": "pan"}.get(resolution.lower())
        grid = _native_grid(items[0], band) if band else None
        if grid is None:
            raise LoadError(f"resolution={resolution!r}: use 'ms', 'pan' or a number of CRS units (metres); "
                            f"the first item has no {'panchromatic' if band == 'pan' else 'matching'} asset.")
        return grid[0]
    if isinstance(resolution, int | float):
        if resolution <= 0:
            raise LoadError(f"resolution must be positive, not {resolution!r}")
        return float(resolution)
    return (float(resolution[0]), float(resolution[1]))


def _native_anchor(items: Sequence[pystac.Item], bands: Sequence[str], res: Any, crs: Any) -> Any:
    from odc.geo import xy_
    from odc.geo.crs import norm_crs

    grid = _native_grid(items[0], bands[0])
    if grid is None or math.isnan(grid[1]) or res is None or not isinstance(res, int | float):
        return None
    _, x0, y0, code = grid
    if crs is not None and code is not None and norm_crs(crs) != norm_crs(code):
        return None

    def frac(v: float) -> float:
        f = (v / float(res)) % 1.0
        return 0.0 if min(f, 1.0 - f) < 1e-6 else f

    return xy_(frac(x0), frac(y0))


def _norm_chunks(chunks: int | Mapping[str, int] | None) -> dict[str, int]:
    if chunks is None:
        return {"time": 1, "y": DEFAULT_CHUNK, "x": DEFAULT_CHUNK}
    if isinstance(chunks, int):
        return {"time": 1, "y": chunks, "x": chunks}
    out = {"time": 1, **{str(k): int(v) for k, v in chunks.items()}}
    if any(v <= 0 and v != -1 for v in out.values()):
        raise LoadError(f"chunks must be positive (or -1 for one chunk), not {dict(chunks)!r}")
    return out


# --------------------------------------------------------------------------------------------------
# Building the cube
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedLoad:
    """Everything :func:`load` computed before handing over to odc-stac (no IO). Used by :func:`plan`."""

    items: tuple[Any, ...]
    bands: tuple[str, ...]
    odc_kwargs: dict[str, Any]
    driver: SigningReaderDriver
    parameters: dict[str, Any]
    hrefs: tuple[str, ...]

    def build(self) -> xr.Dataset:
        """Run odc-stac (graph only) and add provenance attributes."""
        import odc.stac

        try:
            ds = odc.stac.load(list(self.items), bands=list(self.bands), driver=self.driver,
                               **self.odc_kwargs)
        except ValueError as exc:
            raise LoadError(f"odc-stac could not build the cube: {mask_signatures(str(exc))}") from None
        return _with_provenance(ds, self)


def _band_plan(items: Sequence[pystac.Item], bands: Sequence[str]) -> dict[str, set[int]]:
    import odc.stac

    plan: dict[str, set[int]] = {}
    for parsed in odc.stac.parse_items(items):
        try:
            sources = parsed.resolve_bands(list(bands))
        except ValueError:
            continue
        for src in sources.values():
            if src is not None and hasattr(src, "band"):
                plan.setdefault(src.uri, set()).add(int(src.band))
    return plan


def _missing_bands(items: Sequence[pystac.Item], bands: Sequence[str]) -> list[str]:
    return [b for b in bands if all(_asset_for_band(it, b) is None for it in items)]


def prepare_load(
    items: Any,
    bands: str | Sequence[str] | None = None,
    *,
    aoi: Any = None,
    resolution: Resolution | None = None,
    crs: Any = None,
    chunks: int | Mapping[str, int] | None = None,
    groupby: str | Any = "solar_day",
    signer: Signer | None = None,
    options: LoadOptions | None = None,
) -> PreparedLoad:
    """Validate and resolve the arguments of :func:`load` (no IO). See :func:`load`."""
    from ..signing.validity import parse_validity
    from .driver import DEFAULT_GDAL_OPTIONS, ReadConfig, SigningReaderDriver

    opts = options or LoadOptions()
    its = _as_items(items)
    if opts.check_signable:
        its = _signable_only(its)
    names = _norm_bands(bands)
    missing = _missing_bands(its, names)
    if missing:
        have = sorted({str(b["common_name"]) for it in its for a in it.assets.values()
                       for b in (a.extra_fields.get("eo:bands") or [])
                       if isinstance(b, Mapping) and b.get("common_name")})
        raise LoadError(f"No asset of the items has band(s) {', '.join(missing)}; available common names: "
                        f"{', '.join(have) or 'none'}.")
    res = _resolve_resolution(its, names, resolution)
    kwargs: dict[str, Any] = {
        "groupby": groupby,
        "chunks": _norm_chunks(chunks),
        "resampling": dict(opts.resampling) if isinstance(opts.resampling, Mapping) else opts.resampling,
        "fail_on_error": opts.fail_on_error,
        "use_overviews": opts.use_overviews,
    }
    if opts.dtype is not None:
        kwargs["dtype"] = dict(opts.dtype) if isinstance(opts.dtype, Mapping) else opts.dtype
    if opts.nodata is not None:
        kwargs["nodata"] = opts.nodata
    if crs is not None:
        kwargs["crs"] = crs
    if res is not None:
        kwargs["resolution"] = res
    anchor = _native_anchor(its, names, res, crs) if opts.anchor == "native" else opts.anchor
    if anchor is not None:
        kwargs["anchor"] = anchor
    aoi_geom = _clip_to_items(aoi_geometry(aoi), its) if aoi is not None else None
    if aoi_geom is not None:
        kwargs["geopolygon"] = aoi_geom
    the_signer = (signer or get_signer()) if opts.ship_signer else signer
    validity = int(parse_validity(opts.validity).total_seconds()) if opts.validity is not None else None
    config = ReadConfig(signer=the_signer, validity=validity,
                        gdal_options=tuple({**DEFAULT_GDAL_OPTIONS, **opts.gdal_options}.items()))
    plan = {uri: sorted(bands_) for uri, bands_ in _band_plan(its, names).items()}
    driver = SigningReaderDriver(config, plan)
    parameters = {
        "bands": names,
        "aoi": list(aoi_geom.boundingbox) if aoi_geom is not None else None,
        "resolution": res if not isinstance(res, tuple) else list(res),
        "crs": str(crs) if crs is not None else None,
        "chunks": kwargs["chunks"],
        "groupby": groupby if isinstance(groupby, str) else getattr(groupby, "__name__", repr(groupby)),
        "options": {k: v for k, v in asdict(opts).items() if k not in ("gdal_options",)},
    }
    return PreparedLoad(tuple(its), tuple(names), kwargs, driver, parameters, tuple(sorted(plan)))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _with_provenance(ds: xr.Dataset, prepared: PreparedLoad) -> xr.Dataset:
    from .. import __version__

    hrefs = [h for h in prepared.hrefs if not is_signed(h)]
    ds.attrs.update({
        "dinamis_items": [it.id for it in prepared.items],
        "dinamis_collections": sorted({it.collection_id or "" for it in prepared.items} - {""}),
        "dinamis_hrefs": hrefs,
        "dinamis_load": mask_signatures(json.dumps(_jsonable(prepared.parameters), sort_keys=True)),
        "dinamis_version": __version__,
    })
    for name in ds.data_vars:
        ds[name].attrs.setdefault("common_name", str(name))
    return ds


def load(
    items: Any,
    bands: str | Sequence[str] | None = None,
    *,
    aoi: Any = None,
    resolution: Resolution | None = None,
    crs: Any = None,
    chunks: int | Mapping[str, int] | None = None,
    groupby: str | Any = "solar_day",
    signer: Signer | None = None,
    options: LoadOptions | None = None,
) -> xr.Dataset:
    """Load items as a lazy xarray Dataset (dask), bands by common name, signed when read.

    Parameters
    ----------
    items
        STAC items: a search result, ``pystac.ItemCollection``, list of ``pystac.Item`` or of item dicts,
        or a pystac-client ``ItemSearch``. Signed or not: hrefs are stripped of signatures and signed
        again at read time. BRUT and Regards items, which cannot be streamed, are left out with a
        :class:`~dinamis_widgets.warnings.NotSignableWarning` saying why.
    bands
        Common names (``red``, ``green``, ``blue``, ``nir``, ``rededge``, ``coastal``, ``pan``), from the
        ``multispectral`` and ``panchromatic`` assets; default :data:`DEFAULT_BANDS`.
    aoi
        Area to load: GeoJSON geometry, bbox ``(west, south, east, north)`` in degrees, shapely geometry,
        or GeoDataFrame. Default: the union of the items' footprints.
    resolution
        Output pixel size in CRS units (metres), or ``"ms"`` / ``"pan"`` for the native multispectral or
        panchromatic one; default: the native resolution of the first band's asset. Coarser resolutions
        read the COGs' overviews.
    crs
        Output CRS (``"EPSG:32630"``...); default: the items' most common CRS.
    chunks
        Chunk side in pixels, or ``{"x": .., "y": .., "time": ..}``; default 2048 (a multiple of the
        files' 256-pixel tiles).
    groupby
        ``"solar_day"`` (default: one time step per day, items of a day mosaicked), ``"time"``, ``"id"``,
        a property name or a callable (as odc-stac).
    signer
        The signer used at read time; :func:`~dinamis_widgets.get_signer` by default.
    options
        Less common settings (:class:`LoadOptions`): resampling, dtype, overviews, validity...

    Returns
    -------
    xarray.Dataset
        Lazy (dask) variables ``(time, y, x)`` named by common name, ``uint16`` with ``attrs["nodata"]``;
        ``attrs`` record ``dinamis_items``, ``dinamis_hrefs`` (unsigned), ``dinamis_load`` (parameters,
        JSON) and ``dinamis_version``.

    Raises
    ------
    LoadError
        Empty item list, unknown band, bad resolution or chunks.
    NotSignableError
        When every item is a BRUT or Regards product (the message says why).
    QueryError
        Malformed AOI.

    Examples
    --------
    >>> import dinamis_widgets as dw                                   # doctest: +SKIP
    >>> ds = dw.load(items, bands=["red", "nir"], aoi=(-0.97, 45.93, -0.95, 45.95))  # doctest: +SKIP
    >>> ds.red.dtype, ds.red.attrs["nodata"]                           # doctest: +SKIP
    (dtype('uint16'), 0)
    >>> ndvi = dw.ndvi(ds).compute()                                   # doctest: +SKIP
    """
    return prepare_load(items, bands, aoi=aoi, resolution=resolution, crs=crs, chunks=chunks,
                        groupby=groupby, signer=signer, options=options).build()



# --------------------------------------------------------------------------------------------------
# Plan: what a load will cost, before reading
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileCost:
    """Estimated cost of one file of a load."""

    href: str
    """Unsigned href."""
    bands: tuple[int, ...]
    """1-based bands read from it."""
    levels: tuple[int, ...]
    """Levels read: 0 full resolution, ``k + 1`` overview ``k``."""
    reads: int
    """Shared reads (one per output chunk it covers)."""
    tiles: int
    """Distinct tiles read."""
    tile_reads: int
    """Tiles read, summed over reads (more than ``tiles`` when chunks and tiles are not aligned)."""
    bytes: int
    """Compressed bytes of the distinct tiles (TileByteCounts)."""
    header_bytes: int
    """Header bytes fetched when the file is opened."""


@dataclass(frozen=True)
class LoadPlan:
    """What :func:`load` will build and fetch, known before reading any pixel (see :func:`plan`).

    ``estimated_bytes`` sums the compressed sizes of the distinct tiles the chunks read (from the files'
    tile index, at the overview level the reads will use) and one header per file. That is what one
    process fetches: GDAL caches what it fetched (16 MB by default), so a tile shared by chunks that are
    not aligned with the 256-pixel tiles is fetched again only by another process, or when it ran at the
    same time, or after the cache forgot it. Not counted: GDAL's size probe when it opens a signed URL (a
    range-less ``GET`` that it cuts short: tens of KB per file and per signature) and reads repeated
    after an error.
    """

    crs: str
    shape: tuple[int, int, int]
    resolution: tuple[float, float]
    bounds: tuple[float, float, float, float]
    chunks: tuple[int, int, int]
    n_chunks: int
    n_tasks: int
    n_reads: int
    bands: tuple[str, ...]
    dtypes: dict[str, str]
    items: tuple[str, ...]
    times: tuple[str, ...]
    files: tuple[FileCost, ...]
    output_bytes: int

    @property
    def tile_bytes(self) -> int:
        """Bytes of the tiles to fetch."""
        return sum(f.bytes for f in self.files)

    @property
    def header_bytes(self) -> int:
        """Bytes of the files' headers."""
        return sum(f.header_bytes for f in self.files)

    @property
    def estimated_bytes(self) -> int:
        """Estimated bytes fetched from the object store (tiles and headers)."""
        return self.tile_bytes + self.header_bytes

    def _rows(self) -> list[tuple[str, str]]:
        t, ny, nx = self.shape
        rx, ry = self.resolution
        left, bottom, right, top = self.bounds
        overview = sum(1 for f in self.files if any(lv > 0 for lv in f.levels))
        return [
            ("items", f"{len(self.items)}: {', '.join(self.items[:3])}"
                      f"{', ...' if len(self.items) > 3 else ''}"),
            ("time", f"{len(self.times)} step(s): {', '.join(self.times[:4])}"
                     f"{', ...' if len(self.times) > 4 else ''}"),
            ("bands", ", ".join(f"{b} ({self.dtypes.get(b, '?')})" for b in self.bands)),
            ("grid", f"{self.crs}, {ny} x {nx} pixels of {abs(rx):g} x {abs(ry):g}, time {t}"),
            ("bounds", f"({left:.2f}, {bottom:.2f}, {right:.2f}, {top:.2f})"),
            ("chunks", f"{self.chunks} -> {self.n_chunks} chunk(s) per band, {self.n_tasks} tasks, "
                       f"{self.n_reads} shared reads"),
            ("files", f"{len(self.files)} ({overview} read from overviews)"),
            ("to fetch", f"~{_human(self.estimated_bytes)} (tiles {_human(self.tile_bytes)}, "
                         f"headers {_human(self.header_bytes)})"),
            ("in memory", _human(self.output_bytes)),
        ]

    def __str__(self) -> str:
        rows = self._rows()
        width = max(len(k) for k, _ in rows)
        return "LoadPlan\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        from html import escape

        cells = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>"
                        f"{escape(v)}</td></tr>" for k, v in self._rows())
        return f"<table><caption style='text-align:left'><b>Load plan</b></caption>{cells}</table>"


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def _reads_of(ds: xr.Dataset) -> list[tuple[str, tuple[int, ...], Any, Any]]:
    """The shared reads of a cube's graph: (href, bands, cfg, chunk geobox)."""
    from .driver import read_bands

    graph = ds.__dask_graph__()
    reads = []
    for key, task in dict(graph).items() if graph is not None else []:
        is_read = getattr(task, "func", None) is read_bands
        if isinstance(key, str) and key.startswith("dinamis-read-") and is_read:
            uri, bands, cfg, gbox, _config = task.args
            reads.append((uri, tuple(bands), cfg, gbox))
    return reads


def plan(
    items: Any,
    bands: str | Sequence[str] | None = None,
    *,
    aoi: Any = None,
    resolution: Resolution | None = None,
    crs: Any = None,
    chunks: int | Mapping[str, int] | None = None,
    groupby: str | Any = "solar_day",
    signer: Signer | None = None,
    options: LoadOptions | None = None,
    estimate: bool = True,
) -> LoadPlan:
    """Tell what :func:`load` will build and fetch, before reading any pixel.

    Takes the arguments of :func:`load`. The output grid, chunks and tasks come from the lazy cube (no
    IO); the bytes to fetch come from each file's tile index, read through a signed URL (the header
    only: a few small range requests per file), at the overview level the load will use.

    Parameters
    ----------
    estimate
        Read the files' tile indexes to estimate the bytes (False: no IO at all, bytes left at 0).

    Returns
    -------
    LoadPlan
        Printable (``print(p)``) and shown as a table in Jupyter.

    Examples
    --------
    >>> p = dw.plan(items, bands=["red", "nir"], aoi=(-0.97, 45.93, -0.95, 45.95))  # doctest: +SKIP
    >>> p.estimated_bytes, p.shape, p.n_tasks                                         # doctest: +SKIP
    (208834, (1, 372, 262), 6)
    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from .driver import TileIndex

    prepared = prepare_load(items, bands, aoi=aoi, resolution=resolution, crs=crs, chunks=chunks,
                            groupby=groupby, signer=signer, options=options)
    ds = prepared.build()
    gbox = ds.odc.geobox
    first = ds[prepared.bands[0]]
    chunk_shape = tuple(int(c[0]) for c in first.chunks) if first.chunks else tuple(first.shape)
    n_chunks = int(np.prod([len(c) for c in first.chunks])) if first.chunks else 1
    graph = ds.__dask_graph__()
    reads = _reads_of(ds)
    by_uri: dict[str, list[tuple[tuple[int, ...], Any, Any]]] = {}
    for uri, bnds, cfg, cgbox in reads:
        by_uri.setdefault(uri, []).append((bnds, cfg, cgbox))
    def cost(uri: str, uri_reads: list[tuple[tuple[int, ...], Any, Any]]) -> FileCost:
        bands_used = tuple(sorted({b for bnds, _, _ in uri_reads for b in bnds}))
        if not estimate:
            return FileCost(uri, bands_used, (), len(uri_reads), 0, 0, 0, 0)
        index = TileIndex(uri, prepared.driver.config)
        try:
            tiles = [t for bnds, cfg, cgbox in uri_reads for t in index.tiles_read(bnds, cfg, cgbox)]
            distinct = sorted(set(tiles))
            return FileCost(uri, bands_used, tuple(sorted({t[0] for t in distinct})), len(uri_reads),
                            len(distinct), len(tiles), index.tile_bytes(distinct), index.header_bytes)
        finally:
            index.close()

    with ThreadPoolExecutor(max_workers=8) as pool:  # headers of several files at once
        files = list(pool.map(lambda kv: cost(*kv), sorted(by_uri.items())))
    res = gbox.resolution
    epsg = gbox.crs.epsg if gbox.crs is not None else None
    return LoadPlan(
        crs=f"EPSG:{epsg}" if epsg else str(gbox.crs),
        shape=(int(ds.sizes.get("time", 1)), *(int(v) for v in gbox.shape.yx)),  # type: ignore[arg-type]
        resolution=(float(res.x), float(res.y)),
        bounds=tuple(float(v) for v in gbox.boundingbox),  # type: ignore[arg-type]
        chunks=chunk_shape,  # type: ignore[arg-type]
        n_chunks=n_chunks,
        n_tasks=len(graph) if graph is not None else 0,
        n_reads=len(reads),
        bands=prepared.bands,
        dtypes={str(k): str(v.dtype) for k, v in ds.data_vars.items()},
        items=tuple(it.id for it in prepared.items),
        times=tuple(str(t)[:19] for t in ds["time"].values) if "time" in ds.coords else (),
        files=tuple(files),
        output_bytes=int(ds.nbytes),
    )
