"""Lint: vague descriptions, long instructions, confusable pairs, catalog budgets, schema errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.skills import MakeSkill

from skillpack.authoring.lint import CLIENT_BUDGETS, LintReport, keyword_stuffing, lint, skill_problems
from skillpack.authoring.scaffold import TEMPLATE_LINES, create_skill
from skillpack.context import catalog_entry
from skillpack.problems import Problem
from skillpack.registry import SkillPack
from skillpack.routing.base import Match, Ranking, Router
from skillpack.routing.lexical import LexicalRouter

GOOD = "Merges two CSV files on a key column and reports unmatched rows. Use when a task joins or merges CSV tables."


class TableRouter(Router):
    """Rank by a fixed table: task -> names, best first (what the test wants the router to say)."""

    name = "table"

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        self.asked.append(task)
        names = self.table.get(task, [])
        return Ranking(self.name, tuple(Match(pack.get(n), 1.0 / (i + 1)) for i, n in enumerate(names[:k])))


def _codes(report: object, code: str) -> list[str]:
    return [str(p) for p in report.problems if p.code == code]  # type: ignore[attr-defined]


def test_clean_skill_has_no_findings(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(
        tmp_path, "csv-merge", version="1.0.0", description=GOOD, examples=["merge these two csv files"]
    )
    report = lint(SkillPack.from_paths([tmp_path], strict=True), router=TableRouter({}))
    assert report.problems == ()
    assert report.errors == report.warnings == 0
    assert report.notes == ("one skill only: confusable pairs need a library of two or more",)


def test_vague_description_without_when(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "helper", description="Helps with files.", examples=["x"])
    report = lint(SkillPack.from_paths([tmp_path], strict=True))
    assert _codes(report, "vague-description") == [
        "helper/skill.yaml: $.description: too vague to route on: 3 words, 17 characters — say what the skill"
        " does, on what inputs, and when to use it, in a sentence or two (at least 12 words)"
    ]
    assert _codes(report, "no-when") == [
        "helper/skill.yaml: $.description: does not say when to use the skill (no 'when' in it); clients choose"
        " from the description alone — end it with 'Use when …' naming the situations or requests that call for it"
    ]
    assert all(p.severity == "warning" for p in report.problems)


def test_missing_examples_is_a_warning(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "csv-merge", description=GOOD)
    (problem,) = lint(SkillPack.from_paths([tmp_path], strict=True)).problems
    assert (problem.code, problem.location, problem.severity) == ("no-examples", "$.examples", "warning")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("step\n" * 501, "501 lines and 1,002 tokens"),
        ("word " * 6000 + "\n", "1 line and 6,001 tokens"),
    ],
)
def test_long_instructions(tmp_path: Path, make_skill: MakeSkill, body: str, expected: str) -> None:
    make_skill(tmp_path, "csv-merge", description=GOOD, examples=["x"], body=body)
    (line,) = _codes(lint(SkillPack.from_paths([tmp_path], strict=True)), "long-instructions")
    assert (
        f"the instructions are {expected}; the Agent Skills guidance is at most 500 lines and 5,000 tokens"
        in line
    )


def test_500_lines_is_still_fine(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "csv-merge", description=GOOD, examples=["x"], body="step\n" * 500)
    assert _codes(lint(SkillPack.from_paths([tmp_path], strict=True)), "long-instructions") == []


def test_schema_errors_come_from_strict_validation(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "csv-merge", description=GOOD, examples=["x"], fields={"name": "csv-merger"})
    report = lint(SkillPack.from_paths([tmp_path], strict=True))
    assert report.errors == 1
    (error,) = [p for p in report.problems if p.severity == "error"]
    assert error.code == "name-mismatch"


def test_unloadable_skill_is_an_error(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "csv-merge", description=GOOD, examples=["x"])
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "SKILL.md").write_text("no front matter\n", encoding="utf-8")
    report = lint(SkillPack.from_paths([tmp_path], strict=True))
    assert report.errors == 1
    assert report.skills == 2


def test_confusable_pair_is_reported_with_a_suggestion(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "csv-merge", description=GOOD, examples=["join a and b", "merge c"])
    make_skill(tmp_path, "csv-split", description=GOOD.replace("Merges", "Splits"), examples=["split d"])
    router = TableRouter(
        {"join a and b": ["csv-split", "csv-merge"], "merge c": ["csv-merge"], "split d": ["csv-split"]}
    )
    report = lint(SkillPack.from_paths([tmp_path], strict=True), router=router)
    assert sorted(router.asked) == ["join a and b", "merge c", "split d"]
    assert _codes(report, "confusable") == [
        "csv-merge/skill.yaml: $.examples: 1 of 2 examples rank csv-split first, e.g. 'join a and b' — tell them"
        " apart: say in when_not_to_use when to use csv-split instead, add such tasks to counter_examples, and"
        " name what is unique to csv-merge in its description"
    ]
    assert [c.to_dict() for c in report.confusions] == [
        {"skill": "csv-merge", "rival": "csv-split", "examples": ["join a and b"], "of": 2}
    ]


def test_confusion_with_the_real_lexical_router(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(
        tmp_path,
        "csv-merge",
        description=GOOD,
        tags=["csv", "merge", "join"],
        examples=["merge two csv files on the id column", "join the orders csv with the customers csv"],
    )
    make_skill(
        tmp_path,
        "report-writer",
        description="Writes a weekly status report from notes. Use when someone asks for a status report.",
        # An example that talks only about merging CSV files: the router sends it to csv-merge.
        examples=["write the weekly status report", "merge csv files and join csv tables on the key column"],
    )
    report = lint(SkillPack.from_paths([tmp_path], strict=True), router=LexicalRouter(persist=False))
    assert [(c.skill, c.rival, c.examples) for c in report.confusions] == [
        ("report-writer", "csv-merge", ("merge csv files and join csv tables on the key column",))
    ]


def test_confusions_route_each_example_held_out(tmp_path: Path, make_skill: MakeSkill) -> None:
    """An example that only its own indexed text sends to its skill is a confusion, as in `skillpack test`."""
    from skillpack.bundled import skills_dir

    make_skill(
        tmp_path,
        "date-format",
        description="Formats dates and times for display in a chosen locale. Use when a task prints a date.",
        examples=["show this date as 3 March 2024"],
    )
    linted = SkillPack.from_paths([tmp_path], strict=True)
    library = SkillPack.from_paths([skills_dir(), tmp_path])
    router = LexicalRouter(persist=False)
    held_out = lint(linted, library=library, router=router)
    # Its wording alone sends the date example to iso8601-datetimes; indexed, the example finds itself.
    held_out_pairs = {(c.rival, c.examples) for c in held_out.confusions}
    assert ("iso8601-datetimes", ("show this date as 3 March 2024",)) in held_out_pairs
    indexed = lint(linted, library=library, router=router, holdout=False)
    assert all("show this date as 3 March 2024" not in c.examples for c in indexed.confusions)


def test_catalog_over_client_budgets(tmp_path: Path, make_skill: MakeSkill) -> None:
    long = ("Merges CSV files on key columns, reports unmatched rows and duplicates. " * 12)[
        :900
    ] + " Use when merging."
    for index in range(10):
        make_skill(tmp_path, f"skill-{index}", description=long, examples=["x"])
    pack = SkillPack.from_paths([tmp_path], strict=True)
    report = lint(pack, router=TableRouter({}))
    expected = sum(len(catalog_entry(s, "line")) + 1 for s in pack)
    assert report.catalog_chars == expected > 8000
    lines = _codes(report, "catalog-budget")
    assert len(lines) == 2
    assert lines[0].startswith(
        f"catalog: 10 skills: the skill listing is {expected:,} characters; Claude Code gives it"
    )
    assert "Codex gives it about 5,440" in lines[1]
    assert [b.client for b in CLIENT_BUDGETS] == ["Claude Code", "Codex"]


def test_entry_over_claude_code_per_entry_limit(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "wordy", description=GOOD + " x" * 400, when_to_use="y " * 400, examples=["x"])
    (line,) = _codes(lint(SkillPack.from_paths([tmp_path], strict=True)), "entry-budget")
    assert "Claude Code cuts each entry at 1,536" in line


def test_bundled_skills_lint_clean_of_errors() -> None:
    from skillpack.bundled import skills_dir

    pack = SkillPack.from_paths([skills_dir()], strict=True)
    report = lint(pack, router=LexicalRouter(persist=False))
    assert report.errors == 0, [str(p) for p in report.problems if p.severity == "error"]
    assert report.skills == len(pack) >= 16


STUFFED = (
    "email, calendar, weather, news, recipes, travel, flights, hotels, restaurants, shopping, music,"
    " movies, sports, finance, stocks, jobs, health, fitness, translate, write, summarize, search, code"
)


def test_a_description_that_is_a_keyword_list_is_warned_about_in_one_line(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    make_skill(tmp_path, "everything", description=STUFFED)
    problems = [
        p
        for p in skill_problems(SkillPack.from_paths([tmp_path]).get("everything"))
        if p.code == "keyword-stuffing"
    ]
    (problem,) = problems
    assert problem.severity == "warning" and problem.location == "$.description"
    assert (
        problem.message
        == "reads like a keyword list (23 words, only 0% function words); it would match unrelated tasks"
    )


def test_plain_prose_and_the_bundled_skills_are_not_keyword_lists() -> None:
    from skillpack.bundled import skills_dir

    assert not [s.name for s in SkillPack.from_paths([skills_dir()]) if keyword_stuffing(s.description)]
    assert keyword_stuffing("Writes git commit messages. Use when you commit.") == ""


# -- placeholder text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["native", "agent-skills"])
def test_unedited_scaffold_fails_lint_with_one_line_per_placeholder(tmp_path: Path, form: str) -> None:
    create_skill(tmp_path, "release-notes", form=form)  # type: ignore[arg-type]
    report = lint(SkillPack.from_paths([tmp_path], strict=True))
    placeholders = [p for p in report.problems if p.code == "placeholder"]
    fields = ["$.description", "$.when_to_use", "$.when_not_to_use", "$.examples[0]", "$.counter_examples[0]"]
    body = "$.instructions" if form == "native" else "body"
    assert [p.location for p in placeholders] == ([*fields, body] if form == "native" else [fields[0], body])
    assert all(p.severity == "error" for p in placeholders)
    assert report.errors == len(placeholders)
    file = "skill.yaml" if form == "native" else "SKILL.md"
    assert str(placeholders[0]) == (
        f"release-notes/{file}: $.description: placeholder text (starts with TODO): 'TODO: say what"
        " release-notes does and when to use it, e.g. …' — say what the skill does and when to use it,"
        " e.g. 'Formats … Use when the user asks to …'"
    )
    assert str(placeholders[-1]) == (
        f"release-notes/{file}: {body}: placeholder text at line 3 (the `skillpack new` template, unedited):"
        f" {'Replace this text with what the model must do when this ski…'!r} and {len(TEMPLATE_LINES) - 1}"
        " more lines — replace it with the rules, formats and an example the model must follow"
    )


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("description", "FIXME describe me", "starts with FIXME"),
        ("description", GOOD + " Lorem ipsum dolor sit amet.", "lorem ipsum"),
        ("when_to_use", "TBD", "starts with TBD"),
    ],
)
def test_placeholder_markers_in_any_skill(
    tmp_path: Path, make_skill: MakeSkill, field: str, value: str, why: str
) -> None:
    make_skill(tmp_path, "csv-merge", examples=["merge two csv files"], **{"description": GOOD, field: value})
    (problem,) = _codes_of(lint(SkillPack.from_paths([tmp_path], strict=True)), "placeholder")
    assert (problem.location, problem.severity) == (f"$.{field}", "error")
    assert problem.message.startswith(f"placeholder text ({why}): ")


def test_placeholder_lines_in_the_body_are_counted(tmp_path: Path, make_skill: MakeSkill) -> None:
    body = "# Merge\n\n1. Join on the key.\n- TODO: say what to do with duplicates\n<!-- FIXME: example -->\n"
    make_skill(tmp_path, "csv-merge", description=GOOD, examples=["merge two csv files"], body=body)
    (problem,) = _codes_of(lint(SkillPack.from_paths([tmp_path], strict=True)), "placeholder")
    assert problem.message == (
        "placeholder text at line 4 (starts with TODO): '- TODO: say what to do with duplicates' and 1 more line"
    )


def test_a_skill_about_todo_comments_is_not_placeholder_text(tmp_path: Path, make_skill: MakeSkill) -> None:
    description = (
        "Finds TODO and FIXME comments in source code and lists them by file. Use when asked for open TODOs."
    )
    body = "# Steps\n\n1. Search for TODO and FIXME comments.\n2. List each with its file and line.\n"
    make_skill(tmp_path, "todo-finder", description=description, examples=["list the TODOs"], body=body)
    assert lint(SkillPack.from_paths([tmp_path], strict=True)).problems == ()


def test_missing_examples_in_a_skill_md_is_a_suggestion(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "csv-merge", form="agent-skills", description=GOOD)
    report = lint(SkillPack.from_paths([tmp_path], strict=True))
    (problem,) = report.problems
    assert (problem.code, problem.severity) == ("no-examples", "suggestion")
    assert (report.errors, report.warnings, report.suggestions) == (0, 0, 1)
    assert report.to_dict()["suggestions"] == 1


def _codes_of(report: LintReport, code: str) -> list[Problem]:
    return [p for p in report.problems if p.code == code]
