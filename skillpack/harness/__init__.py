"""The context-rot bench: accuracy as the installed skills (and the context) grow, per loading strategy.

``load_suite`` reads a suite, ``plan.plan`` lists a sweep's trials (``plan`` is the module of the
sweep's types, not shadowed by its function), ``run_sweep`` runs (or resumes) a sweep
into an out folder, ``summarize`` and ``wilson`` compute the statistics; ``skillpack bench`` is the
command line over the same calls. The answer checks live in ``skillpack.checks`` (a plugin like any
other), so building the plugin manager never imports this package.
"""

from __future__ import annotations

from skillpack.harness import plan
from skillpack.harness.plan import DEFAULT_SIZES, SweepConfig
from skillpack.harness.runner import RunResult, run_sweep
from skillpack.harness.scoring import Cell, summarize, wilson
from skillpack.harness.strategies import STRATEGIES
from skillpack.harness.suite import BUNDLED_SUITE, Suite, Task, load_suite

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
