"""Install skills from a folder, a ``.skill`` archive or a git repository, and keep ``skillpack.lock``.

Every install runs in three steps, so that a failure at any point leaves the previous state intact:

1. *fetch and check* — copy or unpack the source into a temporary folder (``skillpack.authoring.sources``; git
   sources are cloned under a timeout, with prompts and the ``ext::`` transport disabled), load each
   skill strictly, and check ``requires`` against everything installed; nothing in the destination is
   touched yet;
2. *stage beside* — copy each checked skill to a hidden ``.incoming-*`` folder next to its destination;
3. *swap* — rename the old folder aside, rename the new one into place, write the lock (beside, then
   rename), and only then delete the old folders. A failure during the swap puts every old folder back.

Steps 2 and 3 run under a file lock (``.skillpack-install.lock`` in the skills folder, taken with
``filelock``), with ``skillpack.lock`` read again under it, so two installs at once never lose an entry;
hidden folders a killed install left behind are cleared (or put back) when the lock is next taken.

A cloned project is not trusted: a skills folder or lock that leads outside the project (or the user's
home) through a symlink is refused, and only folders the lock records (or, with ``--force``, skill
folders) are ever replaced or deleted — see ``_destination``. Nothing here runs anything a skill
contains: files are copied as bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skillpack.authoring.archive import load_strictly, skill_files, tree_checksum
from skillpack.authoring.lockfile import LOCK_NAME, Lock, LockEntry, read_lock, write_lock
from skillpack.authoring.requirements import dependants, unmet_requirements
from skillpack.authoring.sources import DEFAULT_GIT_TIMEOUT, Source, fetch, parse_source
from skillpack.errors import ManifestError, SkillpackError, UsageError
from skillpack.manifest import read_manifest
from skillpack.paths import escapes_through_symlink, relative_path_problem, resolve_inside
from skillpack.registry import SkillPack, SkillRoot, is_skill_folder, search_path, user_home
from skillpack.skill import Skill
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


@dataclass(frozen=True, slots=True)
class Change:
    """What an install, restore or uninstall did to one skill."""

    name: str
    action: Literal["installed", "updated", "unchanged", "uninstalled"]
    version: str
    previous_version: str = ""
    source: str = ""

    def __str__(self) -> str:
        version = f" {self.version}" if self.version else ""
        if self.action == "updated" and self.previous_version != self.version:
            version = f" {self.previous_version or '?'} -> {self.version or '?'}"
        origin = f" from {self.source}" if self.source and self.action != "uninstalled" else ""
        return f"{self.action} {self.name}{version}{origin}"


@dataclass(frozen=True, slots=True)
class _Staged:
    skill: Skill
    entry: LockEntry


# -- finding the skills in a source ------------------------------------------------------------------------


def _skill_folders(root: Path) -> list[Path]:
    """Return the skill folder ``root`` is, or its sub-folders that are skills; symlinks are not followed."""
    if is_skill_folder(root):
        return [root]
    return sorted(
        entry
        for entry in root.iterdir()
        if not entry.name.startswith((".", "_"))
        and not entry.is_symlink()  # a link may lead anywhere on this machine
        and entry.is_dir()
        and is_skill_folder(entry)
    )


# -- staging and checking -------------------------------------------------------------------------------


def _stage(folder: Path, staging: Path) -> Skill:
    """Copy the skill in ``folder`` to ``staging/<its name>`` and load it strictly from there."""
    try:
        name = read_manifest(folder).data.get("name")
    except ManifestError as exc:
        raise SkillpackError(f"{exc} (the skill is invalid; nothing was installed)") from exc
    if not isinstance(name, str) or not is_skill_name(name):
        load_strictly(folder)  # raises the precise schema error
        raise SkillpackError(f"{folder}: the skill has no usable name")
    target = staging / name
    if target.exists():
        raise SkillpackError(f"{folder}: two skills in this source are named {name!r} — rename one")
    try:
        _copy_skill(folder, target)
    except OSError as exc:
        raise _write_failed(exc, staging) from exc
    try:
        return load_strictly(target)
    except SkillpackError as exc:
        raise SkillpackError(f"{exc}; nothing was installed") from exc


def _copy_skill(folder: Path, destination: Path) -> None:
    """Copy the skill's files (``skill_files``: no links, no hidden files) into the new folder ``destination``."""
    destination.mkdir()
    for item in skill_files(folder):
        copy = destination / item.relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, copy)
        os.chmod(copy, 0o755 if item.executable else 0o644)


def _write_failed(exc: OSError, where: Path) -> SkillpackError:
    """Say in one line that writing into ``where`` failed (a full disk, a name too long ...), nothing changed.

    ``where`` is the folder being written, not the file the error names: that is a hidden copy already
    removed, or the source file that was being copied.
    """
    return SkillpackError(
        f"{where}: cannot be written: {exc.strerror or exc} — free some space or fix the cause and retry;"
        " nothing was changed"
    )


