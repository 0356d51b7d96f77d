"""Baseline routers for the harness: ``all`` offers every skill, ``none`` offers nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillpack.routing import text
from skillpack.routing.base import Match, Ranking

if TYPE_CHECKING:
    from skillpack.registry import SkillPack


class AllRouter:
    """Every skill, in the pack's order, each with score 0: the "load everything" baseline.

    ``k`` is ignored on purpose — the point of this baseline is that nothing is left out.
    """

    name = "all"

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        text.check_task(task)
        text.check_k(k)
        return Ranking(self.name, tuple(Match(skill, 0.0, ("baseline: all",)) for skill in pack))


class NoneRouter:
    """No skill at all: the "no skills in context" baseline."""

    name = "none"

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        text.check_task(task)
        text.check_k(k)
        return Ranking(self.name, (), notes=("baseline: none — no skill is ever selected",))
