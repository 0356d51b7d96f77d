"""Real data: the twelve Agent Skills in ../shared/corpora/anthropic-skills, written by someone else."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from skillpack.cli.main import cli
from skillpack.registry import SkillPack

CLAUDE_API = "claude-api/SKILL.md: $.description: 1068 characters; the limit is 1024 — shorten it"

NAMES = (
    "algorithmic-art",
    "brand-guidelines",
    "canvas-design",
    "claude-api",
    "frontend-design",
    "internal-comms",
    "mcp-builder",
    "skill-creator",
    "slack-gif-creator",
    "theme-factory",
    "web-artifacts-builder",
    "webapp-testing",
)


@pytest.fixture
def corpus(shared_dir: Path) -> Path:
    path = shared_dir / "corpora" / "anthropic-skills"
    if not path.is_dir():
        pytest.skip(f"{path} is absent: this test needs the anthropic-skills corpus in ../shared")
    return path


def test_all_twelve_load_leniently(corpus: Path) -> None:
    pack = SkillPack.from_paths([corpus])
    assert pack.names == NAMES
    assert pack.problems == ()
    for skill in pack:
        assert skill.form == "agent-skills"
        assert skill.instructions().strip(), skill.name
        assert all(p.severity == "warning" for p in skill.problems)
    assert [str(p) for p in pack.get("claude-api").warnings] == [CLAUDE_API]


def test_strict_mode_flags_the_over_long_description(corpus: Path) -> None:
    pack = SkillPack.from_paths([corpus], strict=True)
    errors = [str(p) for skill in pack for p in skill.problems if p.severity == "error"]
    assert errors == [CLAUDE_API]


def test_validate_cli_on_the_corpus(corpus: Path) -> None:
    lenient = CliRunner().invoke(cli, ["validate", str(corpus)], prog_name="skillpack")
    assert lenient.exit_code == 0, lenient.output
    assert f"warning: {CLAUDE_API}" in lenient.output.splitlines()
    strict = CliRunner().invoke(cli, ["validate", str(corpus), "--strict"], prog_name="skillpack")
    assert strict.exit_code == 1, strict.output
    assert strict.output.splitlines() == [
        f"error: {CLAUDE_API}",
        "12 skills checked (strict): 12 loaded, 0 skipped; 1 error, 0 warnings",
    ]


def test_resources_stay_inside_their_skill(corpus: Path) -> None:
    pack = SkillPack.from_paths([corpus])
    for skill in pack:
        for relative in skill.resources():
            assert skill.resource_path(relative).is_relative_to(skill.folder.resolve())
    assert "LICENSE.txt" in pack.get("algorithmic-art").resources()
