"""Worker processes of the generator.

The generator runs ``python -m dinamis_widgets.twin.scenes.worker`` child processes rather than a
``multiprocessing`` pool: a spawned pool re-imports the caller's ``__main__`` (a script calling
:func:`~dinamis_widgets.twin.scenes.generate` without a ``__main__`` guard would deadlock on the
generation lock), and a forked one inherits the locks of a threaded parent (Jupyter, GDAL).

Each worker renders the items named on its command line and prints one JSON line per item.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from .products import ItemResult, build_item_files
from .registry import get_spec
from .specs import THEIA, SceneSpec

__all__ = ["main", "run_workers"]

_REPO_ROOT = Path(__file__).resolve().parents[3]


def _cost(spec: SceneSpec) -> int:
    rows, cols = spec.ms_shape
    pan = spec.pan_shape[0] * spec.pan_shape[1] if spec.pan_shape and spec.hosted else 0
    bands = 2 if spec.layout == THEIA else 1  # ten bands and six masks on a 10 m and a 20 m grid
    return rows * cols * bands + pan


def partition(specs: Sequence[SceneSpec], bins: int) -> list[list[SceneSpec]]:
    """Split items into ``bins`` groups of similar cost (largest first, into the lightest bin)."""
    groups: list[list[SceneSpec]] = [[] for _ in range(bins)]
    loads = [0] * bins
    for spec in sorted(specs, key=_cost, reverse=True):
        i = loads.index(min(loads))
        groups[i].append(spec)
        loads[i] += _cost(spec)
    return [g for g in groups if g]


def run_workers(
    specs: Sequence[SceneSpec], data_root: Path, workers: int, scene_set: str
) -> dict[str, ItemResult]:
    """Write the files of ``specs`` (items of ``scene_set``) with ``workers`` child processes.

    Raises
    ------
    RuntimeError
        If a worker fails (its error output is quoted); the other workers are stopped.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    procs: list[subprocess.Popen[str]] = []
    groups = partition(specs, workers)
    try:
        for group in groups:
            threads = workers if len(group) == 1 and len(specs) > 1 else 1
            cmd = [
                sys.executable, "-m", "dinamis_widgets.twin.scenes.worker",
                "--seed", str(group[0].seed), "--set", scene_set,
                "--data-root", str(data_root), "--threads", str(threads),
                *(s.item_id for s in group),
            ]
            procs.append(subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                stdin=subprocess.DEVNULL,
            ))
        results: dict[str, ItemResult] = {}
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                tail = "\n".join(err.strip().splitlines()[-15:])
                raise RuntimeError(f"scene worker failed (exit {proc.returncode}):\n{tail}")
            for line in out.splitlines():
                res = ItemResult(**json.loads(line))
                results[res.item_id] = res
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of a worker process."""
    parser = argparse.ArgumentParser(prog="python -m dinamis_widgets.twin.scenes.worker")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--set", dest="scene_set", required=True)
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("items", nargs="+")
    args = parser.parse_args(argv)
    for item_id in args.items:
        spec = get_spec(item_id, args.seed, args.scene_set)
        result = build_item_files(spec, args.data_root, args.threads)
        print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
