"""Path safety helpers: staying inside a folder without leaving it through a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillpack.paths import (
    LeavesFolderError,
    NotRegularFileError,
    escapes_through_symlink,
    open_beneath,
    read_beneath,
    relative_path_problem,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """skill/{a.md, sub/b.md, inner -> sub, up -> .., out -> /outside, abs -> tmp/outside.md} and tmp/outside.md."""
    (tmp_path / "outside.md").write_text("outside\n", encoding="utf-8")
    skill = tmp_path / "skill"
    (skill / "sub").mkdir(parents=True)
    (skill / "a.md").write_text("a\n", encoding="utf-8")
    (skill / "sub" / "b.md").write_text("b\n", encoding="utf-8")
    (skill / "inner").symlink_to("sub")
    (skill / "alias.md").symlink_to("sub/b.md")
    (skill / "up").symlink_to("..")
    (skill / "abs.md").symlink_to(tmp_path / "outside.md")
    (skill / "loop").symlink_to("loop")
    return skill


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        ("a.md", b"a\n"),
        ("sub/b.md", b"b\n"),
        ("inner/b.md", b"b\n"),
        ("alias.md", b"b\n"),
        ("sub/../a.md", b"a\n"),
    ],
)
def test_open_beneath_reads_inside_the_folder(folder: Path, relative: str, text: bytes) -> None:
    assert read_beneath(folder, relative, limit=100) == text


@pytest.mark.parametrize(
    "relative", ["up/outside.md", "abs.md", "../outside.md", "/etc/hostname", "loop", ""]
)
def test_open_beneath_refuses_every_way_out(folder: Path, relative: str) -> None:
    with pytest.raises(LeavesFolderError):
        open_beneath(folder, relative)


def test_open_beneath_does_not_block_on_a_pipe_and_refuses_it(folder: Path) -> None:
    os.mkfifo(folder / "pipe")
    with pytest.raises(NotRegularFileError):
        read_beneath(folder, "pipe", limit=10)
    with pytest.raises(NotRegularFileError):
        read_beneath(folder, "sub", limit=10)


def test_open_beneath_missing_file_is_an_ordinary_error(folder: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_beneath(folder, "sub/missing.md")


def test_escapes_through_symlink(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "real").mkdir(parents=True)
    (project / "inward").symlink_to("real")
    (project / "outward").symlink_to("..")
    assert not escapes_through_symlink(project / "real" / "x", project)
    assert not escapes_through_symlink(project / "inward" / "x", project)
    assert not escapes_through_symlink(project / "not-yet" / "x", project)
    assert escapes_through_symlink(project / "outward" / "x", project)
    # Outside as written is the writer's choice, not an escape.
    assert not escapes_through_symlink(project / ".." / "other", project)


@pytest.mark.parametrize(
    ("relative", "problem"),
    [
        ("skills/a.md", None),
        ("", "is empty"),
        ("/abs", "absolute"),
        ("C:/x", "absolute"),
        ("a\\b", "backslash"),
        ("a/../b", "climbs out"),
        ("a//b", "empty or '.'"),
        ("a\nb", "U+000A"),
        ("a\u2028b", "U+2028"),
        ("a\x85b", "U+0085"),
        ("x" * 256, "over 255 bytes"),
        ("/".join(["d" * 200] * 6), "the limit is 1,024"),
    ],
)
def test_relative_path_problem(relative: str, problem: str | None) -> None:
    found = relative_path_problem(relative)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_without_openat_the_same_paths_are_read_and_refused(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows has no openat: open_beneath checks the resolved path instead (no protection from a racing swap).
    from skillpack import paths

    monkeypatch.setattr(paths, "_WALKS_DESCRIPTORS", False)
    assert read_beneath(folder, "inner/b.md", limit=100) == b"b\n"
    for relative in ("up/outside.md", "abs.md", "../outside.md", "loop"):
        with pytest.raises(LeavesFolderError):
            open_beneath(folder, relative)
