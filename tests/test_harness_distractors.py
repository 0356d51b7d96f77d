"""Which skills are installed for a trial: nested draws, look-alikes first, the gold block placed."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.harness import write_suite

from skillpack.errors import UsageError
from skillpack.harness import load_suite
from skillpack.harness.distractors import distractors, installed


def test_draws_are_nested_deterministic_and_look_alikes_come_first(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path))
    task = suite.tasks[0]  # gold: team00-ticket-codes, family "ticket"
    drawn = distractors(suite, task, seed=0)
    assert len(drawn) == 11 and task.gold[0] not in {s.name for s in drawn}
    assert [suite.families[s.name] for s in drawn] == ["ticket"] * 5 + ["invoice"] * 6
    assert drawn == distractors(suite, task, seed=0)
    assert drawn != distractors(suite, task, seed=1)
    small = installed(suite, task, size=4, position="end", seed=0)
    large = installed(suite, task, size=8, position="end", seed=0)
    assert set(small) <= set(large)


@pytest.mark.parametrize(
    ("size", "position", "index"),
    [(1, "middle", 0), (8, "start", 0), (8, "middle", 3), (8, "end", 7), (5, "middle", 2)],
)
def test_gold_position(tmp_path: Path, size: int, position: str, index: int) -> None:
    suite = load_suite(write_suite(tmp_path))
    task = suite.tasks[1]
    skills = installed(suite, task, size=size, position=position, seed=3)
    assert len(skills) == size
    assert [s.name for s in skills].index(task.gold[0]) == index


def test_sizes_beyond_the_pool_and_unknown_positions_are_refused(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path))
    with pytest.raises(
        UsageError, match=r"size 13 is larger than the suite's pool: tiny has 12 skills; use sizes up to 12"
    ):
        installed(suite, suite.tasks[0], size=13, position="end", seed=0)
    with pytest.raises(UsageError, match=r"unknown position 'top'; choose one of: start, middle, end"):
        installed(suite, suite.tasks[0], size=2, position="top", seed=0)
