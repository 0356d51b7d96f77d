"""The router base class: given a task and a pack, rank the skills that matter, or abstain."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.skill import Skill


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked skill: its score (higher is better), the evidence for it (what matched, where) and how sure.

    ``confidence`` is in [0, 1] and means the same in every library: the share of the library's own
    unrelated texts whose best match scores lower (see ``skillpack.routing.confidence``). A router that
    does not calibrate leaves it at 1.0, so selection takes its matches on their rank alone.
    """

    skill: Skill
    score: float
    evidence: tuple[str, ...] = ()
    confidence: float = 1.0
    #: The task's terms this match rests on and what each contributed to its score, when the router knows
    #: them (lexical routers): selection leaves out a look-alike whose evidence a chosen skill already has.
    matched: tuple[tuple[str, float], ...] = ()


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


class Router(ABC):
    """Rank a pack's skills for a task. Implementations must be safe to call from several threads.

    What a router can do is declared on its class, never inferred from its name, so a plugin's router
    gets exactly what a built-in gets:

    - ``needs_backend``: routing asks a model; the router takes ``backend=`` and ``model=`` options, and
      ``run`` gives it the run's own backend while ``route`` gives it the one on its command line.
    - ``min_confidence``: the bar ``select`` applies by default to each match's ``confidence``; 0 for a
      router whose confidences are not calibrated (every match it returns passes).
    - ``relative_floor``: ``select`` drops matches scoring under this fraction of the best one.
    """

    name: str
    needs_backend: ClassVar[bool] = False
    min_confidence: float = 0.0
    relative_floor: float = 0.0

    @abstractmethod
    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        """Return at most ``k`` matches, best first; none when nothing is relevant."""

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        """Build (or load) what ranking ``pack`` needs now rather than on the first task; return notes.

        A router with nothing to build keeps this default; ``rebuild`` ignores any persisted copy.
        """
        del pack, rebuild
        return ()
