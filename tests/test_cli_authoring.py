"""The author and install commands through click: lint, test, pack, install, uninstall."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.skills import MakeSkill

from skillpack.cli.main import cli

GOOD = "Merges two CSV files on a key column and reports unmatched rows. Use when a task joins or merges CSV tables."
REPORT = (
    "Writes a weekly status report from meeting notes and tickets. Use when someone asks for a status update."
)


@pytest.fixture(autouse=True)
def _isolated(skill_home: Path) -> None:
    """Run every test in an empty project with an empty skill home."""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def library(tmp_path: Path, make_skill: MakeSkill) -> Path:
    root = tmp_path / "lib"
    make_skill(
        root,
        "csv-merge",
        version="1.0.0",
        description=GOOD,
        examples=["merge the two csv exports on customer id", "join these csv files"],
        counter_examples=["write the weekly status report"],
    )
    make_skill(
        root,
        "status-report",
        version="1.0.0",
        description=REPORT,
        examples=["write the weekly status report", "summarise my notes into a status update"],
    )
    return root


# -- lint ---------------------------------------------------------------------------------------------


def test_lint_clean_library_exits_0(runner: CliRunner, library: Path) -> None:
    result = runner.invoke(cli, ["--only", "lint", str(library)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("2 skills linted: 0 errors, 0 warnings; catalog ")


def test_lint_prints_warnings_one_per_line_and_errors_exit_1(
    runner: CliRunner, library: Path, make_skill: MakeSkill
) -> None:
    make_skill(library, "vague", description="Helps.")
    result = runner.invoke(cli, ["--only", "lint", str(library)])
    assert result.exit_code == 0, result.output
    assert (
        "warning: vague/skill.yaml: $.description: too vague to route on: 1 word, 6 characters — "
        in result.output
    )
    make_skill(library, "misnamed", fields={"name": "not-the-folder"}, description=GOOD, examples=["x"])
    result = runner.invoke(cli, ["--only", "lint", str(library)])
    assert result.exit_code == 1, result.output
    assert (
        "misnamed/skill.yaml: $.name: 'not-the-folder' differs from the folder name 'misnamed'"
        in result.output
    )


def test_an_unedited_new_skill_passes_validate_but_fails_lint(runner: CliRunner, tmp_path: Path) -> None:
    skills = tmp_path / "new"
    for form in ("native", "agent-skills"):
        created = runner.invoke(cli, ["new", f"draft-{form}", "--form", form, "--dir", str(skills)])
        assert created.exit_code == 0, created.output
    validated = runner.invoke(cli, ["--only", "validate", "--strict", str(skills)])
    assert validated.exit_code == 0, validated.output
    result = runner.invoke(cli, ["--only", "lint", str(skills)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(
        line.startswith(
            "error: draft-native/skill.yaml: $.description: placeholder text (starts with TODO): "
        )
        for line in lines
    )
    assert [line for line in lines if line.startswith("suggestion: ")] == [
        "suggestion: draft-agent-skills/SKILL.md: $.examples: no examples, so `skillpack test` cannot check that"
        " tasks route to this skill (optional: the Agent Skills specification has no such field) — add 3-5 task"
        " phrasings that should select it under examples: (other clients ignore the field)"
    ]
    assert lines[-1].startswith("2 skills linted: 8 errors, 0 warnings, 1 suggestion; catalog ")


def test_lint_json(runner: CliRunner, library: Path) -> None:
    result = runner.invoke(cli, ["--only", "lint", str(library), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["ok"], data["skills"], data["errors"]) == (True, 2, 0)
    assert [b["client"] for b in data["budgets"]] == ["Claude Code", "Codex"]


def test_only_without_paths_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--only", "lint"])
    assert result.exit_code == 2, result.output
    assert "--only needs at least one --path or PATH" in result.output


# -- test -----------------------------------------------------------------------------------------------


def test_trigger_tests_pass(runner: CliRunner, library: Path) -> None:
    result = runner.invoke(cli, ["--only", "test", str(library), "-k", "1"])
    assert result.exit_code == 0, result.output
    assert "PASS  csv-merge      recall 2/2 (1.00)  precision 2/2 (1.00)" in result.output
    assert (
        "2 skills tested against a library of 2 with lexical (k=1, counter-k=1, leave-one-out):"
        " 2 passed, 0 failed" in result.output
    )


def test_holdout_is_the_default_and_writes_no_index_cache(
    runner: CliRunner, library: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["--only", "test", str(library), "-k", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["holdout"], data["probes"], data["failed_probes"]) == (True, 5, 0)
    assert set(data["definitions"]) == {"selects", "recall", "precision"}
    assert not (tmp_path / "cache").exists()


def test_an_example_that_only_finds_itself_fails_unless_no_holdout(
    runner: CliRunner, library: Path, make_skill: MakeSkill
) -> None:
    make_skill(
        library,
        "date-format",
        description="Formats dates and times for display in a chosen locale. Use when a task prints a date.",
        examples=["show this date as 3 March 2024", "write a weekly status report about dates"],
    )
    make_skill(
        library,
        "unrelated",
        description="Converts units of measure between metric and imperial. Use when a task converts units.",
        examples=["convert 5 miles to km"],
    )
    args = ["--path", str(library), "--only", "test", str(library / "date-format"), "-k", "1"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert (
        "example 'write a weekly status report about dates': date-format not in the top 1;"
        " ranked status-report" in result.output
    )
    result = runner.invoke(cli, [*args, "--no-holdout"])
    assert result.exit_code == 0, result.output
    assert "(k=1, counter-k=1, --no-holdout: each example indexed)" in result.output


def test_precision_counts_other_skills_examples(
    runner: CliRunner, library: Path, make_skill: MakeSkill
) -> None:
    make_skill(
        library,
        "report-review",
        description="Reviews a weekly status report for tone and missing items. Use when a status report is"
        " drafted and needs a check.",
        examples=["review my weekly status report draft"],
    )
    result = runner.invoke(cli, ["--only", "test", str(library), "-k", "2", "--format", "json"])
    data = {r["name"]: r for r in json.loads(result.output)["results"]}
    review = data["report-review"]
    stolen = [hit["task"] for hit in review["selected_by_other_skills"]]
    assert "write the weekly status report" in stolen, review
    assert review["false_positives"] == len(stolen)
    assert review["precision"] == review["true_positives"] / (review["true_positives"] + len(stolen))


def test_trigger_test_failure_exits_1_and_lists_it(
    runner: CliRunner, library: Path, make_skill: MakeSkill
) -> None:
    make_skill(
        library,
        "csv-merge",
        version="1.0.0",
        description=GOOD,
        examples=["join these csv files"],
        counter_examples=["merge two csv files"],
    )
    result = runner.invoke(cli, ["--only", "test", str(library)])
    assert result.exit_code == 1, result.output
    assert "FAIL  csv-merge" in result.output
    assert (
        "counter-example 'merge two csv files': csv-merge ranked 1 (must not be in the top 1)"
        in result.output
    )
    data = json.loads(runner.invoke(cli, ["--only", "test", str(library), "--format", "json"]).output)
    assert data["passed"] is False and data["failed_skills"] == 1


def test_test_only_the_given_paths_but_route_against_the_library(
    runner: CliRunner, library: Path, tmp_path: Path, make_skill: MakeSkill
) -> None:
    mine = make_skill(
        tmp_path / "mine", "my-skill", description=REPORT.replace("weekly", "daily"), examples=["x"]
    )
    result = runner.invoke(cli, ["--path", str(library), "--only", "test", str(mine), "--format", "json"])
    data = json.loads(result.output)
    assert [r["name"] for r in data["results"]] == ["my-skill"]
    assert data["library"] == 3


def test_nothing_to_test_exits_1(runner: CliRunner, tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path / "bare", "bare-skill")
    result = runner.invoke(cli, ["--only", "test", str(tmp_path / "bare")])
    assert result.exit_code == 1, result.output
    assert "nothing to test: add examples:" in result.output


# -- pack -------------------------------------------------------------------------------------------------


def test_pack_writes_the_archive(runner: CliRunner, library: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["pack", str(library / "csv-merge"), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    path = tmp_path / "dist" / "csv-merge-1.0.0.skill"
    assert result.output.startswith(f"wrote {path} (2 files, sha256 ")
    assert zipfile.ZipFile(path).namelist()[0] == "SHA256SUMS"


def test_pack_invalid_skill_is_one_line_exit_1(
    runner: CliRunner, tmp_path: Path, make_skill: MakeSkill
) -> None:
    folder = make_skill(tmp_path, "no-version", description=GOOD)
    result = runner.invoke(cli, ["pack", str(folder), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1
    assert (
        "skillpack: error: no-version/skill.yaml: $.version: a packed skill needs a version" in result.output
    )


def test_pack_json_format(runner: CliRunner, library: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["pack", str(library / "csv-merge"), "--out", str(tmp_path / "dist"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    archive = tmp_path / "dist" / "csv-merge-1.0.0.skill"
    assert set(data) == {"name", "version", "path", "files", "sha256"}
    assert (data["name"], data["version"], data["path"]) == ("csv-merge", "1.0.0", str(archive))
    with zipfile.ZipFile(archive) as handle:
        assert data["files"] == len(handle.namelist()) - 1  # SHA256SUMS lists the others
    import hashlib

    assert data["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()


def test_pack_missing_folder_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["pack", str(tmp_path / "missing")])
    assert result.exit_code == 2, result.output


# -- install / uninstall ------------------------------------------------------------------------------------


def test_install_restore_uninstall_round_trip(runner: CliRunner, library: Path, tmp_path: Path) -> None:
    packed = runner.invoke(cli, ["pack", str(library / "csv-merge"), "--out", str(tmp_path / "dist")])
    assert packed.exit_code == 0, packed.output
    archive = tmp_path / "dist" / "csv-merge-1.0.0.skill"
    result = runner.invoke(cli, ["install", str(archive)])
    assert result.exit_code == 0, result.output
    assert f"installed csv-merge 1.0.0 from {archive}" in result.output
    assert (Path.cwd() / ".skillpack" / "skills" / "csv-merge" / "skill.yaml").is_file()
    assert (Path.cwd() / "skillpack.lock").is_file()
    result = runner.invoke(cli, ["install"])
    assert result.exit_code == 0, result.output
    assert "unchanged csv-merge 1.0.0" in result.output
    listed = runner.invoke(cli, ["list", "--format", "json"])
    assert "csv-merge" in [row["name"] for row in json.loads(listed.stdout)]
    result = runner.invoke(cli, ["uninstall", "csv-merge", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changes"][0]["action"] == "uninstalled"
    assert not (Path.cwd() / ".skillpack" / "skills" / "csv-merge").exists()


def test_install_user_scope(runner: CliRunner, library: Path, skill_home: Path) -> None:
    result = runner.invoke(cli, ["install", "--user", str(library / "status-report")])
    assert result.exit_code == 0, result.output
    assert (skill_home / "status-report" / "skill.yaml").is_file()
    assert (skill_home / "skillpack.lock").is_file()


def test_install_refusals_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    evil = tmp_path / "evil-1.0.0.skill"
    with zipfile.ZipFile(evil, "w") as handle:
        handle.writestr("evil/SKILL.md", "---\nname: evil\ndescription: Evil. Use when testing.\n---\n")
        handle.writestr("/etc/cron.d/evil", "* * * * * root sh")
    result = runner.invoke(cli, ["install", str(evil)])
    assert result.exit_code == 1, result.output
    assert result.output == (
        "skillpack: error: evil-1.0.0.skill: entry '/etc/cron.d/evil': is an absolute path — refusing to unpack;"
        " nothing was written\n"
    )
    assert not (Path.cwd() / ".skillpack").exists()
    result = runner.invoke(cli, ["install"])
    assert result.exit_code == 2, result.output
    result = runner.invoke(cli, ["install", str(tmp_path / "nowhere")])
    assert result.exit_code == 2, result.output
    assert "no such file or folder" in result.output
    result = runner.invoke(cli, ["uninstall", "nothing-here"])
    assert result.exit_code == 2, result.output


def test_install_several_sources_each_all_or_nothing(
    runner: CliRunner, library: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(
        cli, ["install", str(library / "csv-merge"), str(missing), str(library / "status-report")]
    )
    assert result.exit_code == 2, result.output
    skills_dir = Path.cwd() / ".skillpack" / "skills"
    assert result.stdout.splitlines() == [
        f"installed csv-merge 1.0.0 from {library / 'csv-merge'}",
        f"installed status-report 1.0.0 from {library / 'status-report'}",
    ]
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"skillpack: error: {missing}: ") and "no such file or folder" in lines[0]
    assert (
        lines[1]
        == f"2 skills in {skills_dir}: csv-merge, status-report; lock: {Path.cwd() / 'skillpack.lock'}"
    )


def test_install_and_uninstall_json_shape(runner: CliRunner, library: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(cli, ["install", str(library / "csv-merge"), str(missing), "--format", "json"])
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"skills_dir", "lock", "ok", "sources", "changes", "installed"}
    assert data["ok"] is False and data["installed"] == ["csv-merge"]
    first, second = data["sources"]
    assert first == {
        "source": str(library / "csv-merge"),
        "ok": True,
        "error": None,
        "changes": data["changes"],
    }
    assert data["changes"] == [
        {
            "name": "csv-merge",
            "action": "installed",
            "version": "1.0.0",
            "previous_version": "",
            "source": str(library / "csv-merge"),
        }
    ]
    assert second["source"] == str(missing) and second["ok"] is False and second["changes"] == []
    assert "no such file or folder" in second["error"]
    result = runner.invoke(cli, ["uninstall", "csv-merge", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["installed"] == []
    assert data["sources"][0]["changes"][0]["action"] == "uninstalled"


def test_uninstall_says_what_remains(runner: CliRunner, library: Path) -> None:
    assert runner.invoke(cli, ["install", str(library)]).exit_code == 0
    skills_dir = Path.cwd() / ".skillpack" / "skills"
    lock = Path.cwd() / "skillpack.lock"
    result = runner.invoke(cli, ["uninstall", "csv-merge"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "uninstalled csv-merge 1.0.0\n"
    assert result.stderr == f"1 skill in {skills_dir}: status-report; lock: {lock}\n"
    result = runner.invoke(cli, ["uninstall", "status-report"])
    assert result.stderr == f"0 skills in {skills_dir}; lock: {lock}\n"


@pytest.mark.skipif(shutil.which("git") is None, reason="the git program is not installed")
def test_install_from_a_missing_repository_quotes_gits_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["install", f"git+{(tmp_path / 'nonexistent').as_uri()}"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.splitlines()
    assert line.startswith("skillpack: error: `git clone` failed: fatal: "), line
    assert "nonexistent" in line and not line.endswith("and the repository exists.")
    assert not (Path.cwd() / ".skillpack").exists()
