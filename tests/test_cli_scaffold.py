"""``skillpack new``: scaffolds that pass ``validate --strict``, usage errors, no overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from skillpack.cli.main import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="skillpack")


def test_help_has_an_example() -> None:
    result = run("new", "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and "skillpack new release-notes" in result.output


@pytest.mark.parametrize("form", ["native", "agent-skills"])
def test_new_skill_passes_strict_validation(skill_home: Path, form: str) -> None:
    created = run("new", "release-notes", "--form", form)
    assert created.exit_code == 0, created.output
    folder = Path(".skillpack/skills/release-notes")
    assert created.output.splitlines()[0] == f"created {folder}"
    assert f"skillpack validate {folder} --strict" in created.output
    checked = run("validate", str(folder), "--strict")
    assert checked.exit_code == 0, checked.output
    assert checked.output == "1 skill checked (strict): 1 loaded, 0 skipped; 0 errors, 0 warnings\n"
    listed = run("list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert '"source": "project"' in listed.stdout and '"name": "release-notes"' in listed.stdout


def test_new_in_another_folder_with_a_description(tmp_path: Path) -> None:
    result = run(
        "new", "notes", "--dir", str(tmp_path / "lib"), "--description", "Writes notes. Use for notes."
    )
    assert result.exit_code == 0, result.output
    shown = run("--path", str(tmp_path / "lib"), "--only", "show", "notes", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert '"description": "Writes notes. Use for notes."' in shown.stdout


@pytest.mark.parametrize("name", ["Release_Notes", "a--b", "x-", "x" * 65])
def test_invalid_name_exits_2_and_writes_nothing(skill_home: Path, name: str) -> None:
    result = run("new", name)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"skillpack: error: {name!r} is not a valid skill name ")
    assert not Path(".skillpack").exists()


def test_too_long_description_exits_2_and_writes_nothing(skill_home: Path) -> None:
    result = run("new", "ok-desc", "--description", "a" * 2000)
    assert result.exit_code == 2, result.output
    assert result.output == (
        "skillpack: error: --description: 2000 characters; the limit is 1024 — shorten it;"
        " nothing was written\n"
    )
    assert not Path(".skillpack").exists()
    assert "1,024 characters" in " ".join(run("new", "--help").output.split())


def test_bad_form_exits_2(skill_home: Path) -> None:
    result = run("new", "fine", "--form", "yaml")
    assert result.exit_code == 2, result.output
    assert not Path(".skillpack").exists()


def test_existing_folder_exits_1_and_is_unchanged(skill_home: Path) -> None:
    first = run("new", "taken")
    assert first.exit_code == 0, first.output
    folder = Path(".skillpack/skills/taken")
    before = {p: p.read_bytes() for p in folder.iterdir()}
    again = run("new", "taken", "--form", "agent-skills")
    assert again.exit_code == 1, again.output
    assert (
        again.output
        == f"skillpack: error: {folder} already exists — choose another name or remove it first\n"
    )
    assert {p: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in folder.parent.iterdir()) == ["taken"]


@pytest.mark.parametrize(
    ("form", "files"), [("native", ["instructions.md", "skill.yaml"]), ("agent-skills", ["SKILL.md"])]
)
def test_new_json_format(tmp_path: Path, form: str, files: list[str]) -> None:
    import json

    result = run("new", "notes", "--dir", str(tmp_path), "--form", form, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "name": "notes",
        "form": form,
        "folder": str(tmp_path / "notes"),
        "files": files,
    }
