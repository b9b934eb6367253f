"""Signing: validities, credentials (API keys, the OAuth2 device flow), the signer and the product rules.

The second stage: the catalogue's hrefs become presigned URLs that GDAL, rasterio or QGIS can read, for
the products the catalogue allows (ORTHO products of MTD and SEAS Guyane).
"""
