"""The router protocol: given a task and a pack, rank the skills that matter, or abstain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.skill import Skill


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked skill: its score (higher is better) and the evidence for it (what matched, where)."""

    skill: Skill
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ranking:
    """A router's answer for one task.

    ``matches`` is best first and may be empty: a router abstains when no skill is relevant, rather
    than always offering k skills. ``notes`` carries warnings (e.g. a fallback), and ``routing_tokens``
    what routing itself cost in model tokens (0 for routers that call no model).
    """

    router: str
    matches: tuple[Match, ...]
    notes: tuple[str, ...] = ()
    routing_tokens: int = 0
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def abstained(self) -> bool:
        return not self.matches


@runtime_checkable
class Router(Protocol):
    """Rank a pack's skills for a task. Implementations must be safe to call from several threads."""

    name: str

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        """Return at most ``k`` matches, best first; none when nothing is relevant."""
        ...
