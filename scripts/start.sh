#!/usr/bin/env bash
# The main job: set everything up, then run the tutorial environment: JupyterLab over the tutorial
# notebooks, with the offline twin of the DINAMIS services behind it, until Ctrl-C.
# Extra arguments go to `dinamis-widgets lab` (e.g. --no-browser, --port 8888, --dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dinamis-widgets lab "$@"
