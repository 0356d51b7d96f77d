"""The llm router: a model (here the fake backend) picks from a shortlist; bad answers fall back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from skillpack.backends.fake import FakeBackend
from skillpack.errors import UsageError
from skillpack.registry import SkillPack
from skillpack.routing.base import Match, Ranking, Router
from skillpack.routing.llm import SYSTEM, LLMRouter, parse_choice
from skillpack.tokens import count_tokens


class Shortlist(Router):
    """A base router that always proposes the same skills, so the tests see only the llm router's work."""

    name = "stub"

    def __init__(self, *names: str) -> None:
        self.names = names
        self.asked_k: list[int] = []

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        self.asked_k.append(k)
        matches = tuple(Match(pack.get(n), 10.0 - i, (f"stub #{i + 1}",)) for i, n in enumerate(self.names))
        return Ranking(self.name, matches[:k], notes=("stub note",))


@pytest.fixture
def pack(tmp_path: Path, make_skill: Callable[..., Path]) -> SkillPack:
    for name in ("alpha", "beta", "gamma"):
        make_skill(
            tmp_path,
            name,
            description=f"The {name} skill. Use for {name} work.",
            body=f"SECRET {name} body\n",
        )
    return SkillPack.from_paths([tmp_path])


def router(fake: FakeBackend, base: Router, shortlist: int = 10) -> LLMRouter:
    return LLMRouter(backend=fake, base=base, shortlist=shortlist)


def test_the_model_chooses_from_the_shortlist_seeing_names_and_descriptions_only(pack: SkillPack) -> None:
    fake = FakeBackend(responses=["gamma\nalpha"])
    base = Shortlist("alpha", "beta", "gamma")
    ranking = router(fake, base).rank("do gamma then alpha", pack, k=5)

    assert ranking.router == "llm"
    assert [m.skill.name for m in ranking.matches] == ["gamma", "alpha"]
    assert ranking.matches[0].score > ranking.matches[1].score
    assert ranking.matches[0].evidence == ("chosen by fake from a stub shortlist of 3 (#3)", "stub #3")
    (request,) = fake.history
    assert request.system == SYSTEM.format(k=5)
    assert request.task == (
        "Task: do gamma then alpha\n\nSkills:\n"
        "1. alpha: The alpha skill. Use for alpha work.\n"
        "2. beta: The beta skill. Use for beta work.\n"
        "3. gamma: The gamma skill. Use for gamma work."
    )
    assert "SECRET" not in request.system + request.task
    assert base.asked_k == [10]
    expected = count_tokens(request.system) + count_tokens(request.task) + count_tokens("gamma\nalpha")
    assert ranking.routing_tokens == expected
    assert ranking.extra["answer"] == "gamma\nalpha" and ranking.extra["shortlist"] == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert ranking.notes == ("stub note",)


def test_a_malformed_answer_falls_back_to_the_base_ranking_with_a_warning(pack: SkillPack) -> None:
    fake = FakeBackend(responses=["I think you want the alpha skill!"])
    ranking = router(fake, Shortlist("alpha", "beta")).rank("task", pack, k=1)
    assert [m.skill.name for m in ranking.matches] == ["alpha"]
    assert ranking.matches[0].evidence == ("stub #1",)
    assert ranking.notes[-1] == (
        "llm: the model's answer has 'I think you want the alpha skill!', which is not a skill on the shortlist;"
        " fell back to the stub ranking"
    )
    assert ranking.routing_tokens > 0


def test_a_name_outside_the_shortlist_is_malformed_too(pack: SkillPack) -> None:
    fake = FakeBackend(responses=["gamma"])
    ranking = router(fake, Shortlist("alpha", "beta")).rank("task", pack, k=3)
    assert [m.skill.name for m in ranking.matches] == ["alpha", "beta"]
    assert "'gamma', which is not a skill on the shortlist" in ranking.notes[-1]


def test_none_means_abstain(pack: SkillPack) -> None:
    ranking = router(FakeBackend(responses=["NONE"]), Shortlist("alpha")).rank("task", pack)
    assert ranking.abstained and ranking.routing_tokens > 0


def test_an_empty_shortlist_abstains_without_calling_the_model(pack: SkillPack) -> None:
    fake = FakeBackend()
    ranking = router(fake, Shortlist()).rank("task", pack)
    assert ranking.abstained and fake.history == [] and ranking.routing_tokens == 0
    assert ranking.notes == ("stub note", "llm: the shortlist was empty; no model call")


def test_k_caps_the_choice_and_the_shortlist_grows_with_k(pack: SkillPack) -> None:
    base = Shortlist("alpha", "beta", "gamma")
    ranking = router(FakeBackend(responses=["beta\ngamma\nalpha"]), base, shortlist=2).rank("t", pack, k=3)
    assert base.asked_k == [3]
    assert [m.skill.name for m in ranking.matches] == ["beta", "gamma", "alpha"]
    capped = router(FakeBackend(responses=["beta\ngamma"]), Shortlist("alpha", "beta", "gamma")).rank(
        "t", pack, k=1
    )
    assert [m.skill.name for m in capped.matches] == ["beta"]


@pytest.mark.parametrize(
    ("answer", "chosen", "problem"),
    [
        ("alpha", ["alpha"], ""),
        ("- alpha\n* `beta`\n", ["alpha", "beta"], ""),
        ("1. beta\n2) alpha\n3. beta", ["beta", "alpha"], ""),
        ("none", [], ""),
        ("`NONE`.", [], ""),
        ("", [], "the model's answer was empty"),
        ("alpha, beta", [], "the model's answer has 'alpha, beta', which is not a skill on the shortlist"),
        ("Alpha", [], "the model's answer has 'Alpha', which is not a skill on the shortlist"),
        ("alpha\nNONE", [], "the model's answer has 'NONE', which is not a skill on the shortlist"),
    ],
)
def test_parse_choice_is_strict(answer: str, chosen: list[str], problem: str) -> None:
    assert parse_choice(answer, ["alpha", "beta"]) == (chosen, problem)


def test_without_any_backend_the_router_says_what_to_do(
    pack: SkillPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setattr("skillpack.backends.local.is_available", lambda: False)
    with pytest.raises(UsageError, match="the llm router needs a model and none is available") as caught:
        LLMRouter(base=Shortlist("alpha")).rank("task", pack)
    for option in ("export ANTHROPIC_API_KEY=", "skillpack[local]", "`backend`", "`model`"):
        assert option in str(caught.value)


def test_a_backend_named_by_string_is_built_through_the_plugins(pack: SkillPack) -> None:
    llm = LLMRouter(backend="fake", base=Shortlist("alpha"))
    ranking = llm.rank("task", pack)
    # The default fake answer is not a skill name: the router falls back, and says so.
    assert [m.skill.name for m in ranking.matches] == ["alpha"]
    assert "fell back to the stub ranking" in ranking.notes[-1]
    assert llm.backend().name == "fake"


def test_bad_shortlist_size_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="shortlist must hold at least 1"):
        LLMRouter(shortlist=0)
