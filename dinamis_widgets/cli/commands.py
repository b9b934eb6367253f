"""Command line ``dinamis-widgets``: its arguments, and ``main`` (the console script's entry point).

Each command is carried out by a module of its own, imported only when that command runs (so that
``--help`` is fast): ``twin`` and ``scenes`` by :mod:`~.twin_cmd`, ``sign`` by :mod:`~.sign_cmd`,
``lab`` by :mod:`~.lab`.

Examples
--------
>>> args = build_parser().parse_args(["sign", "ITEM_ID", "--validity", "3h", "--asset", "panchromatic"])
>>> args.command, args.targets, args.validity, args.asset
('sign', ['ITEM_ID'], '3h', ['panchromatic'])
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import DinamisError

__all__ = ["build_parser", "main"]


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


def _run_twin(args: argparse.Namespace) -> int:
    from .twin_cmd import run_twin

    return run_twin(seed=args.seed, scene_set=args.scenes,
                    ports=(args.stac_port, args.signing_port, args.data_port), log_level=args.log_level,
                    as_json=args.json)


def _run_scenes(args: argparse.Namespace) -> int:
    from .twin_cmd import run_scenes

    return run_scenes(seed=args.seed, scene_set=args.scene_set, force=args.force)


def _add_sign(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sign", help="sign asset URLs (or the assets of item ids) for QGIS or GDAL",
        description="Sign URLs of the catalogue's object storage, or the assets of items given by id, and "
                    "print the signed URLs with their expiry time, ready to paste into QGIS or GDAL. Only "
                    "ORTHO products of MTD and SEAS Guyane can be signed.",
        epilog="Examples: dinamis-widgets sign SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1 --validity 3h; "
               "dinamis-widgets sign ITEM_ID --asset panchromatic --vsicurl; "
               "dinamis-widgets sign https://s3-data.meso.umontpellier.fr/.../file.tif --json. "
               "Exit status: 0 signed, 1 a service failed, 2 wrong input (unknown id, product that cannot "
               "be signed, invalid validity).")
    p.add_argument("targets", nargs="+", metavar="URL_OR_ITEM_ID",
                   help="an asset URL (http:// or https://) or an item id of the catalogue")
    p.add_argument("--validity", default=None,
                   help="how long the URLs stay valid: ISO 8601 (PT3H10M, P1D) or one value with a unit (3h, "
                        "30min, 45s, 2d); default: TLD_URL_DURATION or the service's (8 h)")
    p.add_argument("--asset", action="append", default=None, metavar="KEY",
                   help="asset of the items to sign: multispectral, panchromatic, any other key, or all (the "
                        "data assets, the default); repeat for several")
    p.add_argument("--vsicurl", action="store_true", help="print GDAL paths /vsicurl/<signed URL>")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--profile", default=None,
                       help="catalogue profile (dinamis, theia, twin, a profile of the config file); "
                            "default: DINAMIS_PROFILE")
    where.add_argument("--stac-api", default=None, metavar="URL", help="STAC API URL to look item ids up in")
    p.add_argument("--json", action="store_true",
                   help="print a JSON array: input, item, asset, href, vsicurl, expiry (UTC), expiry_local")
    p.set_defaults(func=_run_sign)


def _run_sign(args: argparse.Namespace) -> int:
    from .sign_cmd import run_sign

    return run_sign(args.targets, validity=args.validity, assets=args.asset, profile=args.profile,
                    stac_api=args.stac_api, vsicurl=args.vsicurl, as_json=args.json)


def _add_lab(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lab", help="the tutorial environment: JupyterLab over the tutorials, with the twin behind it",
        description="Start the offline twin, copy the tutorial notebooks into DIR (keeping any you "
                    "already have there), and run JupyterLab in DIR with every kernel pointed at the "
                    "twin. Ctrl-C stops JupyterLab, then the twin.")
    p.add_argument("--dir", default="dinamis-tutorials",
                   help="working folder for the notebooks (default: ./dinamis-tutorials)")
    p.add_argument("--port", type=int, default=0, help="JupyterLab's port (default: Jupyter's)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument("--seed", type=int, default=0, help="seed of the twin's scenes")
    p.set_defaults(func=_run_lab)


def _run_lab(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .lab import run_lab

    return run_lab(Path(args.dir).resolve(), port=args.port, open_browser=not args.no_browser,
                   seed=args.seed)


def build_parser() -> argparse.ArgumentParser:
    """The ``dinamis-widgets`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="dinamis-widgets",
        description="Find, sign and stream DINAMIS imagery; run the offline twin of its services.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_twin(sub)
    _add_scenes(sub)
    _add_sign(sub)
    _add_lab(sub)
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
