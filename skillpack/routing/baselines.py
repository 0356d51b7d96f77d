"""Baseline routers for the harness: ``all`` offers every skill, ``none`` offers nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillpack.routing import text
from skillpack.routing.base import Match, Ranking, Router

if TYPE_CHECKING:
    from skillpack.registry import SkillPack


class AllRouter(Router):
    """Baseline: every skill, in the pack's order, each with score 0 ("load everything").

    ``k`` is ignored on purpose — the point of this baseline is that nothing is left out.
    """

    name = "all"

    def __init__(self, *, persist: bool = True) -> None:
        # ``persist`` is accepted so callers can pass the same options to every built-in router.
        del persist

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        text.check_task(task)
        text.check_k(k)
        return Ranking(self.name, tuple(Match(skill, 0.0, ("baseline: all",)) for skill in pack))


class NoneRouter(Router):
    """Baseline: no skill at all ("no skills in context")."""

    name = "none"

    def __init__(self, *, persist: bool = True) -> None:
        del persist

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        text.check_task(task)
        text.check_k(k)
        return Ranking(self.name, (), notes=("baseline: none — no skill is ever selected",))
