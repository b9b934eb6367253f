#!/usr/bin/env bash
# Checks that the native binaries the toolkit's twin and tests run find every shared library they link to:
# Playwright's bundled node, Debian's Chromium, PostgreSQL's server and the PostGIS extension.
# Prints one line per binary; exits 1 when a library is missing, naming it and the Debian package that
# usually provides it. Used by scripts/setup.sh and tests/test_system.py.
set -uo pipefail
cd "$(dirname "$0")/.."
py=${DW_PYTHON:-.venv/bin/python}
chromium=${DW_CHROMIUM:-/usr/bin/chromium}

binaries=()
if node_dir=$("$py" -c 'import os, playwright; print(os.path.dirname(playwright.__file__))' 2>/dev/null); then
  binaries+=("$node_dir/driver/node")
fi
# Debian's /usr/bin/chromium is a shell script that starts /usr/lib/chromium/chromium.
if [ -f "$chromium" ] && head -c 2 "$chromium" | grep -q '#!'; then
  [ -x /usr/lib/chromium/chromium ] && binaries+=(/usr/lib/chromium/chromium)
elif [ -x "$chromium" ]; then
  binaries+=("$chromium")
fi
for f in /usr/lib/postgresql/*/bin/postgres /usr/lib/postgresql/*/lib/postgis-3.so; do
  [ -e "$f" ] && binaries+=("$f")
done

# Where a library usually comes from, for the message (Debian package names).
package_of() {
  case "$1" in
    libatomic.so*) echo libatomic1 ;;
    libnss3.so*|libnssutil3.so*|libsmime3.so*) echo libnss3 ;;
    libasound.so*) echo libasound2 ;;
    libgbm.so*) echo libgbm1 ;;
    *) echo "a package providing $1" ;;
  esac
}

status=0
for bin in "${binaries[@]}"; do
  missing=$(ldd "$bin" 2>/dev/null | awk '/not found/ {print $1}' | sort -u)
  if [ -n "$missing" ]; then
    status=1
    for lib in $missing; do
      echo "MISSING $lib for $bin (install $(package_of "$lib"))"
    done
  else
    echo "ok $bin"
  fi
done
exit $status
