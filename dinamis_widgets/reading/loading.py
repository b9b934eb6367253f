"""Load DINAMIS items as a lazy, dask-backed :class:`xarray.Dataset`, signed at read time.

:func:`load` builds the cube with odc-stac and the toolkit's reader driver
(:class:`~.driver.SigningReaderDriver`); nothing is read until ``.compute()``, ``.values``
or a plot. :func:`~.planning.plan` tells, before anything is read, what a load will cost: output grid,
chunks, tasks and bytes to fetch (from the files' tile indexes). Both take the same arguments
(:class:`~.options.LoadArguments`), resolved once by :func:`prepare_load`.

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
  from the ``multispectral`` and ``panchromatic`` assets, or by any other name the items allow (see
  :func:`load`, "Naming bands");
- 12-bit DNs kept as ``uint16`` with ``nodata = 0`` (in each variable's ``attrs``) until an index needs
  floats (:mod:`dinamis_widgets.analysis.indices` turns nodata into NaN); bands an item declares a scale
  for (``raster:bands``), or the toolkit knows one for (THEIA's reflectance x 10000), as ``float32``
  reflectance with NaN for nodata; with ``mask="clouds"``, NaN where the collection's cloud mask says
  cloud (:mod:`.finishing`);
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
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Unpack

from ..errors import LoadError, mask_signatures
from ..signing.registry import get_signer
from ..signing.urls import is_signed
from .guards import check_extent
from .items import ItemBands, aoi_geometry, as_items, clip_to_items, signable_only
from .options import (
    LoadArguments,
    LoadOptions,
    check_arguments,
    check_values,
    default_chunks,
    norm_bands,
    norm_chunks,
    short_bands_possible,
)

if TYPE_CHECKING:
    import pystac
    import xarray as xr

    from .band_names import BandRef, BandResolution
    from .driver import ReadConfig, SigningReaderDriver
    from .finishing import Finishing
    from .guards import CubeEstimate

__all__ = ["PreparedLoad", "load", "prepare_load"]


@dataclass(frozen=True)
class PreparedLoad:
    """Everything :func:`load` computed before handing over to odc-stac (no IO but headers: see
    :func:`prepare_load`). Used by
    :func:`~dinamis_widgets.plan`."""

    items: tuple[Any, ...]
    bands: tuple[str, ...]
    odc_kwargs: dict[str, Any]
    driver: SigningReaderDriver
    parameters: dict[str, Any]
    hrefs: tuple[str, ...]
    band_sources: dict[str, str] = field(default_factory=dict)
    """Where each band comes from (``{"red": "src_xs.1 (assumed order)"}``)."""
    finishing: Finishing | None = None
    """Scale, offset and masks applied, None when the pixels are kept as read."""
    probed: int = 0
    """Files whose header was read to complete their items' metadata."""

    def build(self) -> xr.Dataset:
        """Run odc-stac (graph only) and add provenance attributes. The driver records the shared reads
        of the graph (:attr:`~.driver.SigningReaderDriver.last_load`)."""
        import odc.stac

        try:
            ds = odc.stac.load(list(self.items), bands=list(self.bands), driver=self.driver,
                               **self.odc_kwargs)
        except (ValueError, KeyError) as exc:
            raise LoadError(f"odc-stac could not build the cube: {mask_signatures(str(exc))}") from None
        return _with_provenance(ds, self)


def _resolve_bands(items: list[pystac.Item], names: list[str], band_map: Mapping[str, BandRef] | None,
                   config: ReadConfig) -> tuple[BandResolution, int]:
    """Resolve the names (:mod:`.band_names`), reading the headers of the files whose items leave their
    band count or grid unknown (:mod:`.probe`), and complete the clones (:mod:`.asset_facts`)."""
    from .asset_facts import collect_facts, collection_key, complete_items, has_grid, with_files
    from .band_names import band_ref, counts_needed, resolve_bands
    from .probe import probe_files

    facts = collect_facts(items)
    refs = {str(k): band_ref(v) for k, v in (band_map or {}).items()}
    files = probe_files(counts_needed(facts, names, refs), config)
    with_files(facts, files)
    resolution = resolve_bands(facts, names, band_map)
    reads = resolution.assets_read()
    grids = [it.assets[k].href for it in items for k in reads.get(collection_key(it), ())
             if k in it.assets and not has_grid(it, k)]
    counts = [f.item.assets[k].href for c, f in facts.items() for k in reads.get(c, ())
              if k in f.assets and f.assets[k].count is None]
    files.update(probe_files([h for h in grids + counts if h not in files], config))
    with_files(facts, files)
    complete_items(items, facts, files, reads)
    return resolution, len(files)


