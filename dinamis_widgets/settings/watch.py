"""Which changes may alter the settings, as Python's audit events (PEP 578) report them.

``os.environ`` has no version number, and reading the ~20 variables of the settings costs about as much
as building them, so :func:`~dinamis_widgets.settings.get_settings` does not read them on every call.
Instead, a hook added with :func:`sys.addaudithook` counts the events that may change what the settings
are made of:

- ``os.putenv`` and ``os.unsetenv`` of one of the watched variables: raised by every change of
  ``os.environ`` (``os.environ[k] = v``, ``del``, ``update``, ``pop``; ``monkeypatch.setenv``; the
  twin's ``start()`` and ``stop()``);
- a file opened for writing, renamed, removed, truncated, linked or touched (``os.utime``), and a change
  of the working folder: this process may have changed the config file.

:attr:`ChangeCounter.count` then changes, which the settings' cache compares in a fraction of a
microsecond. The hook does little else, never raises (an exception in an audit hook would fail the
audited operation), and costs about 0.1 µs per audited event of the process.

An event comes just *before* its change: ``os.environ[k] = v`` raises ``os.putenv``, then sets the
variable. So the hook also notes the value announced, and :meth:`ChangeCounter.settling` tells whether one
is not in ``os.environ`` yet; the cache checks again at its next call while it is so. A value never seen
there (``os.putenv`` called alone, which ``os.environ`` ignores too, or a failed change) stops counting
after :data:`SETTLE_TIMEOUT`.

Limits: variables set by C code (``setenv``) are not seen, as ``os.environ`` itself does not see them; and
another audit hook may refuse this one, in which case :attr:`ChangeCounter.active` stays False and the
cache must check everything on every call.

Examples
--------
>>> import os
>>> counter = ChangeCounter(["DINAMIS_EXAMPLE_VARIABLE"])
>>> counter.start()
True
>>> before = counter.count
>>> os.environ["DINAMIS_EXAMPLE_VARIABLE"] = "1"
>>> del os.environ["DINAMIS_EXAMPLE_VARIABLE"]
>>> counter.count != before, counter.settling()
(True, False)
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["SETTLE_TIMEOUT", "ChangeCounter"]

#: Seconds after which a value announced by ``os.putenv``/``os.unsetenv`` but never seen in ``os.environ``
#: is forgotten (:meth:`ChangeCounter.settling`).
SETTLE_TIMEOUT = 1.0

_ENV_EVENTS = frozenset({"os.putenv", "os.unsetenv"})
_FILE_EVENTS = frozenset({"os.rename", "os.remove", "os.utime", "os.truncate", "os.link", "os.symlink",
                          "os.chdir"})
#: ``open`` events with one of these flags may write (builtin ``open`` and ``os.open`` both give flags).
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_PROBE = "dinamis_widgets.settings.watch.probe"


def _env_key(name: str) -> str:
    """A variable's name as ``os.environ`` keys it (upper case on Windows)."""
    return name.upper() if os.name == "nt" else name


class ChangeCounter:
    """Counts, through an audit hook, the changes of the environment and of files made by this process.

    Parameters
    ----------
    variables
        Environment variables whose changes are counted (changes of the others are not).
    """

    def __init__(self, variables: Iterable[str]) -> None:
        self._variables = frozenset(_env_key(v) for v in variables)
        self._ticks = itertools.count(1)
        self._lock = threading.Lock()
        self._started = False
        # variable -> (value announced, None for unset; time.monotonic() of the event)
        self._announced: dict[str, tuple[str | None, float]] = {}
        # re-entrant: the hook may run in a thread that holds it (if an event were raised inside)
        self._announced_lock = threading.RLock()
        #: Changes so far: compare two readings to know whether anything changed between them. A new
        #: number from a thread-safe counter is stored at each change, so no change can go unnoticed by
        #: a reader even when two threads change things at once.
        self.count = 0
        #: Whether the hook runs (False before :meth:`start`, or if another audit hook refused it).
        self.active = False

    def start(self) -> bool:
        """Add the hook, once (a hook cannot be removed: it lives as long as the process).

        Returns
        -------
        bool
            Whether the hook runs, checked with an event of its own.
        """
        with self._lock:
            if not self._started:
                self._started = True
                sys.addaudithook(self._hook)  # a refusal by another hook is silent...
                sys.audit(_PROBE)  # ...so check that this hook is called
        return self.active

    def settling(self) -> bool:
        """Whether a change of a watched variable was announced and is not in ``os.environ`` yet.

        Call it *before* reading the variables: when it returns False, every change announced so far is
        in ``os.environ``.
        """
        if not self._announced:
            return False
        now = time.monotonic()
        with self._announced_lock:
            for name, (value, when) in list(self._announced.items()):
                if os.environ.get(name) == value or now - when > SETTLE_TIMEOUT:
                    del self._announced[name]
            return bool(self._announced)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        try:
            if event == "open":
                if isinstance(args[2], int) and args[2] & _WRITE_FLAGS:
                    self.count = next(self._ticks)
            elif event in _FILE_EVENTS:
                self.count = next(self._ticks)
            elif event in _ENV_EVENTS:
                name = _env_key(os.fsdecode(args[0]))
                if name in self._variables:
                    value = os.fsdecode(args[1]) if event == "os.putenv" else None
                    with self._announced_lock:
                        self._announced[name] = (value, time.monotonic())
                    self.count = next(self._ticks)
            elif event == _PROBE:
                self.active = True
        except Exception:  # never fail the audited operation; count a change to be safe
            self.count = next(self._ticks)
