"""Versions: one grammar (PEP 440) for what validate accepts and what route and install compare."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.skills import MakeSkill

from skillpack import SkillPack
from skillpack.authoring.requirements import requirement_problems
from skillpack.manifest import read_manifest
from skillpack.validation import validate_manifest
from skillpack.versions import in_range, parse_range, parse_version


@pytest.mark.parametrize(
    ("version", "wanted", "inside"),
    [
        ("1.2.0", ">=1.0,<2", True),
        ("1.2.0-rc.1", ">=1.0", True),  # a pre-release is what it declares, for route and install alike
        ("1.2.0+build.5", "==1.2.0", True),
        ("2.0.0", ">=1.0,<2", False),
        ("1.0.0-alpha.beta", ">=1.0", None),  # SemVer, but not PEP 440: refused when validating
    ],
)
def test_validate_route_and_install_agree(
    tmp_path: Path, make_skill: MakeSkill, version: str, wanted: str, inside: bool | None
) -> None:
    make_skill(tmp_path, "base", version=version)
    make_skill(tmp_path, "user", requires=[f"base {wanted}"])
    strict = [p.code for p in validate_manifest(read_manifest(tmp_path / "base"), strict=True)]
    assert strict == ([] if inside is not None else ["bad-version"])
    pack = SkillPack.from_paths([tmp_path])
    selection = pack.select("does user things", k=1, min_confidence=0)
    assert [c.skill.name for c in selection.chosen][:1] == ["user"]
    routed = " ".join(note for note in selection.notes if "base" in note)
    installed = requirement_problems([pack.get("user")], {s.name: s for s in pack})
    assert (routed == "") is (inside is True)
    assert (installed == []) is (inside is True)
    if inside is None:
        assert "invalid version" in routed and "cannot be compared" in installed[0]


def test_the_grammar_in_one_place() -> None:
    assert parse_version("1.0.0-alpha.beta") is None
    assert parse_range("not a spec") is None
    version, wanted = parse_version("1.0.0rc1"), parse_range(">=0.9")
    assert version is not None and wanted is not None and in_range(version, wanted)
