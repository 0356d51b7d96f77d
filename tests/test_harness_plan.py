"""The sweep's types live in ``harness.plan``; the harness modules import one way, with no cycle."""

from __future__ import annotations

import subprocess
import sys

import pytest

HARNESS = ("plan", "runner", "report", "strategies", "suite", "scoring")


@pytest.mark.parametrize("module", HARNESS)
def test_each_harness_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    code = f"import skillpack.harness.{module}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def harness_modules_after(code: str) -> str:
    """Return the skillpack.harness modules a fresh interpreter holds after running ``code``."""
    code += "; import sys; print(sorted(m for m in sys.modules if m.startswith('skillpack.harness')))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_building_the_plugin_manager_imports_no_harness() -> None:
    assert (
        harness_modules_after("from skillpack import plugins; plugins.checks(); plugins.backends()") == "[]"
    )


def test_the_runner_and_report_share_the_plans_types() -> None:
    from skillpack.harness import plan, report, runner

    assert runner.SweepConfig is plan.SweepConfig is report.SweepConfig
    assert runner.Prepared is plan.Prepared


def test_the_batch_api_is_the_anthropic_backends_and_imports_no_harness() -> None:
    assert harness_modules_after("import skillpack.backends.anthropic.batches") == "[]"


def test_the_package_attribute_plan_is_the_module_not_its_function() -> None:
    import skillpack.harness.plan as module
    from skillpack import harness

    assert harness.plan is module and callable(module.plan)
