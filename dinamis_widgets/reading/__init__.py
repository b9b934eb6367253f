"""Reading: lazy cubes signed at read time, their plan before any read, and whole-file downloads.

The third stage: signed assets become dask-backed xarray cubes (odc-stac with the toolkit's reader
driver), or files on disk.

- :mod:`.options`: the arguments of a load (:class:`~.options.LoadOptions`, :class:`~.options.LoadArguments`);
- :mod:`.items`: the items of a load and their bands, as odc-stac parses them;
- :mod:`.asset_facts`: what the items declare about their assets, and completing their clones;
- :mod:`.product_tables`: what the toolkit knows of products whose items do not say it (band orders,
  known collections, with sources);
- :mod:`.band_names`: which band of which asset each name of a load means;
- :mod:`.probe`: the headers of files whose items give no grid or band count;
- :mod:`.finishing`: scale and offset, nodata, cloud and saturation masks;
- :mod:`.loading`: :func:`~dinamis_widgets.load` (the lazy cube);
- :mod:`.planning`: :func:`~dinamis_widgets.plan` (what a load will fetch);
- :mod:`.driver`: the reader driver (signing at read time, one shared read per asset and chunk);
- :mod:`.gdal_io`: GDAL options, opening files, the pool of open files, masked logs;
- :mod:`.tiles`: the tile layout of a COG (for the plan's estimates);
- :mod:`.odc_read`: odc-loader's pixel-level read, vendored;
- :mod:`.download`: whole-file, resumable downloads.
"""
