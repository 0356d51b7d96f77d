"""Path safety: stay inside a folder, never leave it through a symbolic link.

skillpack reads skills and writes installs inside folders other people control (a cloned project, a git
repository, an unpacked archive). Every question of the form "is this path inside that folder?" is
answered here, one way:

- ``resolve_inside`` and ``escapes_through_symlink`` compare real paths (symlinks resolved), so a link
  that leads out is caught wherever it sits on the path;
- ``open_beneath`` opens a file relative to a folder's file descriptor, one component at a time and
  without following any link out of it, so a folder swapped for a symlink while it is read cannot
  redirect the read;
- ``relative_path_problem`` says what is wrong with a relative path written in a file we did not write
  (a lock entry, a ``#subdirectory=``, an archive member, a file name to pack).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from pathlib import Path

from skillpack.files import read_descriptor

#: The longest file name (one path component) in bytes most file systems accept.
MAX_NAME_BYTES = 255

#: The longest relative path inside a skill, in characters; a skill nests nowhere near this deep.
MAX_RELATIVE_PATH = 1024

#: How many symbolic links ``open_beneath`` follows (inside the folder) before giving up, as the kernel does.
_MAX_LINKS = 40

# Characters ``str.splitlines`` breaks on besides the C0/C1 controls: a name holding one cannot be written
# on one line of SHA256SUMS (or of any listing), so it is refused everywhere a name is checked.
_LINE_BREAKS = frozenset("\u2028\u2029")
_DRIVE = re.compile(r"^[A-Za-z]:")

# open_beneath needs openat(2) and O_NOFOLLOW/O_DIRECTORY: Linux, macOS and the BSDs have them.
_WALKS_DESCRIPTORS = (
    os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
)


class LeavesFolderError(OSError):
    """A path leads outside the folder it must stay in (``..`` past it, an absolute or outward symlink)."""

    def __init__(self, relative: str) -> None:
        super().__init__(errno.EXDEV, "leads outside the folder (through '..' or a symbolic link)", relative)


class NotRegularFileError(OSError):
    """A path that must be a regular file is a pipe, device, socket or folder."""

    def __init__(self, relative: str) -> None:
        super().__init__(errno.EINVAL, "not a regular file (a pipe or device?)", relative)


def resolve_inside(folder: Path, relative: str) -> Path | None:
    """Return ``folder/relative`` fully resolved, or ``None`` when it (or a symlink on it) leaves folder.

    A path that cannot be resolved at all (a symlink loop) is ``None`` too: it cannot be read safely.
    """
    if not relative or os.path.isabs(relative) or "\x00" in relative:
        return None
    # os.path.realpath on strings, as Path.resolve does, minus the Path objects it builds on the way
    # (this runs for every skill listed, so it is worth the few lines).
    try:
        root = os.path.realpath(folder)
        plain = _plain_below(root, relative)
        target = plain if plain is not None else os.path.realpath(os.path.join(root, relative))
    except (OSError, ValueError, RuntimeError):
        return None
    if plain is None:
        try:
            os.stat(target)  # what Path.resolve adds to realpath: a symlink loop raises ELOOP here
        except OSError as exc:
            # A missing file resolves like any other path (callers check that it exists); a symlink
            # loop cannot be read safely.
            if exc.errno == errno.ELOOP:
                return None
        except ValueError:
            return None
    if not target.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return Path(target)


def _plain_below(root: str, relative: str) -> str | None:
    """Return ``root/relative`` when every part of ``relative`` exists and none is a symlink, '.' or '..'.

    Then it is already its own real path (``root`` being real), found with one lstat per part instead
    of one per part of the whole path; None means "resolve it in full".
    """
    parts = relative.split("/")
    if os.sep != "/" or any(part in ("", ".", "..") for part in parts):
        return None
    current = root
    for part in parts:
        current = os.path.join(current, part)
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return None
        except OSError:
            return None
    return current


def is_regular_file(path: str | Path) -> bool:
    """Return True when ``path`` is a regular file; False, never an error, when it cannot be checked."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        # Unlike Path.is_file, which lets some errors through (permission denied, a name too long).
        return False


