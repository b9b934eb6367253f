"""Reading: lazy cubes signed at read time, their plan before any read, and whole-file downloads.

The third stage: signed assets become dask-backed xarray cubes (odc-stac with the toolkit's reader
driver), or files on disk.
"""
