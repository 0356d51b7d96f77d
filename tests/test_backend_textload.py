"""The plain-text skill-load protocol that gives tool-less backends skills on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillpack.backends import textload
from skillpack.backends.base import Request
from skillpack.backends.fake import FakeBackend
from skillpack.registry import SkillPack
from skillpack.skill import Skill


@pytest.fixture
def skills(tmp_path: Path) -> tuple[Skill, ...]:
    for name, value in (("aurora-door-code", "909990"), ("basalt-door-code", "123456")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: The door code of the {name.split('-')[0]} office.\n---\n\n"
            f"The door code is {value}.\n",
            encoding="utf-8",
        )
    return tuple(SkillPack.from_paths([tmp_path]))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("LOAD: aurora-door-code", "aurora-door-code"),
        ("Sure.\nload: `aurora-door-code`.", "aurora-door-code"),
        ('  LOAD:"basalt-door-code"', "basalt-door-code"),
        ("The code is 909990.", None),
        ("I would LOAD: x but inline does not count", None),
    ],
)
def test_a_load_request_is_one_line(text: str, name: str | None) -> None:
    assert textload.requested(text) == name


def test_the_catalog_lists_names_and_descriptions_and_says_how_to_ask(skills: tuple[Skill, ...]) -> None:
    text = textload.catalog(skills)
    assert "`LOAD: <name>`" in text and "- aurora-door-code: The door code of the aurora office." in text
    assert "909990" not in text  # instructions are not in the catalog
    assert textload.catalog(()) == ""


def test_a_requested_skill_is_loaded_and_the_model_asked_again(skills: tuple[Skill, ...]) -> None:
    backend = FakeBackend(responses=["LOAD: aurora-door-code", "909990"])
    reply = textload.generate(backend, Request(system="", task="Door code of Aurora?", loadable=skills))
    assert (reply.text, reply.loaded_skills, reply.turns) == ("909990", ("aurora-door-code",), 2)
    first, second = backend.history
    assert not first.loadable and "- basalt-door-code:" in first.system and "909990" not in first.system
    assert "The door code is 909990." in second.system and "123456" not in second.system
    # Usage is summed over both calls (the fake counts each request's input tokens exactly).
    recount = FakeBackend()
    assert reply.usage.input_tokens == sum(recount.generate(r).usage.input_tokens for r in (first, second))


@pytest.mark.parametrize(
    ("responses", "note"),
    [
        (["LOAD: nowhere-door-code"], "'nowhere-door-code', which is not in the catalog"),
        (["LOAD: aurora-door-code", "LOAD: aurora-door-code"], "asked for 'aurora-door-code' again"),
    ],
)
def test_unknown_or_repeated_requests_end_the_loop_with_a_note(
    skills: tuple[Skill, ...], responses: list[str], note: str
) -> None:
    backend = FakeBackend(responses=responses)
    reply = textload.generate(backend, Request(system="", task="?", loadable=skills))
    assert reply.text == responses[-1] and any(note in n for n in reply.notes)
    assert len(backend.history) == len(responses)


def test_the_loop_stops_at_max_turns(skills: tuple[Skill, ...]) -> None:
    backend = FakeBackend(responses=["LOAD: aurora-door-code", "LOAD: basalt-door-code", "unused"])
    reply = textload.generate(backend, Request(system="", task="?", loadable=skills, max_turns=2))
    assert (reply.turns, reply.loaded_skills, len(backend.history)) == (2, ("aurora-door-code",), 2)


def test_the_capability_is_declared_never_inferred_from_the_name() -> None:
    class Local(FakeBackend):
        name = "local"  # the name alone changes nothing

    class NoTools(FakeBackend):
        loads_skills = False

    assert Local().loads_skills is True and NoTools().loads_skills is False
