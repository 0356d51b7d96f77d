"""Selection: routing output turned into a context under an exact token budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillpack import SkillPack, UsageError
from skillpack.routing.base import Match, Ranking, Router
from skillpack.selection import select
from skillpack.tokens import count_tokens


class ListRouter(Router):
    """A router that returns the named skills in the given order (what a real router would rank)."""

    name = "list"

    def __init__(self, *names: str, notes: tuple[str, ...] = ()) -> None:
        self.names = names
        self.notes = notes

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        matches = tuple(
            Match(pack.get(n), 1.0 / (i + 1), (f"list: {n}",)) for i, n in enumerate(self.names[:k])
        )
        return Ranking(self.name, matches, notes=self.notes)


def write_skill(root: Path, name: str, body: str, **fields: object) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    lines = [f"name: {name}", f"description: {fields.pop('description', name + ' skill. Use when testing.')}"]
    for key, value in fields.items():
        lines.append(f"{key}: {json.dumps(value)}")
    (folder / "SKILL.md").write_text("---\n" + "\n".join(lines) + "\n---\n" + body, encoding="utf-8")
    return folder


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SkillPack:
    root = tmp_path / "skills"
    write_skill(root, "alpha", "Alpha rules.\n" * 50, version="1.2.0")
    write_skill(root, "beta", "Beta rules.\n" * 200)
    write_skill(root, "gamma", "Gamma rules.\n" * 10, requires=["alpha >=1.0,<2"])
    write_skill(root, "delta", "Delta rules.\n" * 10, requires=["missing-one"])
    write_skill(root, "epsilon", "Epsilon rules.\n" * 10, requires=["alpha >=2"])
    return SkillPack.from_paths([root])


def test_chosen_in_rank_order_with_tokens_and_evidence(pack: SkillPack) -> None:
    selection = select(pack, "task", k=2, router=ListRouter("beta", "alpha", "gamma"))
    assert [c.skill.name for c in selection.chosen] == ["beta", "alpha"]
    assert selection.chosen[0].evidence == ("list: beta",)
    # gamma passed the bar (a router without calibration vouches for every match); only k left it out.
    assert [(r.skill.name, r.cut) for r in selection.rejected] == [("gamma", "k")]
    assert selection.cut_notes == (
        "k cut 1 skill that passed the confidence bar: gamma — raise `k` to load them",
    )
    text = selection.render()
    assert text.index('<skill name="beta">') < text.index('<skill name="alpha" version="1.2.0">')
    assert selection.context_tokens == count_tokens(text)
    for chosen in selection.chosen:
        assert chosen.tokens > 0


def test_budget_takes_skills_whole_in_rank_order_and_reports_the_rest(pack: SkillPack) -> None:
    alpha_only = select(pack, "task", k=5, router=ListRouter("alpha")).context_tokens
    selection = select(pack, "task", k=5, budget=alpha_only + 5, router=ListRouter("beta", "alpha"))
    assert [c.skill.name for c in selection.chosen] == ["alpha"]
    (rejected,) = selection.rejected
    assert rejected.skill.name == "beta"
    assert rejected.reason.startswith("over budget: needs ")
    assert f"of {alpha_only + 5}" in rejected.reason
    assert selection.context_tokens <= alpha_only + 5
    # Never cut mid-text: beta's instructions are absent entirely, alpha's present entirely.
    assert "Beta rules." not in selection.render()
    assert selection.render().count("Alpha rules.") == 50


def test_budget_smaller_than_every_skill_chooses_nothing(pack: SkillPack) -> None:
    selection = select(pack, "task", budget=5, router=ListRouter("alpha", "beta"))
    assert selection.chosen == ()
    assert {r.skill.name for r in selection.rejected} == {"alpha", "beta"}
    assert selection.render() == ""
    smallest = min(r.needed for r in selection.rejected)
    assert smallest == select(pack, "task", router=ListRouter("alpha")).context_tokens
    assert selection.report()["notes"] == [
        f"the budget of 5 tokens is smaller than every relevant skill (the smallest needs {smallest});"
        " nothing was loaded — raise `budget`"
    ]
    one = select(pack, "task", budget=1, router=ListRouter("alpha"))
    assert one.report()["notes"][0].startswith("the budget of 1 token is smaller than every relevant skill")
    assert one.rejected[0].reason.startswith(f"over budget: needs {smallest:,} tokens, 1 left of 1")


def test_requirements_come_along_and_problems_are_noted(pack: SkillPack) -> None:
    selection = select(pack, "task", router=ListRouter("gamma"))
    assert [c.skill.name for c in selection.chosen] == ["gamma", "alpha"]
    assert selection.chosen[1].evidence == ("required by gamma",)
    missing = select(pack, "task", router=ListRouter("delta"))
    assert "delta requires missing-one, which is not installed" in missing.report()["notes"]
    mismatch = select(pack, "task", router=ListRouter("epsilon"))
    assert "epsilon requires alpha >=2, but alpha is version 1.2.0" in mismatch.report()["notes"]


def test_a_skill_and_its_requirements_fit_together_or_not_at_all(pack: SkillPack) -> None:
    gamma_alone = select(pack, "task", router=ListRouter("gamma"), k=1).context_tokens
    selection = select(pack, "task", budget=40, router=ListRouter("gamma"))
    assert gamma_alone > 40
    assert selection.chosen == ()
    assert "with alpha" in selection.rejected[0].reason


def test_rendering_is_deterministic_in_every_format(pack: SkillPack) -> None:
    for fmt in ("xml", "markdown", "catalog", "json"):
        first = select(pack, "task", router=ListRouter("alpha", "gamma"), format=fmt).render()
        second = select(
            SkillPack.from_paths([s.folder for s in pack]),
            "task",
            router=ListRouter("alpha", "gamma"),
            format=fmt,
        ).render()
        assert first == second, fmt
    as_json = json.loads(select(pack, "task", router=ListRouter("alpha"), format="json").render())
    assert as_json["skills"][0]["name"] == "alpha"
    assert as_json["skills"][0]["instructions"].startswith("Alpha rules.")


def test_catalog_of_unselected_skills_under_its_own_budget(pack: SkillPack) -> None:
    selection = select(pack, "task", router=ListRouter("alpha"), catalog_budget=10_000)
    text = selection.render()
    assert "<available_skills>" in text
    assert "<name>beta</name>" in text and "<name>alpha</name>" not in text.split("<available_skills>")[1]
    tight = select(pack, "task", router=ListRouter("alpha"), catalog_budget=60)
    assert tight.report()["catalog_left_out"], "a 60-token catalog cannot hold four entries"
    assert (
        count_tokens(tight.render()) <= select(pack, "task", router=ListRouter("alpha")).context_tokens + 60
    )


def test_report_compares_with_loading_everything(pack: SkillPack) -> None:
    report = select(pack, "task", router=ListRouter("alpha")).report()
    assert report["chosen"][0]["name"] == "alpha"
    assert report["all_skills_tokens"] > report["context_tokens"]
    assert report["saved_tokens"] == report["all_skills_tokens"] - report["context_tokens"]
    # A second pack over the same files takes the counts from the on-disk cache and agrees.
    again = select(
        SkillPack.from_paths([s.folder for s in pack]), "task", router=ListRouter("alpha")
    ).report()
    assert again["all_skills_tokens"] == report["all_skills_tokens"]


def test_abstaining_router_gives_an_empty_context(pack: SkillPack) -> None:
    selection = select(pack, "task", router=ListRouter())
    assert selection.ranking.abstained
    assert selection.render() == "" and selection.context_tokens == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"k": 0}, "k must be at least 1"),
        ({"budget": 0}, "the budget must be a positive number of tokens"),
        ({"budget": -3}, "the budget must be a positive number of tokens"),
        ({"catalog_budget": 0}, "the catalog budget must be positive"),
        ({"format": "yaml"}, "unknown format 'yaml'"),
    ],
)
def test_bad_options_are_usage_errors(pack: SkillPack, options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        select(pack, "task", router=ListRouter("alpha"), **options)  # type: ignore[arg-type]


def test_unreadable_instructions_are_rejected_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "skills"
    write_skill(root, "good", "Good.\n")
    bad = write_skill(root, "bad", "")
    (bad / "SKILL.md").write_bytes((bad / "SKILL.md").read_bytes() + b"\xff\xfe not utf-8")
    pack = SkillPack.from_paths([root])
    selection = select(pack, "task", router=ListRouter("bad", "good"))
    assert [c.skill.name for c in selection.chosen] == ["good"]
    assert selection.rejected[0].reason.startswith("instructions unreadable: ")
    assert "not UTF-8" in selection.rejected[0].reason


class ScoredRouter(Router):
    """A router returning fixed scores, with a relative floor like the lexical router's."""

    name = "scored"
    relative_floor = 0.25

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        ordered = sorted(self.scores.items(), key=lambda item: -item[1])[:k]
        return Ranking(self.name, tuple(Match(pack.get(n), s, ("scored",)) for n, s in ordered))


