"""The context-rot bench: accuracy as the installed skills (and the context) grow, per loading strategy.

``load_suite`` reads a suite, ``run_sweep`` runs (or resumes) a sweep into an out folder, ``summarize``
and ``wilson`` compute the statistics; ``skillpack bench`` is the command line over the same calls.
Names are imported on first use: building the plugin manager imports ``skillpack.harness.checks``,
which must not pull in the runner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skillpack.harness.runner import DEFAULT_SIZES, RunResult, SweepConfig, plan, run_sweep
    from skillpack.harness.scoring import Cell, summarize, wilson
    from skillpack.harness.strategies import STRATEGIES
    from skillpack.harness.suite import BUNDLED_SUITE, Suite, Task, load_suite

_HOMES = {
    "BUNDLED_SUITE": "suite",
    "DEFAULT_SIZES": "runner",
    "STRATEGIES": "strategies",
    "Cell": "scoring",
    "RunResult": "runner",
    "Suite": "suite",
    "SweepConfig": "runner",
    "Task": "suite",
    "load_suite": "suite",
    "plan": "runner",
    "run_sweep": "runner",
    "summarize": "scoring",
    "wilson": "scoring",
}

__all__ = [
    "BUNDLED_SUITE",
    "DEFAULT_SIZES",
    "STRATEGIES",
    "Cell",
    "RunResult",
    "Suite",
    "SweepConfig",
    "Task",
    "load_suite",
    "plan",
    "run_sweep",
    "summarize",
    "wilson",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'skillpack.harness' has no attribute {name!r}")
    return getattr(importlib.import_module(f"skillpack.harness.{_HOMES[name]}"), name)
