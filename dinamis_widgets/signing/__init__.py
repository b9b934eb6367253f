"""Signing: validities, credentials (API keys, the OAuth2 device flow), the signer and the product rules.

The second stage: the catalogue's hrefs become presigned URLs that GDAL, rasterio or QGIS can read, for
the products the catalogue allows (ORTHO products of MTD and SEAS Guyane).

Modules, from the URL up:

- :mod:`.urls`: presigned URLs (:class:`~.urls.SignedURL`, :func:`~.urls.parse_signed_url`...);
- :mod:`.validity`: how long a signature lasts (``dw.parse_validity``);
- credentials: :mod:`.apikeys` (``.apikey``), :mod:`.tokens` (``.jwt``), :mod:`.prompting` (where and how
  a sign-in link is shown), :mod:`.device_flow` (the OAuth2 device flow), :mod:`.credentials` (which
  credentials are used; ``dw.login``, ``dw.logout``), :mod:`.account` (API keys of the signed-in user),
  :mod:`.storage` (the files they share with the official SDK);
- :mod:`.client`: the :class:`~.client.Signer` (``dw.Signer``: batching, cache, coalescing, re-signing);
- :mod:`.registry`: one signer per configuration in a process, for pickling, and ``dw.get_signer``;
- :mod:`.rules`: which products can be signed and which rule said so (``dw.signability``,
  ``dw.explain_signability``, :class:`~.rules.Signability`), from what :mod:`.evidence` reads of an item
  and :mod:`.known_collections` knows of its collection; :mod:`.reasons`: why not
  (:class:`~.reasons.NotSignable`);
- :mod:`.dispatch`: ``dw.sign`` and ``dw.sign_inplace`` over URLs, pystac objects and STAC mappings.
"""
