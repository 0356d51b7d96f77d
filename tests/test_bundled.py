"""The bundled library and schemas: where they are found, and that every bundled skill is exemplary."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.skills import REPO

from skillpack import bundled
from skillpack.bundled import load_schema, schemas_dir, skills_dir
from skillpack.cli.main import cli
from skillpack.errors import SkillpackError
from skillpack.registry import SkillPack


def test_source_checkout_finds_the_top_level_folders() -> None:
    assert skills_dir() == REPO / "skills"
    assert schemas_dir() == REPO / "schemas"
    assert load_schema("skill")["title"] == "skillpack skill manifest"
    assert load_schema("skill") is load_schema("skill")


def test_installed_layout_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site" / "skillpack"
    (package / "_bundled" / "skills").mkdir(parents=True)
    (tmp_path / "site" / "skills").mkdir()
    monkeypatch.setattr(bundled, "_PACKAGE", package)
    assert skills_dir() == package / "_bundled" / "skills"


def test_missing_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled, "_PACKAGE", tmp_path / "skillpack")
    with pytest.raises(
        SkillpackError, match=r"skillpack's skills/ folder is missing from .* — reinstall skillpack"
    ):
        skills_dir()


# -- the bundled library -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> SkillPack:
    return SkillPack.from_paths([skills_dir()], strict=True)


def test_every_bundled_skill_passes_strict_validation_without_warnings() -> None:
    result = CliRunner().invoke(
        cli, ["validate", str(skills_dir()), "--strict", "--verbose"], prog_name="skillpack"
    )
    assert result.exit_code == 0, result.output
    assert result.output.endswith(" 0 errors, 0 warnings\n"), result.output
    assert "skipped; 0 errors" in result.output and " 0 skipped" in result.output


def test_at_least_fifteen_skills_in_both_forms(library: SkillPack) -> None:
    folders = [p for p in skills_dir().iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    assert len(library) == len(folders) >= 15
    assert {skill.form for skill in library} == {"native", "agent-skills"}


def test_every_bundled_skill_is_complete(library: SkillPack) -> None:
    for skill in library:
        assert skill.problems == (), skill.name
        assert skill.name == skill.folder.name
        assert len(skill.examples) >= 1, f"{skill.name} has no examples"
        assert "use" in skill.description.lower(), f"{skill.name}: the description should say when to use it"
        body = skill.instructions()
        assert len(body) >= 400, f"{skill.name}: instructions are too thin to follow ({len(body)} characters)"
        # Nothing left over from `skillpack new`'s scaffold.
        assert "Replace this text with what the model must do" not in body, skill.name
        assert not [text for text in (skill.description, *skill.examples) if text.startswith("TODO")], (
            skill.name
        )
        for resource in skill.resources():
            assert skill.read_resource(resource).strip(), f"{skill.name}/{resource} is empty"


def test_bundled_names_are_unique_and_sorted_by_folder(library: SkillPack) -> None:
    assert list(library.names) == sorted(library.names)
