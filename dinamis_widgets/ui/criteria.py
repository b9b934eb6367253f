"""Free-form criteria on any property: rows of (property, operator, value).

Values are read as data, never evaluated: :func:`parse_value` turns the typed text into a number, a
boolean or a string according to the property's queryable schema (or to what the text looks like when the
property is not a queryable), and a list for ``in`` (comma-separated). Anything it cannot read raises a
:class:`~dinamis_widgets.errors.QueryError` that names the row.

Examples
--------
>>> parse_value("20", "<=", {"type": "number"})
20.0
>>> parse_value("spot-6, spot-7", "in", {"type": "string"})
['spot-6', 'spot-7']
>>> parse_value("__import__('os')", "=", None)
"__import__('os')"
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
from traitlets import Dict, Unicode, observe

from ..errors import QueryError
from .error_text import error_html
from .i18n import DEFAULT_LANG, t

__all__ = ["OPERATORS", "CriteriaEditor", "CriterionRow", "parse_value"]

#: Operators offered (those of :class:`dinamis_widgets.Filter`).
OPERATORS = ("=", "<>", "<", "<=", ">", ">=", "like", "in", "isNull")
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


def _one(text: str, schema: Mapping[str, Any] | None, prop: str) -> Any:
    value = text.strip()
    kind = (schema or {}).get("type")
    if kind == "array":
        items = (schema or {}).get("items")
        kind = items.get("type") if isinstance(items, Mapping) else None
    if kind in ("number", "integer"):
        if not _FLOAT_RE.match(value):
            raise QueryError(f"Criterion on {prop!r}: {value!r} is not a number.")
        number = float(value.replace(",", "."))
        return int(number) if kind == "integer" and number.is_integer() else number
    if kind == "boolean":
        low = value.lower()
        if low in ("true", "vrai", "1", "yes", "oui"):
            return True
        if low in ("false", "faux", "0", "no", "non"):
            return False
        raise QueryError(f"Criterion on {prop!r}: {value!r} is not true or false.")
    if kind == "string":
        return value
    # not a queryable: guess from the text
    if _INT_RE.match(value):
        return int(value)
    if _FLOAT_RE.match(value) and "," not in value:
        return float(value)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_value(text: str, op: str, schema: Mapping[str, Any] | None = None, prop: str = "?") -> Any:
    """Read the value typed for a criterion, as data (never evaluated).

    Parameters
    ----------
    text
        What was typed.
    op
        The operator: ``in`` takes comma-separated values, ``isNull`` no value.
    schema
        The property's queryable schema (``type``...), or None.
    prop
        The property name, for messages.

    Raises
    ------
    QueryError
        A value missing or of the wrong type.
    """
    if op == "isNull":
        return None
    if op == "in":
        parts = [p for p in (s.strip() for s in text.split(",")) if p]
        if not parts:
            raise QueryError(f"Criterion on {prop!r}: 'in' needs values separated by commas.")
        return [_one(p, schema, prop) for p in parts]
    if not text.strip():
        raise QueryError(f"Criterion on {prop!r}: give a value for {op!r}.")
    if op == "like":
        return text.strip()
    return _one(text, schema, prop)


class CriterionRow(widgets.HBox):
    """One criterion: property (``dw-criteria-property``), operator (``dw-criteria-op``), value
    (``dw-criteria-value``) and a remove button (``dw-criteria-remove``)."""

    def __init__(self, properties: Sequence[str], lang: str = DEFAULT_LANG, **kwargs: Any) -> None:
        self.prop = widgets.Combobox(options=tuple(properties), placeholder=t("criteria_property", lang),
                                     ensure_option=False, layout=widgets.Layout(width="40%"))
        self.prop.add_class("dw-criteria-property")
        self.op = widgets.Dropdown(options=OPERATORS, value="=", layout=widgets.Layout(width="80px"))
        self.op.add_class("dw-criteria-op")
        self.value = widgets.Text(placeholder=t("criteria_value", lang), layout=widgets.Layout(width="35%"))
        self.value.add_class("dw-criteria-value")
        self.remove_button = widgets.Button(icon="trash", tooltip=t("remove", lang),
                                            layout=widgets.Layout(width="36px"))
        self.remove_button.add_class("dw-criteria-remove")
        super().__init__(children=[self.prop, self.op, self.value, self.remove_button], **kwargs)
        self.add_class("dw-criteria-row")

    def criterion(self, queryables: Mapping[str, Any]) -> tuple[str, str, Any] | None:
        """``(property, operator, value)``, or None when the property is empty."""
        name = self.prop.value.strip()
        if not name:
            return None
        schema = queryables.get(name)
        return name, self.op.value, parse_value(self.value.value, self.op.value,
                                                schema if isinstance(schema, Mapping) else None, name)


class CriteriaEditor(widgets.VBox):
    """Rows of free-form criteria (CSS class ``dw-criteria``; add button ``dw-criteria-add``).

    Attributes
    ----------
    queryables : dict
        The collections' queryables: property names offered, and value types.
    """

    queryables = Dict()
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, lang: str = DEFAULT_LANG, **kwargs: Any) -> None:
        self.rows: list[CriterionRow] = []
        self.add_button = widgets.Button(description=t("criteria_add", lang),
                                         layout=widgets.Layout(width="auto"))
        self.add_button.add_class("dw-criteria-add")
        self._rows_box = widgets.VBox()
        self._error = widgets.HTML()
        self._error.add_class("dw-criteria-error")
        title = widgets.HTML(f"<b>{html.escape(t('criteria', lang))}</b>")
        super().__init__(children=[title, self._rows_box, self.add_button, self._error], lang=lang, **kwargs)
        self.add_class("dw-criteria")
        self.add_button.on_click(lambda _b: self.add_row())

    @observe("queryables")
    def _update_options(self, _change: Any = None) -> None:
        names = self._names()
        for row in self.rows:
            row.prop.options = names

    def _names(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.queryables) | {"id", "datetime"}))

    def add_row(self, prop: str = "", op: str = "=", value: str = "") -> CriterionRow:
        """Add a row (optionally filled) and return it."""
        row = CriterionRow(self._names(), lang=self.lang)
        row.prop.value, row.op.value, row.value.value = prop, op, value
        row.remove_button.on_click(lambda _b: self.remove_row(row))
        self.rows.append(row)
        self._rows_box.children = tuple(self.rows)
        return row

    def remove_row(self, row: CriterionRow) -> None:
        """Remove a row."""
        if row in self.rows:
            self.rows.remove(row)
            self._rows_box.children = tuple(self.rows)

    def criteria(self) -> list[tuple[str, str, Any]]:
        """The criteria as ``(property, operator, value)`` triples.

        Raises
        ------
        QueryError
            A row cannot be read (also shown under the rows).
        """
        out: list[tuple[str, str, Any]] = []
        try:
            for row in self.rows:
                c = row.criterion(self.queryables)
                if c is not None:
                    out.append(c)
        except QueryError as exc:
            self._error.value = error_html(exc, self.lang)
            raise
        self._error.value = ""
        return out
