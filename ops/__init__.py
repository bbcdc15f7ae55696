"""Operator commands: `python -m ops …` against the deployed stack (or the local stack).

Run from the repository root with the venv's python and no PYTHONPATH: the common layer (the
`paymux` package) is put on the path here, as the Lambda runtime puts the layer on its own."""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "common")
if _LAYER not in sys.path:
    sys.path.append(_LAYER)  # an already importable paymux (tests, an installed one) comes first
