"""Generate a scene set on disk, once, and find it again in the cache.

On-disk layout of a generation (``root``)::

    root/
      data/<bucket>/<collection>/<item_id>/<file>   object store (buckets dinamis-mtd,
                                                    dinamis-seasguyane, quicklooks, and
                                                    sm1-gdc, sm1-gdc-theia for the
                                                    MTD-shaped collections)
      stac/collections.json                         JSON list of collections
      stac/items.ndjson                             one item per line
      manifest.json                                 written last: the generation is complete

A generation is written into a temporary sibling folder and renamed into place, under an ``fcntl``
lock, so concurrent processes never see a half-written set and never generate the same set twice.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .products import ItemResult, build_item_files
from .registry import COLLECTIONS, catalogue
from .specs import SCENE_SETS, SceneSpec
from .stac import collection_dict, item_dict

__all__ = ["GENERATOR_VERSION", "SceneSet", "default_cache_dir", "generate", "main"]

#: Version of the generator's output; part of the cache folder name. Bump it whenever the pixels
#: or the JSON of a given seed change.
GENERATOR_VERSION = "v3"
MANIFEST = "manifest.json"
logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """Folder holding cached generations.

    ``$DINAMIS_TWIN_CACHE`` if set, else ``$XDG_CACHE_HOME/dinamis_widgets/twin`` (by default
    ``~/.cache/dinamis_widgets/twin``).
    """
    explicit = os.environ.get("DINAMIS_TWIN_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "dinamis_widgets" / "twin"


@dataclass(frozen=True)
class SceneSet:
    """A complete generation on disk.

    Attributes
    ----------
    root
        The generation folder.
    seed, scene_set
        What was generated.
    """

    root: Path
    seed: int
    scene_set: str

    @property
    def data_root(self) -> Path:
        """Folder served by the object store: ``root/data`` (holds ``<bucket>/...``)."""
        return self.root / "data"

    @property
    def collections_path(self) -> Path:
        """``root/stac/collections.json``: a JSON list of collection dicts."""
        return self.root / "stac" / "collections.json"

    @property
    def items_path(self) -> Path:
        """``root/stac/items.ndjson``: one item JSON per line."""
        return self.root / "stac" / "items.ndjson"

    @property
    def manifest_path(self) -> Path:
        """``root/manifest.json``, written last."""
        return self.root / MANIFEST

    def collections(self) -> list[dict[str, Any]]:
        """Read the collections (hrefs still carry the data URL placeholder)."""
        data: list[dict[str, Any]] = json.loads(self.collections_path.read_text("utf-8"))
        return data

    def items(self) -> list[dict[str, Any]]:
        """Read the items (hrefs still carry the data URL placeholder)."""
        with self.items_path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def manifest(self) -> dict[str, Any]:
        """Read ``manifest.json``."""
        data: dict[str, Any] = json.loads(self.manifest_path.read_text("utf-8"))
        return data

    @classmethod
    def open(cls, root: Path | str) -> SceneSet:
        """Open a complete generation.

        Raises
        ------
        FileNotFoundError
            If ``root`` holds no ``manifest.json`` (absent or incomplete generation).
        """
        root = Path(root)
        manifest = json.loads((root / MANIFEST).read_text("utf-8"))
        return cls(root=root, seed=int(manifest["seed"]), scene_set=str(manifest["scene_set"]))


def _write_files(
    specs: Sequence[SceneSpec], data_root: Path, workers: int, scene_set: str
) -> dict[str, ItemResult]:
    if workers <= 1 or len(specs) <= 1:
        return {s.item_id: build_item_files(s, data_root) for s in specs}
    # Imported here: the package must not import the module its workers run with ``-m``.
    from .worker import run_workers

    return run_workers(specs, data_root, min(workers, len(specs)), scene_set)


def _generate_into(root: Path, seed: int, scene_set: str, workers: int) -> None:
    start = time.perf_counter()
    specs = catalogue(seed, scene_set)
    data_root = root / "data"
    data_root.mkdir(parents=True)
    results = _write_files(specs, data_root, workers, scene_set)
    items = [item_dict(s, results[s.item_id]) for s in specs]
    collections = [
        collection_dict(c, [it for it in items if it["collection"] == c.id])
        for c in COLLECTIONS.values()
    ]
    stac_dir = root / "stac"
    stac_dir.mkdir()
    (stac_dir / "collections.json").write_text(
        json.dumps(collections, indent=1, ensure_ascii=False) + "\n", "utf-8"
    )
    with (stac_dir / "items.ndjson").open("w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False, separators=(",", ":")) + "\n")
    files = sorted(p for p in data_root.rglob("*") if p.is_file())
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scene_set": scene_set,
        "collections": len(collections),
        "items": len(items),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "seconds": round(time.perf_counter() - start, 2),
        "workers": workers,
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _complete(root: Path, seed: int, scene_set: str) -> SceneSet | None:
    try:
        found = SceneSet.open(root)
        version = found.manifest().get("generator_version")
    except (FileNotFoundError, NotADirectoryError, ValueError, KeyError):
        return None
    if (found.seed, found.scene_set, version) != (seed, scene_set, GENERATOR_VERSION):
        raise ValueError(
            f"{root} holds another generation ({version}, {found.scene_set}, seed {found.seed}); "
            "pass force=True to replace it"
        )
    return found


def generate(
    dest: Path | str | None = None,
    *,
    seed: int = 0,
    scene_set: str = "default",
    force: bool = False,
    workers: int | None = None,
) -> SceneSet:
    """Generate a scene set (or find it already generated).

    Parameters
    ----------
    dest
        Folder of the generation. ``None``: the cache,
        ``default_cache_dir() / f"{GENERATOR_VERSION}-{scene_set}-seed{seed}"``.
    seed
        Seed of land cover, clouds, texture and footprint jitter.
    scene_set
        ``"default"`` (30 items, about 100 MB) or ``"bench"`` (adds a 10000 x 10000 MS scene).
    force
        Regenerate even if ``dest`` holds a complete generation.
    workers
        Processes to use; default: the number of CPUs.

    Returns
    -------
    SceneSet
        The complete generation. A warm call (``manifest.json`` present) returns at once.

    Raises
    ------
    ValueError
        Unknown ``scene_set``; ``dest`` holds a different generation and ``force`` is false; or
        ``dest`` is a non-empty folder that is not a generation (it is never deleted).

    Examples
    --------
    >>> from dinamis_widgets.twin.scenes import generate
    >>> scenes = generate()
    >>> len(scenes.items())
    30
    """
    if scene_set not in SCENE_SETS:
        raise ValueError(f"unknown scene set {scene_set!r}; choose one of {SCENE_SETS}")
    seed = int(seed)
    root = Path(dest) if dest is not None else (
        default_cache_dir() / f"{GENERATOR_VERSION}-{scene_set}-seed{seed}"
    )
    root = root.expanduser().absolute()
    if not force and (found := _complete(root, seed, scene_set)) is not None:
        return found
    with _locked(root.parent / f".{root.name}.lock"):
        if not force and (found := _complete(root, seed, scene_set)) is not None:
            return found
        if root.exists() and not (root / MANIFEST).exists() and any(root.iterdir()):
            raise ValueError(f"{root} is not empty and holds no scene set; refusing to replace it")
        for stale in root.parent.glob(f".{root.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=root.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; the set is shared like any cache entry
        try:
            logger.info("generating %s scene set (seed %d) into %s", scene_set, seed, root)
            _generate_into(tmp, seed, scene_set, workers or os.cpu_count() or 1)
            if root.exists():
                old = root.parent / f".{root.name}.tmp-old-{os.getpid()}"
                root.rename(old)
                tmp.rename(root)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return SceneSet.open(root)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m dinamis_widgets.twin.scenes [--seed N] [--set default|bench]
    [--dest DIR] [--force]``; prints the generation folder."""
    parser = argparse.ArgumentParser(
        prog="python -m dinamis_widgets.twin.scenes",
        description="Generate the offline twin's DINAMIS-like scenes (cached).",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", dest="scene_set", choices=SCENE_SETS, default="default")
    parser.add_argument("--dest", type=Path, default=None)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    scenes = generate(
        args.dest, seed=args.seed, scene_set=args.scene_set, force=args.force,
        workers=args.workers,
    )
    print(scenes.root)
    return 0
