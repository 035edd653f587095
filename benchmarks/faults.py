"""``benchmarks/run faults``: the fault campaign of the folder ``faults/`` (see its
``__main__.py`` and docs/faults.md)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("faults")), run_name="__main__")
