"""``dinamis-widgets twin`` (serve the offline twin until interrupted) and ``dinamis-widgets scenes``.

Examples
--------
>>> print(format_twin_info({
...     "stac_api": "http://127.0.0.1:40001/", "signing": "http://127.0.0.1:40002/",
...     "data": "http://127.0.0.1:40003", "access_key": "ak", "secret_key": "sk", "scenes": "/tmp/scenes",
...     "env": {"DINAMIS_PROFILE": "twin"}}))
DINAMIS twin is running on 127.0.0.1 (Ctrl-C to stop).
  STAC API        http://127.0.0.1:40001/
  signing service http://127.0.0.1:40002/
  object store    http://127.0.0.1:40003
  demo API key    access-key=ak  secret-key=sk
  scenes          /tmp/scenes
<BLANKLINE>
To point another shell or kernel at it:
  export DINAMIS_PROFILE=twin
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType
from typing import Any

__all__ = ["format_twin_info", "run_scenes", "run_twin"]


def format_twin_info(info: Mapping[str, Any]) -> str:
    """What ``dinamis-widgets twin`` prints for people when the twin is ready (without ``--json``).

    Parameters
    ----------
    info
        :meth:`dinamis_widgets.twin.Twin.info`: the services' URLs, the demo API key, the scenes' folder
        and the variables to export.
    """
    env = info["env"]
    lines = [
        "DINAMIS twin is running on 127.0.0.1 (Ctrl-C to stop).",
        f"  STAC API        {info['stac_api']}",
        f"  signing service {info['signing']}",
        f"  object store    {info['data']}",
        f"  demo API key    access-key={info['access_key']}  secret-key={info['secret_key']}",
        f"  scenes          {info['scenes']}",
        "",
        "To point another shell or kernel at it:",
    ]
    lines += [f"  export {k}={v}" for k, v in env.items()]
    return "\n".join(lines)


def run_twin(*, seed: int, scene_set: str, ports: tuple[int, int, int], log_level: str,
             as_json: bool) -> int:
    """Start the twin, print how to reach it, serve until SIGINT/SIGTERM or a service exits, then stop it.

    Returns
    -------
    int
        The exit status: 0 when interrupted, 1 when a service of the twin exited.
    """
    from .. import twin as twin_mod

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    t = twin_mod.start(seed=seed, scene_set=scene_set, ports=ports, configure_environment=False,
                       log_level=log_level)
    try:
        info = t.info()
        print(json.dumps(info) if as_json else format_twin_info(info), flush=True)
        while not stop.wait(0.5):
            exited = t.exited()
            if exited is not None:
                print(f"a service of the twin exited ({exited}); stopping", file=sys.stderr)
                return 1
        return 0
    finally:
        t.stop()


def run_scenes(*, seed: int, scene_set: str, force: bool) -> int:
    """Generate (or find in the cache) a scene set and print its folder."""
    from ..twin.scenes import generate

    s = generate(seed=seed, scene_set=scene_set, force=force)
    print(s.root)
    return 0
