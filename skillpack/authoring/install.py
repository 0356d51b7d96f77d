"""Install skills from a folder, a ``.skill`` archive or a git repository, and keep ``skillpack.lock``.

Every install runs in three steps, so that a failure at any point leaves the previous state intact:

1. *fetch and check* — copy or unpack the source into a temporary folder (``skillpack.authoring.sources``; git
   sources are cloned under a timeout, with prompts and the ``ext::`` transport disabled), load each
   skill strictly, and check ``requires`` against everything installed; nothing in the destination is
   touched yet;
2. *stage beside* — copy each checked skill to a hidden ``.incoming-*`` folder next to its destination;
3. *swap* — rename the old folder aside, rename the new one into place, write the lock (beside, then
   rename), and only then delete the old folders. A failure during the swap puts every old folder back.

Steps 2 and 3, and every restore and uninstall, are ``skillpack.authoring.target``'s: the file lock,
which folders may be replaced, and the swap. A cloned project is not trusted: a skills folder or lock
that leads outside the project (or the user's home) through a symlink is refused, and only folders the
lock records (or, with ``force``, skill folders) are ever replaced or deleted. Nothing here runs anything
a skill contains: files are copied as bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skillpack.authoring.archive import load_strictly, tree_checksum
from skillpack.authoring.lockfile import Lock, LockEntry, read_lock
from skillpack.authoring.requirements import dependants, unmet_requirements
from skillpack.authoring.sources import DEFAULT_GIT_TIMEOUT, Source, fetch, parse_source
from skillpack.authoring.target import (
    INSTALL_LOCK_NAME,
    LOCK_WAIT,
    Target,
    checked_destination,
    copy_skill,
    exclusive,
    swap,
    write_failed,
)
from skillpack.errors import ManifestError, SkillpackError, UsageError
from skillpack.manifest import read_manifest
from skillpack.paths import escapes_through_symlink, relative_path_problem, resolve_inside
from skillpack.registry import SkillPack, SkillRoot, is_skill_folder, search_path
from skillpack.skill import Skill
from skillpack.validation import is_skill_name


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
        copy_skill(folder, target)
    except OSError as exc:
        raise write_failed(exc, staging) from exc
    try:
        return load_strictly(target)
    except SkillpackError as exc:
        raise SkillpackError(f"{exc}; nothing was installed") from exc


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
        with exclusive(target) as lock:
            destinations = [checked_destination(target, s.name, lock, force=force) for s in skills]
            _check_requirements(skills, target)
            changes = [_change(item, lock, target) for item in staged]
            entries = lock.with_entries([i.entry for i in staged])
            swap([(s.folder, d) for s, d in zip(skills, destinations, strict=True)], target, entries)
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
    with exclusive(target) as lock:
        return _restore(target, lock, timeout=timeout)


def _restore(target: Target, lock: Lock, *, timeout: float) -> list[Change]:
    changes: list[Change] = []
    pending: list[tuple[LockEntry, Path]] = []
    for entry in lock.entries:
        destination = checked_destination(target, entry.name, lock)
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
        swap(staged, target, lock)
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
    with exclusive(target) as lock:
        entry = lock.get(name)
        if entry is None:
            listed = ", ".join(lock.names) or "none"
            raise UsageError(
                f"{name!r} is not in {target.lock_path} (installed there: {listed}) — uninstall removes only"
                " skills `skillpack install` put there"
            )
        destination = checked_destination(target, name, lock)
        visible = _universe(target, [], removed=[name])
        needing = sorted(skill.name for skill in dependants(visible, {name}))
        if needing:
            raise SkillpackError(
                f"{', '.join(needing)} {'requires' if len(needing) == 1 else 'require'} {name} —"
                " uninstall them first; nothing was removed"
            )
        present = os.path.lexists(destination)
        swap([], target, lock.without(name), remove=[destination] if present else [])
    return Change(name, "uninstalled", entry.version)


__all__ = ["INSTALL_LOCK_NAME", "LOCK_WAIT", "Change", "Target", "install", "restore", "uninstall"]
