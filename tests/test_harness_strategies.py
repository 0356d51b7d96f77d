"""What each strategy puts in front of the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.harness import write_suite

from skillpack.errors import UsageError
from skillpack.harness import load_suite
from skillpack.harness.distractors import installed
from skillpack.harness.strategies import build_prompt, check_strategies


@pytest.fixture
def setting(tmp_path: Path) -> dict[str, object]:
    suite = load_suite(write_suite(tmp_path))
    task = suite.tasks[0]
    skills = installed(suite, task, size=6, position="middle", seed=0)
    gold = [suite.skill(task.gold[0])]
    return {
        "task": task.prompt,
        "installed": skills,
        "gold": gold,
        "k": 2,
        "budget": None,
        "router": "lexical",
    }


def test_none_oracle_all(setting: dict[str, object]) -> None:
    none = build_prompt("none", **setting)  # type: ignore[arg-type]
    assert (none.system, none.injected, none.loadable) == ("", (), ())
    oracle = build_prompt("oracle", **setting)  # type: ignore[arg-type]
    assert oracle.injected == ("team00-ticket-codes",) and "QX-00-TICKET" in oracle.system
    everything = build_prompt("all", **setting)  # type: ignore[arg-type]
    assert everything.injected == tuple(s.name for s in setting["installed"])  # type: ignore[attr-defined]
    assert everything.system.count("<skill name=") == 6


def test_routed_keeps_at_most_k_in_rank_order(setting: dict[str, object]) -> None:
    routed = build_prompt("routed", **setting)  # type: ignore[arg-type]
    assert 1 <= len(routed.injected) <= 2
    assert routed.injected[0] == "team00-ticket-codes"
    assert routed.system.count("<skill name=") == len(routed.injected)


def test_catalog_offers_every_installed_skill_without_instructions(setting: dict[str, object]) -> None:
    catalog = build_prompt("catalog", **setting)  # type: ignore[arg-type]
    assert catalog.system == "" and catalog.injected == ()
    assert catalog.loadable == setting["installed"]
    assert catalog.catalog.count("<name>") == 6 and "QX-00-TICKET" not in catalog.catalog


def test_unknown_strategies() -> None:
    with pytest.raises(
        UsageError, match=r"unknown strategy 'rag'; choose from: none, oracle, all, routed, catalog"
    ):
        check_strategies(["all", "rag"])
    with pytest.raises(UsageError, match="no strategy given"):
        check_strategies([])
