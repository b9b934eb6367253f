"""Finding data: the area of interest, the query model, the STAC client, the search and its results.

The first stage of the data's journey. Nothing here signs or reads pixels; search results keep the
catalogue's plain hrefs (signing happens on demand, in :mod:`dinamis_widgets.signing`).
"""
