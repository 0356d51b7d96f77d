"""Load a script from benchmarks/ as a module, as `python benchmarks/NAME.py` would run it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_benchmark(name: str) -> ModuleType:
    """Return ``benchmarks/NAME.py`` loaded as module ``name``.

    The folder is on ``sys.path`` while it loads (scripts import their siblings), and the module is in
    ``sys.modules`` meanwhile (dataclasses look their module up while a class is built); both are undone.
    """
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCHMARKS))
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
        sys.path.remove(str(BENCHMARKS))
    return module
