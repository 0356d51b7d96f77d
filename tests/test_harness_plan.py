"""The sweep's types live in ``harness.plan``; the harness modules import one way, with no cycle."""

from __future__ import annotations

import subprocess
import sys

import pytest

HARNESS = ("plan", "runner", "report", "batch", "strategies", "suite", "scoring")


@pytest.mark.parametrize("module", HARNESS)
def test_each_harness_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    code = f"import skillpack.harness.{module}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_building_the_plugin_manager_imports_no_harness() -> None:
    code = (
        "import sys; from skillpack import plugins; plugins.checks(); plugins.backends();"
        "print(sorted(m for m in sys.modules if m.startswith('skillpack.harness')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_runner_report_and_batches_share_the_plans_types() -> None:
    from skillpack.harness import batch, plan, report, runner

    assert runner.SweepConfig is plan.SweepConfig is report.SweepConfig
    assert batch.Prepared is runner.Prepared is plan.Prepared


def test_the_package_attribute_plan_is_the_module_not_its_function() -> None:
    import skillpack.harness.plan as module
    from skillpack import harness

    assert harness.plan is module and callable(module.plan)
