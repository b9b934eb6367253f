"""A process that streamed a cube exits cleanly: nothing printed by the interpreter's finalisation.

Pooled rasterio datasets left to the garbage collector at shutdown made Python 3.13 print
"Error in sys.excepthook" after every test run; they are now closed at exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

CODE = """
import dinamis_widgets as dw
items = dw.search(collections=["SPOT67_HCF_GS1"], bbox=(-0.97, 45.93, -0.95, 45.95),
                  filters={"processing:level": "ORTHO"})
ds = dw.load(items[:1], bands=["red", "nir"], aoi=(-0.97, 45.93, -0.95, 45.95))
print(round(float(dw.ndvi(ds).mean()), 3))
"""


def test_a_process_that_read_exits_without_noise(twin: Any) -> None:
    env = {**os.environ, **twin.env(), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert -1 <= float(done.stdout) <= 1
    assert "Error in" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
