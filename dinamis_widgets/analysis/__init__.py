"""Analysis and export: spectral indices, pan-sharpening, and writing results (COG, Zarr, NetCDF).

The last stage: computations on the cubes of :mod:`dinamis_widgets.reading`, streamed by dask, and
their export with provenance.
"""