def test_weak_matches_below_the_routers_relative_floor_stay_out(pack: SkillPack) -> None:
    selection = select(pack, "task", router=ScoredRouter({"alpha": 20.0, "beta": 5.0, "gamma": 4.9}))
    assert [c.skill.name for c in selection.chosen] == ["alpha", "beta"]
    (rejected,) = selection.rejected
    assert rejected.skill.name == "gamma"
    assert rejected.reason == "score 4.900 is below the floor 5.000 (25% of the best match)"
    # An explicit floor overrides the router's; 0 keeps every match.
    everything = select(pack, "task", router=ScoredRouter({"alpha": 20.0, "gamma": 0.1}), relative_floor=0)
    assert [c.skill.name for c in everything.chosen] == ["alpha", "gamma"]
    with pytest.raises(UsageError, match="between 0 and 1"):
        select(pack, "task", router=ScoredRouter({"alpha": 1.0}), relative_floor=1.5)


def test_skills_that_disable_model_invocation_are_never_routed(tmp_path: Path) -> None:
    root = tmp_path / "skills"
    write_skill(root, "manual", "Manual only.\n", **{"disable-model-invocation": True})
    write_skill(root, "auto", "Auto.\n")
    pack = SkillPack.from_paths([root])
    selection = select(pack, "task", router=ListRouter("manual", "auto"))
    assert [c.skill.name for c in selection.chosen] == ["auto"]
    assert selection.rejected[0].reason.startswith("disable-model-invocation: true")
    assert pack.get("manual").extra == {"disable-model-invocation": True}


