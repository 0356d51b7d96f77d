"""Trigger tests: examples must route to their skill, counter-examples must not; precision and recall."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.skills import MakeSkill

from skillpack.authoring.triggers import run_trigger_tests
from skillpack.errors import UsageError
from skillpack.registry import SkillPack
from skillpack.routing.base import Match, Ranking, Router
from skillpack.routing.lexical import LexicalRouter


class TableRouter(Router):
    """Rank by a fixed table (task -> names, best first) and remember every call."""

    name = "table"

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[tuple[str, int, tuple[str, ...]]] = []

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        self.calls.append((task, k, pack.names))
        names = self.table.get(task, [])
        return Ranking(self.name, tuple(Match(pack.get(n), 1.0) for n in names[:k]))


@pytest.fixture
def library(tmp_path: Path, make_skill: MakeSkill) -> SkillPack:
    make_skill(tmp_path, "alpha", examples=["a1", "a2", "a3", "a4"], counter_examples=["not-a1", "not-a2"])
    make_skill(tmp_path, "beta", examples=["b1"])
    make_skill(tmp_path, "gamma")
    return SkillPack.from_paths([tmp_path])


TABLE = {
    "a1": ["alpha"],
    "a2": ["beta", "gamma", "alpha"],  # rank 3: passes at k=3
    "a3": ["beta", "gamma", "beta", "alpha"],  # rank 4: fails at k=3
    "a4": [],  # the router abstained
    "not-a1": ["alpha", "beta"],  # alpha first: a counter-example that selects the skill
    "not-a2": ["beta", "alpha"],  # runner-up only: fine at counter_k=1
    "b1": ["beta"],
}


def test_scores_and_failures_per_skill(library: SkillPack) -> None:
    report = run_trigger_tests(library.skills, library, TableRouter(TABLE), k=3)
    alpha, beta = report.results
    assert report.untested == ("gamma",)
    assert (alpha.examples, alpha.hits, alpha.false_hits) == (4, 2, 1)
    assert alpha.recall == 0.5
    assert alpha.precision == pytest.approx(2 / 3)
    assert [(p.task, p.kind, p.rank) for p in alpha.failures] == [
        ("a3", "example", None),
        ("a4", "example", None),
        ("not-a1", "counter_example", 1),
    ]
    # a2 and a3 (alpha's examples) select beta within the top 3: beta's false positives.
    assert beta.passed and beta.recall == 1.0 and beta.precision == pytest.approx(1 / 3)
    assert [(p.task, p.owner) for p in beta.foreign] == [("a2", "alpha"), ("a3", "alpha")]
    assert not report.passed
    assert report.totals() == {"probes": 7, "failed_probes": 3, "skills": 2, "failed_skills": 1}


def test_k_and_counter_k_set_the_thresholds(library: SkillPack) -> None:
    router = TableRouter(TABLE)
    report = run_trigger_tests(library.skills, library, router, k=1, counter_k=2)
    alpha = report.results[0]
    assert [p.task for p in alpha.failures] == ["a2", "a3", "a4", "not-a1", "not-a2"]
    assert {k for task, k, _ in router.calls if task.startswith("a")} == {1}
    assert {k for task, k, _ in router.calls if task.startswith("not")} == {2}


def test_every_example_in_the_library_is_routed_against_the_whole_library(library: SkillPack) -> None:
    router = TableRouter(TABLE)
    report = run_trigger_tests([library.get("beta")], library, router, holdout=False)
    # alpha is not tested, but its examples are routed: precision counts them when they select beta.
    assert router.calls == [(task, 3, ("alpha", "beta", "gamma")) for task in ("a1", "a2", "a3", "a4", "b1")]
    assert [r.name for r in report.results] == ["beta"]
    assert report.totals()["probes"] == 1


def test_precision_counts_every_probe_that_selects_the_skill(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "alpha", examples=["a1", "a2"], counter_examples=["not-a"])
    make_skill(tmp_path, "beta", examples=["b1", "b2", "b3"], counter_examples=["not-b"])
    pack = SkillPack.from_paths([tmp_path])
    table = {
        "a1": ["alpha", "beta"],
        "a2": ["alpha"],
        "not-a": ["beta"],  # another skill's counter-example: says nothing about beta
        "b1": ["alpha", "beta"],
        "b2": ["alpha"],
        "b3": ["beta"],
        "not-b": ["beta"],  # beta's own counter-example at rank 1: a false positive
    }
    alpha, beta = run_trigger_tests(pack.skills, pack, TableRouter(table), k=2).results
    # alpha: a1, a2 are true positives; b1, b2 select it too.
    assert (alpha.hits, alpha.false_positives, alpha.precision) == (2, 2, 0.5)
    # beta: b1, b3 true; a1 (alpha's example) and not-b (its counter-example) false.
    assert (beta.hits, beta.false_hits, beta.false_positives) == (2, 1, 2)
    assert beta.precision == 0.5 and beta.recall == pytest.approx(2 / 3)
    data = beta.to_dict()
    assert (data["true_positives"], data["false_positives"]) == (2, 2)
    assert data["selected_by_other_skills"] == [{"task": "a1", "of": "alpha", "rank": 2}]


def test_precision_is_undefined_when_never_selected(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "alpha", examples=["a1"])
    pack = SkillPack.from_paths([tmp_path])
    (result,) = run_trigger_tests(pack.skills, pack, TableRouter({})).results
    assert result.precision is None and result.recall == 0.0
    assert result.to_dict()["failures"] == [
        {"task": "a1", "kind": "example", "rank": None, "limit": 3, "top": []}
    ]


def test_nothing_to_test_does_not_pass(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "alpha")
    pack = SkillPack.from_paths([tmp_path])
    report = run_trigger_tests(pack.skills, pack, TableRouter({}))
    assert report.results == () and report.untested == ("alpha",)
    assert not report.passed


def test_k_below_one_is_a_usage_error(library: SkillPack) -> None:
    with pytest.raises(UsageError, match="at least 1"):
        run_trigger_tests(library.skills, library, TableRouter(TABLE), k=0)


def test_holdout_removes_the_example_being_routed(library: SkillPack) -> None:
    seen: list[tuple[str, ...]] = []

    class Spy(TableRouter):
        def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
            if task.startswith("a"):
                seen.append(pack.get("alpha").examples)
            return super().rank(task, pack, k=k)

    report = run_trigger_tests([library.get("alpha")], library, Spy(TABLE))
    assert report.holdout is True  # the default
    assert seen == [("a2", "a3", "a4"), ("a1", "a3", "a4"), ("a1", "a2", "a4"), ("a1", "a2", "a3")]
    assert library.get("alpha").examples == ("a1", "a2", "a3", "a4")
    seen.clear()
    assert run_trigger_tests([library.get("alpha")], library, Spy(TABLE), holdout=False).holdout is False
    assert seen == [("a1", "a2", "a3", "a4")] * 4


def test_an_example_does_not_pass_by_finding_itself(tmp_path: Path, make_skill: MakeSkill) -> None:
    """An example unrelated to its skill passes only when the router indexes the example itself."""
    from skillpack.bundled import skills_dir

    make_skill(
        tmp_path,
        "date-format",
        description="Formats dates and times for display in a chosen locale. Use when a task prints a date.",
        examples=["show this date as 3 March 2024", "commit message for this"],
    )
    pack = SkillPack.from_paths([skills_dir(), tmp_path])
    router = LexicalRouter(persist=False)
    indexed = run_trigger_tests([pack.get("date-format")], pack, router, holdout=False)
    assert indexed.passed, indexed.to_dict()
    (held_out,) = run_trigger_tests([pack.get("date-format")], pack, router).results
    assert [p.task for p in held_out.failures] == ["commit message for this"]
    assert held_out.failures[0].top[0] == "conventional-commits"


def test_real_lexical_router_on_a_small_library(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(
        tmp_path,
        "csv-merge",
        description="Merges two CSV files on a key column. Use when a task joins CSV tables.",
        examples=["merge the two csv exports on customer id", "join these csv files"],
        counter_examples=["write a status report"],
    )
    make_skill(
        tmp_path,
        "status-report",
        description="Writes a weekly status report from notes. Use when someone asks for a status update.",
        examples=["write the weekly status report", "summarise my notes into a status update"],
    )
    pack = SkillPack.from_paths([tmp_path])
    report = run_trigger_tests(pack.skills, pack, LexicalRouter(persist=False), k=1)
    assert report.passed, report.to_dict()
    assert [(r.name, r.recall, r.precision) for r in report.results] == [
        ("csv-merge", 1.0, 1.0),
        ("status-report", 1.0, 1.0),
    ]


def test_bundled_library_trigger_results_are_measured() -> None:
    """Pin what the bundled library scores, so a regression in skills or router shows up here."""
    from skillpack.bundled import skills_dir

    pack = SkillPack.from_paths([skills_dir()])
    report = run_trigger_tests(pack.skills, pack, LexicalRouter(persist=False))
    totals = report.totals()
    assert totals["probes"] >= 100
    # Held out (the default): every example reaches the top 3 from the rest of its skill's manifest.
    assert report.holdout and report.passed, [r.to_dict() for r in report.failed]
    # At k=3 each example selects three skills, so no skill's precision can be perfect.
    assert all(r.precision is not None and r.precision < 1.0 for r in report.results)
