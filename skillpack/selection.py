"""Select the skills a task needs: route, add what they require, fit them into a token budget.

``select(pack, task, ...)`` returns a ``Selection``: what was chosen (score, confidence, evidence,
tokens), what was rejected and why, and the context rendered in any format. A skill enters only on its
own merit: its confidence must reach the router's bar (``min_confidence``; see
``skillpack.routing.confidence``) and its score a fraction of the best match's (``relative_floor``), so
a clear winner is not padded with look-alikes because k has room. ``k`` and the budget then cap what
passed; what they cut is reported (``Selection.cut``). Budgets are exact (tiktoken), and a skill that
does not fit is left out whole and reported, never cut mid-text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from skillpack.context import FORMATS, Format, check_format, render, render_block, render_catalog
from skillpack.errors import SkillContentError, UsageError
from skillpack.plurals import plural
from skillpack.routing.base import Match, Ranking
from skillpack.skill import Skill
from skillpack.tokens import TokenCounter, encoding_name

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.routing.base import Router

DEFAULT_ROUTER = "lexical"
DEFAULT_K = 5
#: A later match needs at least this share of its evidence from task terms no chosen skill matches. On the
#: harness's house-rules suite (300 skills in families of look-alikes) the look-alikes' share is 0–31%;
#: "bump the version and add a changelog entry" gives semver-bump 45% beside keep-a-changelog.
LOOKALIKE_SHARE = 0.4
#: The router is asked for this many matches beyond k, so a cut made by k can be reported.
LOOKAHEAD = 5


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
            return (
                f"no skill is confident enough: the best, {best.skill.name}, has confidence"
                f" {best.confidence:.2f}, below the bar {self.min_confidence:.2f} (`min_confidence`)"
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
        return int(self.pack.cache(key, lambda: _tokens_of_everything(self.pack, self.format, self.counter)))

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


def select(
    pack: SkillPack,
    task: str,
    *,
    k: int = DEFAULT_K,
    budget: int | None = None,
    router: str | Router = DEFAULT_ROUTER,
    format: str = "xml",
    catalog_budget: int | None = None,
    relative_floor: float | None = None,
    min_confidence: float | None = None,
) -> Selection:
    """Route ``task`` over ``pack`` and take the skills that pass the bar (plus what they require).

    A match enters when its confidence reaches ``min_confidence`` (``None``: the router's own
    ``min_confidence``, 0 for a router that declares none) and its score reaches ``relative_floor`` times
    the best match's (``None``: the router's own, 0 when it has none). At most ``k`` of those are taken,
    within ``budget``, which counts every token of the rendered context (format ``format``), wrapper
    included. Skills whose manifest says ``disable-model-invocation: true`` are never chosen by routing.
    """
    fmt = check_format(format)
    if k <= 0:
        raise UsageError(f"k must be at least 1 (got {k}) — give `k` 1 or more")
    check_limits(budget=budget, catalog_budget=catalog_budget, min_confidence=min_confidence)
    ranker = _router(router)
    ranking = ranker.rank(task, pack, k=k + LOOKAHEAD)
    return assemble(
        pack,
        task,
        ranking,
        ranker,
        k=k,
        budget=budget,
        format=fmt,
        catalog_budget=catalog_budget,
        relative_floor=relative_floor,
        min_confidence=min_confidence,
    )


def check_limits(
    *, budget: int | None = None, catalog_budget: int | None = None, min_confidence: float | None = None
) -> None:
    """Raise ``UsageError`` for a budget that is not positive or a confidence bar outside [0, 1]."""
    if budget is not None and budget <= 0:
        raise UsageError(
            f"the budget must be a positive number of tokens (got {budget}) — e.g. `budget` 4000"
        )
    if catalog_budget is not None and catalog_budget <= 0:
        raise UsageError(
            f"the catalog budget must be positive (got {catalog_budget}) — e.g. `catalog_budget` 1000"
        )
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise UsageError(
            f"the minimum confidence must be between 0 and 1 (got {min_confidence}) — e.g. `min_confidence` 0.5"
        )


def demerit(match: Match, *, bar: float, floor: float, covered: set[str]) -> str:
    """Return why ``match`` does not enter on its own merit, or "" when it does.

    It must reach the confidence ``bar`` and the score ``floor``, and (when the router says which task
    terms a match rests on) at least ``LOOKALIKE_SHARE`` of its evidence must come from terms the skills
    chosen before it (``covered``) do not match: a look-alike the task does not name loses to the one
    it names, while a second skill for another part of the task keeps its place.
    """
    if match.confidence < bar:
        return f"confidence {match.confidence:.2f} is below the bar {bar:.2f}"
    if match.score < floor:
        return f"score {match.score:.3f} is below the floor {floor:.3f}"
    total = sum(weight for _, weight in match.matched)
    if covered and total > 0:
        novel = sum(weight for term, weight in match.matched if term not in covered)
        if novel < LOOKALIKE_SHARE * total:
            return (
                f"a look-alike: {1 - novel / total:.0%} of its evidence is task terms a skill chosen"
                " before it matches too"
            )
    return ""


def min_confidence_of(router: Router, override: float | None) -> float:
    """Return the confidence a match needs: ``override``, else the router's declared bar (0 without one)."""
    if override is not None:
        return float(override)
    return float(router.min_confidence)


