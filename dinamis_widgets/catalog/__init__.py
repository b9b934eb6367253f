"""Finding data: the area of interest, the query model, the STAC client, the search and its results.

The first stage of the data's journey. Nothing here signs or reads pixels; search results keep the
catalogue's plain hrefs (signing happens on demand, in :mod:`dinamis_widgets.signing`).

Modules, from the user's input to the results:

- ``aoi`` (:class:`~dinamis_widgets.AOI`, :func:`~dinamis_widgets.as_aoi`), reading the forms in
  ``aoi_forms``, splitting at ±180° in ``antimeridian``;
- ``dates`` (dates and ranges as UTC), ``filters`` (:class:`~dinamis_widgets.Filter` and the forms people
  type), ``query`` (:class:`~dinamis_widgets.Query`), ``codegen`` (a query as Python code);
- ``cql2`` (filters as CQL2-JSON or the query extension), ``schema_checks`` (a query against the
  queryables), ``conformance`` (what an API declares);
- ``client`` (:func:`~dinamis_widgets.open_catalog`, ``DinamisClient``), ``queryables``
  (:func:`~dinamis_widgets.fetch_queryables`), ``searching`` (:func:`~dinamis_widgets.search`),
  ``results`` (:class:`~dinamis_widgets.Results`).
"""
