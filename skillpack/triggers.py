"""Trigger tests: do a skill's ``examples`` route to it, and its ``counter_examples`` not?

Offline and deterministic with the lexical router. Each example (and counter-example) of a tested skill
is routed against the whole library. An example passes when the skill is in the top ``k`` (it would be
loaded); a counter-example passes when the skill is not in the top ``counter_k`` (default 1: a look-alike
task may rank the skill as a runner-up, but must not make it the router's choice). Per skill:

* recall = examples that pass / examples;
* precision = examples that pass / (those + counter-examples that fail): of the skill's selections among
  its own probes, the share that were right (undefined when it was never selected).

Routers such as the lexical one index the examples themselves, so an example finds its skill easily.
``holdout=True`` removes each example from its skill before routing it (leave-one-out; the router
indexes a fresh copy of the library per example), which measures how well *new* phrasings of the same
request would route.
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


@dataclass(frozen=True, slots=True)
class Probe:
    """One task routed: where the skill ranked (1-based; ``None`` when not ranked that high) and what ranked.

    ``limit`` is the rank the probe is judged at: ``k`` for examples, ``counter_k`` for counter-examples.
    """

    task: str
    kind: ProbeKind
    rank: int | None
    top: tuple[str, ...]
    limit: int

    @property
    def selected(self) -> bool:
        return self.rank is not None and self.rank <= self.limit

    @property
    def passed(self) -> bool:
        return self.selected if self.kind == "example" else not self.selected


@dataclass(frozen=True, slots=True)
class SkillResult:
    """The probes of one skill and the scores they add up to."""

    name: str
    source: str
    probes: tuple[Probe, ...]

    @property
    def examples(self) -> int:
        return sum(p.kind == "example" for p in self.probes)

    @property
    def hits(self) -> int:
        return sum(p.kind == "example" and p.selected for p in self.probes)

    @property
    def false_hits(self) -> int:
        return sum(p.kind == "counter_example" and p.selected for p in self.probes)

    @property
    def recall(self) -> float | None:
        return self.hits / self.examples if self.examples else None

    @property
    def precision(self) -> float | None:
        selected = self.hits + self.false_hits
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
            **self.totals(),
            "untested": list(self.untested),
            "results": [r.to_dict() for r in self.results],
        }


def run_trigger_tests(
    skills: Sequence[Skill],
    library: SkillPack,
    router: Any,
    *,
    k: int = DEFAULT_K,
    counter_k: int = DEFAULT_COUNTER_K,
    holdout: bool = False,
) -> TriggerReport:
    """Route every example and counter-example of ``skills`` against ``library`` with ``router``.

    ``router`` is any object with ``name`` and ``rank(task, pack, k=...)``. Skills with neither
    examples nor counter-examples are listed in ``untested``.
    """
    if k < 1 or counter_k < 1:
        raise UsageError(f"k and counter_k must be at least 1, got {k} and {counter_k}")
    results: list[SkillResult] = []
    untested: list[str] = []
    for skill in skills:
        if not skill.examples and not skill.counter_examples:
            untested.append(skill.name)
            continue
        probes: list[Probe] = []
        for index, example in enumerate(skill.examples):
            pack = _without_example(library, skill, index) if holdout else library
            probes.append(_probe(router, pack, skill.name, example, "example", k))
        for task in skill.counter_examples:
            probes.append(_probe(router, library, skill.name, task, "counter_example", counter_k))
        results.append(SkillResult(skill.name, skill.source, tuple(probes)))
    name = str(getattr(router, "name", type(router).__name__))
    return TriggerReport(name, k, counter_k, holdout, len(library), tuple(results), tuple(untested))


def _probe(router: Any, pack: SkillPack, name: str, task: str, kind: ProbeKind, limit: int) -> Probe:
    ranking = router.rank(task, pack, k=limit)
    top = tuple(match.skill.name for match in ranking.matches[:limit])
    rank = top.index(name) + 1 if name in top else None
    return Probe(task, kind, rank, top, limit)


def _without_example(library: SkillPack, skill: Skill, index: int) -> SkillPack:
    """Return ``library`` with ``skill`` replaced by a copy lacking its ``index``-th example."""
    manifest = dict(skill.manifest)
    manifest["examples"] = [e for i, e in enumerate(skill.examples) if i != index]
    # A distinct hash keeps any index cache keyed on manifests from serving the full library's index.
    digest = hashlib.sha256(f"{skill.manifest_sha256}\0holdout\0{index}".encode()).hexdigest()
    copy = replace(
        skill, manifest=MappingProxyType(manifest), manifest_sha256=digest, _cache={}, _lock=threading.Lock()
    )
    return SkillPack([copy if other.name == skill.name else other for other in library])
