"""Reading files that may be hostile: regular files only, never blocking, never past a limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.hang import within

from skillpack.files import read_descriptor, read_regular


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


def test_read_descriptor_reads_from_an_offset_and_closes_what_it_was_given(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"0123456789")
    descriptor = os.open(path, os.O_RDONLY)
    assert read_descriptor(descriptor, offset=3, limit=4, not_regular=_refuse) == b"34567"
    with pytest.raises(OSError):
        os.fstat(descriptor)  # closed


def test_read_descriptor_refuses_what_is_not_a_regular_file_and_closes_it(tmp_path: Path) -> None:
    reader, writer = os.pipe()
    try:
        with pytest.raises(OSError, match="refused: pipe"):
            # An empty pipe: reading it would wait forever, so the check must come first.
            within(10, lambda: read_descriptor(reader, limit=10, not_regular=lambda m: _refuse(m, "pipe")))
        with pytest.raises(OSError):
            os.fstat(reader)  # closed, although nothing was read
    finally:
        os.close(writer)


def _refuse(mode: int, what: str = "?") -> OSError:
    return OSError(f"refused: {what}")
