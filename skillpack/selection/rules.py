"""The rules that decide which ranked skills enter the context: the bar, the floor, look-alikes, k, the budget.

``select`` routes a task and ``assemble`` applies the rules to a ranking: a match enters on its own merit
(its confidence reaches the bar, its score the floor, and it is not a look-alike of a skill chosen before
it), then ``k`` and the budget cap what passed, each chosen skill bringing what it requires.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillpack.context import check_format, render
from skillpack.errors import SkillContentError, UsageError
from skillpack.plurals import plural
from skillpack.routing.base import Match, Ranking
from skillpack.selection.costs import block_tokens
from skillpack.selection.outcome import Chosen, Rejected, Selection, against_bar
from skillpack.skill import Skill
from skillpack.tokens import TokenCounter

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
        shown, limit = against_bar(match.confidence, bar)
        return f"confidence {shown} is below the bar {limit}"
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
                f"over budget: needs {plural(needed, 'token')}{what}, {budget - current:,} left of {budget:,}",
                needed=needed,
                cut="budget",
            )
            continue
        for skill in fresh:
            is_main = skill is match.skill
            evidence = match.evidence if is_main else (f"required by {match.skill.name}",)
            tokens_of_block = block_tokens(skill, fmt, counter)
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
            f"the budget of {plural(budget, 'token')} is smaller than every relevant skill (the smallest needs"
            f" {smallest:,}); nothing was loaded — raise `budget`"
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
