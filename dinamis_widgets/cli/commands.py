"""Command line: ``dinamis-widgets twin``, ``dinamis-widgets sign`` (and, as the toolkit grows, ``lab``)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from ..errors import DinamisError, QueryError

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
    from .. import twin as twin_mod

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
    from ..twin.scenes import generate

    s = generate(seed=args.seed, scene_set=args.scene_set, force=args.force)
    print(s.root)
    return 0


#: The one warning ``sign`` prints (stderr) about GDAL/QGIS versions and signed URLs (DESIGN.md section 4).
GDAL_WARNING = (
    "dinamis-widgets: warning: GDAL older than 3.10 (e.g. Debian 12's GDAL 3.6.2, and QGIS built on it "
    "such as QGIS 3.22) downloads the WHOLE file when it opens a signed URL (OSGeo/gdal issue 7150); "
    "GDAL >= 3.10 (as in rasterio's wheels) and QGIS built on GDAL >= 3.10 (see QGIS Help > About) read "
    "only the parts they need. Set GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR; after expiry QGIS shows a blank "
    "canvas: sign again."
)


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


def _is_url(text: str) -> bool:
    return text.strip().lower().startswith(("http://", "https://"))


def _data_assets(item: Any) -> list[str]:
    """The item's data assets (role ``data``; else all but thumbnails and metadata), MS then PAN first."""
    keys = [k for k, a in item.assets.items() if "data" in (a.roles or [])] or [
        k for k, a in item.assets.items() if not {"thumbnail", "overview", "metadata"} & set(a.roles or [])]
    first = ("multispectral", "panchromatic")
    return sorted(keys, key=lambda k: (first.index(k) if k in first else len(first), k))


def _time_left(seconds: int) -> str:
    """``3h10``, ``2d 4h``, ``25 min``, ``40 s``."""
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h{minutes:02d}" if hours else f"{minutes} min"


def _expiry_text(expiry: datetime | None) -> tuple[str | None, str | None, str]:
    if expiry is None:
        return None, None, "no signature needed: not a host the signing service signs; printed unchanged"
    utc = expiry.astimezone(UTC)
    local = expiry.astimezone()
    left = _time_left(max(0, round((utc - datetime.now(UTC)).total_seconds())))
    text = (f"expires {local.strftime('%Y-%m-%d %H:%M:%S %Z')} (local time), "
            f"{utc.strftime('%Y-%m-%d %H:%M:%S')} UTC, in {left}")
    return utc.isoformat().replace("+00:00", "Z"), local.isoformat(timespec="seconds"), text


def _sign_targets(args: argparse.Namespace) -> list[dict[str, Any]]:
    from ..catalog.client import open_catalog
    from ..errors import NotSignableError
    from ..settings import get_settings, profile_for
    from ..signing.client import Signer
    from ..signing.rules import check_signable
    from ..signing.validity import parse_validity

    settings = get_settings()
    if args.validity is not None:
        parse_validity(args.validity, maximum=settings.max_validity)
    profile = profile_for(args.stac_api or args.profile, settings)
    wanted = args.asset or ["all"]
    # 1. resolve every input before signing anything
    jobs: list[dict[str, Any]] = []
    ids = [t for t in args.targets if not _is_url(t)]
    found: dict[str, list[Any]] = {}
    if ids:
        from ..catalog.searching import search

        client = open_catalog(profile, settings=settings)
        results = search(ids=ids, catalog=client, sortby=None, max_items=None, validate=False)
        for item in results:
            found.setdefault(item.id, []).append(item)
        missing = [i for i in ids if i not in found]
        if missing:
            raise QueryError(f"No item with id {missing[0]!r} in the catalogue at {profile.stac_api} "
                             f"(profile {profile.name!r}). Copy the id from the catalogue's Information "
                             "panel (Identifiant), or give an asset URL.")
    for target in args.targets:
        if _is_url(target):
            jobs.append({"input": target, "item": None, "asset": None, "url": target.strip()})
            continue
        for item in found[target]:
            check_signable(item)
            keys = _data_assets(item) if "all" in wanted else list(dict.fromkeys(wanted))
            absent = [k for k in keys if k not in item.assets]
            if absent:
                raise NotSignableError(f"Item {item.id!r} has no asset {absent[0]!r}; its assets are: "
                                       f"{', '.join(item.assets)}.")
            for key in keys:
                jobs.append({"input": target, "item": item.id, "asset": key, "url": item.assets[key].href})
    # 2. sign everything in one batched call
    signer = Signer.from_settings(settings, profile)
    signed = signer.sign_urls([j["url"] for j in jobs], args.validity)
    out = []
    for job in jobs:
        s = signed[job["url"]]
        expiry, local, text = _expiry_text(s.expiry)
        out.append({"input": job["input"], "item": job["item"], "asset": job["asset"], "href": s.href,
                    "vsicurl": s.vsicurl(), "expiry": expiry, "expiry_local": local, "signed": s.signed,
                    "note": text})
    return out


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _run_sign(args: argparse.Namespace) -> int:
    from ..errors import AuthenticationError, HTTPServiceError

    try:
        records = _sign_targets(args)
    except AuthenticationError as exc:
        print(f"dinamis-widgets: error: {_one_line(exc.message)}", file=sys.stderr)
        return 2
    except HTTPServiceError as exc:
        print(f"dinamis-widgets: error: {_one_line(exc.message)}", file=sys.stderr)
        return 1
    except DinamisError as exc:
        print(f"dinamis-widgets: error: {_one_line(exc.message)}", file=sys.stderr)
        return 2
    if any(r["signed"] for r in records):
        print(GDAL_WARNING, file=sys.stderr)
    if args.json:
        print(json.dumps([{k: v for k, v in r.items() if k != "note"} for r in records], indent=1))
        return 0
    for r in records:
        if r["item"]:
            print(f"{r['item']} {r['asset']}:")
        print(r["vsicurl"] if args.vsicurl else r["href"])
        print(f"  {r['note']}")
    return 0


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
