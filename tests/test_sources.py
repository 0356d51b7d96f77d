"""Install sources: parsing SOURCE, fetching folders, archives and git repositories, git's errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.skills import MakeSkill

from skillpack.authoring.archive import pack_skill
from skillpack.authoring.sources import MAX_GIT_DETAIL, Source, fetch, git_error, parse_source
from skillpack.errors import SkillpackError, UsageError

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="the git program is not installed")


def test_local_sources(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "alpha", version="1.0.0")
    archive = pack_skill(folder, out_dir=tmp_path / "dist").path
    assert parse_source("alpha", cwd=tmp_path) == Source("folder", str(folder))
    assert parse_source(str(archive)) == Source("archive", str(archive))
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match=r"notes\.txt: not a \.skill archive or a folder"):
        parse_source("notes.txt", cwd=tmp_path)


def test_fetch_a_folder_and_an_archive(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path / "src", "alpha", version="1.0.0")
    archive = pack_skill(folder, out_dir=tmp_path / "dist").path
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with fetch(Source("folder", str(folder)), scratch, timeout=5) as (root, commit):
        assert (root, commit) == (folder, "")
    with fetch(Source("archive", str(archive)), scratch, timeout=5) as (root, commit):
        assert (root / "skill.yaml").is_file() and commit == ""
        assert scratch in root.parents


@pytest.mark.parametrize(
    ("text", "kind", "location", "ref", "subdirectory"),
    [
        (
            "git+https://example.com/acme/skills.git@v1.2",
            "git",
            "https://example.com/acme/skills.git",
            "v1.2",
            "",
        ),
        ("https://example.com/acme/skills.git", "git", "https://example.com/acme/skills.git", "", ""),
        ("git@github.com:acme/skills.git@main", "git", "git@github.com:acme/skills.git", "main", ""),
        (
            "ssh://git@host/acme/skills@abc123#subdirectory=skills/x",
            "git",
            "ssh://git@host/acme/skills",
            "abc123",
            "skills/x",
        ),
        ("git+file:///srv/repo", "git", "file:///srv/repo", "", ""),
        # Refs may hold "/": the "@" of a ref is the one after the host (issue 11, item 12).
        (
            "git+https://example.com/acme/skills.git@release/1.2",
            "git",
            "https://example.com/acme/skills.git",
            "release/1.2",
            "",
        ),
        (
            "https://example.com/acme/skills@feature/a/b#subdirectory=s",
            "git",
            "https://example.com/acme/skills",
            "feature/a/b",
            "s",
        ),
        ("ssh://git@host:22/r.git@release/2", "git", "ssh://git@host:22/r.git", "release/2", ""),
        (
            "git@github.com:acme/skills.git@release/1.2",
            "git",
            "git@github.com:acme/skills.git",
            "release/1.2",
            "",
        ),
        ("https://user@example.com/@scope/r.git", "git", "https://user@example.com/@scope/r.git", "", ""),
    ],
)
def test_parse_git_sources(text: str, kind: str, location: str, ref: str, subdirectory: str) -> None:
    source = parse_source(text)
    assert (source.kind, source.location, source.ref, source.subdirectory) == (
        kind,
        location,
        ref,
        subdirectory,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("git+-oProxyCommand=evil@main", "not a usable git URL"),
        ("git+https://h/r.git@-x", "not a usable git URL"),
        ("git+https://h/r.git@", "not a usable git URL"),
        ("git+https://h/r#subdirectory=a\nb", r"#subdirectory='a\\nb' contains .* U\+000A"),
        ("git+https://h/r.git#subdirectory=../up", "climbs out of the folder"),
        ("git+https://h/r.git#egg=x", "unknown fragment"),
        ("ext::sh -c touch% /tmp/pwned", "no such file or folder"),
        ("", "empty source"),
    ],
)
def test_bad_sources_are_usage_errors(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=message):
        parse_source(text, cwd=tmp_path)


# -- git's errors -----------------------------------------------------------------------------------------

NOT_A_REPOSITORY = """\
fatal: '/nonexistent' does not appear to be a git repository
fatal: Could not read from remote repository.

Please make sure you have the correct access rights
and the repository exists.
"""


def test_git_error_keeps_the_fatal_lines_not_the_advice() -> None:
    assert git_error(NOT_A_REPOSITORY) == (
        "fatal: '/nonexistent' does not appear to be a git repository;"
        " fatal: Could not read from remote repository."
    )


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        ("error: pathspec 'x' did not match\nhint: did you mean y?\n", "error: pathspec 'x' did not match"),
        ("fatal: same\nfatal: same\n", "fatal: same"),  # git sometimes repeats itself
        ("ssh: connect to host h port 22:   refused\n", "ssh: connect to host h port 22: refused"),
        ("", "no message (exit status only)"),
    ],
)
def test_git_error_cases(stderr: str, expected: str) -> None:
    assert git_error(stderr) == expected


def test_git_error_is_trimmed_to_one_line() -> None:
    detail = git_error("fatal: " + "x" * 1000 + "\nfatal: second\n")
    assert len(detail) == MAX_GIT_DETAIL and detail.endswith("…") and "\n" not in detail


@needs_git
def test_a_missing_repository_says_so(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    missing = (tmp_path / "nonexistent").as_uri()
    with pytest.raises(SkillpackError) as caught, fetch(parse_source(f"git+{missing}"), scratch, timeout=30):
        pass
    message = str(caught.value)
    assert message.startswith("`git clone` failed: fatal: "), message
    assert "nonexistent" in message and "\n" not in message
    assert not message.endswith("and the repository exists.")


def test_git_timeout_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def slow(*args: Any, **kwargs: Any) -> Any:
        raise subprocess.TimeoutExpired(cmd="git", timeout=kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", slow)
    with (
        pytest.raises(SkillpackError, match=r"did not finish within 5 s .*raise `timeout`"),
        fetch(parse_source("git+https://example.invalid/r.git"), tmp_path, timeout=5),
    ):
        pass


def test_missing_git_program_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def absent(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", absent)
    with (
        pytest.raises(SkillpackError, match="needs the git program; install git and retry"),
        fetch(parse_source("git+https://example.invalid/r.git"), tmp_path, timeout=5),
    ):
        pass
