"""paymux benchmarks, run with `python -m bench` (or `make bench`); see bench/__main__.py.

The common layer (the `paymux` package) is put on the path here, as ops/__init__.py does, so
`make bench` needs no PYTHONPATH."""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "common")
if _LAYER not in sys.path:
    sys.path.append(_LAYER)  # an already importable paymux (tests, an installed one) comes first
