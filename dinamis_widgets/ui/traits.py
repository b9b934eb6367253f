"""Trait types of the widgets' state.

:class:`DataValue` holds a data object (an xarray cube, an array). traitlets tells observers of a change
only when ``bool(old == new)`` is not True; for xarray, ``==`` is element-wise and ``bool()`` of a
Dataset is "has variables", so ``None == cube`` counts as *equal* and a plain ``Any`` trait never reports
the first cube. Here a change is a new object (``is not``), and comparing never reads the data.

Examples
--------
>>> import traitlets, xarray as xr
>>> class Holder(traitlets.HasTraits):
...     cube = DataValue()
>>> holder, seen = Holder(), []
>>> holder.observe(lambda change: seen.append(change["new"] is not None), names="cube")
>>> cube = xr.Dataset({"red": ("x", [1, 2])})
>>> bool(None == cube)                 # why a plain Any trait stays silent
True
>>> holder.cube = cube; holder.cube = cube; holder.cube = None
>>> seen                               # a new object each time it changes, not when set again
[True, False]
"""

from __future__ import annotations

from typing import Any

import traitlets

__all__ = ["DataValue"]


def _traitlets_sees_equal(old: Any, new: Any) -> bool:
    """Whether :meth:`traitlets.TraitType.set` takes ``old`` and ``new`` as equal (it then tells no one)."""
    try:
        return bool(old == new) is True
    except Exception:
        return False


class DataValue(traitlets.Any):
    """Any value, compared by identity: observers hear of every new object, whatever its ``==`` says."""

    def set(self, obj: traitlets.HasTraits, value: Any) -> None:
        name = str(self.name)
        old = getattr(obj, name)
        super().set(obj, value)
        new = getattr(obj, name)
        if new is not old and _traitlets_sees_equal(old, new):  # traitlets stayed silent: tell them
            obj.notify_change(traitlets.Bunch(name=name, old=old, new=new, owner=obj, type="change"))