class ConfidentRouter(Router):
    """A router that calibrates: fixed (score, confidence) per skill, and a declared bar."""

    name = "confident"
    min_confidence = 0.7

    def __init__(self, matches: dict[str, tuple[float, float]]) -> None:
        self.matches = matches

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        ordered = sorted(self.matches.items(), key=lambda item: -item[1][0])[:k]
        return Ranking(self.name, tuple(Match(pack.get(n), s, ("c",), c) for n, (s, c) in ordered))


def test_only_skills_that_reach_the_bar_enter(pack: SkillPack) -> None:
    router = ConfidentRouter({"alpha": (3.0, 0.95), "delta": (2.9, 0.4), "beta": (2.8, 0.75)})
    selection = select(pack, "task", router=router)
    assert [(c.skill.name, c.confidence) for c in selection.chosen] == [("alpha", 0.95), ("beta", 0.75)]
    (below,) = selection.rejected
    assert (below.skill.name, below.confidence, below.cut) == ("delta", 0.4, "")
    assert below.reason == "confidence 0.40 is below the bar 0.70"
    assert selection.report()["chosen"][0]["confidence"] == 0.95
    assert selection.min_confidence == 0.7 and selection.abstain_reason == ""
    # --min-confidence overrides the router's bar, both ways.
    assert len(select(pack, "task", router=router, min_confidence=0.0).chosen) == 3
    assert [c.skill.name for c in select(pack, "task", router=router, min_confidence=0.9).chosen] == ["alpha"]


