"""Validation: the schema, lenient versus strict, client fields, referenced files, one line per problem."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from support.bad_cases import GOOD_NEIGHBOUR, BadCase, bad_cases
from support.hang import within
from support.skills import OMIT, REPO, MakeSkill

from skillpack.bundled import load_schema
from skillpack.manifest import read_manifest
from skillpack.problems import Problem
from skillpack.validation import CLIENT_FIELDS, known_fields, resolve_inside, validate_manifest


def problems(folder: Path, *, strict: bool) -> list[Problem]:
    return validate_manifest(read_manifest(folder), strict=strict)


def codes(found: list[Problem]) -> list[tuple[str, str]]:
    return [(p.code, p.severity) for p in found]


# -- the schema itself ------------------------------------------------------------------------------


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) and "type" in node else []
        return found + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


def test_every_schema_pattern_holds_for_the_whole_string() -> None:
    # jsonschema applies a pattern with re.search, where "$" also matches before a final newline:
    # name: "abc\n" passed, installed as the folder "abc\n" and could not be uninstalled. "$(?!\n)"
    # means the end of the string in Python and in ECMA-262 alike.
    schemas = sorted((REPO / "schemas").glob("*.schema.json"))
    patterns = [p for path in schemas for p in _patterns(load_schema(path.name.split(".")[0]))]
    assert len(schemas) == 4 and len(patterns) >= 9
    for pattern in patterns:
        assert pattern.startswith("^") and pattern.endswith("$(?!\\n)"), pattern


@pytest.mark.parametrize("field", ["name", "requires"])
def test_a_trailing_newline_fails_the_schema(field: str) -> None:
    validator = Draft202012Validator(load_schema("skill"))
    good: dict[str, Any] = {"name": "abc", "description": "x", "requires": ["abc >=1.0"]}
    assert not list(validator.iter_errors(good))
    bad = dict(good, **{field: "abc\n" if field == "name" else ["abc >=1.0\n"]})
    assert [e.validator for e in validator.iter_errors(bad)] in (["pattern"], ["oneOf"])


def test_a_name_with_a_control_character_is_refused_even_when_lenient(tmp_path: Path) -> None:
    folder = tmp_path / "abc"
    folder.mkdir()
    (folder / "skill.yaml").write_text('name: "abc\\n"\ndescription: x\n', encoding="utf-8")
    (folder / "instructions.md").write_text("x", encoding="utf-8")
    first = problems(folder, strict=False)[0]
    assert (first.code, first.fatal) == ("name-control-character", True)
    assert str(first) == (
        "abc/skill.yaml: $.name: 'abc\\n' contains a control character (a line break, tab, escape or bidi override) — use 1-64"
        " lowercase letters, digits and single hyphens, e.g. 'my-skill'"
    )


def test_a_check_that_breaks_costs_only_its_skill(
    tmp_path: Path, make_skill: MakeSkill, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillpack import SkillPack, validation

    make_skill(tmp_path, "fine")
    make_skill(tmp_path, "odd", tags=["boom"])
    real = validation._schema_problems

    def breaks_on_odd(raw: Any) -> list[Problem]:
        if raw.folder.name == "odd":
            raise TypeError("'>' not supported between instances of 'int' and 'str'")
        return real(raw)

    monkeypatch.setattr(validation, "_schema_problems", breaks_on_odd)
    pack = SkillPack.from_paths([tmp_path])
    assert list(pack.names) == ["fine"]
    assert [str(p) for p in pack.problems] == [
        "odd/skill.yaml: $: cannot be checked (TypeError: '>' not supported between instances of 'int' and"
        " 'str') — simplify the manifest to plain text, lists and mappings; please report this to skillpack"
    ]


def test_schema_is_a_valid_2020_12_schema_with_every_property_described() -> None:
    schema = json.loads((REPO / "schemas" / "skill.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert validator_for(schema) is Draft202012Validator
    Draft202012Validator.check_schema(schema)
    assert schema == load_schema("skill")
    for name, spec in schema["properties"].items():
        assert spec.get("description"), f"property {name!r} has no description"


def test_schema_defines_the_issue_fields() -> None:
    assert known_fields() == {
        "name",
        "description",
        "license",
        "compatibility",
        "metadata",
        "allowed-tools",
        "version",
        "when_to_use",
        "when_not_to_use",
        "tags",
        "examples",
        "counter_examples",
        "requires",
        "instructions",
        "resources",
    }
    assert not known_fields() & set(CLIENT_FIELDS)


# -- a valid manifest -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["native", "agent-skills"])
def test_a_complete_manifest_has_no_problems_in_strict_mode(
    tmp_path: Path, make_skill: MakeSkill, form: str
) -> None:
    folder = make_skill(
        tmp_path,
        "full-skill",
        form=form,
        license="MIT",
        compatibility="Needs git.",
        metadata={"author": "me"},
        version="1.2.3-rc.1+build.5",
        when_to_use="When a full skill is needed.",
        when_not_to_use="Never otherwise.",
        tags=["demo"],
        examples=["do the full thing"],
        counter_examples=["do nothing"],
        requires=["other", "semver-bump >=1.0,<2", {"name": "third", "version": "~=2.1"}],
        fields={"allowed-tools": "Bash(git:*) Read"},
    )
    (folder / "ref.md").write_text("reference\n", encoding="utf-8")
    assert problems(folder, strict=True) == []


# -- lenient versus strict -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "line"),
    [
        (
            {"exmaples": ["x"]},
            "unknown-field",
            "odd/skill.yaml: $.exmaples: unknown field 'exmaples' — did you mean 'examples'? otherwise remove it,"
            " or move it under metadata: (string values only)",
        ),
        (
            {"description": "d" * 1068},
            "schema:maxLength",
            "odd/skill.yaml: $.description: 1068 characters; the limit is 1024 — shorten it",
        ),
        (
            {"name": "other-name"},
            "name-mismatch",
            "odd/skill.yaml: $.name: 'other-name' differs from the folder name 'odd' — rename the folder to"
            " 'other-name' or set name: odd",
        ),
        (
            {"resources": ["gone.md"]},
            "missing-file",
            "odd/skill.yaml: $.resources[0]: 'gone.md' does not exist — create gone.md in the skill folder or"
            " fix the path",
        ),
        (
            {"version": "1.0.0-alpha.beta"},
            "bad-version",
            "odd/skill.yaml: $.version: '1.0.0-alpha.beta' is not a valid version — write a PEP 440 version"
            " such as 1.2.0 or 1.2.0rc1 (SemVer's 1.2.0-rc.1 is accepted too)",
        ),
        (
            {"name": "Odd"},
            "schema:pattern",
            "odd/skill.yaml: $.name: 'Odd' does not have the required form — use 1-64 lowercase letters, digits"
            " and single hyphens, e.g. 'my-skill'",
        ),
    ],
)
def test_spec_rules_are_warnings_when_lenient_and_errors_when_strict(
    tmp_path: Path, make_skill: MakeSkill, fields: dict[str, Any], code: str, line: str
) -> None:
    folder = make_skill(tmp_path, "odd", fields=fields)
    lenient = problems(folder, strict=False)
    strict = problems(folder, strict=True)
    assert str(lenient[0]) == line
    assert (lenient[0].code, lenient[0].severity, lenient[0].fatal) == (code, "warning", False)
    assert str(strict[0]) == line
    assert (strict[0].code, strict[0].severity, strict[0].fatal) == (code, "error", False)


def test_missing_native_instructions_file(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "bare")
    (folder / "instructions.md").unlink()
    assert codes(problems(folder, strict=False)) == [("missing-file", "warning")]
    assert str(problems(folder, strict=True)[0]) == (
        "bare/skill.yaml: $.instructions: 'instructions.md' does not exist — create instructions.md in the skill"
        " folder or fix the path"
    )


@pytest.mark.parametrize(
    ("description", "message"),
    [
        (OMIT, "missing required field 'description'"),
        ("   ", "the description is empty"),
        (12, "expected a string, got the number 12"),
        (["a"], "expected a string, got a list"),
    ],
)
def test_no_usable_description_is_fatal_in_both_modes(
    tmp_path: Path, make_skill: MakeSkill, description: object, message: str
) -> None:
    folder = make_skill(tmp_path, "mute", description=description)
    for strict in (False, True):
        found = problems(folder, strict=strict)
        assert found[0].fatal
        assert found[0].severity == "error"
        assert str(found[0]) == (
            f"mute/skill.yaml: $.description: {message} — add a description: what the skill does and when to use it"
            " (the skill is skipped until then)"
        )
        assert sum(p.code == "no-description" for p in found) == 1


def test_missing_name_is_not_fatal(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "anon", fields={"name": OMIT})
    assert codes(problems(folder, strict=False)) == [("schema:required", "warning")]
    assert str(problems(folder, strict=True)[0]) == (
        "anon/skill.yaml: $: missing required field 'name' — add name: anon"
    )


def test_a_requirement_without_a_name_keeps_the_name_rule_as_its_fix(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    folder = make_skill(tmp_path, "needy", requires=[{"version": ">=1"}])
    found = [p for p in problems(folder, strict=True) if p.message == "missing required field 'name'"]
    assert [p.location for p in found] == ["$.requires[0]"]
    assert found[0].fix.startswith("use 1-64 lowercase letters")


def test_instructions_pointing_at_a_folder_say_so(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "t10")
    (folder / "subdir").mkdir()
    with open(folder / "skill.yaml", "a", encoding="utf-8") as manifest:
        manifest.write("instructions: subdir\n")
    assert [str(p) for p in problems(folder, strict=True)] == [
        "t10/skill.yaml: $.instructions: 'subdir' is a folder, not a file"
        " — point it at a file inside the folder, e.g. 'subdir/instructions.md'"
    ]


@pytest.mark.parametrize(
    ("requires", "location", "spec"),
    [
        ([{"name": "t1", "version": "not a spec"}], "$.requires[0].version", "not a spec"),
        (["t1", "t2 ~=1"], "$.requires[1]", "~=1"),
        ([{"name": "t1", "version": ">=1.0 <2"}], "$.requires[0].version", ">=1.0 <2"),
    ],
)
def test_version_ranges_are_checked_as_pep_440(
    tmp_path: Path, make_skill: MakeSkill, requires: list[Any], location: str, spec: str
) -> None:
    folder = make_skill(tmp_path, "needy", requires=requires)
    for strict, severity in ((True, "error"), (False, "warning")):
        found = problems(folder, strict=strict)
        assert codes(found) == [("bad-version-range", severity)]
        assert found[0].location == location
        assert found[0].message == f"{spec!r} is not a valid version range"
        assert "e.g. '>=1.0,<2'" in found[0].fix


def test_valid_version_ranges_pass(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(
        tmp_path, "needy", requires=["t1", "t2 >=1.0,<2", {"name": "t3", "version": "~=1.4"}, {"name": "t4"}]
    )
    assert problems(folder, strict=True) == []


def test_a_malformed_string_requirement_is_reported_once_by_the_schema(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    folder = make_skill(tmp_path, "needy", requires=["t2 >=>1"])
    assert {p.code for p in problems(folder, strict=True)} == {"schema:pattern", "schema:oneOf"}


@pytest.mark.parametrize("strict", [False, True])
def test_client_fields_are_always_warnings(tmp_path: Path, make_skill: MakeSkill, strict: bool) -> None:
    folder = make_skill(
        tmp_path,
        "client",
        form="agent-skills",
        fields={"disable-model-invocation": True, "user-invocable": False, "argument-hint": "[file]"},
    )
    found = problems(folder, strict=strict)
    assert codes(found) == [("client-field", "warning")] * 3
    assert str(found[0]) == (
        "client/SKILL.md: $['disable-model-invocation']: 'disable-model-invocation' is a Claude Code field, not"
        " part of the Agent Skills specification; kept, and not used by skillpack — nothing to do if the skill is"
        " meant for that client; otherwise remove it"
    )


def test_instructions_field_in_skill_md_is_ignored_with_a_warning(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    folder = make_skill(tmp_path, "std", form="agent-skills", instructions="other.md")
    assert codes(problems(folder, strict=True)) == [("ignored-field", "warning")]


def test_every_problem_is_one_line_with_file_location_and_fix(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(
        tmp_path,
        "messy",
        description="x" * 2000,
        tags="not-a-list",
        metadata={"count": 3},
        requires=["Not A Name"],
        resources=["../escape.md", "nope.md"],
        fields={"name": "Messy Name", "allowed-tools": 7, "bogus": 1, "hooks": {}},
    )
    found = problems(folder, strict=True)
    assert len(found) >= 9
    for problem in found:
        text = str(problem)
        assert "\n" not in text
        assert text.startswith("messy/skill.yaml: $")
        assert text.count(" — ") == 1 and not text.endswith("— ")
    assert {p.location for p in found} >= {
        "$.description",
        "$.tags",
        "$.metadata.count",
        "$.requires[0]",
        "$.resources[0]",
        "$.resources[1]",
        "$.name",
        "$['allowed-tools']",
        "$.bogus",
        "$.hooks",
    }


def test_schema_problems_come_best_match_first(tmp_path: Path, make_skill: MakeSkill) -> None:
    data = {"name": 5, "description": "ok", "tags": "x", "version": 1}
    folder = make_skill(tmp_path, "ranked", fields=data)
    found = [p for p in problems(folder, strict=True) if p.code.startswith("schema:")]
    errors = [e for e in Draft202012Validator(load_schema("skill")).iter_errors(data)]
    best = best_match(errors)
    assert best is not None
    assert found[0].location == best.json_path
    assert len(found) == len(errors)


def test_fatal_problems_come_first(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "late", description=OMIT, fields={"bogus": 1, "name": "other"})
    found = problems(folder, strict=False)
    assert found[0].fatal and found[0].code == "no-description"
    assert all(not p.fatal for p in found[1:])


# -- files a manifest refers to --------------------------------------------------------------------


def test_instructions_outside_the_folder_are_fatal(tmp_path: Path, make_skill: MakeSkill) -> None:
    (tmp_path / "secret.md").write_text("secret\n", encoding="utf-8")
    folder = make_skill(tmp_path, "escape", instructions="../secret.md")
    found = problems(folder, strict=False)
    assert found[0].fatal
    assert str(found[0]).startswith(
        "escape/skill.yaml: $.instructions: '../secret.md' points outside the skill folder"
    )


def test_resource_outside_the_folder_is_reported_not_fatal(tmp_path: Path, make_skill: MakeSkill) -> None:
    (tmp_path / "secret.md").write_text("secret\n", encoding="utf-8")
    folder = make_skill(tmp_path, "leaky", resources=["../secret.md"])
    assert codes(problems(folder, strict=False)) == [("outside-folder", "warning")]
    assert codes(problems(folder, strict=True)) == [("outside-folder", "error")]


def test_resource_symlink_pointing_outside(tmp_path: Path, make_skill: MakeSkill) -> None:
    (tmp_path / "secret.md").write_text("secret\n", encoding="utf-8")
    folder = make_skill(tmp_path, "linky", resources=["notes.md"])
    os.symlink(tmp_path / "secret.md", folder / "notes.md")
    assert str(problems(folder, strict=True)[0]) == (
        "linky/skill.yaml: $.resources[0]: 'notes.md' points outside the skill folder — keep every file the skill"
        " uses inside its folder (no '..', absolute paths or outward symlinks)"
    )


def test_instructions_over_one_mib(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "huge", body="x" * (1024 * 1024 + 1))
    found = problems(folder, strict=False)
    assert codes(found) == [("instructions-too-large", "warning")]
    assert str(found[0]) == (
        "huge/skill.yaml: $.instructions: the instructions are 1,048,577 bytes; the limit is 1,048,576 (1 MiB), so"
        " they cannot be loaded — move detail into resource files that are loaded on demand"
    )


def test_skill_md_body_over_one_mib(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "huge", form="agent-skills", body="x" * (1024 * 1024 + 1))
    assert codes(problems(folder, strict=True)) == [("instructions-too-large", "error")]
    assert problems(folder, strict=True)[0].location == "body"


@pytest.mark.parametrize(
    ("relative", "inside"),
    [
        ("a.md", True),
        ("sub/b.md", True),
        ("sub/../a.md", True),
        ("", False),
        (".", False),
        ("..", False),
        ("../x", False),
        ("sub/../../x", False),
        ("/etc/passwd", False),
        ("a\x00b", False),
    ],
)
def test_resolve_inside(tmp_path: Path, relative: str, inside: bool) -> None:
    (tmp_path / "skill" / "sub").mkdir(parents=True)
    assert (resolve_inside(tmp_path / "skill", relative) is not None) is inside


def test_resolve_inside_follows_symlinks(tmp_path: Path) -> None:
    skill = tmp_path / "skill"
    skill.mkdir()
    (skill / "inner.md").write_text("x", encoding="utf-8")
    os.symlink(skill / "inner.md", skill / "alias.md")
    os.symlink(tmp_path, skill / "up")
    assert resolve_inside(skill, "alias.md") == (skill / "inner.md").resolve()
    assert resolve_inside(skill, "up/skill/inner.md") == (skill / "inner.md").resolve()
    assert resolve_inside(skill, "up/other.md") is None


def test_resource_symlink_loop_is_reported_not_raised(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "loop", resources=["self.md"])
    os.symlink("self.md", folder / "self.md")
    assert codes(problems(folder, strict=True)) == [("outside-folder", "error")]
    assert resolve_inside(folder, "self.md") is None


def test_a_path_too_long_for_the_file_system_is_reported_shortened(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    folder = make_skill(tmp_path, "long", resources=["a" * 5000])
    [problem] = problems(folder, strict=True)
    assert problem.code == "missing-file"
    assert str(problem) == (
        f"long/skill.yaml: $.resources[0]: '{'a' * 56}... does not exist — create {'a' * 56}... in the skill"
        " folder or fix the path"
    )


@pytest.mark.parametrize("case", bad_cases(), ids=lambda case: case.name)
@pytest.mark.parametrize("command", ["lint", "route", "test"])
def test_a_bad_input_costs_only_itself_in_lint_route_and_test(
    case: BadCase, command: str, bad_library: Callable[[BadCase], Path]
) -> None:
    # One manifest (metadata: {a: 1, 2: 3}, version: 0x + 5,000 f) broke these for every skill.
    from click.testing import CliRunner

    from skillpack.cli.main import cli

    library = bad_library(case)
    args = {
        "lint": ["lint", str(library)],
        "route": ["route", GOOD_NEIGHBOUR],
        "test": ["test", str(library)],
    }
    result = within(60, lambda: CliRunner().invoke(cli, ["--path", str(library), "--only", *args[command]]))
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


def test_validate_pack_reports_unreadable_instructions_as_a_problem(tmp_path: Path) -> None:
    from skillpack import SkillContentError, SkillPack, validate_pack

    folder = tmp_path / "binary"
    folder.mkdir()
    (folder / "skill.yaml").write_text("name: binary\ndescription: Reads a file that is not text.\n")
    (folder / "instructions.md").write_bytes(b"text\x00more")
    pack = SkillPack.from_paths([tmp_path])
    with pytest.raises(SkillContentError) as caught:
        pack.get("binary").instructions()
    assert caught.value.problem.file == "binary/instructions.md"
    assert caught.value.problem.message == "the instructions file holds binary data (a NUL byte)"
    assert (
        str(caught.value)
        == f"{caught.value.problem.file}: {caught.value.problem.message} — it must be UTF-8 text"
    )
    strict = [p for p in validate_pack(pack, strict=True) if p.code == "unreadable-instructions"]
    lenient = [p for p in validate_pack(pack) if p.code == "unreadable-instructions"]
    assert [(p.file, p.location, p.severity) for p in strict] == [("binary/instructions.md", "file", "error")]
    assert [p.severity for p in lenient] == ["warning"]


@pytest.mark.parametrize("folder", ["My_Skill", "two--hyphens", "-leading"])
def test_a_name_mismatch_never_suggests_an_invalid_folder_name(tmp_path: Path, folder: str) -> None:
    from skillpack import SkillPack, validate_pack

    (tmp_path / folder).mkdir()
    (tmp_path / folder / "skill.yaml").write_text(
        "name: good-name\ndescription: Merges CSV files. Use when a task joins CSV tables.\n",
        encoding="utf-8",
    )
    (tmp_path / folder / "instructions.md").write_text("Merge them.\n", encoding="utf-8")
    problems = validate_pack(SkillPack.from_paths([tmp_path]), strict=True)
    (mismatch,) = [p for p in problems if p.code == "name-mismatch"]
    assert mismatch.fix == "rename the folder to 'good-name'"
