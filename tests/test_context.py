"""Rendering skills into context: the exact shapes of each format."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillpack import Skill, UnknownComponentError
from skillpack.context import catalog_entry, check_format, render, render_catalog, wrapper_tokens
from skillpack.tokens import count_tokens


@pytest.fixture
def skills(tmp_path: Path) -> list[Skill]:
    made = []
    for name, description in (
        ("one", "Does <one> & more. Use when testing."),
        ("two", "Second.   Use\nwhen two."),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: '{description}'\nversion: 1.0.0\n---\n\n# {name}\n\nDo {name}.\n",
            encoding="utf-8",
        )
        made.append(Skill.load(folder))
    return made


def test_xml_wraps_each_skill_in_a_named_tag(skills: list[Skill]) -> None:
    text = render(skills, "xml")
    assert text.startswith("<skills>\n")
    assert '<skill name="one" version="1.0.0">\n# one\n\nDo one.\n</skill>\n' in text
    assert text.endswith("</skills>\n")


def test_markdown_has_a_heading_and_the_description_per_skill(skills: list[Skill]) -> None:
    text = render(skills, "markdown")
    assert "## Skill: two\n\n> Second. Use when two.\n\n# two\n\nDo two.\n" in text


def test_catalog_is_the_agent_skills_available_skills_block(skills: list[Skill]) -> None:
    text = render(skills, "catalog")
    assert text.startswith("<available_skills>\n<skill>\n<name>one</name>\n")
    assert "<description>Does &lt;one&gt; &amp; more. Use when testing.</description>" in text
    assert f"<location>{skills[0].manifest_path}</location>" in text
    assert "Do one." not in text, "a catalog carries names and descriptions only"


def test_catalog_budget_keeps_entries_while_they_fit(skills: list[Skill]) -> None:
    _, left_out = render_catalog(skills)
    assert left_out == []
    first_only, left_out = render_catalog(skills, budget=count_tokens(render_catalog(skills[:1])[0]))
    assert [s.name for s in left_out] == ["two"]
    assert "<name>one</name>" in first_only
    nothing, left_out = render_catalog(skills, budget=1)
    assert nothing == "" and len(left_out) == 2


def test_empty_selection_renders_nothing_and_wrappers_have_known_cost(skills: list[Skill]) -> None:
    assert render([], "xml") == ""
    for fmt in ("xml", "markdown", "catalog", "json"):
        assert wrapper_tokens(check_format(fmt)) > 0


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(UnknownComponentError, match="choose one of: catalog, json, markdown, xml"):
        check_format("html")


def test_every_catalog_form_lists_the_same_skill_its_own_way(skills: list[Skill]) -> None:
    one = skills[0]
    files = catalog_entry(one, "files")
    assert files == (
        "<skill>\n<name>one</name>\n<description>Does &lt;one&gt; &amp; more. Use when testing.</description>\n"
        f"<location>{one.manifest_path}</location>\n</skill>\n"
    )
    # The load_skill tool's listing leaves out where the file is: the model loads by name.
    assert catalog_entry(one, "tool") == files.replace(f"<location>{one.manifest_path}</location>\n", "")
    assert catalog_entry(skills[1], "line") == "- two: Second. Use when two."
    text, left_out = render_catalog(skills, form="tool", intro="Call the tool.\n")
    assert text.startswith("<available_skills>\nCall the tool.\n<skill>\n") and left_out == []
    assert render_catalog(skills)[0] == render(skills, "catalog")
