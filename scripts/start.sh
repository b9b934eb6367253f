#!/usr/bin/env bash
# The main job: set everything up, then run the offline twin of the DINAMIS services
# (STAC API, signing service, object store) on 127.0.0.1 until Ctrl-C.
# Extra arguments go to `dinamis-widgets twin` (e.g. --json, --scenes bench).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dinamis-widgets twin "$@"