def _pan_resolution(item: pystac.Item, facts: Mapping[str, Any], tables: Mapping[str, float]) -> float | None:
    """The panchromatic resolution of a load that does not read ``pan`` (``resolution="pan"``): its asset's
    grid, ``gsd`` or table resolution, or None."""
    from .asset_facts import collection_key
    from .band_names import resolve_bands

    coll = facts.get(collection_key(item))
    try:
        src = resolve_bands({coll.key: coll}, ["pan"]).sources[coll.key]["pan"] if coll else None
    except LoadError:
        return None
    if src is None:
        return None
    fields = item.assets[src.asset].extra_fields
    transform, gsd = fields.get("proj:transform"), fields.get("gsd")
    return float(transform[0]) if transform else float(gsd) if gsd else tables.get(src.asset)


def _float_kwargs(opts: LoadOptions, kwargs: dict[str, Any]) -> None:
    """dtype and nodata of a cube whose bands are finished: float32 and NaN, unless the caller said."""
    import numpy as np

    dtypes = list(opts.dtype.values()) if isinstance(opts.dtype, Mapping) else [opts.dtype]
    if any(d is not None and np.dtype(d).kind != "f" for d in dtypes):
        raise LoadError(f"dtype={opts.dtype!r}: scaled or masked bands are floats. Give a float dtype, or "
                        "keep the files' integers with LoadOptions(rescale=False) and mask=None.")
    kwargs.setdefault("dtype", "float32")
    kwargs.setdefault("nodata", float("nan"))


def _default_chunks(estimate: CubeEstimate | None, band_plan: Mapping[str, Sequence[int]],
                    config: ReadConfig) -> dict[str, int]:
    """:func:`~.options.default_chunks` of the load's grid; for a grid that 256-row bands could cut, with the
    tile height of the first file read (:func:`~.probe.tile_rows`: one header, which its reads reuse)."""
    if estimate is None:
        return norm_chunks(None)
    steps, height, width = estimate.shape
    tile = None
    if short_bands_possible(height, width) and band_plan:
        from .probe import tile_rows

        tile = tile_rows(next(iter(band_plan)), config, estimate.resolution)
    return default_chunks(height, width, tile, steps=steps)


