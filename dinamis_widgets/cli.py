"""Command line: ``dinamis-widgets twin`` (and, as the toolkit grows, ``sign`` and ``lab``)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .errors import DinamisError

__all__ = ["main"]


def _add_twin(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "twin", help="run the offline twin of the DINAMIS services until interrupted",
        description="Start the offline twin (STAC API, signing service, object store) on "
                    "127.0.0.1, print how to reach it, serve until Ctrl-C or SIGTERM, then remove "
                    "every process and temporary file it made.")
    p.add_argument("--json", action="store_true",
                   help="print one JSON line when ready (stac_api, signing, data, access_key, "
                        "secret_key, and more)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated scenes (default 0)")
    p.add_argument("--scenes", default="default", choices=["default", "bench"],
                   help="scene set: default (small), or bench (adds a 10000 x 10000 scene)")
    p.add_argument("--stac-port", type=int, default=0, help="port of the STAC API (default: free)")
    p.add_argument("--signing-port", type=int, default=0,
                   help="port of the signing service (default: free)")
    p.add_argument("--data-port", type=int, default=0,
                   help="port of the object store (default: free)")
    p.add_argument("--log-level", default="warning", help="log level of the services")
    p.set_defaults(func=_run_twin)


def _add_scenes(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("scenes", help="generate (or find in the cache) a scene set; print its folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="scene_set", default="default", choices=["default", "bench"])
    p.add_argument("--force", action="store_true", help="generate again even if cached")
    p.set_defaults(func=_run_scenes)


def _human(info: dict[str, object]) -> str:
    env = info["env"]
    assert isinstance(env, dict)
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


def _run_twin(args: argparse.Namespace) -> int:
    from . import twin as twin_mod

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    t = twin_mod.start(seed=args.seed, scene_set=args.scenes,
                       ports=(args.stac_port, args.signing_port, args.data_port),
                       configure_environment=False, log_level=args.log_level)
    try:
        info = t.info()
        print(json.dumps(info) if args.json else _human(info), flush=True)
        while not stop.wait(0.5):
            if any(p.poll() is not None for p in t._procs):
                print("a service of the twin exited; stopping", file=sys.stderr)
                return 1
        return 0
    finally:
        t.stop()


def _run_scenes(args: argparse.Namespace) -> int:
    from .twin.scenes import generate

    s = generate(seed=args.seed, scene_set=args.scene_set, force=args.force)
    print(s.root)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``dinamis-widgets`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="dinamis-widgets",
        description="Find, sign and stream DINAMIS imagery; run the offline twin of its services.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_twin(sub)
    _add_scenes(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dinamis-widgets`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DinamisError as exc:
        print(f"dinamis-widgets: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
