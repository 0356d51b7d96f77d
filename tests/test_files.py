"""Reading files that may be hostile: regular files only, never blocking, never past a limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.hang import within

from skillpack.files import read_regular


def test_a_regular_file_is_read_up_to_one_byte_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"x" * 100)
    assert read_regular(path, limit=200) == b"x" * 100
    assert read_regular(path, limit=10) == b"x" * 11  # one more than the limit: "too large"


@pytest.mark.parametrize(
    ("make", "follow", "kind"),
    [
        (lambda p: os.mkfifo(p), True, "named pipe (FIFO)"),
        (lambda p: p.symlink_to("/dev/zero"), True, "character device"),
        (lambda p: p.mkdir(), True, "folder"),
        (lambda p: p.symlink_to("/dev/zero"), False, "symlink"),
    ],
    ids=["fifo", "dev-zero", "folder", "symlink-not-followed"],
)
def test_anything_but_a_regular_file_is_refused_at_once(
    tmp_path: Path, make: object, follow: bool, kind: str
) -> None:
    path = tmp_path / "data"
    make(path)  # type: ignore[operator]
    with pytest.raises(OSError) as caught:
        within(10, lambda: read_regular(path, limit=100, follow_symlinks=follow))
    assert caught.value.strerror == f"not a regular file but a {kind}"
    assert caught.value.filename == str(path)


def test_a_link_to_a_regular_file_is_followed_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"data")
    (tmp_path / "link").symlink_to("real")
    assert read_regular(tmp_path / "link", limit=10) == b"data"
    with pytest.raises(OSError):
        read_regular(tmp_path / "link", limit=10, follow_symlinks=False)
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing", limit=10)
