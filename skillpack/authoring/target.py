"""The skills folder an install writes into (``Target``), and the one place that writes and deletes there.

Every change to a skills folder — an install, a restore, an uninstall — goes through ``swap``, inside
``exclusive``:

- ``exclusive`` holds a file lock (``.skillpack-install.lock`` in the skills folder, taken with
  ``filelock``) and reads ``skillpack.lock`` again under it, so two changes at once never lose an entry;
  hidden folders a killed install left behind are cleared (or put back) when the lock is taken;
- ``checked_destination`` says whether a skill folder may be created, replaced or deleted: only folders the lock
  records (or, with ``force``, skill folders), never through a symlink, never outside the project or home;
- ``swap`` copies each new folder to a hidden ``.incoming-*`` folder beside its destination, renames the
  old folder aside, renames the new one into place, writes the lock (beside, then rename), and only then
  deletes the old folders. A failure puts every old folder back.

Files are copied as bytes; nothing a skill contains is ever run.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skillpack.authoring.archive import skill_files
from skillpack.authoring.lockfile import LOCK_NAME, Lock, read_lock, write_lock
from skillpack.errors import SkillpackError
from skillpack.paths import escapes_through_symlink
from skillpack.registry import is_skill_folder, user_home
from skillpack.validation import is_skill_name

#: The file lock that serialises installs, restores and uninstalls into one skills folder.
INSTALL_LOCK_NAME = ".skillpack-install.lock"

#: Seconds to wait for another install into the same folder before giving up.
LOCK_WAIT = 600.0

_LEFTOVER = re.compile(r"\.(incoming|previous)-(.+)-[0-9a-f]{8}")


@dataclass(frozen=True, slots=True)
class Target:
    """Where skills are installed and where the lock that records them lives."""

    skills_dir: Path
    lock_path: Path
    scope: Literal["project", "user"]
    #: The folder every write must stay inside (the project, or the user's home); by default the lock's.
    anchor: Path | None = None

    @classmethod
    def project(cls, cwd: Path | None = None) -> Target:
        """The project's ``./.skillpack/skills``, locked in ``./skillpack.lock``."""
        base = cwd or Path.cwd()
        return cls(base / ".skillpack" / "skills", base / LOCK_NAME, "project", base)

    @classmethod
    def user(cls) -> Target:
        """The user's skill home (``$SKILLPACK_HOME``), locked in a ``skillpack.lock`` inside it.

        A ``$SKILLPACK_HOME`` the user set is where they chose; the default ``~/.skillpack/skills`` must
        not lead out of the home folder through a symlink.
        """
        home = user_home()
        anchor = home if os.environ.get("SKILLPACK_HOME") else Path.home()
        return cls(home, home / LOCK_NAME, "user", anchor)

    @property
    def root(self) -> Path:
        return self.anchor if self.anchor is not None else self.lock_path.parent

    def installed(self) -> tuple[str, ...]:
        """Return the names of the skills the lock lists (what the skills folder holds), sorted."""
        return read_lock(self.lock_path).names

    def check(self) -> None:
        """Raise ``SkillpackError`` when the skills folder or the lock leads outside ``root`` via a symlink."""
        trusted = (
            " (or set SKILLPACK_HOME to the real folder if you trust it)" if self.scope == "user" else ""
        )
        for path in (self.skills_dir, self.lock_path, self.skills_dir / INSTALL_LOCK_NAME):
            if escapes_through_symlink(path, self.root):
                raise SkillpackError(
                    f"{path}: leads outside {self.root} through a symbolic link (to {os.path.realpath(path)})"
                    f" — skillpack writes only inside the project or home; replace the link with a real"
                    f" folder{trusted}; nothing was changed"
                )


def copy_skill(folder: Path, destination: Path) -> None:
    """Copy the skill's files (``skill_files``: no links, no hidden files) into the new folder ``checked_destination``."""
    destination.mkdir()
    for item in skill_files(folder):
        copy = destination / item.relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, copy)
        os.chmod(copy, 0o755 if item.executable else 0o644)


def write_failed(exc: OSError, where: Path) -> SkillpackError:
    """Say in one line that writing into ``where`` failed (a full disk, a name too long ...), nothing changed.

    ``where`` is the folder being written, not the file the error names: that is a hidden copy already
    removed, or the source file that was being copied.
    """
    return SkillpackError(
        f"{where}: cannot be written: {exc.strerror or exc} — free some space or fix the cause and retry;"
        " nothing was changed"
    )


