"""The Skill value: manifest fields, lazy instructions, resources on demand, refusals."""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from pathlib import Path

import pytest
from support.hang import within
from support.skills import OMIT, MakeSkill

from skillpack.errors import ManifestError, SkillContentError
from skillpack.skill import Requirement, Skill


def test_fields_of_a_native_skill(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(
        tmp_path,
        "dates",
        description="  Formats dates.  ",
        version="1.0.0",
        license="MIT",
        when_to_use="dates",
        when_not_to_use="times",
        tags=["time", "", "iso"],
        examples=["format this date"],
        counter_examples=["what time is it"],
        requires=["semver-bump >=1.0,<2", "plain", {"name": "obj", "version": ">=2"}, "spaced ==1.0"],
    )
    skill = Skill.load(folder, source="path")
    assert (skill.name, skill.description, skill.form, skill.source) == (
        "dates",
        "Formats dates.",
        "native",
        "path",
    )
    assert skill.folder == folder and skill.manifest_path == folder / "skill.yaml"
    assert (skill.version, skill.license, skill.when_to_use, skill.when_not_to_use) == (
        "1.0.0",
        "MIT",
        "dates",
        "times",
    )
    assert skill.tags == ("time", "iso")
    assert skill.examples == ("format this date",)
    assert skill.counter_examples == ("what time is it",)
    assert skill.requires == (
        Requirement("semver-bump", ">=1.0,<2"),
        Requirement("plain"),
        Requirement("obj", ">=2"),
        Requirement("spaced", "==1.0"),
    )
    assert str(skill.requires[0]) == "semver-bump >=1.0,<2"
    assert [(p.location, p.code) for p in skill.warnings] == [("$.tags[1]", "schema:minLength")]
    assert skill.extra == {}


def test_skill_is_an_immutable_value(tmp_path: Path, make_skill: MakeSkill) -> None:
    skill = Skill.load(make_skill(tmp_path, "fixed"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        skill.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        skill.manifest["name"] = "other"  # type: ignore[index]
    assert skill == Skill.load(skill.folder)
    assert hash(skill) == hash(Skill.load(skill.folder))


def test_client_fields_are_kept_in_extra_and_warned(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(
        tmp_path,
        "client",
        form="agent-skills",
        fields={"disable-model-invocation": True, "argument-hint": "[path]", "x-custom": "kept"},
    )
    for strict in (False, True):
        skill = Skill.load(folder, strict=strict)
        assert skill.extra == {
            "disable-model-invocation": True,
            "argument-hint": "[path]",
            "x-custom": "kept",
        }
        assert skill.client_fields == {"disable-model-invocation": True, "argument-hint": "[path]"}
        assert {p.code for p in skill.warnings} >= {"client-field"}


def test_lenient_load_keeps_a_skill_with_spec_problems(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "loose", description="d" * 1100, fields={"name": "other-name", "bogus": 1})
    skill = Skill.load(folder)
    assert skill.name == "other-name"
    assert len(skill.description) == 1100
    assert {p.code for p in skill.warnings} == {"schema:maxLength", "name-mismatch", "unknown-field"}
    assert all(p.severity == "warning" for p in skill.problems)
    strict = Skill.load(folder, strict=True)
    assert {p.severity for p in strict.problems} == {"error"}


def test_missing_name_falls_back_to_the_folder(tmp_path: Path, make_skill: MakeSkill) -> None:
    assert Skill.load(make_skill(tmp_path, "nameless", fields={"name": OMIT})).name == "nameless"


@pytest.mark.parametrize("strict", [False, True])
def test_no_description_cannot_load(tmp_path: Path, make_skill: MakeSkill, strict: bool) -> None:
    with pytest.raises(ManifestError, match=r"^mute/skill.yaml: \$.description: missing required field"):
        Skill.load(make_skill(tmp_path, "mute", description=OMIT), strict=strict)


# -- instructions -----------------------------------------------------------------------------------


def test_native_instructions_are_read_on_first_use_and_cached(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "lazy", body="\n\n# Lazy\n\nStep.\n\n\n")
    skill = Skill.load(folder)
    (folder / "instructions.md").write_text("# Changed\n", encoding="utf-8")
    assert skill.instructions() == "# Changed\n"
    (folder / "instructions.md").unlink()
    assert skill.instructions() == "# Changed\n"


def test_custom_instructions_file(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "custom", instructions="docs/HOWTO.md", body="How.\n")
    skill = Skill.load(folder, strict=True)
    assert skill.problems == ()
    assert skill.instructions_path == folder / "docs" / "HOWTO.md"
    assert skill.instructions() == "How.\n"


def test_skill_md_body_is_the_instructions(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "std", form="agent-skills", body="# Std\n\n---\n\nAfter a rule.\n")
    skill = Skill.load(folder)
    assert skill.instructions_path == folder / "SKILL.md"
    assert skill.instructions() == "# Std\n\n---\n\nAfter a rule.\n"


def test_empty_body_gives_empty_instructions(tmp_path: Path, make_skill: MakeSkill) -> None:
    assert Skill.load(make_skill(tmp_path, "empty", form="agent-skills", body="\n\n")).instructions() == ""


@pytest.mark.parametrize("form", ["native", "agent-skills"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"x" * (1024 * 1024 + 1), "file is over 1,048,576 bytes (1 MiB) — split it into resource files"),
        (b"abc\x00def", "file holds binary data (a NUL byte) — it must be UTF-8 text"),
        ("café".encode("latin-1"), "file is not UTF-8 text (byte 0xe9 at offset "),
    ],
)
def test_unusable_instructions_raise_one_clear_line(
    tmp_path: Path, make_skill: MakeSkill, form: str, body: bytes, message: str
) -> None:
    skill = Skill.load(make_skill(tmp_path, "bad-body", form=form, body=body))
    with pytest.raises(SkillContentError) as caught:
        skill.instructions()
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("bad-body/")
    assert message in text


def test_missing_instructions_file(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "gone")
    skill = Skill.load(folder)
    (folder / "instructions.md").unlink()
    with pytest.raises(
        SkillContentError, match=r"gone/instructions\.md: the instructions file cannot be read"
    ):
        skill.instructions()


def test_instructions_that_are_not_a_string_say_so(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "t10", instructions=["a"])
    skill = Skill.load(folder)  # lenient: a schema warning, the skill loads
    assert [p.location for p in skill.problems] == ["$.instructions"]
    assert skill.instructions_path == folder / "instructions.md"
    with pytest.raises(SkillContentError) as caught:
        skill.instructions()
    assert str(caught.value) == (
        "t10/skill.yaml: $.instructions: expected a string, got list"
        " — write the file's name, e.g. instructions: instructions.md"
    )


def test_instructions_outside_cannot_load(tmp_path: Path, make_skill: MakeSkill) -> None:
    (tmp_path / "elsewhere.md").write_text("x", encoding="utf-8")
    with pytest.raises(ManifestError, match="points outside the skill folder"):
        Skill.load(make_skill(tmp_path, "out", instructions="../elsewhere.md"))


def test_concurrent_first_reads_agree(tmp_path: Path, make_skill: MakeSkill) -> None:
    skill = Skill.load(make_skill(tmp_path, "shared", body="# Shared\n" * 5000))
    results: list[str] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        results.append(skill.instructions())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 8
    assert len(set(results)) == 1 and results[0].startswith("# Shared")


# -- resources --------------------------------------------------------------------------------------


def test_undeclared_resources_are_the_other_files(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "docs", form="agent-skills")
    (folder / "references").mkdir()
    (folder / "references" / "b.md").write_text("B\n", encoding="utf-8")
    (folder / "a.txt").write_text("A\n", encoding="utf-8")
    (folder / ".hidden").write_text("no\n", encoding="utf-8")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"\x00")
    (tmp_path / "outside.md").write_text("secret\n", encoding="utf-8")
    os.symlink(tmp_path / "outside.md", folder / "link.md")
    skill = Skill.load(folder)
    assert skill.resources() == ("a.txt", "references/b.md")
    assert skill.read_resource("references/b.md") == "B\n"


def test_native_manifest_and_instructions_are_not_resources(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "native")
    (folder / "extra.md").write_text("E\n", encoding="utf-8")
    assert Skill.load(folder).resources() == ("extra.md",)


def test_declared_resources_win(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "declared", resources=["z.md", "a.md", "missing.md"])
    for name in ("z.md", "a.md", "other.md"):
        (folder / name).write_text(name, encoding="utf-8")
    assert Skill.load(folder).resources() == ("a.md", "z.md")


def test_reading_outside_the_folder_is_refused(tmp_path: Path, make_skill: MakeSkill) -> None:
    (tmp_path / "outside.md").write_text("secret\n", encoding="utf-8")
    folder = make_skill(tmp_path, "guarded", resources=["link.md"])
    os.symlink(tmp_path / "outside.md", folder / "link.md")
    skill = Skill.load(folder)
    assert skill.resources() == ()
    for relative in ("link.md", "../outside.md", str(tmp_path / "outside.md")):
        with pytest.raises(SkillContentError, match="points outside the skill folder; refusing to read it"):
            skill.read_resource(relative)


def test_an_undeclared_symlink_outside_is_left_out_and_reported(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    (tmp_path / "secret.txt").write_text("secret\n", encoding="utf-8")
    folder = make_skill(tmp_path, "leaky", form="agent-skills")
    os.symlink(tmp_path / "secret.txt", folder / "leak.txt")
    os.makedirs(folder / "references")
    os.symlink("../../secret.txt", folder / "references" / "deep.md")
    (folder / "fine.md").write_text("fine\n", encoding="utf-8")
    skill = Skill.load(folder)
    assert skill.problems == ()  # loading reads the manifest alone; the folder is walked on demand
    assert skill.resources() == ("fine.md",)
    assert [str(p) for p in skill.resource_problems()] == [
        f"leaky/{relative}: file: a symlink that leads outside the skill folder (or loops); not offered as"
        " a resource — remove the link, or copy the file it points to into the skill folder"
        for relative in ("leak.txt", "references/deep.md")
    ]
    assert {p.severity for p in skill.resource_problems()} == {"warning"}


def test_declared_resources_report_through_problems_not_resource_problems(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    (tmp_path / "secret.txt").write_text("secret\n", encoding="utf-8")
    folder = make_skill(tmp_path, "declared", resources=["leak.txt"])
    os.symlink(tmp_path / "secret.txt", folder / "leak.txt")
    skill = Skill.load(folder)
    assert [p.code for p in skill.problems] == ["outside-folder"]
    assert skill.resource_problems() == ()


def test_unknown_resource_lists_what_exists(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "few")
    (folder / "one.md").write_text("1", encoding="utf-8")
    with pytest.raises(SkillContentError, match=r"^few: no resource 'two.md'; available: one.md$"):
        Skill.load(folder).read_resource("two.md")


def test_binary_resource_is_refused(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "img")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(SkillContentError, match=r"img/logo\.png: the resource file holds binary data"):
        Skill.load(folder).read_resource("logo.png")


def test_symlink_loops_are_neither_listed_nor_read(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "loopy", form="agent-skills")
    os.symlink("self.md", folder / "self.md")
    (folder / "real.md").write_text("real\n", encoding="utf-8")
    skill = Skill.load(folder)
    assert skill.resources() == ("real.md",)
    with pytest.raises(SkillContentError, match="refusing to read it"):
        skill.read_resource("self.md")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need os.mkfifo")
def test_a_named_pipe_is_refused_not_waited_on(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "piped", resources=["feed.md"])
    (folder / "instructions.md").unlink()
    os.mkfifo(folder / "instructions.md")
    os.mkfifo(folder / "feed.md")
    skill = Skill.load(folder)
    message = "piped/instructions.md: the instructions file is not a regular file (a pipe or device?)"
    with pytest.raises(SkillContentError, match=re.escape(message)):
        within(5, skill.instructions)
    with pytest.raises(SkillContentError, match=r"no resource 'feed\.md'"):
        within(5, lambda: skill.read_resource("feed.md"))