def _display_source(text: str, source: Source, target: Target) -> str:
    """Return the source as the lock records it: local paths relative to the lock's folder when inside it."""
    if source.kind == "git":
        return text.strip()
    path = Path(source.location).resolve()
    try:
        return path.relative_to(target.lock_path.parent.resolve()).as_posix()
    except ValueError:
        return str(path)


def _universe(target: Target, staged: Sequence[Skill], removed: Sequence[str] = ()) -> dict[str, Skill]:
    """Return every skill visible after the change: the search path, with staged skills in front."""
    cwd = target.lock_path.parent if target.scope == "project" else None
    visible: dict[str, Skill] = {skill.name: skill for skill in staged}
    roots = [SkillRoot(target.skills_dir, target.scope)]
    roots += [root for root in search_path(cwd=cwd) if root.path != target.skills_dir]
    for skill in SkillPack.from_roots(roots):
        if skill.name not in visible and skill.name not in removed:
            visible[skill.name] = skill
    return visible


def _check_requirements(staged: Sequence[Skill], target: Target) -> None:
    problems = unmet_requirements(staged, _universe(target, staged))
    if problems:
        raise SkillpackError("conflicting requirements; nothing was installed: " + "; ".join(problems))


# -- the one place that writes and deletes -----------------------------------------------------------------


@contextmanager
def _exclusive(target: Target) -> Iterator[Lock]:
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
        raise _write_failed(exc, target.skills_dir) from exc
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
        raise _write_failed(exc, path) from exc
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


def _destination(target: Target, name: str, lock: Lock, *, force: bool = False) -> Path:
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


def _commit(
    staged: Sequence[tuple[Path, Path]], target: Target, lock: Lock, *, remove: Sequence[Path] = ()
) -> None:
    """Move staged folders into place and write ``lock``, or leave everything as it was.

    ``staged`` pairs a folder to install with its destination and ``remove`` lists folders to delete,
    each already checked by ``_destination``. A failure to write (a full disk) is one line.
    """
    token = uuid.uuid4().hex[:8]
    incoming: list[tuple[Path, Path]] = []
    moved_aside: list[tuple[Path, Path]] = []  # (aside, destination)
    placed: list[Path] = []
    try:
        for folder, destination in staged:
            beside = destination.with_name(f".incoming-{destination.name}-{token}")
            incoming.append((beside, destination))  # before copying: a partial copy is removed too
            _copy_skill(folder, beside)
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
            raise _write_failed(exc, target.skills_dir) from exc
        raise
    for aside, _ in moved_aside:
        shutil.rmtree(aside, ignore_errors=True)


# -- the three operations -----------------------------------------------------------------------------


def install(
    source_text: str,
    *,
    target: Target,
    cwd: Path | None = None,
    force: bool = False,
    timeout: float = DEFAULT_GIT_TIMEOUT,
) -> list[Change]:
    """Install every skill ``source_text`` holds into ``target`` and record them in its lock.

    Skills are validated strictly and their ``requires`` checked before anything is written. A folder
    already in ``target`` that the lock does not list is only replaced with ``force``.
    """
    source = parse_source(source_text, cwd=cwd)
    target.check()
    recorded = _display_source(source_text, source, target)
    with tempfile.TemporaryDirectory(prefix="skillpack-install-") as scratch_name:
        scratch = Path(scratch_name)
        staging = scratch / "staged"
        staging.mkdir()
        with fetch(source, scratch, timeout=timeout) as (root, commit):
            folders = _skill_folders(root)
            if not folders:
                raise SkillpackError(
                    f"{source_text}: no skill found (no SKILL.md or skill.yaml in it or its sub-folders)"
                )
            staged = []
            for folder in folders:
                skill = _stage(folder, staging)
                path = "" if folder == root else folder.relative_to(root).as_posix()
                entry = LockEntry(
                    skill.name, skill.version, recorded, tree_checksum(skill.folder), commit, path
                )
                staged.append(_Staged(skill, entry))
        skills = [item.skill for item in staged]
        with _exclusive(target) as lock:
            destinations = [_destination(target, s.name, lock, force=force) for s in skills]
            _check_requirements(skills, target)
            changes = [_change(item, lock, target) for item in staged]
            entries = lock.with_entries([i.entry for i in staged])
            _commit([(s.folder, d) for s, d in zip(skills, destinations, strict=True)], target, entries)
    return changes


def _change(item: _Staged, lock: Lock, target: Target) -> Change:
    previous = lock.get(item.skill.name)
    destination = target.skills_dir / item.skill.name
    if previous is None and not destination.exists():
        return Change(item.skill.name, "installed", item.skill.version, source=item.entry.source)
    if previous is not None and previous.checksum == item.entry.checksum and destination.exists():
        return Change(item.skill.name, "unchanged", item.skill.version, previous.version, item.entry.source)
    old_version = previous.version if previous is not None else ""
    return Change(item.skill.name, "updated", item.skill.version, old_version, item.entry.source)