@contextmanager
def exclusive(target: Target) -> Iterator[Lock]:
    """Hold the target's file lock and yield its ``skillpack.lock``, read under the lock.

    Every install, restore and uninstall into one skills folder runs inside this, so two at once never
    work from the same old lock. The target is checked first: nothing is created through a symlink.
    """
    from filelock import FileLock, Timeout

    target.check()
    path = target.skills_dir / INSTALL_LOCK_NAME
    try:
        target.skills_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failed(exc, target.skills_dir) from exc
    if path.is_symlink():
        raise SkillpackError(f"{path}: is a symbolic link — delete it; nothing was changed")
    held = FileLock(path, timeout=LOCK_WAIT)
    try:
        held.acquire()
    except Timeout as exc:
        raise SkillpackError(
            f"{path}: another skillpack install, restore or uninstall held this lock for over {LOCK_WAIT:g} s"
            " — wait for it to finish and retry"
        ) from exc
    except OSError as exc:
        raise write_failed(exc, path) from exc
    try:
        _clear_leftovers(target)
        yield read_lock(target.lock_path)
    finally:
        held.release()


def _clear_leftovers(target: Target) -> None:
    """Remove the hidden folders a killed install left, putting back an old folder that was set aside.

    Only called under the file lock, so no other install is using them. Best effort: what cannot be
    cleared stays hidden, and the next install tries again.
    """
    for entry in sorted(os.listdir(target.skills_dir)):
        match = _LEFTOVER.fullmatch(entry)
        path = target.skills_dir / entry
        if match is None or not is_skill_name(match.group(2)) or path.is_symlink() or not path.is_dir():
            continue
        original = target.skills_dir / match.group(2)
        try:
            if match.group(1) == "previous" and not os.path.lexists(original):
                os.replace(
                    path, original
                )  # killed mid-swap: the old folder was aside, the new one not yet in
            else:
                shutil.rmtree(path)
        except OSError:
            continue


def checked_destination(target: Target, name: str, lock: Lock, *, force: bool = False) -> Path:
    """Return ``target.skills_dir/name`` once it is safe to create, replace or delete it.

    Refused: a name that is not a skill name, anything that leads outside the target through a symlink,
    a symlink or non-folder in its place, and an existing folder that ``skillpack.lock`` does not list
    (with ``force``: one that holds no skill). Every write and delete of a skill folder asks this first.
    """
    if not is_skill_name(name):
        raise SkillpackError(f"{name!r}: not a skill name; nothing was changed")
    target.check()
    path = target.skills_dir / name
    if escapes_through_symlink(path, target.root) or path.is_symlink():
        raise SkillpackError(
            f"{path}: is a symbolic link — skillpack replaces only folders it installed; remove the link;"
            " nothing was changed"
        )
    if not os.path.lexists(path):
        return path
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise SkillpackError(f"{path}: is not a folder — remove it; nothing was changed")
    if lock.get(name) is None and not (force and is_skill_folder(path)):
        hint = "remove it, or pass `force` to replace it" if not force else "it holds no skill; remove it"
        raise SkillpackError(
            f"{path}: already exists and skillpack.lock does not list it (installed by hand?) — {hint};"
            " nothing was changed"
        )
    return path


def _replace(source: Path, destination: Path) -> None:
    os.replace(source, destination)


def swap(
    staged: Sequence[tuple[Path, Path]], target: Target, lock: Lock, *, remove: Sequence[Path] = ()
) -> None:
    """Move staged folders into place and write ``lock``, or leave everything as it was.

    ``staged`` pairs a folder to install with its destination and ``remove`` lists folders to delete,
    each already checked by ``checked_destination``. A failure to write (a full disk) is one line.
    """
    token = uuid.uuid4().hex[:8]
    incoming: list[tuple[Path, Path]] = []
    moved_aside: list[tuple[Path, Path]] = []  # (aside, destination)
    placed: list[Path] = []
    try:
        for folder, destination in staged:
            beside = destination.with_name(f".incoming-{destination.name}-{token}")
            incoming.append((beside, destination))  # before copying: a partial copy is removed too
            copy_skill(folder, beside)
        for destination in remove:
            aside = destination.with_name(f".previous-{destination.name}-{token}")
            _replace(destination, aside)
            moved_aside.append((aside, destination))
        for beside, destination in incoming:
            if os.path.lexists(destination):
                aside = destination.with_name(f".previous-{destination.name}-{token}")
                _replace(destination, aside)
                moved_aside.append((aside, destination))
            _replace(beside, destination)
            placed.append(destination)
        write_lock(target.lock_path, lock)
    except BaseException as exc:
        for destination in reversed(placed):
            shutil.rmtree(destination, ignore_errors=True)
        for aside, destination in reversed(moved_aside):
            os.replace(aside, destination)
        for beside, _ in incoming:
            shutil.rmtree(beside, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_failed(exc, target.skills_dir) from exc
        raise
    for aside, _ in moved_aside:
        shutil.rmtree(aside, ignore_errors=True)
