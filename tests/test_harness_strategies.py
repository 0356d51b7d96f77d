"""What each strategy puts in front of the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.harness import tiny_document, write_suite

from skillpack.errors import UsageError
from skillpack.harness import load_suite
from skillpack.harness.distractors import POSITIONS, installed
from skillpack.harness.strategies import Packs, build_prompt, check_strategies
from skillpack.routing.lexical import LexicalRouter


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


def test_a_shared_pack_selects_exactly_what_a_new_pack_selects(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, tiny_document(no_skill_task=True)))
    # Not persisted: each new pack builds its own index, so nothing is shared but through ``packs``.
    router = LexicalRouter(persist=False)
    packs = Packs(keep=1000)  # keep every library, so each is built exactly once
    trials = 0
    libraries: set[tuple[str, ...]] = set()
    injected = 0
    for seed in (0, 1):
        for size in (1, 4, 12):
            for task in suite.tasks:
                for position in POSITIONS:
                    skills = installed(suite, task, size=size, position=position, seed=seed)
                    libraries.add(tuple(s.name for s in skills))
                    gold = [suite.skill(name) for name in task.gold]
                    options = {"task": task.prompt, "installed": skills, "gold": gold, "k": 2, "budget": None}
                    alone = build_prompt("routed", **options, router=router)  # type: ignore[arg-type]
                    for _ in range(2):  # as for two strategies that route the same library
                        shared = build_prompt("routed", **options, router=router, packs=packs)  # type: ignore[arg-type]
                        assert shared == alone, (seed, size, task.id, position)
                        trials += 1
                        injected += len(shared.injected)
    # Each distinct library was built once (size 1, and the task without gold skills, install the same
    # skills at every position), and the router did choose skills.
    assert trials == 2 * 3 * 4 * 3 * 2
    assert packs.built == len(libraries) < trials // 2
    assert injected >= trials // 2


def test_packs_key_on_the_skills_in_order_and_keep_the_recent_ones(setting: dict[str, object]) -> None:
    skills = list(setting["installed"])  # type: ignore[call-overload]
    packs = Packs(keep=2)
    first = packs.pack(skills)
    assert packs.pack(tuple(skills)) is first and packs.built == 1
    reordered = packs.pack(skills[::-1])
    assert reordered is not first and reordered.names == tuple(s.name for s in skills[::-1])
    packs.pack(skills[:3])
    # Three libraries, two kept: the least recently used one is built again.
    assert packs.pack(skills) is not first and packs.built == 4