def assemble(
    pack: SkillPack,
    task: str,
    ranking: Ranking,
    ranker: Router,
    *,
    k: int = DEFAULT_K,
    budget: int | None = None,
    format: str = "xml",
    catalog_budget: int | None = None,
    relative_floor: float | None = None,
    min_confidence: float | None = None,
    counter: TokenCounter | None = None,
) -> Selection:
    """Return the selection ``select`` makes from an existing ``ranking`` (the same rules, no routing)."""
    fmt = check_format(format)
    counter = counter or TokenCounter.cached()
    bar = min_confidence_of(ranker, min_confidence)
    chosen: list[Chosen] = []
    rejected: list[Rejected] = []
    notes: list[str] = []
    taken: list[Skill] = []
    taken_names: set[str] = set()
    floor = score_floor(ranker, relative_floor, ranking)
    picked = 0
    covered: set[str] = set()
    for match in ranking.matches:
        if match.skill.name in taken_names:
            continue

        def reject(reason: str, *, needed: int = 0, cut: str = "", match: Match = match) -> None:
            rejected.append(Rejected(match.skill, match.score, reason, needed, match.confidence, cut))

        merit = demerit(match, bar=bar, floor=floor, covered=covered)
        if merit:
            if merit.startswith("score "):
                merit += f" ({relative_floor_of(ranker, relative_floor):.0%} of the best match)"
            reject(merit)
            continue
        if _model_invocation_disabled(match.skill):
            reject("disable-model-invocation: true — it is loaded only when named explicitly")
            continue
        if picked >= k:
            reject(f"passed the confidence bar, but k={k} skills were already chosen", cut="k")
            continue
        group, problem = _with_requirements(pack, match.skill)
        if problem:
            notes.append(problem)
        fresh = [s for s in group if s.name not in taken_names]
        try:
            candidate = taken + fresh
            tokens = counter.count(render(candidate, fmt))
        except SkillContentError as exc:
            reject(f"instructions unreadable: {exc}")
            continue
        if budget is not None and tokens > budget:
            current = counter.count(render(taken, fmt)) if taken else 0
            needed = tokens - current
            what = f" with {', '.join(s.name for s in fresh[1:])}" if len(fresh) > 1 else ""
            reject(
                f"over budget: needs {needed} tokens{what}, {budget - current} left of {budget}",
                needed=needed,
                cut="budget",
            )
            continue
        for skill in fresh:
            is_main = skill is match.skill
            evidence = match.evidence if is_main else (f"required by {match.skill.name}",)
            tokens_of_block = _block_tokens(skill, fmt, counter)
            chosen.append(
                Chosen(skill, match.score if is_main else 0.0, evidence, tokens_of_block, match.confidence)
            )
            taken_names.add(skill.name)
        taken = candidate
        picked += 1
        covered.update(term for term, _ in match.matched)
    counter.save()
    over_budget = [r for r in rejected if r.needed]
    if budget is not None and over_budget and not chosen:
        smallest = min(r.needed for r in over_budget)
        notes.append(
            f"the budget of {budget} tokens is smaller than every relevant skill (the smallest needs"
            f" {smallest}); nothing was loaded — raise `budget`"
        )
    return Selection(
        task=task,
        ranking=ranking,
        chosen=tuple(chosen),
        rejected=tuple(rejected),
        format=fmt,
        budget=budget,
        pack=pack,
        notes=tuple(notes),
        catalog_budget=catalog_budget,
        min_confidence=bar,
        counter=counter,
    )