def restore(*, target: Target, timeout: float = DEFAULT_GIT_TIMEOUT) -> list[Change]:
    """Make ``target`` hold exactly what its lock lists, verifying every checksum.

    Skills whose installed files already match are left alone; the others are fetched again from their
    recorded source (git sources at the recorded commit). A source whose content no longer matches the
    lock is refused, and nothing is changed.
    """
    target.check()
    if not read_lock(target.lock_path).entries:
        raise UsageError(
            f"{target.lock_path}: no skills to restore (no lock file, or an empty one) —"
            " install one with `skillpack install SOURCE`"
        )
    with _exclusive(target) as lock:
        return _restore(target, lock, timeout=timeout)


def _restore(target: Target, lock: Lock, *, timeout: float) -> list[Change]:
    changes: list[Change] = []
    pending: list[tuple[LockEntry, Path]] = []
    for entry in lock.entries:
        destination = _destination(target, entry.name, lock)
        if destination.is_dir() and _checksum_or_none(destination) == entry.checksum:
            changes.append(Change(entry.name, "unchanged", entry.version, entry.version, entry.source))
        else:
            pending.append((entry, destination))
    if not pending:
        return changes
    base = target.lock_path.parent
    with tempfile.TemporaryDirectory(prefix="skillpack-restore-") as scratch_name:
        scratch = Path(scratch_name)
        staged: list[tuple[Path, Path]] = []
        for index, (entry, destination) in enumerate(pending):
            source = parse_source(entry.source, cwd=base)
            fetch_dir = scratch / f"fetch-{index}"
            staging = scratch / f"staged-{index}"
            fetch_dir.mkdir()
            staging.mkdir()
            with fetch(source, fetch_dir, commit=entry.resolved, timeout=timeout) as (root, _commit_id):
                skill = _stage(_locked_folder(entry, root), staging)
            checksum = tree_checksum(skill.folder)
            if skill.name != entry.name or checksum != entry.checksum:
                raise SkillpackError(
                    f"{entry.name}: {entry.source} now holds different files (checksum {checksum[:19]}…, the"
                    f" lock says {entry.checksum[:19]}…) — if the change is wanted, run"
                    f" `skillpack install {entry.source}` to lock it; nothing was restored"
                )
            staged.append((skill.folder, destination))
            action: Literal["updated", "installed"] = "updated" if destination.exists() else "installed"
            changes.append(Change(entry.name, action, entry.version, entry.version, entry.source))
        _commit(staged, target, lock)
    return sorted(changes, key=lambda c: c.name)


def _locked_folder(entry: LockEntry, root: Path) -> Path:
    """Return the folder of ``root`` that ``entry.path`` names, refusing one outside ``root``."""
    if not entry.path:
        folder = root
    else:
        # read_lock already refuses such a path; a lock built in code is checked here too.
        problem = relative_path_problem(entry.path)
        inside = resolve_inside(root, entry.path) if problem is None else None
        if inside is None or escapes_through_symlink(root / entry.path, root):
            raise SkillpackError(
                f"{entry.name}: path {entry.path!r} {problem or 'leads outside the source'} — the lock is"
                " damaged or hostile; restore it from version control; nothing was restored"
            )
        folder = root / entry.path
    if not is_skill_folder(folder) or folder.is_symlink():
        raise SkillpackError(
            f"{entry.name}: {entry.source} no longer holds the skill at {entry.path or '.'!r};"
            " nothing was restored"
        )
    return folder


def _checksum_or_none(folder: Path) -> str | None:
    try:
        return tree_checksum(folder)
    except (SkillpackError, OSError):
        return None


def uninstall(name: str, *, target: Target) -> Change:
    """Remove the skill ``name`` from ``target`` and its lock; refuse while another skill requires it."""
    with _exclusive(target) as lock:
        entry = lock.get(name)
        if entry is None:
            listed = ", ".join(lock.names) or "none"
            raise UsageError(
                f"{name!r} is not in {target.lock_path} (installed there: {listed}) — uninstall removes only"
                " skills `skillpack install` put there"
            )
        destination = _destination(target, name, lock)
        visible = _universe(target, [], removed=[name])
        needing = sorted(skill.name for skill in dependants(visible, {name}))
        if needing:
            raise SkillpackError(
                f"{', '.join(needing)} {'requires' if len(needing) == 1 else 'require'} {name} —"
                " uninstall them first; nothing was removed"
            )
        present = os.path.lexists(destination)
        _commit([], target, lock.without(name), remove=[destination] if present else [])
    return Change(name, "uninstalled", entry.version)