def prepare_load(items: Any, bands: str | Sequence[str] | None = None,
                 **arguments: Unpack[LoadArguments]) -> PreparedLoad:
    """Validate and resolve the arguments of :func:`load`: bands, masks, grid, reader (no IO but the
    headers of files whose items declare no grid or band count, and the first file's, for its tile height,
    when no chunks are given and the grid is tall). See :func:`load`."""
    import warnings

    from ..signing.validity import parse_validity
    from ..warnings import BandOrderWarning, NoMaskWarning
    from .driver import ReadConfig, SigningReaderDriver
    from .finishing import plan_finishing
    from .gdal_io import DEFAULT_GDAL_OPTIONS

    check_arguments(arguments)
    aoi = arguments.get("aoi")
    crs = arguments.get("crs")
    groupby = arguments.get("groupby", "solar_day")
    signer = arguments.get("signer")
    band_map = arguments.get("band_map")
    mask = arguments.get("mask")
    check_values(arguments)
    opts = arguments.get("options") or LoadOptions()
    its = as_items(items)
    check_values({"groupby": groupby}, its)
    if opts.check_signable:
        its = signable_only(its)
    the_signer = (signer or get_signer()) if opts.ship_signer else signer
    validity = int(parse_validity(opts.validity).total_seconds()) if opts.validity is not None else None
    config = ReadConfig(signer=the_signer, validity=validity,
                        gdal_options=tuple({**DEFAULT_GDAL_OPTIONS, **opts.gdal_options}.items()))
    resolution, probed = _resolve_bands(its, norm_bands(bands, band_map), band_map, config)
    for text in resolution.assumptions():
        warnings.warn(text, BandOrderWarning, stacklevel=3)
    names = resolution.names
    tables = {k: a.table.resolution for f in resolution.facts.values() for k, a in f.assets.items()
              if a.table is not None}
    if arguments.get("resolution") == "pan" and "pan" not in names:
        pan = _pan_resolution(its[0], resolution.facts, tables)
        if pan is not None:
            tables.setdefault("pan", pan)
    parsed = ItemBands(its, resolution.stac_cfg(), tables)
    res = parsed.resolution(names, arguments.get("resolution"))
    finishing, unmasked = plan_finishing(its, parsed.parsed, names, resolution.facts, rescale=opts.rescale,
                                         mask=mask)
    for text in unmasked:
        warnings.warn(text, NoMaskWarning, stacklevel=3)
    kwargs: dict[str, Any] = {
        "groupby": groupby,
        "chunks": norm_chunks(arguments["chunks"]) if arguments.get("chunks") is not None else None,
        "resampling": dict(opts.resampling) if isinstance(opts.resampling, Mapping) else opts.resampling,
        "fail_on_error": opts.fail_on_error,
        "use_overviews": opts.use_overviews,
    }
    if parsed.stac_cfg:
        kwargs["stac_cfg"] = parsed.stac_cfg
    if opts.dtype is not None:
        kwargs["dtype"] = dict(opts.dtype) if isinstance(opts.dtype, Mapping) else opts.dtype
    if opts.nodata is not None:
        kwargs["nodata"] = opts.nodata
    if finishing.to_float:
        _float_kwargs(opts, kwargs)
    if crs is not None:
        kwargs["crs"] = crs
    if res is not None:
        kwargs["resolution"] = res
    anchor = parsed.native_anchor(names, res, crs) if opts.anchor == "native" else opts.anchor
    if anchor is not None:
        kwargs["anchor"] = anchor
    aoi_geom = clip_to_items(aoi_geometry(aoi), its) if aoi is not None else None
    if aoi_geom is not None:
        kwargs["geopolygon"] = aoi_geom
    estimate = check_extent(parsed.parsed, names, kwargs, limit=opts.max_cube_bytes)
    band_plan = parsed.band_plan(names)
    if kwargs["chunks"] is None:  # none named: row bands of the output grid (or squares where it is wide)
        kwargs["chunks"] = _default_chunks(estimate, band_plan, config)
    driver = SigningReaderDriver(config, band_plan, finishing if finishing.to_float else None)
    sources = resolution.describe()
    parameters = {
        "bands": names,
        "band_sources": sources,
        "band_map": {k: list(v) if isinstance(v, tuple) else v for k, v in (band_map or {}).items()} or None,
        "mask": mask,
        "aoi": list(aoi_geom.boundingbox) if aoi_geom is not None else None,
        "resolution": res if not isinstance(res, tuple) else list(res),
        "crs": str(crs) if crs is not None else None,
        "chunks": kwargs["chunks"],
        "groupby": groupby if isinstance(groupby, str) else getattr(groupby, "__name__", repr(groupby)),
        "options": {k: v for k, v in asdict(opts).items() if k not in ("gdal_options",)},
    }
    return PreparedLoad(tuple(its), tuple(names), kwargs, driver, parameters, tuple(sorted(band_plan)),
                        sources, finishing if finishing.to_float else None, probed)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _with_provenance(ds: xr.Dataset, prepared: PreparedLoad) -> xr.Dataset:
    from .. import __version__

    hrefs = [h for h in prepared.hrefs if not is_signed(h)]
    ds.attrs.update({
        "dinamis_items": [it.id for it in prepared.items],
        "dinamis_collections": sorted({it.collection_id or "" for it in prepared.items} - {"", "_"}),
        "dinamis_hrefs": hrefs,
        "dinamis_load": mask_signatures(json.dumps(_jsonable(prepared.parameters), sort_keys=True)),
        "dinamis_version": __version__,
    })
    for name in ds.data_vars:
        ds[name].attrs.setdefault("common_name", str(name))
    return ds


