"""Trigger tests: do a skill's ``examples`` route to it, and its ``counter_examples`` not?

Offline and deterministic with the lexical router. Every example of every skill in the library (and
every counter-example of a tested skill) is routed against the whole library. An example passes when
its skill is in the top ``k`` (it would be loaded); a counter-example passes when its skill is not in the
top ``counter_k`` (default 1: a look-alike task may rank the skill as a runner-up, but must not make it
the router's choice). A probe *selects* a skill when the skill is within that limit. Per skill S:

* recall = S's examples that select S / S's examples;
* precision = S's examples that select S / every probe that selects S: S's own examples (true
  positives), plus other skills' examples and S's counter-examples that select S (false positives).
  Undefined when nothing selects S. With ``k`` = 3 each example selects three skills, so precision
  is at most about 1/3 on average; ``k`` = 1 measures the router's first choice.

Routers such as the lexical one index the examples themselves, so an example would find its own skill
by definition. By default (``holdout=True``) each example is routed with itself removed from its skill
(leave-one-out; the router indexes a fresh copy of the library per example), which measures how well a
*new* phrasing of the same request routes. ``holdout=False`` routes against the library as installed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Literal

from skillpack.errors import UsageError
from skillpack.registry import SkillPack
from skillpack.skill import Skill

ProbeKind = Literal["example", "counter_example"]

DEFAULT_K = 3
DEFAULT_COUNTER_K = 1

#: The scores' definitions, printed by ``skillpack test --help`` and carried in its JSON output.
DEFINITIONS = {
    "selects": "a probe selects a skill when the router ranks the skill within the top k (examples)"
    " or the top counter_k (counter-examples)",
    "recall": "the skill's examples that select it / the skill's examples",
    "precision": "the skill's examples that select it / every probe that selects it (its own examples,"
    " other skills' examples and its own counter-examples); null when nothing selects it",
}


@dataclass(frozen=True, slots=True)
class Probe:
    """One task routed: whose it is, where that skill ranked (1-based; ``None`` when not in the top) and what ranked.

    ``limit`` is the rank the probe is judged at: ``k`` for examples, ``counter_k`` for counter-examples;
    ``top`` holds at most ``limit`` names, the skills the probe selects.
    """

    task: str
    kind: ProbeKind
    owner: str
    rank: int | None
    top: tuple[str, ...]
    limit: int

    @property
    def selected(self) -> bool:
        """Whether the probe selects its own skill."""
        return self.rank is not None and self.rank <= self.limit

    @property
    def passed(self) -> bool:
        return self.selected if self.kind == "example" else not self.selected


@dataclass(frozen=True, slots=True)
class SkillResult:
    """The probes of one skill, the other skills' examples that selected it, and the scores they add up to."""

    name: str
    source: str
    probes: tuple[Probe, ...]
    foreign: tuple[Probe, ...] = ()

    @property
    def examples(self) -> int:
        return sum(p.kind == "example" for p in self.probes)

    @property
    def hits(self) -> int:
        """Own examples that select the skill: the true positives."""
        return sum(p.kind == "example" and p.selected for p in self.probes)

    @property
    def false_hits(self) -> int:
        """Own counter-examples that select the skill."""
        return sum(p.kind == "counter_example" and p.selected for p in self.probes)

    @property
    def false_positives(self) -> int:
        """Probes that select the skill but are not its examples: its counter-examples and others' examples."""
        return self.false_hits + len(self.foreign)

    @property
    def recall(self) -> float | None:
        return self.hits / self.examples if self.examples else None

    @property
    def precision(self) -> float | None:
        selected = self.hits + self.false_positives
        return self.hits / selected if selected else None

    @property
    def failures(self) -> tuple[Probe, ...]:
        return tuple(p for p in self.probes if not p.passed)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "passed": self.passed,
            "examples": self.examples,
            "counter_examples": len(self.probes) - self.examples,
            "recall": self.recall,
            "precision": self.precision,
            "true_positives": self.hits,
            "false_positives": self.false_positives,
            "selected_by_other_skills": [
                {"task": p.task, "of": p.owner, "rank": p.top.index(self.name) + 1} for p in self.foreign
            ],
            "failures": [
                {"task": p.task, "kind": p.kind, "rank": p.rank, "limit": p.limit, "top": list(p.top)}
                for p in self.failures
            ],
        }


