"""What selecting skills for one task produced: the chosen skills, the rejected ones and why, the report.

``Selection`` renders the context a model receives (the chosen skills, then the catalog if asked for),
says why nothing was chosen and which limit cut a skill that passed the bar, and reports it all as
JSON-ready data with the token bill.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from skillpack.context import Format, check_format, render, render_catalog
from skillpack.plurals import plural
from skillpack.routing.base import Ranking
from skillpack.selection.costs import tokens_of_everything
from skillpack.skill import Skill
from skillpack.tokens import TokenCounter, encoding_name

if TYPE_CHECKING:
    from skillpack.registry import SkillPack


def against_bar(confidence: float, bar: float) -> tuple[str, str]:
    """Return ``confidence`` and ``bar`` as text, with enough digits that their order shows.

    Two decimals, unless they would print the same for different values ("0.85, below the bar 0.85"):
    then four, the precision confidences are kept at.
    """
    shown, limit = f"{confidence:.2f}", f"{bar:.2f}"
    if shown == limit and confidence != bar:
        return f"{confidence:.4f}", f"{bar:.4f}"
    return shown, limit


@dataclass(frozen=True, slots=True)
class Chosen:
    """A skill that goes into the context."""

    skill: Skill
    score: float
    evidence: tuple[str, ...]
    tokens: int
    #: The router's calibrated confidence in [0, 1] (a required skill has the one that required it).
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Rejected:
    """A skill the router ranked (or a selected skill required) that stays out, and why."""

    skill: Skill
    score: float
    reason: str
    #: Tokens the skill (with what it requires) would have added, when it was left out for the budget.
    needed: int = 0
    #: The router's calibrated confidence in the skill, as for ``Chosen``.
    confidence: float = 1.0
    #: "k" or "budget" when the skill passed the confidence bar and only that limit left it out.
    cut: str = ""


@dataclass(frozen=True)
class Selection:
    """The outcome of selecting skills for one task."""

    task: str
    ranking: Ranking
    chosen: tuple[Chosen, ...]
    rejected: tuple[Rejected, ...]
    format: Format
    budget: int | None
    pack: SkillPack
    notes: tuple[str, ...] = ()
    catalog_budget: int | None = None
    #: The confidence bar the selection applied.
    min_confidence: float = 0.0
    #: Counts tokens exactly; by default remembering piece counts in the cache folder (see tokens.py).
    counter: TokenCounter = field(default_factory=TokenCounter, compare=False, repr=False)

    @property
    def skills(self) -> tuple[Skill, ...]:
        """The chosen skills, in the order they appear in the context."""
        return tuple(c.skill for c in self.chosen)

    @property
    def unselected(self) -> tuple[Skill, ...]:
        """Every skill in the pack that was not chosen, in pack order."""
        chosen = {s.name for s in self.skills}
        return tuple(s for s in self.pack if s.name not in chosen)

    @property
    def abstained(self) -> bool:
        """True when nothing was chosen."""
        return not self.chosen

    @property
    def cut(self) -> tuple[Rejected, ...]:
        """The skills that passed the confidence bar but were left out by ``k`` or the budget."""
        return tuple(r for r in self.rejected if r.cut)

    @property
    def cut_notes(self) -> tuple[str, ...]:
        """One line per limit that cut a skill which passed the bar (what ``route`` and ``run`` print)."""
        notes = []
        by_k = [r.skill.name for r in self.rejected if r.cut == "k"]
        if by_k:
            notes.append(
                f"k cut {plural(len(by_k), 'skill')} that passed the confidence bar: {', '.join(by_k)} — raise `k` to load them"
            )
        by_budget = [r.skill.name for r in self.rejected if r.cut == "budget"]
        # When nothing fits at all, the selection's own note already says so (with the size needed).
        if by_budget and self.chosen:
            notes.append(
                f"the budget cut {plural(len(by_budget), 'skill')} that passed the confidence bar:"
                f" {', '.join(by_budget)} — raise `budget` to load them"
            )
        return tuple(notes)

    @property
    def abstain_reason(self) -> str:
        """Say in one line why nothing was chosen ("" when something was)."""
        if self.chosen:
            return ""
        if not self.ranking.matches:
            why = self.ranking.notes[-1] if self.ranking.notes else "it matched no skill"
            return f"no skill is relevant: the {self.ranking.router} router found nothing ({why})"
        below = [r for r in self.rejected if r.confidence < self.min_confidence]
        if below and len(below) == len(self.rejected):
            best = max(below, key=lambda r: r.confidence)
            shown, limit = against_bar(best.confidence, self.min_confidence)
            return (
                f"no skill is confident enough: the best, {best.skill.name}, has confidence"
                f" {shown}, below the bar {limit} (`min_confidence`)"
            )
        if self.cut:
            return "every skill that passed the confidence bar was left out by " + " and ".join(
                sorted({"k" if r.cut == "k" else "the budget" for r in self.cut})
            )
        return "no skill could be loaded: " + "; ".join(
            dict.fromkeys(f"{r.skill.name}: {r.reason}" for r in self.rejected[:3])
        )

    def render(self, format: str | None = None) -> str:
        """Return the context a model receives: the chosen skills, then (if asked for) the catalog."""
        fmt = check_format(format) if format else self.format
        text = render(self.skills, fmt)
        if self.catalog_budget is not None and fmt != "json":
            catalog, _ = render_catalog(self.unselected, budget=self.catalog_budget)
            if catalog:
                text = f"{text}\n{catalog}" if text else catalog
        return text

    @cached_property
    def context_tokens(self) -> int:
        """Exact tokens of ``render()`` in the selection's format."""
        return self.counter.count(self.render())

    @cached_property
    def catalog_left_out(self) -> tuple[str, ...]:
        if self.catalog_budget is None:
            return ()
        _, left_out = render_catalog(self.unselected, budget=self.catalog_budget)
        return tuple(s.name for s in left_out)

    def all_skills_tokens(self) -> int:
        """Tokens of a context holding every skill in the pack (what routing saves against)."""
        key = f"all-skills-tokens:{self.format}"
        return int(self.pack.cache(key, lambda: tokens_of_everything(self.pack, self.format, self.counter)))

    def report(self, *, compare_all: bool = True) -> dict[str, Any]:
        """Return what was chosen and why, rejected and why, and the token bill, JSON-ready."""
        data: dict[str, Any] = {
            "task": self.task,
            "router": self.ranking.router,
            "abstained": self.abstained,
            "abstain_reason": self.abstain_reason,
            "min_confidence": self.min_confidence,
            "format": self.format,
            "budget": self.budget,
            "encoding": encoding_name(),
            "chosen": [
                {
                    "name": c.skill.name,
                    "score": round(c.score, 4),
                    "confidence": c.confidence,
                    "tokens": c.tokens,
                    "evidence": list(c.evidence),
                }
                for c in self.chosen
            ],
            "rejected": [
                {
                    "name": r.skill.name,
                    "score": round(r.score, 4),
                    "confidence": r.confidence,
                    "reason": r.reason,
                }
                for r in self.rejected
            ],
            "context_tokens": self.context_tokens,
            "routing_tokens": self.ranking.routing_tokens,
            "notes": list(self.ranking.notes) + list(self.notes) + list(self.cut_notes),
            "skills_installed": len(self.pack),
        }
        if self.catalog_budget is not None:
            data["catalog_budget"] = self.catalog_budget
            data["catalog_left_out"] = list(self.catalog_left_out)
        if compare_all:
            everything = self.all_skills_tokens()
            data["all_skills_tokens"] = everything
            data["saved_tokens"] = everything - self.context_tokens
        self.counter.save()
        return data

    def report_json(self) -> str:
        return json.dumps(self.report(), indent=2, sort_keys=True, ensure_ascii=False)
