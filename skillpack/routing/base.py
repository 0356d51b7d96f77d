"""The router protocol: given a task and a pack, rank the skills that matter, or abstain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

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


@runtime_checkable
class Router(Protocol):
    """Rank a pack's skills for a task. Implementations must be safe to call from several threads."""

    name: str

    # A router that calibrates its matches' confidence also declares ``min_confidence: float``, the bar
    # ``select`` applies by default; one without it is taken at its word (every match passes). A router
    # that asks a model declares ``needs_backend = True`` on its class (see ``needs_backend``).

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        """Return at most ``k`` matches, best first; none when nothing is relevant."""
        ...


def needs_backend(router: object) -> bool:
    """Return whether a router (its class, factory or instance) declares ``needs_backend = True``.

    Such a router takes ``backend=`` and ``model=`` options: ``run`` gives it the run's own backend and
    ``route`` the one chosen on the command line. Never decided from the router's name.
    """
    return getattr(router, "needs_backend", False) is True