def escapes_through_symlink(path: Path, anchor: Path) -> bool:
    """Return True when ``path`` names a place inside ``anchor`` but a symlink on it leads outside.

    ``.skillpack -> ../elsewhere`` in a project makes ``./.skillpack/skills`` such a path. A path that is
    outside ``anchor`` as written (``../other``) is not judged here: whoever wrote it meant it. The parts
    of ``path`` that do not exist yet resolve as written, so the answer holds for a folder about to be made.
    """
    written = os.path.normpath(os.path.abspath(path))
    top = os.path.normpath(os.path.abspath(anchor))
    if not _is_within(written, top):
        return False
    return not _is_within(os.path.realpath(written), os.path.realpath(top))


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def open_beneath(folder: Path, relative: str) -> int:
    """Open ``folder/relative`` for reading and return the descriptor, never leaving ``folder``.

    The path is walked one component at a time from a descriptor of ``folder`` with ``O_NOFOLLOW``; a
    symbolic link met on the way is followed by hand only while it stays inside ``folder`` (a relative
    target that does not climb above it). A link that leads out, an absolute link, ``..`` past the folder
    or a loop raises ``LeavesFolderError`` (an ``OSError``); so does swapping a folder for a symlink while
    this runs, because no step ever lets the kernel follow a link. Opening never blocks (a named pipe
    opens at once; callers check the type with ``os.fstat``).
    """
    if not relative or relative.startswith("/") or "\x00" in relative:
        raise LeavesFolderError(relative)
    if not _WALKS_DESCRIPTORS:
        # Without openat (Windows): check, then open. The check holds unless the folder changes meanwhile.
        checked = resolve_inside(folder, relative)
        if checked is None:
            raise LeavesFolderError(relative)
        return os.open(checked, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    base = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    stack = [base]  # descriptors from the folder down to the current directory
    pending = list(reversed(relative.split("/")))
    links = 0
    try:
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if len(stack) == 1:
                    raise LeavesFolderError(relative)
                os.close(stack.pop())
                continue
            last = not any(p not in ("", ".") for p in pending)
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            try:
                opened = os.open(part, flags if last else flags | os.O_DIRECTORY, dir_fd=stack[-1])
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise
                target = _link_target(part, stack[-1])
                if target is None:
                    raise
                links += 1
                if target.startswith("/") or links > _MAX_LINKS:
                    raise LeavesFolderError(relative) from exc
                pending.extend(reversed(target.split("/")))
                continue
            if last:
                return opened
            stack.append(opened)
        raise NotRegularFileError(relative)  # the path named the folder itself
    finally:
        for descriptor in stack:
            os.close(descriptor)


def _link_target(name: str, directory: int) -> str | None:
    """Return the target of the symlink ``name`` in ``directory``, or None when it is not a symlink."""
    try:
        return os.readlink(name, dir_fd=directory)
    except OSError:
        return None


def read_beneath(folder: Path, relative: str, *, offset: int = 0, limit: int) -> bytes:
    """Return up to ``limit + 1`` bytes of the regular file ``folder/relative`` from ``offset``.

    Opened with ``open_beneath``; a pipe, device or folder raises ``NotRegularFileError``, so a caller
    reports it in one line and never blocks on it.
    """
    return read_descriptor(
        open_beneath(folder, relative),
        offset=offset,
        limit=limit,
        not_regular=lambda _mode: NotRegularFileError(relative),
    )


def relative_path_problem(relative: str) -> str | None:
    """Return why ``relative`` is not a safe relative path inside a folder, or None when it is.

    Safe means: POSIX form, not absolute, no empty, ``.`` or ``..`` component, no backslash, no control
    character or line separator (a name must fit on one line of SHA256SUMS), each component at most 255
    bytes and the whole at most 1,024 characters.
    """
    if not relative:
        return "is empty"
    if relative.startswith("/") or _DRIVE.match(relative):
        return "is an absolute path"
    if "\\" in relative:
        return "contains a backslash (a Windows path separator)"
    bad = next((c for c in relative if _is_control(c)), None)
    if bad is not None:
        return f"contains the control character or line separator U+{ord(bad):04X}"
    parts = relative.split("/")
    if ".." in parts:
        return "climbs out of the folder with '..'"
    if any(part in ("", ".") for part in parts):
        return "has an empty or '.' path component"
    if len(relative) > MAX_RELATIVE_PATH:
        return f"is {len(relative):,} characters long; the limit is {MAX_RELATIVE_PATH:,}"
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in parts):
        return f"has a component over {MAX_NAME_BYTES} bytes, longer than file systems allow"
    return None


def _is_control(character: str) -> bool:
    return character in _LINE_BREAKS or unicodedata.category(character) == "Cc"
