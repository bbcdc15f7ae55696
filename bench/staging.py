"""Lay out the code the way Lambda ships it, in a temporary directory, precompiled.

The layer goes to <tmp>/layer/python (Lambda extracts it to /opt/python) and is compiled exactly as
layers/common/Makefile does it: `compileall -q -j 0 --invalidation-mode unchecked-hash`. Each function
folder (and the bare boto3 handler) is copied and compiled the same way. Third-party packages and
boto3/botocore are not staged: they are read from this interpreter's site-packages, which already
holds their .pyc (the real layer's aarch64 wheels cannot be imported on this machine)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO / "functions"
LAYER_PACKAGE = REPO / "layers" / "common" / "paymux"
SAM_BUILT_LAYER = REPO / ".aws-sam" / "build" / "CommonLayer" / "python"
BARE_SOURCE = (
    'import boto3\nclient = boto3.client("dynamodb")\n\n\ndef handler(event, context):\n    return {}\n'
)
COMPILEALL = ("-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


@dataclass(frozen=True, slots=True)
class Staged:
    """Where the staged code lives: one directory per handler (sys.path[0]) and the shared paths."""

    root: Path
    bare: Path
    functions: dict[str, Path]
    layer: Path
    site_packages: Path
    layer_modules: int
    layer_compiled: int


def discover_functions(functions_dir: Path = FUNCTIONS_DIR) -> list[str]:
    """Every functions/<name>/app.py, sorted by name."""
    return sorted(p.parent.name for p in functions_dir.glob("*/app.py"))


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def precompile(directory: Path) -> None:
    subprocess.run([sys.executable, *COMPILEALL, str(directory)], check=True)


def count_compiled(directory: Path) -> tuple[int, int]:
    """(number of .py modules, number of them with a cpython-3xx .pyc next to them)."""
    tag = sys.implementation.cache_tag
    modules = compiled = 0
    for source in directory.rglob("*.py"):
        modules += 1
        if (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").is_file():
            compiled += 1
    return modules, compiled


def stage(root: Path, functions: list[str], functions_dir: Path = FUNCTIONS_DIR) -> Staged:
    """Copy the layer, the given functions and the bare handler under root and precompile them."""
    layer = root / "layer" / "python"
    layer.mkdir(parents=True)
    shutil.copytree(LAYER_PACKAGE, layer / LAYER_PACKAGE.name, ignore=_IGNORE)
    precompile(layer)
    bare = root / "handlers" / "bare"
    bare.mkdir(parents=True)
    (bare / "app.py").write_text(BARE_SOURCE)
    staged_functions: dict[str, Path] = {}
    for name in functions:
        target = root / "handlers" / "functions" / name
        shutil.copytree(functions_dir / name, target, ignore=_IGNORE)
        staged_functions[name] = target
    precompile(root / "handlers")
    modules, compiled = count_compiled(layer)
    return Staged(root, bare, staged_functions, layer, site_packages(), modules, compiled)