def load(items: Any, bands: str | Sequence[str] | None = None,
         **arguments: Unpack[LoadArguments]) -> xr.Dataset:
    """Load items as a lazy xarray Dataset (dask), bands by common name, signed when read.

    Parameters
    ----------
    items
        STAC items: a search result, ``pystac.ItemCollection``, list of ``pystac.Item`` or of item dicts,
        or a pystac-client ``ItemSearch``. Signed or not: hrefs are stripped of signatures and signed
        again at read time. BRUT and Regards items, which cannot be streamed, are left out with a
        :class:`~dinamis_widgets.NotSignableWarning` saying why.
    bands
        Band names: common names (``red``, ``green``, ``blue``, ``nir``, ``rededge``, ``coastal``,
        ``pan``...), band names, asset keys, ``asset.N`` (see "Naming bands" below); default: the names of
        ``band_map``, else :data:`~.options.DEFAULT_BANDS`.
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
        Chunk side in pixels, or ``{"x": .., "y": .., "time": ..}``; default: bands of whole rows, 256
        pixels tall over files of 256-pixel tiles (the first file's header says), 512 otherwise, or
        2048-pixel squares for grids wider than 16384 pixels (:func:`~.options.default_chunks`).
    groupby
        ``"solar_day"`` (default: one time step per day, items of a day mosaicked), ``"time"``, ``"id"``,
        a property name or a callable (as odc-stac).
    signer
        The signer used at read time; :func:`~dinamis_widgets.get_signer` by default.
    band_map
        Which band of which asset a name means, where the items do not say or you know better:
        ``{"red": ("src_xs", 1), "nir": ("src_xs", 4)}`` (or ``"src_xs.4"``, or a single-band asset key).
        Wins over every other rule, and silences the :class:`~dinamis_widgets.BandOrderWarning` of the
        tables.
    mask
        ``"clouds"``: pixels the collection's cloud mask marks (THEIA: ``CLM_R1`` for the 10 m bands,
        ``CLM_R2`` for the 20 m ones, bit 0; and the ``SAT_R1``/``SAT_R2`` saturation bits where the items
        have them) are NaN; :class:`~dinamis_widgets.NoMaskError` when a collection of the items has no
        cloud mask (``spot-6-7-drs``, ``super-sentinel-2-l2a`` and the DINAMIS-shaped collections reference
        none). ``"clouds-if-any"``: the same, but items without a cloud mask are loaded unmasked with a
        :class:`~dinamis_widgets.NoMaskWarning`. Each item is masked before the items of a day are
        mosaicked, so a cloud in one lets another show through; a mask is read once per chunk.
    options
        Less common settings (:class:`~.options.LoadOptions`): resampling, dtype, overviews, validity,
        ``rescale``...

    Returns
    -------
    xarray.Dataset
        Lazy (dask) variables ``(time, y, x)`` named as asked, ``uint16`` with ``attrs["nodata"]`` for
        DINAMIS DNs; ``float32`` with NaN for nodata where bands are scaled or masked; ``attrs`` record
        ``dinamis_items``, ``dinamis_hrefs`` (unsigned), ``dinamis_load`` (parameters and where each band
        comes from, JSON) and ``dinamis_version``.

    Raises
    ------
    LoadError
        Empty item list, unknown band (the message lists the assets and shows a call that works), bad
        resolution or chunks.
    NoMaskError
        ``mask="clouds"`` on items of a collection without a cloud mask.
    NotSignableError
        When every item is a BRUT or Regards product (the message says why).
    QueryError
        Malformed AOI.
    InputError
        An argument of the wrong type or value (items that are not STAC items, ``bands`` not names, an
        unknown ``crs``, ``groupby`` or resampling, a keyword argument that is none of the above); also a
        ``TypeError`` and a ``ValueError``.
    CubeTooLargeError
        Before the graph is built (:mod:`.guards`): a resolution that looks like degrees on a metric CRS,
        items in several UTM zones without ``crs``, or a cube above ``LoadOptions(max_cube_bytes)`` /
        ``DINAMIS_MAX_CUBE_BYTES`` (50 GB by default); the message gives the plan's figures.

    Warns
    -----
    BandOrderWarning
        A band's meaning rests on an assumed file band order (the items naming no band): the message says
        what is assumed and the ``band_map`` that overrides it.

    Notes
    -----
    **Naming bands.** In each collection of the items (its first item stands for the others), a name is
    resolved by the first rule that applies (:mod:`.band_names`):

    0. ``band_map``;
    1. the key of a multi-band asset: all its bands (``bands=["src_xs"]`` gives ``src_xs.1`` ...
       ``src_xs.4``; ``["multispectral"]`` gives ``red``, ``green``, ``blue``, ``nir``, as its
       ``eo:bands`` name them);
    2. a name or common name in ``eo:bands`` or STAC 1.1 ``bands`` (``red``, ``B2``);
    3. the key of a single-band asset (``B04``, ``src_pan``);
    4. ``asset.N``, band N of an asset (odc-stac's convention: ``src_xs.4``);
    5. aliases: Sentinel-2 band names for Sentinel-2 items (``red`` is ``B04``, ``B4`` is ``B04``,
       ``swir16`` is ``B11``...), then the band names of the table of known collections whose items
       declare none (:data:`~.product_tables.KNOWN_COLLECTIONS`: ``spot-6-7-drs``'s ``src_xs`` is R, G,
       B, NIR; ``super-sentinel-2-l2a``'s ``img`` is B4, B3, B2, B8);
    6. the DINAMIS sensors' file band orders (:data:`~.product_tables.SENSOR_BAND_ORDERS`: SPOT 6/7,
       Pléiades, Pléiades Neo) for the multispectral asset of such an item that names no band.

    Rules 5 (for multi-band files) and 6 assume a file band order and warn. Where an item gives no grid
    (``spot-6-7-drs``: ``proj:epsg`` only) or no band count, the file's header is read once (a small
    signed request) to complete it; nothing else is read before ``.compute()``.

    **Numbers.** Scale and offset from ``raster:bands`` (STAC 1.1: ``raster:scale``, ``raster:offset``),
    else from the table, are applied (odc-stac does not: its issue 55), giving ``float32`` with NaN for
    nodata; ``LoadOptions(rescale=False)`` keeps the files' integers.

    Examples
    --------
    With a catalogue to search (here the offline twin; ``dw.open_catalog`` for the real one):

    >>> import dinamis_widgets as dw
    >>> items = dw.search(collections=["SPOT67_HCF_GS1"], bbox=(-0.97, 45.93, -0.95, 45.95),
    ...                   filters={"processing:level": "ORTHO"})
    >>> ds = dw.load(items, bands=["red", "nir"], aoi=(-0.97, 45.93, -0.95, 45.95))
    >>> ds.red.dtype, ds.red.attrs["nodata"]
    (dtype('uint16'), 0)
    >>> ndvi = dw.ndvi(ds).compute()
    >>> bool(-1 <= ndvi.min() <= ndvi.max() <= 1)
    True

    THEIA's Sentinel-2 reflectance, clouds masked:

    >>> s2 = dw.search(collections=["sentinel2-l2a-theia"], bbox=(-0.97, 45.93, -0.95, 45.95),
    ...                filters={"eo:cloud_cover": (">", 10)})
    >>> cube = dw.load(s2, bands=["red", "nir"], mask="clouds")
    >>> cube.red.dtype, cube.attrs["dinamis_collections"]
    (dtype('float32'), ['sentinel2-l2a-theia'])
    """
    return prepare_load(items, bands, **arguments).build()
