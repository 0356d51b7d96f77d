"""The all/none baselines and the built-in router registrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.skills import MakeSkill

from skillpack import SkillPack, UnknownComponentError, UsageError, plugins
from skillpack.routing.base import Router


@pytest.fixture
def pack(tmp_path: Path, make_skill: MakeSkill) -> SkillPack:
    for name in ("alpha", "beta", "gamma"):
        make_skill(tmp_path / "lib", name)
    return SkillPack.from_paths([tmp_path / "lib"])


def test_all_returns_every_skill_with_score_zero(pack: SkillPack) -> None:
    ranking = plugins.get_router("all").rank("anything", pack, k=1)
    assert [m.skill.name for m in ranking.matches] == ["alpha", "beta", "gamma"]
    assert {(m.score, m.evidence) for m in ranking.matches} == {(0.0, ("baseline: all",))}


def test_none_returns_nothing(pack: SkillPack) -> None:
    ranking = plugins.get_router("none").rank("anything", pack)
    assert ranking.abstained and ranking.router == "none"


@pytest.mark.parametrize("name", ["all", "none"])
def test_baselines_check_their_input(pack: SkillPack, name: str) -> None:
    router = plugins.get_router(name)
    assert isinstance(router, Router)
    with pytest.raises(UsageError, match="the task is empty"):
        router.rank("", pack)
    with pytest.raises(UsageError, match="k must be"):
        router.rank("x", pack, k=0)
    with pytest.raises(UsageError, match=f"the {name!r} router takes persist; got colour"):
        plugins.get_router(name, colour="red")


def test_builtin_routers_are_registered_lazily() -> None:
    found = plugins.routers()
    assert {"lexical", "embedding", "hybrid", "all", "none"} <= set(found)
    assert plugins.get_router("lexical").name == "lexical"
    assert plugins.get_router("lexical", persist=False).persist is False


def test_an_unknown_router_lists_the_known_ones() -> None:
    with pytest.raises(
        UnknownComponentError, match=r"unknown router 'bm99'; choose one of: all, dense, embedding"
    ):
        plugins.get_router("bm99")
