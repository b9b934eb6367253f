"""Filter widgets generated from a collection's queryables.

Numbers with a ``minimum`` and ``maximum`` become range sliders (cloud cover, incidence angle, snow cover,
resolution...), integers integer sliders whose conditions are integers (``sat:relative_orbit``: both ends
on one orbit give ``=``); strings with an ``enum`` (and arrays of them, such as ``instruments``) become
multiple choices (platform, processing level, provider, ``s2:mgrs_tile``...). A slider left at its full
range, or a choice left empty, adds no condition, so items lacking the property are not excluded.

Examples
--------
>>> f = QueryableFilters(lang="en")
>>> f.queryables = {"eo:cloud_cover": {"type": "number", "minimum": 0, "maximum": 100},
...                 "platform": {"type": "string", "enum": ["spot-6", "spot-7"]}}
>>> f.controls["eo:cloud_cover"].value = (0.0, 20.0)
>>> f.controls["platform"].value = ("spot-7",)
>>> f.filters()
[('eo:cloud_cover', '<=', 20.0), ('platform', 'in', ['spot-7'])]
>>> f.queryables = {"sat:relative_orbit": {"type": "integer", "minimum": 8, "maximum": 137}}
>>> f.controls["sat:relative_orbit"].value = (8, 8)
>>> f.filters()
[('sat:relative_orbit', '=', 8)]
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
from traitlets import Dict, Unicode, observe

from .i18n import DEFAULT_LANG, property_label, t

__all__ = ["MAIN_PROPERTIES", "QueryableFilters", "css_name", "numeric_range"]

#: Properties shown first (the others go under "Plus de filtres").
MAIN_PROPERTIES = ("eo:cloud_cover", "view:incidence_angle", "eo:snow_cover", "gsd", "platform",
                   "instruments", "processing:level", "dinamis:provider", "s2:mgrs_tile",
                   "sat:relative_orbit")
#: Properties never offered as filters (the panel has its own fields for them).
_SKIPPED = ("datetime", "start_datetime", "end_datetime", "geometry", "id", "collection", "bbox")


def css_name(prop: str) -> str:
    """A CSS-safe form of a property name (``eo:cloud_cover`` -> ``eo-cloud-cover``).

    Examples
    --------
    >>> css_name("view:incidence_angle")
    'view-incidence-angle'
    """
    return re.sub(r"[^a-z0-9]+", "-", prop.lower()).strip("-")


def numeric_range(schema: Mapping[str, Any]) -> tuple[float, float] | None:
    """The slider range of a numeric queryable: ``(minimum, maximum)``, widened when they are equal;
    None when the schema is not a number with both bounds.

    Examples
    --------
    >>> numeric_range({"type": "number", "minimum": 6.22, "maximum": 24.7784})
    (6.22, 24.7784)
    >>> numeric_range({"type": "number", "minimum": 1.5, "maximum": 1.5})
    (0.5, 2.5)
    >>> numeric_range({"type": "string"}) is None
    True
    """
    if schema.get("type") not in ("number", "integer"):
        return None
    lo: Any = schema.get("minimum")
    hi: Any = schema.get("maximum")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lo, hi)):
        return None
    lo_f, hi_f = float(lo), float(hi)
    if hi_f < lo_f:
        lo_f, hi_f = hi_f, lo_f
    if hi_f == lo_f:
        lo_f, hi_f = lo_f - 1.0, hi_f + 1.0
        if float(lo) >= 0:
            lo_f = max(0.0, lo_f)
    return lo_f, hi_f


def _enum(schema: Mapping[str, Any]) -> list[Any] | None:
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return list(schema["enum"])
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, Mapping) and isinstance(items.get("enum"), list):
        return list(items["enum"]) or None
    return None


def _step(lo: float, hi: float) -> float:
    span = hi - lo
    if span >= 50:
        return 1.0
    if span >= 5:
        return 0.1
    return 0.01


def _integer_conditions(name: str, value: tuple[int, int],
                        full: tuple[float, float]) -> list[tuple[str, str, Any]]:
    """Conditions of an integer slider: none at its full range, ``=`` when both ends are on one value."""
    lo, hi = (int(v) for v in value)
    if lo == hi:
        return [(name, "=", lo)]
    out: list[tuple[str, str, Any]] = []
    if lo > full[0]:
        out.append((name, ">=", lo))
    if hi < full[1]:
        out.append((name, "<=", hi))
    return out


class QueryableFilters(widgets.VBox):
    """Filter widgets built from queryables (CSS classes ``dw-filters``, and ``dw-filter`` plus
    ``dw-filter-<property>`` on each control).

    Attributes
    ----------
    queryables : dict
        Property name -> JSON schema (what :func:`dinamis_widgets.fetch_queryables` returns);
        setting it rebuilds the widgets.
    controls : dict
        Property name -> its widget (``FloatRangeSlider``, ``IntRangeSlider`` for integers, or
        ``SelectMultiple``).
    """

    queryables = Dict()
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, lang: str = DEFAULT_LANG, **kwargs: Any) -> None:
        self.controls: dict[str, widgets.ValueWidget] = {}
        self._ranges: dict[str, tuple[float, float]] = {}
        self._main = widgets.VBox()
        self._more = widgets.VBox()
        self._accordion = widgets.Accordion(children=[self._more])
        self._accordion.set_title(0, t("more_filters", lang))
        self._accordion.selected_index = None
        self._accordion.add_class("dw-more-filters")
        super().__init__(children=[self._main], lang=lang, **kwargs)
        self.add_class("dw-filters")

    @observe("queryables")
    def _rebuild(self, _change: Any = None) -> None:
        self.controls = {}
        self._ranges = {}
        main: list[widgets.Widget] = []
        more: list[widgets.Widget] = []
        order = {name: i for i, name in enumerate(MAIN_PROPERTIES)}
        names = sorted(self.queryables, key=lambda n: (order.get(n, len(order)), n))
        for name in names:
            schema = self.queryables[name]
            if name in _SKIPPED or not isinstance(schema, Mapping):
                continue
            control = self._control(name, schema)
            if control is None:
                continue
            self.controls[name] = control
            (main if name in order else more).append(control)
        self._main.children = main
        self._more.children = more
        self.children = [self._main, self._accordion] if more else [self._main]

    def _control(self, name: str, schema: Mapping[str, Any]) -> widgets.ValueWidget | None:
        label = property_label(name, self.lang, schema)
        style = {"description_width": "initial"}
        bounds = numeric_range(schema)
        control: widgets.ValueWidget
        if bounds is not None and schema.get("type") == "integer":
            lo_i, hi_i = math.ceil(bounds[0]), math.floor(bounds[1])
            self._ranges[name] = (float(lo_i), float(hi_i))
            control = widgets.IntRangeSlider(
                value=(lo_i, hi_i), min=lo_i, max=hi_i, step=1, description=label, continuous_update=False,
                style=style, layout=widgets.Layout(width="98%"))
        elif bounds is not None:
            lo, hi = bounds
            self._ranges[name] = bounds
            step = _step(lo, hi)
            control = widgets.FloatRangeSlider(
                value=(lo, hi), min=lo, max=hi, step=step, description=label, continuous_update=False,
                readout_format=".0f" if step >= 1 else (".1f" if step >= 0.1 else ".2f"), style=style,
                layout=widgets.Layout(width="98%"))
        else:
            options = _enum(schema)
            if not options:
                return None
            control = widgets.SelectMultiple(
                options=[(str(o), o) for o in options], value=(), description=label, style=style,
                rows=max(2, min(len(options), 4)), layout=widgets.Layout(width="98%"))
        control.add_class("dw-filter")
        control.add_class(f"dw-filter-{css_name(name)}")
        tip = schema.get("title") or name
        control.description_allow_html = False
        control.tooltip = f"{tip} ({name})"
        return control

    def reset(self) -> None:
        """Put every control back to "no condition"."""
        for name, control in self.controls.items():
            if isinstance(control, widgets.IntRangeSlider):
                control.value = tuple(int(v) for v in self._ranges[name])
            elif name in self._ranges:
                control.value = self._ranges[name]
            else:
                control.value = ()

    def filters(self) -> list[tuple[str, str, Any]]:
        """The conditions set, as ``(property, operator, value)`` triples for
        :class:`~dinamis_widgets.Query` (``filters=``)."""
        out: list[tuple[str, str, Any]] = []
        for name, control in self.controls.items():
            if isinstance(control, widgets.IntRangeSlider):
                out.extend(_integer_conditions(name, control.value, self._ranges[name]))
            elif name in self._ranges:
                full_lo, full_hi = self._ranges[name]
                lo, hi = (float(v) for v in control.value)
                step = float(getattr(control, "step", 0) or 0)
                if lo > full_lo + step / 2:
                    out.append((name, ">=", lo))
                if hi < full_hi - step / 2:
                    out.append((name, "<=", hi))
            else:
                chosen = list(control.value)
                if chosen:
                    out.append((name, "in", chosen))
        return out

    def describe(self) -> str:
        """The conditions as HTML text (for a summary line)."""
        return html.escape("; ".join(f"{p} {op} {v}" for p, op, v in self.filters()))