def relative_floor_of(router: Router, override: float | None) -> float:
    """Return the fraction of the best score a match needs: ``override``, else the router's own."""
    value = override if override is not None else router.relative_floor
    if not 0.0 <= float(value) <= 1.0:
        raise UsageError(f"the relative floor must be between 0 and 1 (got {value})")
    return float(value)


def score_floor(router: Router, override: float | None, ranking: Ranking) -> float:
    fraction = relative_floor_of(router, override)
    if not ranking.matches or ranking.matches[0].score <= 0:
        return float("-inf")
    return fraction * ranking.matches[0].score


def _model_invocation_disabled(skill: Skill) -> bool:
    return skill.manifest.get("disable-model-invocation") is True


def _router(router: str | Router) -> Router:
    if isinstance(router, str):
        from skillpack.plugins import get_router

        built: Router = get_router(router)
        return built
    return router


def _with_requirements(pack: SkillPack, skill: Skill) -> tuple[list[Skill], str]:
    """Return ``skill`` followed by what it requires (transitively, each once), and a problem note."""
    ordered: list[Skill] = []
    problems: list[str] = []
    seen: set[str] = set()

    def visit(current: Skill) -> None:
        if current.name in seen:
            return
        seen.add(current.name)
        ordered.append(current)
        for requirement in current.requires:
            if requirement.name not in pack:
                problems.append(f"{current.name} requires {requirement}, which is not installed")
                continue
            needed = pack.get(requirement.name)
            mismatch = _version_mismatch(needed, requirement.specifier)
            if mismatch:
                problems.append(f"{current.name} requires {requirement}, but {mismatch}")
            visit(needed)

    visit(skill)
    return ordered, "; ".join(problems)


def _version_mismatch(skill: Skill, specifier: str) -> str:
    if not specifier:
        return ""
    from skillpack.versions import in_range, parse_range, parse_version

    wanted = parse_range(specifier)
    if wanted is None:
        return f"{specifier!r} is not a valid version range"
    if not skill.version:
        return f"{skill.name} declares no version"
    version = parse_version(skill.version)
    if version is None:
        return f"{skill.name} has an invalid version {skill.version!r}"
    return "" if in_range(version, wanted) else f"{skill.name} is version {skill.version}"


def _block_tokens(skill: Skill, fmt: Format, counter: TokenCounter) -> int:
    if fmt == "json":
        entry = {"name": skill.name, "description": skill.description, "instructions": skill.instructions()}
        return counter.count(json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False))
    return counter.count(render_block(skill, fmt))


def _tokens_of_everything(pack: SkillPack, fmt: Format, counter: TokenCounter) -> int:
    # Counting every skill means reading every body; the counts are kept on disk, keyed by the files'
    # identity (path, size, modification time) and the manifest hash, so a later call only stats them.
    import os

    from skillpack.cache import CountStore, cache_dir

    store = CountStore(cache_dir() / "block-tokens.json")
    total = 0
    for skill in pack:
        try:
            stat = os.stat(skill.instructions_path)
            key = f"{fmt}|{skill.instructions_path}|{stat.st_size}|{stat.st_mtime_ns}|{skill.manifest_sha256}"
            tokens = store.get(key)
            if tokens is None:
                tokens = _block_tokens(skill, fmt, counter)
                store.put(key, tokens)
        except (OSError, SkillContentError):
            continue
        total += tokens
    store.save()
    counter.save()
    return total


__all__ = ["FORMATS", "Chosen", "Rejected", "Selection", "select"]
