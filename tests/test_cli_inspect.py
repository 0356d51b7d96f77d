"""``skillpack list`` and ``skillpack show``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.hang import within
from support.skills import MakeSkill

from skillpack.cli.main import cli
from skillpack.tokens import count_tokens


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="skillpack")


@pytest.fixture
def library(tmp_path: Path, make_skill: MakeSkill) -> Path:
    lib = tmp_path / "lib"
    make_skill(lib, "alpha", body="# Alpha\n\nDo alpha things carefully.\n", version="1.0.0")
    beta = make_skill(lib, "beta", form="agent-skills", body="# Beta\n", fields={"bogus": 1})
    (beta / "references").mkdir()
    (beta / "references" / "more.md").write_text("More.\n", encoding="utf-8")
    (lib / "broken").mkdir()
    (lib / "broken" / "skill.yaml").write_text("- a list\n", encoding="utf-8")
    return lib


@pytest.mark.parametrize("command", ["list", "show"])
def test_help_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_list_text(library: Path) -> None:
    result = run("--path", str(library), "--only", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "TOKENS", "DESCRIPTION"]
    rows = json.loads(run("--path", str(library), "--only", "list", "--format", "json").stdout)
    assert lines[1].split()[:3] == ["alpha", "path", str(rows[0]["tokens"])]
    assert lines[2].split()[:3] == ["beta", "path", str(rows[1]["tokens"])]
    assert lines[2].endswith("[1 warning]")
    assert result.stderr.splitlines() == [
        "skipped: broken/skill.yaml: $: the manifest is a list, not a mapping — write it as key: value pairs,"
        " starting with name: and description:",
        "2 skills",
    ]


def test_list_and_route_report_the_same_tokens_for_a_skill(library: Path) -> None:
    listed = json.loads(run("--path", str(library), "--only", "list", "--format", "json").stdout)
    routed = run(
        "--path",
        str(library),
        "--only",
        "route",
        "do alpha things",
        "--min-confidence",
        "0",
        "--format",
        "json",
    )
    assert routed.exit_code == 0, routed.output
    chosen = {c["name"]: c["tokens"] for c in json.loads(routed.stdout)["chosen"]}
    assert chosen and all(chosen[row["name"]] == row["tokens"] for row in listed if row["name"] in chosen)


def test_list_json(library: Path) -> None:
    result = run("--path", str(library), "--only", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == ["alpha", "beta"]
    alpha = rows[0]
    assert {"name", "path", "description", "tokens", "warnings"} <= set(alpha)
    assert alpha["path"] == str(library / "alpha")
    assert alpha["instruction_tokens"] == count_tokens("# Alpha\n\nDo alpha things carefully.\n")
    assert alpha["tokens"] > alpha["instruction_tokens"]  # the <skill> tags around them are loaded too
    assert alpha["warnings"] == [] and alpha["version"] == "1.0.0" and alpha["form"] == "native"
    assert rows[1]["warnings"] == [
        "beta/SKILL.md: $.bogus: unknown field 'bogus' — remove it, or move it under metadata: (string values only)"
    ]


def test_list_shows_what_is_shadowed(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path / "first", "twin", description="first twin")
    make_skill(tmp_path / "second", "twin", description="second twin")
    args = ["--path", str(tmp_path / "first"), "--path", str(tmp_path / "second"), "--only", "list"]
    text = run(*args)
    assert text.exit_code == 0, text.output
    assert (
        f"shadowed: twin at {tmp_path / 'second' / 'twin'} (by {tmp_path / 'first' / 'twin'})" in text.stdout
    )
    rows = json.loads(run(*args, "--format", "json").stdout)
    assert [(r["description"], r["shadowed"]) for r in rows] == [
        ("first twin", [str(tmp_path / "second" / "twin")])
    ]


def test_list_reports_unreadable_instructions_without_failing(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "binary-body", body=b"\x00\x01")
    result = run("--path", str(tmp_path), "--only", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["tokens"] is None
    assert row["warnings"] == [
        "binary-body/instructions.md: the instructions file holds binary data (a NUL byte) — it must be UTF-8 text"
    ]
    text = run("--path", str(tmp_path), "--only", "list")
    assert text.stdout.splitlines()[1].split()[:3] == ["binary-body", "path", "?"]


def test_list_empty(tmp_path: Path) -> None:
    result = run("--path", str(tmp_path), "--only", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout == "no skills found; create one with `skillpack new NAME` or add --path FOLDER\n"
    assert json.loads(run("--path", str(tmp_path), "--only", "list", "--format", "json").stdout) == []


def test_list_default_search_path(skill_home: Path, make_skill: MakeSkill) -> None:
    make_skill(skill_home, "home-made")
    make_skill(Path.cwd() / ".agents" / "skills", "project-made")
    rows = json.loads(run("list", "--format", "json").stdout)
    sources = {row["name"]: row["source"] for row in rows}
    assert sources["home-made"] == "user" and sources["project-made"] == "project"
    assert "bundled" in sources.values()


def test_only_without_path_is_a_usage_error() -> None:
    result = run("--only", "list")
    assert result.exit_code == 2, result.output
    assert "--only needs at least one --path" in result.output


def test_show_text(library: Path) -> None:
    result = run("--path", str(library), "--only", "show", "beta")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"# beta (agent-skills, path: {library / 'beta'})\n")
    assert "## manifest\n\nname: beta\n" in out
    assert f"## instructions ({count_tokens('# Beta' + chr(10))} tokens)\n\n# Beta\n" in out
    assert "## resources\n\n- references/more.md\n" in out
    assert (
        result.stderr
        == "warning: beta/SKILL.md: $.bogus: unknown field 'bogus' — remove it, or move it under metadata: (string values only)\n"
    )


def test_show_json(library: Path) -> None:
    result = run("--path", str(library), "--only", "show", "alpha", "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["manifest"]["name"] == "alpha"
    assert shown["instructions"] == "# Alpha\n\nDo alpha things carefully.\n"
    assert shown["tokens"] == count_tokens(shown["instructions"])
    assert shown["resources"] == [] and shown["warnings"] == []


def test_show_unknown_name_is_a_usage_error(library: Path) -> None:
    result = run("--path", str(library), "--only", "show", "alpah")
    assert result.exit_code == 2, result.output
    assert result.output == "skillpack: error: no skill named 'alpah'; did you mean alpha?\n"


def test_show_unreadable_instructions_is_one_line(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "huge", body="x" * (1024 * 1024 + 10))
    result = run("--path", str(tmp_path), "--only", "show", "huge")
    assert result.exit_code == 1, result.output
    assert result.output == (
        "skillpack: error: huge/instructions.md: the instructions file is over 1,048,576 bytes (1 MiB)"
        " — split it into resource files\n"
    )


def test_a_broken_installation_exits_1(
    skill_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillpack import bundled

    monkeypatch.setattr(bundled, "_PACKAGE", tmp_path / "gone" / "skillpack")
    result = run("list")
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"skillpack: error: skillpack's skills/ folder is missing from {tmp_path / 'gone' / 'skillpack'}"
        " — reinstall skillpack\n"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need os.mkfifo")
def test_list_does_not_wait_on_a_named_pipe(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "piped")
    (folder / "instructions.md").unlink()
    os.mkfifo(folder / "instructions.md")
    result = within(10, lambda: run("--path", str(tmp_path), "--only", "list", "--format", "json"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["tokens"] is None


def test_show_warns_about_an_undeclared_symlink_outside(tmp_path: Path, make_skill: MakeSkill) -> None:
    library = tmp_path / "lib"
    folder = make_skill(library, "leaky", form="agent-skills")
    (tmp_path / "secret.txt").write_text("secret\n", encoding="utf-8")
    (folder / "leak.txt").symlink_to(tmp_path / "secret.txt")
    result = run("--path", str(library), "--only", "show", "leaky", "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["resources"] == []
    assert [line.split(": file: ")[0] for line in shown["warnings"]] == ["leaky/leak.txt"]


# -- other people's text never drives the terminal ------------------------------------------------------

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # write "rm -rf ~" to the clipboard
TITLE = "\x1b]0;pwned\x07"
HIDDEN = "\u202e"  # right-to-left override: the text reads differently than it is


@pytest.fixture
def hostile(tmp_path: Path, make_skill: MakeSkill) -> Path:
    lib = tmp_path / "hostile"
    make_skill(
        lib,
        "commit-helper",
        description=f"Writes commit messages{OSC52}. Use when committing{TITLE}.",
        examples=[f"write a commit message{HIDDEN}"],
        body=f"# Commit\n\nSay{OSC52} this.\n",
        resources=[f"notes{TITLE}.md"],
    )
    (lib / "commit-helper" / f"notes{TITLE}.md").write_text("x", encoding="utf-8")
    bad = lib / f"evil{TITLE}"
    bad.mkdir()
    (bad / "skill.yaml").write_text("- a list\n", encoding="utf-8")
    return lib


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["show", "commit-helper"],
        ["route", "write a commit message"],
        ["run", "--dry-run", "--backend", "fake", "write a commit message"],
        ["run", "--backend", "fake", "--explain", "write a commit message"],
        ["validate", "{lib}", "--verbose"],
        ["lint", "{lib}"],
        ["test", "{lib}"],
    ],
    ids=lambda command: "-".join(
        part for part in command[:2] if part.isidentifier() or part.startswith("--")
    ),
)
def test_control_characters_from_skills_are_escaped_in_every_human_output(
    hostile: Path, command: list[str]
) -> None:
    # `skillpack list` printed an OSC 52 clipboard write and a window title from a description raw.
    args = [part.replace("{lib}", str(hostile)) for part in command]
    result = CliRunner().invoke(cli, ["--path", str(hostile), "--only", *args])
    assert "Traceback" not in result.output
    for raw in ("\x1b", "\x07", HIDDEN):
        assert raw not in result.output, result.output
    if args[0] in ("list", "show", "validate", "lint") or "--dry-run" in args:  # these quote the skill
        assert "\\x1b]" in result.output, result.output


def test_json_output_escapes_them_as_json_does(hostile: Path) -> None:
    result = CliRunner().invoke(cli, ["--path", str(hostile), "--only", "list", "--format", "json"])
    assert "\x1b" not in result.output and HIDDEN not in result.output
    (row,) = json.loads(result.stdout)
    assert row["description"] == f"Writes commit messages{OSC52}. Use when committing{TITLE}."


def test_an_error_about_a_name_with_a_newline_is_one_line_and_installs_nothing(
    skill_home: Path, tmp_path: Path
) -> None:
    # name: "abc\n" passed the schema ("$" matched before the newline) and installed as a folder "abc\n".
    source = tmp_path / "src" / "abc"
    source.mkdir(parents=True)
    (source / "skill.yaml").write_text('name: "abc\\n"\ndescription: Does abc.\n', encoding="utf-8")
    (source / "instructions.md").write_text("# Abc\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["install", str(source)])
    assert result.exit_code == 1, result.output
    (line,) = result.output.splitlines()
    assert line.startswith("skillpack: error: ") and "contains a control character" in line
    assert not (Path.cwd() / ".skillpack" / "skills").exists() or not any(
        (Path.cwd() / ".skillpack" / "skills").iterdir()
    )


def test_show_counts_one_token_in_the_singular(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "tiny", body=".\n")  # one cl100k token
    result = run("--path", str(tmp_path), "--only", "show", "tiny")
    assert result.exit_code == 0, result.output
    assert "## instructions (1 token)\n" in result.stdout
