"""Scaffolds: a new skill of either form passes strict validation, is written all at once, or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillpack import SkillPack
from skillpack.authoring.scaffold import create_skill
from skillpack.errors import SkillpackError, UsageError
from skillpack.skill import Skill


@pytest.mark.parametrize(
    ("form", "files"), [("native", ["instructions.md", "skill.yaml"]), ("agent-skills", ["SKILL.md"])]
)
def test_scaffold_passes_strict_validation(tmp_path: Path, form: str, files: list[str]) -> None:
    folder = create_skill(tmp_path, "release-notes", form=form)  # type: ignore[arg-type]
    assert folder == tmp_path / "release-notes"
    assert sorted(p.name for p in folder.iterdir()) == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release-notes"]
    skill = Skill.load(folder, strict=True)
    assert skill.problems == ()
    assert (skill.name, skill.form) == ("release-notes", form)
    if form == "native":
        assert skill.version == "0.1.0"
        assert skill.examples and skill.counter_examples and skill.when_to_use
    assert skill.instructions().startswith("# Release notes\n")
    assert folder.stat().st_mode & 0o777 == 0o755


def test_agent_skills_form_writes_only_specification_fields(tmp_path: Path) -> None:
    folder = create_skill(
        tmp_path, "release-notes", form="agent-skills", description="Writes notes. Use when asked."
    )
    skill = Skill.load(folder, strict=True)
    assert list(skill.manifest) == ["name", "description"]
    assert skill.warnings == () and skill.problems == ()
    spec = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
    native = Skill.load(create_skill(tmp_path / "native", "release-notes"), strict=True)
    assert set(native.manifest) - spec, "the native form keeps skillpack's own fields"


def test_a_spec_form_skill_routes_on_its_description_and_body(tmp_path: Path) -> None:
    create_skill(
        tmp_path,
        "release-notes",
        form="agent-skills",
        description="Writes release notes from merged pull requests. Use when preparing a release.",
    )
    create_skill(
        tmp_path, "sql-style", description="Formats SQL queries and names tables. Use when writing SQL."
    )
    selection = SkillPack.from_paths([tmp_path]).select(
        "write the release notes for 2.0", k=1, min_confidence=0
    )
    assert [c.skill.name for c in selection.chosen] == ["release-notes"]


def test_description_is_kept_exactly(tmp_path: Path) -> None:
    text = 'Writes notes: "quoted", #hashed, --- dashed, and ünïcode. Use when asked.'
    for form in ("native", "agent-skills"):
        folder = create_skill(tmp_path / form, "notes", form=form, description=text)  # type: ignore[arg-type]
        assert Skill.load(folder, strict=True).description == text


def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    assert create_skill(tmp_path / "a" / "b", "deep").is_dir()


NAME_FIX = "use 1-64 lowercase letters, digits and single hyphens, e.g. 'my-skill'"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        *[
            (name, f"{name!r} is not a valid skill name — {NAME_FIX}")
            for name in ["Bad", "a--b", "-lead", "trail-", "under_score", "dot.ted", "sp ace", "../up"]
        ],
        ("", f"'' is not a valid skill name (is empty) — {NAME_FIX}"),
        ("x" * 65, f"{'x' * 65!r} is not a valid skill name (65 characters; the limit is 64) — shorten it"),
    ],
)
def test_invalid_names_are_usage_errors(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        create_skill(tmp_path, name)
    assert str(caught.value) == message
    assert caught.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("a" * 1025, "`description`: 1025 characters; the limit is 1024 — shorten it; nothing was written"),
        ("   ", "`description`: the description is empty — add a description: "),
    ],
)
@pytest.mark.parametrize("form", ["native", "agent-skills"])
def test_invalid_description_is_a_usage_error_and_nothing_is_written(
    tmp_path: Path, form: str, description: str, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        create_skill(tmp_path / "lib", "notes", form=form, description=description)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "lib").exists()


def test_longest_valid_description_passes_strict_validation(tmp_path: Path) -> None:
    folder = create_skill(tmp_path, "notes", description="a" * 1024)
    assert Skill.load(folder, strict=True).problems == ()


def test_longest_valid_name(tmp_path: Path) -> None:
    assert Skill.load(create_skill(tmp_path, "x" * 64), strict=True).problems == ()


def test_existing_folder_is_left_alone(tmp_path: Path) -> None:
    existing = tmp_path / "taken"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me\n", encoding="utf-8")
    with pytest.raises(SkillpackError) as caught:
        create_skill(tmp_path, "taken")
    assert not isinstance(caught.value, UsageError)
    assert str(caught.value) == f"{existing} already exists — choose another name or remove it first"
    assert [p.name for p in existing.iterdir()] == ["mine.txt"]
    assert (existing / "mine.txt").read_text(encoding="utf-8") == "keep me\n"
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_rename(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", broken_rename)
    with pytest.raises(SkillpackError, match=r"cannot write the skill: No space left on device$"):
        create_skill(tmp_path, "half")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_parent_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(SkillpackError, match=r"^.*/file/sub: cannot create the skill here: "):
        create_skill(blocker / "sub", "x")