def test_nothing_confident_enough_says_why_in_one_line(pack: SkillPack) -> None:
    selection = select(pack, "task", router=ConfidentRouter({"alpha": (3.0, 0.5), "beta": (1.0, 0.2)}))
    assert selection.abstained and selection.chosen == ()
    assert selection.abstain_reason == (
        "no skill is confident enough: the best, alpha, has confidence 0.50, below the bar 0.70 (`min_confidence`)"
    )
    assert selection.report()["abstain_reason"] == selection.abstain_reason
    empty = select(pack, "task", router=ListRouter(notes=("no task term occurs in any skill; abstained",)))
    assert empty.abstain_reason == (
        "no skill is relevant: the list router found nothing (no task term occurs in any skill; abstained)"
    )


def test_a_required_skill_carries_the_confidence_of_the_one_requiring_it(pack: SkillPack) -> None:
    selection = select(pack, "task", router=ConfidentRouter({"gamma": (1.0, 0.8)}))
    assert [(c.skill.name, c.confidence) for c in selection.chosen] == [("gamma", 0.8), ("alpha", 0.8)]


def test_k_cutting_a_confident_skill_is_reported(pack: SkillPack) -> None:
    router = ConfidentRouter({"alpha": (3.0, 0.95), "beta": (2.9, 0.9), "delta": (2.8, 0.1)})
    selection = select(pack, "task", k=1, router=router)
    assert [(r.skill.name, r.cut) for r in selection.rejected] == [("beta", "k"), ("delta", "")]
    assert selection.cut_notes == (
        "k cut 1 skill that passed the confidence bar: beta — raise `k` to load them",
    )
    assert selection.cut_notes[0] in selection.report()["notes"]


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_a_confidence_bar_outside_0_1_is_a_usage_error(pack: SkillPack, bad: float) -> None:
    with pytest.raises(UsageError, match="between 0 and 1"):
        select(pack, "task", router=ListRouter("alpha"), min_confidence=bad)


class TermRouter(Router):
    """A router that says which task terms each match rests on, and how much each weighed."""

    name = "terms"

    def __init__(self, matches: dict[str, dict[str, float]]) -> None:
        self.matches = matches

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        ordered = sorted(self.matches.items(), key=lambda item: -sum(item[1].values()))[:k]
        return Ranking(
            self.name,
            tuple(Match(pack.get(n), sum(t.values()), (), 1.0, tuple(t.items())) for n, t in ordered),
        )


def test_a_look_alike_the_task_does_not_name_loses_to_the_one_it_names(pack: SkillPack) -> None:
    # "the Cypress SKU": alpha is cypress-sku-codes, beta cypress-ticket-ids (cypress, and a generic word).
    router = TermRouter({"alpha": {"cypress": 5.0, "sku": 4.0}, "beta": {"cypress": 5.0, "write": 1.0}})
    selection = select(pack, "task", router=router)
    assert [c.skill.name for c in selection.chosen] == ["alpha"]
    assert selection.rejected[0].reason == (
        "a look-alike: 83% of its evidence is task terms a skill chosen before it matches too"
    )
    # A second skill for another part of the task ("commit message and changelog entry") keeps its place.
    both = TermRouter({"alpha": {"commit": 5.0, "messag": 4.0}, "beta": {"changelog": 6.0, "commit": 1.0}})
    assert [c.skill.name for c in select(pack, "task", router=both).chosen] == ["alpha", "beta"]


def test_a_confidence_just_under_the_bar_is_not_printed_as_the_bar() -> None:
    from skillpack.selection.outcome import against_bar

    assert against_bar(0.8462, 0.85) == ("0.8462", "0.8500")
    assert against_bar(0.81, 0.85) == ("0.81", "0.85")
    assert against_bar(0.85, 0.85) == ("0.85", "0.85")
