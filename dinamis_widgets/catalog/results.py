"""Search results: a :class:`pystac.ItemCollection` that also shows itself as the catalogue's table.

:class:`Results` is what :func:`dinamis_widgets.search` returns. Being an ``ItemCollection``, it goes
wherever one goes (odc-stac, :func:`dinamis_widgets.sign`, :func:`dinamis_widgets.load`, iteration,
``save_object``); it adds the query that produced it, the number of matches when the API counts them,
a pandas/GeoDataFrame view with the catalogue's columns, and a safe HTML view for notebooks (every value
escaped, signatures masked).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import pystac

from ..errors import mask_signatures
from .item_facts import item_facts

if TYPE_CHECKING:
    import pandas as pd

    from .query import Query

__all__ = ["COLUMNS", "Results"]

#: Columns of :meth:`Results.to_dataframe`, in order: (column, where its values come from, label).
COLUMNS: Final = (
    ("sensor", "dinamis:sensor, the collection, constellation or platform", "Sensor"),
    ("datetime", "datetime", "Date (UTC)"),
    ("cloud_cover", "eo:cloud_cover", "Cloud %"),
    ("incidence_angle", "view:incidence_angle", "Incidence °"),
    ("snow_cover", "eo:snow_cover", "Snow %"),
    ("platform", "platform, or the satellite named in the id", "Platform"),
    ("collection", "collection", "Collection (Plateforme)"),
    ("processing_level", "processing:level, the id or the collection", "Level"),
    ("decided_by", "where the rule that decided whether it can be signed looked", "Decided by"),
    ("provider", "dinamis:provider, or the collection", "Provider"),
    ("signable", "signable", "Signable"),
    ("tile", "s2:mgrs_tile", "Tile"),
    ("relative_orbit", "sat:relative_orbit", "Relative orbit"),
    ("city", "dinamis:city", "City"),
    ("department", "dinamis:department", "Department"),
    ("region", "dinamis:region", "Region"),
    ("country", "dinamis:country", "Country"),
    ("gsd", "gsd, or the finest asset gsd", "GSD (m)"),
    ("id", "id", "Id"),
)
_HTML_COLUMNS: Final = ("sensor", "datetime", "cloud_cover", "incidence_angle", "collection",
                        "processing_level", "provider", "signable", "tile", "relative_orbit", "city", "id")
_NUMERIC: Final = ("cloud_cover", "incidence_angle", "snow_cover", "gsd")
#: Columns kept even when every row lacks them.
_ALWAYS: Final = ("datetime", "collection", "signable", "id")


def _item_datetime(item: pystac.Item) -> datetime | None:
    value = item.datetime or item.common_metadata.start_datetime
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(item: pystac.Item) -> dict[str, Any]:
    facts = item_facts(item)
    row: dict[str, Any] = {}
    for column, _, _ in COLUMNS:
        if column == "datetime":
            row[column] = _item_datetime(item)
        else:
            row[column] = getattr(facts, column)
    return row


def _shown(rows: list[dict[str, Any]], columns: Iterable[str]) -> list[str]:
    """The columns some row has a value in (all of them when there is no row)."""
    columns = list(columns)
    if not rows:
        return columns
    return [c for c in columns if c in _ALWAYS or any(r[c] is not None for r in rows)]


def _cell(value: Any, column: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if column == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if column == "signable":
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _esc(text: Any) -> str:
    return html.escape(mask_signatures(str(text)), quote=True)


class Results(pystac.ItemCollection):
    """Items found by a search: a :class:`pystac.ItemCollection` with a table view.

    Parameters
    ----------
    items, extra_fields, clone_items
        As :class:`pystac.ItemCollection`.
    query
        The :class:`~dinamis_widgets.Query` that found them.
    matched
        How many items match in all (``numberMatched``), when the API counts; else None.
    truncated
        Whether more items matched than were returned (``max_items`` reached).
    catalog_url
        The STAC API searched.

    Attributes
    ----------
    html_rows
        Rows shown by the notebook view (class attribute, 10).

    Examples
    --------
    >>> r = Results([])
    >>> len(r), r.matched, list(r.to_dataframe().columns)[:4]
    (0, None, ['sensor', 'datetime', 'cloud_cover', 'incidence_angle'])
    """

    html_rows: int = 10

    def __init__(
        self,
        items: Iterable[pystac.Item | dict[str, Any]],
        extra_fields: dict[str, Any] | None = None,
        clone_items: bool = True,
        *,
        query: Query | None = None,
        matched: int | None = None,
        truncated: bool = False,
        catalog_url: str | None = None,
    ) -> None:
        super().__init__(items, extra_fields=extra_fields, clone_items=clone_items)
        self.query = query
        self.matched = matched
        self.truncated = truncated
        self.catalog_url = catalog_url

    def _copy_meta(self, other: Results) -> Results:
        other.query, other.matched = self.query, self.matched
        other.truncated, other.catalog_url = self.truncated, self.catalog_url
        return other

    def clone(self) -> Results:
        """A deep copy (items cloned), keeping the query and counts."""
        return self._copy_meta(super().clone())  # type: ignore[arg-type]

    @property
    def __geo_interface__(self) -> dict[str, Any]:
        """The items as a GeoJSON FeatureCollection (for GeoPandas, ipyleaflet's GeoJSON layer...)."""
        return self.to_dict()

    @property
    def ids(self) -> list[str]:
        """The items' ids, in order."""
        return [item.id for item in self.items]

    # -- tables -----------------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """The results as a pandas DataFrame, one row per item, with the columns some item has a value in.

        Columns, in this order (:data:`COLUMNS`): ``sensor`` (``dinamis:sensor``, else what is known of
        the collection, ``constellation`` or ``platform``), ``datetime`` (UTC), ``cloud_cover`` (%),
        ``incidence_angle`` (degrees), ``snow_cover`` (%), ``platform`` (or the satellite named in the
        id), ``collection`` (the catalogue's "Plateforme"), ``processing_level`` (from
        ``processing:level``, the id or the collection), ``decided_by`` (where the rule that decided
        whether it can be signed found its evidence: ``processing:level``, ``item id``, ``known collection
        'spot-6-7-drs'``, ``assets``...; empty when nothing told), ``provider``, ``signable`` (whether the
        product can be signed and streamed), ``tile`` (``s2:mgrs_tile``), ``relative_orbit``
        (``sat:relative_orbit``), ``city``, ``department``, ``region``, ``country``, ``gsd`` (m), ``id``.
        A column no item has a value in is left out (``datetime``, ``collection``, ``signable`` and ``id``
        always stay; an empty result has every column); a value an item lacks is None/NaN.

        Examples
        --------
        >>> theia = pystac.Item("SENTINEL2B_20250410-110721-458_L2A_T30TXR_C_V4-0", None, None,
        ...                     datetime(2025, 4, 10, 11, 7, tzinfo=UTC),
        ...                     {"platform": "sentinel-2b", "eo:cloud_cover": 29.91, "s2:mgrs_tile": "30TXR",
        ...                      "sat:relative_orbit": 137}, collection="sentinel2-l2a-theia")
        >>> Results([theia]).to_dataframe().iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
        {'sensor': 'Sentinel-2', 'datetime': Timestamp('2025-04-10 11:07:00+0000', tz='UTC'),
         'cloud_cover': 29.91, 'platform': 'sentinel-2b', 'collection': 'sentinel2-l2a-theia',
         'processing_level': 'L2A', 'decided_by': 'item id', 'provider': 'MTD', 'signable': True,
         'tile': '30TXR', 'relative_orbit': 137, 'id': 'SENTINEL2B_20250410-110721-458_L2A_T30TXR_C_V4-0'}
        """
        import pandas as pd

        rows = [_row(item) for item in self.items]
        columns = _shown(rows, (c for c, _, _ in COLUMNS))
        frame = pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)
        frame["datetime"] = pd.to_datetime(frame["datetime"], utc=True)
        for column in _NUMERIC:
            if column in frame:
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        if "relative_orbit" in frame:
            frame["relative_orbit"] = frame["relative_orbit"].astype("Int64")
        frame["signable"] = frame["signable"].astype(bool)
        return frame

    def to_geodataframe(self) -> Any:
        """The table of :meth:`to_dataframe` with the footprints, as a GeoDataFrame in EPSG:4326.

        Raises
        ------
        ImportError
            If geopandas is not installed (``pip install geopandas``).
        """
        try:
            import geopandas
        except ImportError:
            raise ImportError("Results.to_geodataframe needs geopandas: `pip install geopandas` (or "
                              "`pip install dinamis_widgets[geo]`); Results.to_dataframe needs only pandas."
                              ) from None
        from shapely.geometry import shape

        geometry = [shape(item.geometry) if item.geometry else None for item in self.items]
        return geopandas.GeoDataFrame(self.to_dataframe(), geometry=geometry, crs="EPSG:4326")

    def to_code(self, style: str = "dinamis_widgets") -> str:
        """The search that found these results, as Python code (see :meth:`Query.to_code`)."""
        from .query import Query

        return (self.query or Query()).to_code(style, catalog=self.catalog_url)

    # -- reprs ------------------------------------------------------------------------------------
    def _count_text(self) -> str:
        n = len(self.items)
        text = f"{n} item{'s' if n != 1 else ''}"
        if self.matched is not None and self.matched != n:
            text += f" of {self.matched} matching"
        elif self.truncated:
            text += " (more match: raise max_items or narrow the search)"
        return text

    def __repr__(self) -> str:
        ids = ", ".join(self.ids[:3]) + (", ..." if len(self.items) > 3 else "")
        return mask_signatures(f"<Results: {self._count_text()}{': ' + ids if ids else ''}>")

    def __str__(self) -> str:
        return self.__repr__()

    def _repr_html_(self) -> str:
        labels = {c: label for c, _, label in COLUMNS}
        shown = self.items[: self.html_rows]
        rows = [_row(item) for item in shown]
        columns = _shown(rows, _HTML_COLUMNS)
        head = "".join(f"<th style='text-align:left'>{_esc(labels[c])}</th>" for c in columns)
        body = []
        for item, row in zip(shown, rows, strict=True):
            title = item.properties.get("title")
            attr = f" title='{_esc(title)}'" if title else ""
            cells = "".join(f"<td>{_esc(_cell(row[c], c))}</td>" for c in columns)
            body.append(f"<tr{attr}>{cells}</tr>")
        more = len(self.items) - len(shown)
        caption = _esc(self._count_text())
        if more > 0:
            caption += _esc(f"; first {len(shown)} shown (to_dataframe() for all)")
        where = f" from {_esc(self.catalog_url)}" if self.catalog_url else ""
        table = (f"<table class='dinamis-results'><thead><tr>{head}</tr></thead>"
                 f"<tbody>{''.join(body)}</tbody></table>") if shown else ""
        return mask_signatures(f"<div class='dinamis-results'><p><b>Results</b>: {caption}{where}</p>"
                               f"{table}</div>")
