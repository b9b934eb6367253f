#!/usr/bin/env bash
# Set up dinamis_widgets on a fresh Debian/Ubuntu machine with Python >= 3.11:
#  - system packages (PostgreSQL + PostGIS for the twin's STAC API), with apt when run as root;
#  - a virtual environment in .venv holding the package (editable) with all its extras.
# Idempotent and quick when nothing changed. Used by scripts/start.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

have_postgis() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

if ! have_postgis; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing PostgreSQL and PostGIS with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    pgver=$(apt-cache depends postgresql 2>/dev/null | grep -o 'postgresql-[0-9]\+' | head -n1 | cut -d- -f2)
    apt-get install -y -qq --no-install-recommends postgresql "postgresql-${pgver:-15}-postgis-3" >/dev/null
  else
    echo "setup: PostgreSQL with PostGIS is needed by the offline twin. Install it, e.g.:" >&2
    echo "  sudo apt-get install postgresql postgresql-15-postgis-3" >&2
    echo "or run this script as root. (Or set DINAMIS_PG_BINDIR to a PostgreSQL bin folder.)" >&2
    exit 1
  fi
fi

# Debian's Chromium for the real-browser tests (tests/browser: Playwright drives it, so Playwright's own
# browser download is not needed) and fonts for legible screenshots (text, and the emoji the widgets use,
# such as the expiry's stopwatch). DW_CHROMIUM may point elsewhere.
# (On Ubuntu, apt's chromium is a snap wrapper: there, point DW_CHROMIUM at a Chromium or Chrome binary.)
chromium=${DW_CHROMIUM:-/usr/bin/chromium}
have_chromium() { [ -x "$chromium" ]; }
have_fonts() {
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]
}
if ! have_chromium || ! have_fonts; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Chromium and fonts (for the browser tests) with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    if ! apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null; then
      echo "setup: apt-get could not install chromium; the browser tests will fail" >&2
    fi
  elif ! have_chromium; then
    echo "setup: the browser tests (tests/browser) need Chromium at $chromium; they are skipped" >&2
    echo "  until it is installed, e.g.: sudo apt-get install chromium fonts-dejavu-core fonts-noto-color-emoji" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment .venv" >&2
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    # Debian's system Python needs the python3-venv package to make virtual environments.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "setup: installing python3-venv with apt-get" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      "$PYTHON" -m venv .venv
    else
      echo "setup: $PYTHON cannot create a virtual environment; install python3-venv" >&2
      echo "  (sudo apt-get install python3-venv) or set PYTHON to another Python >= 3.11" >&2
      exit 1
    fi
  fi
fi

stamp=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f .venv/.setup-stamp ] || [ "$(cat .venv/.setup-stamp)" != "$stamp" ]; then
  echo "setup: installing dinamis_widgets and its dependencies into .venv (pip)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[all]"
  echo "$stamp" > .venv/.setup-stamp
fi
