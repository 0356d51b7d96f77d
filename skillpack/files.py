"""Read files that may be hostile: regular files only, never blocking, never more than a limit.

A cache file, an index or ``skillpack.lock`` can be replaced by a named pipe (reading it would wait
forever), by a symlink to ``/dev/zero`` (reading it never ends) or by a file of any size. ``read_regular``
opens without blocking, checks what it opened with ``fstat`` (so the answer is about the file actually
read, not about a path that may since have been swapped) and reads at most one byte past the limit.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISLNK, "symlink"),
)


def read_regular(path: Path | str, *, limit: int, follow_symlinks: bool = True) -> bytes:
    """Return the bytes of the regular file at ``path``, at most ``limit + 1`` of them.

    One byte more than ``limit`` tells the caller the file is too large. Raises ``OSError`` when the file
    cannot be opened, when it is anything but a regular file (the message names what it is), and, with
    ``follow_symlinks=False``, when ``path`` itself is a symlink.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    mode = os.stat(path, follow_symlinks=follow_symlinks).st_mode
    if not stat.S_ISREG(mode):  # checked before opening too: opening some devices has effects
        raise not_a_regular_file(path, mode)
    descriptor = os.open(path, flags)
    # Swapped for something else since the check above? ``read_descriptor`` checks what was opened.
    return read_descriptor(descriptor, limit=limit, not_regular=lambda mode: not_a_regular_file(path, mode))


def read_descriptor(
    descriptor: int, *, limit: int, offset: int = 0, not_regular: Callable[[int], OSError]
) -> bytes:
    """Return at most ``limit + 1`` bytes from ``offset`` of the open ``descriptor``, and close it.

    What was opened is checked with ``fstat``: anything but a regular file raises ``not_regular(mode)``,
    unread. Each caller opens in its own way (by path, beneath a folder) and shares this part.
    """
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise not_regular(mode)
        if offset:
            os.lseek(descriptor, offset, os.SEEK_SET)
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def not_a_regular_file(path: Path | str, mode: int) -> OSError:
    """Return the error for ``path`` being a ``mode`` other than a regular file: "not a regular file but a ..."."""
    return OSError(errno.EINVAL, f"not a regular file but a {kind(mode)}", os.fspath(path))


def kind(mode: int) -> str:
    """Name what a file of ``mode`` is: "named pipe (FIFO)", "character device", "folder", ..."""
    return next((name for test, name in _KINDS if test(mode)), "special file")
