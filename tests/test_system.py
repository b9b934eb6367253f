"""The machine has what the twin and the browser tests need: every shared library their binaries link to.

``scripts/setup.sh`` installs the system packages; ``scripts/check-system.sh`` runs ``ldd`` on Playwright's
bundled node, Debian's Chromium, PostgreSQL's server and PostGIS. A library missing on a newcomer's machine
fails here, with its name, instead of as a browser test erroring at set-up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
CHECK = ROOT / "scripts" / "check-system.sh"


def _check(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DW_PYTHON": sys.executable, **(env or {})}
    return subprocess.run(["bash", str(CHECK)], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=120)


def test_every_binary_finds_its_shared_libraries() -> None:
    done = _check()
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    checked = [line.split(" ", 1)[1] for line in lines if line.startswith("ok ")]
    assert any(p.endswith("/playwright/driver/node") for p in checked), done.stdout
    assert any(p.endswith("/bin/postgres") for p in checked), done.stdout
    assert any(p.endswith("/postgis-3.so") for p in checked), done.stdout
    chromium = os.environ.get("DW_CHROMIUM", "/usr/bin/chromium")
    if os.geteuid() == 0 or Path(chromium).exists():  # as root, setup must have installed it
        assert any("chromium" in Path(p).name or p == chromium for p in checked), done.stdout


def _needed(binary: str) -> list[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in out.splitlines() if "=>" in line]
    return [n for n in names if n.startswith("lib")]


def test_a_missing_library_is_named(tmp_path: Path) -> None:
    """The check can fail: a copy of a real binary whose first library name was altered is reported."""
    real = shutil.which("ls") or "/bin/ls"
    lib = _needed(real)[0].encode()
    fake = lib[:3] + b"zz" + lib[5:]  # same length, so the ELF stays valid: libzzxxx.so.N
    binary = tmp_path / "fake-chromium"
    binary.write_bytes(Path(real).read_bytes().replace(lib, fake))
    binary.chmod(0o755)
    done = _check({"DW_CHROMIUM": str(binary)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"MISSING {fake.decode()} for {binary}" in done.stdout


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="set-up installs with apt-get (Debian/Ubuntu)")
def test_setup_names_what_to_install_when_not_root(tmp_path: Path) -> None:
    """Without root, set-up prints the apt-get line with the missing packages and stops before pip."""
    fake_root = tmp_path / "repo"
    (fake_root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", fake_root / "scripts" / "setup.sh")
    (fake_root / "pyproject.toml").write_text("")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    # A dpkg-query that knows no package, an `id` that says we are not root, no PostgreSQL found.
    (bindir / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (bindir / "id").write_text("#!/bin/sh\necho 1000\n")
    for f in bindir.iterdir():
        f.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "DW_CHROMIUM": str(tmp_path / "none")}
    env.pop("DINAMIS_PG_BINDIR", None)
    script = (fake_root / "scripts" / "setup.sh").read_text()
    # Pretend PostGIS is absent whatever this machine has.
    script = script.replace("have_postgis() {", "have_postgis() { return 1\n")
    (fake_root / "scripts" / "setup.sh").write_text(script)
    done = subprocess.run(["bash", "scripts/setup.sh"], cwd=fake_root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "sudo apt-get install --no-install-recommends" in done.stderr
    assert "postgresql-" in done.stderr and "-postgis-3" in done.stderr
    assert not (fake_root / ".venv").exists()
