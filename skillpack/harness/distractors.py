"""Which skills are installed for a trial, and in what order: the gold skills among distractors.

Distractors are drawn per task and seed as one fixed, nested sequence: first the gold skills'
look-alikes (skills of the same family: the same kind of rule with other values), then every other
skill, each group shuffled. Size N installs the gold skills plus the first N - |gold| distractors, so a
larger N holds every skill of a smaller one and the curve over N moves one thing at a time.
"""

from __future__ import annotations

import random

from skillpack.errors import UsageError
from skillpack.harness.suite import Suite, Task
from skillpack.skill import Skill

POSITIONS = ("start", "middle", "end")


def distractors(suite: Suite, task: Task, seed: int) -> list[Skill]:
    """Return every non-gold skill of the suite in the order they are drawn for ``task``."""
    rng = random.Random(f"{seed}:{task.id}")
    families = {suite.families.get(name) for name in task.gold} - {None}
    similar = [s for s in suite.skills if s.name not in task.gold and suite.families.get(s.name) in families]
    others = [
        s for s in suite.skills if s.name not in task.gold and suite.families.get(s.name) not in families
    ]
    rng.shuffle(similar)
    rng.shuffle(others)
    return similar + others


def installed(suite: Suite, task: Task, *, size: int, position: str, seed: int) -> tuple[Skill, ...]:
    """Return the ``size`` installed skills in context order, the gold block at ``position``.

    ``middle`` puts the gold block at index ``(size - |gold|) // 2``.
    """
    gold = [suite.skill(name) for name in task.gold]
    if size < len(gold):
        raise UsageError(
            f"size {size} cannot hold the {len(gold)} gold skills of task {task.id!r}; use a size >= {len(gold)}"
        )
    if size > len(suite.skills):
        raise UsageError(
            f"size {size} is larger than the suite's pool: {suite.name} has {len(suite.skills)} skills;"
            f" use sizes up to {len(suite.skills)}"
        )
    if position not in POSITIONS:
        raise UsageError(f"unknown position {position!r}; choose one of: {', '.join(POSITIONS)}")
    drawn = distractors(suite, task, seed)[: size - len(gold)]
    at = {"start": 0, "middle": len(drawn) // 2, "end": len(drawn)}[position]
    return tuple(drawn[:at] + gold + drawn[at:])
