"""``dinamis-widgets sign`` in a subprocess, pointed at the twin by its environment variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

ORTHO = "SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1"
BRUT = ORTHO + "_BRUT"
REGARDS = "DS_PHR1A_202506271049315_FR1_PX_E001N44_5639_65968"


def run(twin: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **twin.env(), "TZ": "Europe/Paris"}
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "dinamis_widgets", "sign", *args], env=env, text=True,
                          capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def ortho(twin_items: list[dict[str, Any]]) -> dict[str, Any]:
    return next(i for i in twin_items if i["id"] == ORTHO)


def assert_one_gdal_warning(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "warning" in lines[0] and "3.10" in lines[0] and "7150" in lines[0] and "3.6.2" in lines[0]


def test_sign_an_item_id_prints_both_assets_with_expiry(twin: Any) -> None:
    done = run(twin, ORTHO, "--validity", "3h")
    assert done.returncode == 0, done.stderr
    assert_one_gdal_warning(done.stderr)
    lines = done.stdout.splitlines()
    assert lines[0] == f"{ORTHO} multispectral:" and lines[3] == f"{ORTHO} panchromatic:"
    assert "_MS.tif?" in lines[1] and "_PAN.tif?" in lines[4]
    for url, note in ((lines[1], lines[2]), (lines[4], lines[5])):
        assert url.startswith(twin.data) and "X-Amz-Signature=" in url and "X-Amz-Expires=10800" in url
        assert "expires" in note and "(local time)" in note and "UTC" in note and "in 3h00" in note
        assert "CET" in note or "CEST" in note


def test_sign_a_url_with_vsicurl_and_open_it_with_rasterio(twin: Any, ortho: dict[str, Any]) -> None:
    import rasterio

    href = ortho["assets"]["multispectral"]["href"]
    done = run(twin, href, "--vsicurl", "--validity", "30min")
    assert done.returncode == 0, done.stderr
    assert_one_gdal_warning(done.stderr)
    path, note = done.stdout.splitlines()
    assert path.startswith("/vsicurl/" + href + "?X-Amz-") and "in 30 min" in note
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), rasterio.open(path) as src:
        assert src.count == 4 and src.shape == tuple(ortho["assets"]["multispectral"]["proj:shape"])
        assert src.read(1, window=((0, 16), (0, 16))).shape == (16, 16)


def test_asset_choice_and_json(twin: Any) -> None:
    done = run(twin, ORTHO, "--asset", "panchromatic", "--json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [(r["item"], r["asset"]) for r in records] == [(ORTHO, "panchromatic")]
    record = records[0]
    assert record["signed"] and record["input"] == ORTHO
    assert record["vsicurl"] == "/vsicurl/" + record["href"] and "_PAN.tif?" in record["href"]
    assert record["expiry"].endswith("Z") and record["expiry_local"].endswith(("+01:00", "+02:00"))
    # a URL the signing service does not sign is printed unchanged, and no GDAL warning is due
    other = run(twin, "https://example.org/a.tif")
    assert other.returncode == 0 and other.stdout.splitlines()[0] == "https://example.org/a.tif"
    assert "no signature needed" in other.stdout and other.stderr == ""
    # --stac-api works like the profile
    again = run(twin, ORTHO, "--stac-api", twin.stac_api, "--asset", "multispectral")
    assert again.returncode == 0 and again.stdout.splitlines()[0] == f"{ORTHO} multispectral:"


@pytest.mark.parametrize(("args", "expected"), [
    ((BRUT,), "it is a BRUT product"),
    ((REGARDS,), "it is a Regards (CNES) product"),
    ((ORTHO, "--validity", "3 hours and a bit"), "Invalid validity '3 hours and a bit'"),
    ((ORTHO, "--validity", "0s"), "Invalid validity '0s'"),
    (("NOT_AN_ITEM",), "No item with id 'NOT_AN_ITEM'"),
    ((ORTHO, "--asset", "pan"), "has no asset 'pan'"),
    ((ORTHO, "--profile", "nope"), "Unknown catalogue profile 'nope'"),
])
def test_user_errors_exit_2_with_one_line(twin: Any, args: tuple[str, ...], expected: str) -> None:
    done = run(twin, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dinamis-widgets: error: ") and expected in lines[0]
    assert "Traceback" not in done.stderr


def test_profile_and_stac_api_are_exclusive(twin: Any) -> None:
    done = run(twin, ORTHO, "--profile", "twin", "--stac-api", twin.stac_api)
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
