"""Reading: lazy cubes signed at read time, their plan before any read, and whole-file downloads.

The third stage: signed assets become dask-backed xarray cubes (odc-stac with the toolkit's reader
driver), or files on disk.

- :mod:`.options`: the arguments of a load (:class:`~.options.LoadOptions`, :class:`~.options.LoadArguments`);
- :mod:`.items`: the items of a load and their bands, as odc-stac parses them;
- :mod:`.loading`: :func:`~dinamis_widgets.load` (the lazy cube);
- :mod:`.planning`: :func:`~dinamis_widgets.plan` (what a load will fetch);
- :mod:`.driver`: the reader driver (signing at read time, one shared read per asset and chunk);
- :mod:`.gdal_io`: GDAL options, opening files, the pool of open files, masked logs;
- :mod:`.tiles`: the tile layout of a COG (for the plan's estimates);
- :mod:`.odc_read`: odc-loader's pixel-level read, vendored;
- :mod:`.download`: whole-file, resumable downloads.
"""
