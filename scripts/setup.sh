#!/usr/bin/env bash
# Set up dinamis_widgets on a fresh Debian/Ubuntu machine with Python >= 3.11:
#  - system packages: PostgreSQL + PostGIS (the twin's STAC API), Chromium and fonts (the browser tests),
#    the shared libraries Playwright's bundled node needs (libatomic1), python3-venv; with apt-get when
#    run as root, otherwise the one command to run is printed;
#  - a virtual environment in .venv holding the package (editable) with all its extras;
#  - a last check that Playwright's node and Chromium find every shared library they link to.
# Idempotent and quick when nothing changed. Used by scripts/start.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
chromium=${DW_CHROMIUM:-/usr/bin/chromium}
is_root() { [ "$(id -u)" = 0 ]; }
can_apt() { is_root && command -v apt-get >/dev/null; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

have_postgis() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}
have_fonts() {
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]
}
have_venv() {
  local probe
  probe=$(mktemp -d)
  "$PYTHON" -m venv --without-pip "$probe/v" >/dev/null 2>&1 && "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1
  local ok=$?
  rm -rf "$probe"
  return $ok
}
# The PostgreSQL major version the distribution ships (15 on Debian 12, 17 on Debian 13).
pg_major() {
  local v=""
  command -v apt-cache >/dev/null &&
    v=$(apt-cache depends postgresql 2>/dev/null | grep -o 'postgresql-[0-9]\+' | head -n1 | cut -d- -f2)
  echo "${v:-15}"
}

# 1. System packages. What each is for:
#    postgresql + postgis   the offline twin's STAC API (pgstac)
#    chromium + fonts       the real-browser tests (Playwright drives Debian's Chromium; DW_CHROMIUM may point
#                           at another one) and legible screenshots (text, and the emoji the widgets use)
#    libatomic1             Playwright's bundled node links to libatomic.so.1 (not in a minimal Debian)
#    python3-venv           Debian's system Python makes virtual environments only with it
need=()
have_postgis || need+=(postgresql "postgresql-$(pg_major)-postgis-3")
if [ -z "${DW_CHROMIUM:-}" ] && [ ! -x "$chromium" ]; then need+=(chromium); fi
have_fonts || need+=(fonts-dejavu-core fonts-noto-color-emoji)
if command -v dpkg-query >/dev/null && ! installed libatomic1 && ! ldconfig -p 2>/dev/null | grep -q 'libatomic\.so\.1 '; then
  need+=(libatomic1)
fi
[ -x .venv/bin/python ] || have_venv || need+=(python3-venv)

if [ ${#need[@]} -gt 0 ]; then
  if can_apt; then
    echo "setup: installing with apt-get: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: these system packages are missing: ${need[*]}" >&2
    echo "  install them (as root, or with sudo), then run this script again:" >&2
    echo "  sudo apt-get install --no-install-recommends ${need[*]}" >&2
    if ! have_postgis; then
      echo "  (PostgreSQL with PostGIS is needed by the offline twin; or set DINAMIS_PG_BINDIR to a PostgreSQL" >&2
      echo "  bin folder. Without Chromium the browser tests are skipped.)" >&2
      exit 1
    fi
    echo "  continuing without them: the browser tests will be skipped or fail until they are installed." >&2
  fi
fi

# 2. The virtual environment and the package.
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment .venv" >&2
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "setup: $PYTHON cannot create a virtual environment; install python3-venv" >&2
    echo "  (sudo apt-get install python3-venv) or set PYTHON to another Python >= 3.11" >&2
    exit 1
  fi
fi

stamp=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f .venv/.setup-stamp ] || [ "$(cat .venv/.setup-stamp)" != "$stamp" ]; then
  echo "setup: installing dinamis_widgets and its dependencies into .venv (pip)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[all]"
  echo "$stamp" > .venv/.setup-stamp
fi

# 3. Every shared library that the twin's and the browser tests' binaries link to is found (the test suite
#    runs the same check: tests/test_system.py).
if ! report=$(bash scripts/check-system.sh 2>&1); then
  echo "setup: some binaries miss shared libraries; the tests that use them will fail:" >&2
  echo "$report" >&2
fi