@dataclass(frozen=True, slots=True)
class TriggerReport:
    """Every tested skill's result, and the skills that had nothing to test."""

    router: str
    k: int
    counter_k: int
    holdout: bool
    library: int
    results: tuple[SkillResult, ...]
    untested: tuple[str, ...]

    @property
    def failed(self) -> tuple[SkillResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def passed(self) -> bool:
        return bool(self.results) and not self.failed

    def totals(self) -> dict[str, Any]:
        probes = [p for r in self.results for p in r.probes]
        return {
            "probes": len(probes),
            "failed_probes": sum(not p.passed for p in probes),
            "skills": len(self.results),
            "failed_skills": len(self.failed),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "router": self.router,
            "k": self.k,
            "counter_k": self.counter_k,
            "holdout": self.holdout,
            "library": self.library,
            "definitions": dict(DEFINITIONS),
            **self.totals(),
            "untested": list(self.untested),
            "results": [r.to_dict() for r in self.results],
        }


def holdout_router(name: str) -> Any:
    """Build the registered router ``name`` without an on-disk index cache.

    Leave-one-out indexes a new library per example; persisting each of those indexes would only
    fill the cache.
    """
    from skillpack.plugins import get_router

    try:
        return get_router(name, persist=False)
    except TypeError:  # a plugin router without the ``persist`` option (the built-in ones all take it)
        return get_router(name)


def run_trigger_tests(
    skills: Sequence[Skill],
    library: SkillPack,
    router: Any,
    *,
    k: int = DEFAULT_K,
    counter_k: int = DEFAULT_COUNTER_K,
    holdout: bool = True,
) -> TriggerReport:
    """Route every example in ``library`` and the counter-examples of ``skills``; score ``skills``.

    ``router`` is any object with ``name`` and ``rank(task, pack, k=...)``. The examples of library
    skills outside ``skills`` are routed too, because precision counts every probe that selects a
    tested skill. Skills with neither examples nor counter-examples are listed in ``untested``.
    """
    if k < 1 or counter_k < 1:
        raise UsageError(f"k and counter_k must be at least 1, got {k} and {counter_k}")
    owners = {skill.name: skill for skill in library} | {skill.name: skill for skill in skills}
    examples = {name: _route_examples(router, library, skill, k, holdout) for name, skill in owners.items()}
    results: list[SkillResult] = []
    untested: list[str] = []
    for skill in skills:
        if not skill.examples and not skill.counter_examples:
            untested.append(skill.name)
            continue
        counters = [
            _probe(router, library, skill.name, task, "counter_example", counter_k)
            for task in skill.counter_examples
        ]
        foreign = [
            probe
            for owner, probes in examples.items()
            if owner != skill.name
            for probe in probes
            if skill.name in probe.top
        ]
        results.append(
            SkillResult(skill.name, skill.source, (*examples[skill.name], *counters), tuple(foreign))
        )
    name = str(getattr(router, "name", type(router).__name__))
    return TriggerReport(name, k, counter_k, holdout, len(library), tuple(results), tuple(untested))


def _route_examples(router: Any, library: SkillPack, skill: Skill, k: int, holdout: bool) -> list[Probe]:
    probes: list[Probe] = []
    for index, example in enumerate(skill.examples):
        pack = without_example(library, skill, index) if holdout else library
        probes.append(_probe(router, pack, skill.name, example, "example", k))
    return probes


def _probe(router: Any, pack: SkillPack, name: str, task: str, kind: ProbeKind, limit: int) -> Probe:
    ranking = router.rank(task, pack, k=limit)
    top = tuple(match.skill.name for match in ranking.matches[:limit])
    rank = top.index(name) + 1 if name in top else None
    return Probe(task, kind, name, rank, top, limit)


def without_example(library: SkillPack, skill: Skill, index: int) -> SkillPack:
    """Return ``library`` with ``skill`` replaced by a copy lacking its ``index``-th example.

    Routing that example against the result asks how a new phrasing of the request would route.
    """
    manifest = dict(skill.manifest)
    manifest["examples"] = [e for i, e in enumerate(skill.examples) if i != index]
    # A distinct hash keeps any index cache keyed on manifests from serving the full library's index.
    digest = hashlib.sha256(f"{skill.manifest_sha256}\0holdout\0{index}".encode()).hexdigest()
    copy = replace(
        skill, manifest=MappingProxyType(manifest), manifest_sha256=digest, _cache={}, _lock=threading.Lock()
    )
    return SkillPack([copy if other.name == skill.name else other for other in library])
