"""``skillpack validate``: exit codes, one line per problem, --verbose, --format json, every bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.bad_cases import GOOD_NEIGHBOUR, BadCase, bad_cases
from support.hang import within
from support.skills import MakeSkill

from skillpack.cli.main import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="skillpack")


def test_help_has_an_example() -> None:
    result = run("validate", "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and "skillpack validate ./skills --strict" in result.output


def test_valid_skills_exit_0(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "fine")
    make_skill(tmp_path, "also-fine", form="agent-skills")
    for mode in ([], ["--strict"]):
        result = run("validate", str(tmp_path), *mode)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].endswith("2 loaded, 0 skipped; 0 errors, 0 warnings")


def test_warnings_pass_lenient_and_fail_strict(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "loose", description="d" * 1068)
    line = "loose/skill.yaml: $.description: 1068 characters; the limit is 1024 — shorten it"
    lenient = run("validate", str(tmp_path))
    assert lenient.exit_code == 0, lenient.output
    assert lenient.output.splitlines() == [
        f"warning: {line}",
        "1 skill checked (lenient): 1 loaded, 0 skipped; 0 errors, 1 warning",
    ]
    strict = run("validate", str(tmp_path), "--strict")
    assert strict.exit_code == 1, strict.output
    assert strict.output.splitlines() == [
        f"error: {line}",
        "1 skill checked (strict): 1 loaded, 0 skipped; 1 error, 0 warnings",
    ]


def test_unusable_skill_fails_in_both_modes(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "mute", description="")
    make_skill(tmp_path, "fine")
    for mode in ([], ["--strict"]):
        result = run("validate", str(tmp_path), *mode)
        assert result.exit_code == 1, result.output
        assert result.output.startswith("error: mute/skill.yaml: $.description: the description is empty — ")
        assert "2 skills checked" in result.output and "1 loaded, 1 skipped" in result.output


def test_client_fields_warn_but_pass_strict(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "client", form="agent-skills", fields={"disable-model-invocation": True})
    result = run("validate", str(tmp_path), "--strict")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("warning: client/SKILL.md: $['disable-model-invocation']: ")


def messy(tmp_path: Path, make_skill: MakeSkill) -> Path:
    make_skill(tmp_path, "messy", tags="x", version="1.0.0-alpha.beta", fields={"bogus": 1, "name": "Messy"})
    return tmp_path


def test_best_match_first_and_verbose_shows_all(tmp_path: Path, make_skill: MakeSkill) -> None:
    library = messy(tmp_path, make_skill)
    short = run("validate", str(library), "--strict")
    assert short.exit_code == 1, short.output
    lines = short.output.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("error: messy/skill.yaml: $.")
    assert lines[1] == "  (+3 more in messy/skill.yaml; --verbose shows them)"
    verbose = run("validate", str(library), "--strict", "--verbose")
    assert verbose.exit_code == 1, verbose.output
    shown = verbose.output.splitlines()[:-1]
    assert shown[0] == lines[0]
    assert len(shown) == 4
    assert {line.split(": ")[2] for line in shown} == {"$.tags", "$.version", "$.name", "$.bogus"}
    for line in shown:
        assert line.startswith("error: messy/skill.yaml: $") and line.count(" — ") == 1


def test_json_format(tmp_path: Path, make_skill: MakeSkill) -> None:
    library = messy(tmp_path, make_skill)
    make_skill(library, "mute", description="")
    result = run("validate", str(library), "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert {
        k: report[k] for k in ("valid", "strict", "skills", "loaded", "skipped", "errors", "warnings")
    } == {
        "valid": False,
        "strict": False,
        "skills": 2,
        "loaded": 1,
        "skipped": 1,
        "errors": 1,
        "warnings": 4,
    }
    first = report["problems"][0]
    assert set(first) == {"file", "location", "severity", "code", "message", "fix", "text"}
    assert first["text"] == f"{first['file']}: {first['location']}: {first['message']} — {first['fix']}"
    assert [p["severity"] for p in report["problems"]].count("error") == 1


def test_shadowed_skills_are_reported(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path / "a", "twin")
    make_skill(tmp_path / "b", "twin")
    result = run("validate", str(tmp_path / "a"), str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    assert (
        f"warning: twin/skill.yaml: $.name: 'twin' is shadowed by {tmp_path / 'a' / 'twin'}" in result.output
    )


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    bad_format = run("validate", "--format", "xml")
    assert bad_format.exit_code == 2, bad_format.output
    missing = run("validate", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2, missing.output
    assert (
        missing.output
        == f"skillpack: error: {tmp_path / 'nowhere'}: no such folder — give a skill folder or a folder of skills\n"
    )
    unknown = run("validate", "--no-such-option")
    assert unknown.exit_code == 2, unknown.output


def test_default_search_path(skill_home: Path, make_skill: MakeSkill) -> None:
    make_skill(skill_home, "home-made")
    result = run("validate", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["loaded"] >= 2
    only = run("--path", str(skill_home), "--only", "validate", "--format", "json")
    assert only.exit_code == 0, only.output
    assert json.loads(only.stdout)["loaded"] == 1


# -- every bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", bad_cases(), ids=lambda case: case.name)
def test_bad_input_through_the_cli(case: BadCase, bad_library: Callable[[BadCase], Path]) -> None:
    library = bad_library(case)
    lenient = within(20, lambda: run("validate", str(library)))
    assert lenient.exit_code == case.lenient_exit, lenient.output
    strict = run("validate", str(library), "--strict")
    assert strict.exit_code == 1, strict.output
    for result in (lenient, strict):
        assert "Traceback" not in result.output
        lines = result.output.splitlines()
        for expected in case.expected:
            assert f"error: {expected}" in lines or f"warning: {expected}" in lines, result.output
    as_json = run("validate", str(library), "--format", "json")
    assert as_json.exit_code == case.lenient_exit, as_json.output
    report = json.loads(as_json.stdout)
    assert report["loaded"] == 1 + len(case.loads)
    assert report["skipped"] == len(case.skills) - len(case.loads)
    listed = run("--path", str(library), "--only", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert "Traceback" not in listed.output
    assert GOOD_NEIGHBOUR in [row["name"] for row in json.loads(listed.stdout)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x00\x01binary", "the instructions file holds binary data (a NUL byte) — it must be UTF-8 text"),
        (
            "café".encode("latin-1"),
            "the instructions file is not UTF-8 text (byte 0xe9 at offset 3) — save the file as UTF-8",
        ),
    ],
)
def test_validate_reads_the_instructions_that_loading_does_not(
    tmp_path: Path, make_skill: MakeSkill, body: bytes, message: str
) -> None:
    make_skill(tmp_path, "unreadable-body", body=body)
    lenient = run("validate", str(tmp_path))
    assert lenient.exit_code == 0, lenient.output
    assert lenient.output.splitlines()[0] == f"warning: unreadable-body/instructions.md: file: {message}"
    strict = run("validate", str(tmp_path), "--strict")
    assert strict.exit_code == 1, strict.output
    assert strict.output.splitlines()[0] == f"error: unreadable-body/instructions.md: file: {message}"


def test_missing_instructions_are_reported_once(tmp_path: Path, make_skill: MakeSkill) -> None:
    (make_skill(tmp_path, "gone") / "instructions.md").unlink()
    result = run("validate", str(tmp_path), "--strict", "--verbose")
    assert result.exit_code == 1, result.output
    assert result.output.count("instructions.md") == 2  # the message and its fix, on one line
    assert len(result.output.splitlines()) == 2


def test_an_undeclared_symlink_outside_is_a_warning(tmp_path: Path, make_skill: MakeSkill) -> None:
    library = tmp_path / "lib"
    folder = make_skill(library, "leaky", form="agent-skills")
    (tmp_path / "secret.txt").write_text("secret\n", encoding="utf-8")
    (folder / "leak.txt").symlink_to(tmp_path / "secret.txt")
    for mode in ([], ["--strict"]):
        result = run("validate", str(library), *mode)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0] == (
            "warning: leaky/leak.txt: file: a symlink that leads outside the skill folder (or loops);"
            " not offered as a resource — remove the link, or copy the file it points to into the skill folder"
        )
