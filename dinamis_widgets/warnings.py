"""Typed warnings of dinamis_widgets, all derived from :class:`DinamisWarning`.

Filter them by category, as pystac-client's warnings are: ``warnings.simplefilter("ignore", DinamisWarning)``
silences every warning of the toolkit, ``warnings.simplefilter("error", NotSignableWarning)`` turns one
kind into errors. The toolkit itself never changes the process's warning filters.

Examples
--------
>>> import warnings
>>> from dinamis_widgets.warnings import DinamisWarning, QueryWarning
>>> issubclass(QueryWarning, DinamisWarning) and issubclass(QueryWarning, UserWarning)
True
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always", DinamisWarning)
...     warnings.warn("sorting dropped", QueryWarning, stacklevel=1)
>>> [type(w.message).__name__ for w in caught]
['QueryWarning']
"""

from __future__ import annotations

__all__ = ["AOIWarning", "BandOrderWarning", "DinamisWarning", "NoMaskWarning", "NotSignableWarning",
           "QueryWarning", "SearchWarning", "UnverifiedProductWarning"]


class DinamisWarning(UserWarning):
    """Base class of every warning of dinamis_widgets."""


class AOIWarning(DinamisWarning):
    """An AOI was changed to be usable (an invalid polygon repaired, a CRS assumed)."""


class QueryWarning(DinamisWarning):
    """A query was changed or may find nothing (a dropped sort, a value the catalogue does not list)."""


class SearchWarning(DinamisWarning):
    """A search returned fewer items than match (``max_items`` reached)."""


class NotSignableWarning(DinamisWarning):
    """Items of a collection or search were left unsigned (BRUT or Regards products)."""


class BandOrderWarning(DinamisWarning):
    """Bands were named from an assumed file band order, the items naming none; the message says what is
    assumed and the ``band_map=`` that overrides it."""


class NoMaskWarning(DinamisWarning):
    """``mask="clouds-if-any"``: the items of a collection without a cloud mask were loaded unmasked."""


class UnverifiedProductWarning(DinamisWarning):
    """Items were signed though nothing says they are georeferenced: no rule of
    :mod:`dinamis_widgets.signing.rules` found their processing level (the message names the items and
    what was missing). Check they are not raw (BRUT) products before using their URLs."""
