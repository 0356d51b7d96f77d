"""Install skills from a folder, a ``.skill`` archive or a git repository, and keep ``skillpack.lock``.

Every install runs in three steps, so that a failure at any point leaves the previous state intact:

1. *fetch and check* — copy or unpack the source into a temporary folder (``skillpack.sources``; git
   sources are cloned under a timeout, with prompts and the ``ext::`` transport disabled), load each
   skill strictly, and check ``requires`` against everything installed; nothing in the destination is
   touched yet;
2. *stage beside* — copy each checked skill to a hidden ``.incoming-*`` folder next to its destination;
3. *swap* — rename the old folder aside, rename the new one into place, write the lock (beside, then
   rename), and only then delete the old folders. A failure during the swap puts every old folder back.

Nothing here runs anything a skill contains: files are copied as bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skillpack.archive import load_strictly, skill_files, tree_checksum
from skillpack.errors import ManifestError, SkillpackError, UsageError
from skillpack.lockfile import LOCK_NAME, Lock, LockEntry, read_lock, write_lock
from skillpack.manifest import read_manifest
from skillpack.registry import SkillPack, SkillRoot, is_skill_folder, search_path, user_home
from skillpack.skill import Skill
from skillpack.sources import DEFAULT_GIT_TIMEOUT, Source, fetch, parse_source

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Target:
    """Where skills are installed and where the lock that records them lives."""

    skills_dir: Path
    lock_path: Path
    scope: Literal["project", "user"]

    @classmethod
    def project(cls, cwd: Path | None = None) -> Target:
        """The project's ``./.skillpack/skills``, locked in ``./skillpack.lock``."""
        base = cwd or Path.cwd()
        return cls(base / ".skillpack" / "skills", base / LOCK_NAME, "project")

    @classmethod
    def user(cls) -> Target:
        """The user's skill home (``$SKILLPACK_HOME``), locked in a ``skillpack.lock`` inside it."""
        home = user_home()
        return cls(home, home / LOCK_NAME, "user")


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
    if is_skill_folder(root):
        return [root]
    return sorted(
        entry
        for entry in root.iterdir()
        if entry.is_dir() and not entry.name.startswith((".", "_")) and is_skill_folder(entry)
    )


# -- staging and checking -------------------------------------------------------------------------------


def _stage(folder: Path, staging: Path) -> Skill:
    """Copy the skill in ``folder`` to ``staging/<its name>`` and load it strictly from there."""
    try:
        name = read_manifest(folder).data.get("name")
    except ManifestError as exc:
        raise SkillpackError(f"{exc} (the skill is invalid; nothing was installed)") from None
    if not isinstance(name, str) or not _NAME.match(name):
        load_strictly(folder)  # raises the precise schema error
        raise SkillpackError(f"{folder}: the skill has no usable name")
    target = staging / name
    if target.exists():
        raise SkillpackError(f"{folder}: two skills in this source are named {name!r} — rename one")
    for item in skill_files(folder):
        destination = target / item.relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        _copy_file(item.path, destination)
    try:
        return load_strictly(target)
    except SkillpackError as exc:
        raise SkillpackError(f"{exc}; nothing was installed") from None


def _copy_file(source: Path, destination: Path) -> None:
    shutil.copyfile(source, destination)
    os.chmod(destination, 0o755 if os.stat(source).st_mode & 0o100 else 0o644)


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


def requirement_problems(skills: Sequence[Skill], visible: dict[str, Skill]) -> list[str]:
    """Return one line per unmet ``requires`` of ``skills``, judged against ``visible`` skills."""
    from skillpack.versions import in_range, parse_range, parse_version

    problems: list[str] = []
    for skill in skills:
        for requirement in skill.requires:
            found = visible.get(requirement.name)
            if found is None:
                problems.append(
                    f"{skill.name} requires {requirement}, which is not installed — install it first, or both"
                    " together from one folder"
                )
                continue
            if not requirement.specifier:
                continue
            wanted = parse_range(requirement.specifier)
            if wanted is None:
                problems.append(f"{skill.name} requires {requirement}: not a valid version range (PEP 440)")
                continue
            version = parse_version(found.version)
            if version is None:
                problems.append(
                    f"{skill.name} requires {requirement}, but {found.name} declares version"
                    f" {found.version or '(none)'!s}, which cannot be compared"
                )
                continue
            if not in_range(version, wanted):
                problems.append(
                    f"{skill.name} requires {requirement}, but {found.name} {found.version} is what would be"
                    f" installed ({found.folder})"
                )
    return problems


def _check_requirements(staged: Sequence[Skill], target: Target) -> None:
    visible = _universe(target, staged)
    names = {skill.name for skill in staged}
    # The new skills' own needs, and the needs of installed skills that depend on what is replaced.
    dependants = [
        skill
        for skill in visible.values()
        if skill.name not in names and any(r.name in names for r in skill.requires)
    ]
    problems = requirement_problems([*staged, *dependants], visible)
    if problems:
        raise SkillpackError("conflicting requirements; nothing was installed: " + "; ".join(problems))


# -- committing -------------------------------------------------------------------------------------------


def _replace(source: Path, destination: Path) -> None:
    os.replace(source, destination)


def _commit(
    staged: Sequence[tuple[Path, str]], target: Target, lock: Lock, *, remove: Sequence[str] = ()
) -> None:
    """Move staged folders into place and write ``lock``, or leave everything as it was.

    ``staged`` pairs a folder to install with its skill's name; ``remove`` names folders to delete.
    """
    token = uuid.uuid4().hex[:8]
    target.skills_dir.mkdir(parents=True, exist_ok=True)
    incoming: list[tuple[Path, Path]] = []
    moved_aside: list[tuple[Path, Path]] = []  # (aside, destination)
    placed: list[Path] = []
    try:
        for folder, name in staged:
            beside = target.skills_dir / f".incoming-{name}-{token}"
            shutil.copytree(folder, beside, copy_function=shutil.copyfile)
            _copy_modes(folder, beside)
            incoming.append((beside, target.skills_dir / name))
        for name in remove:
            destination = target.skills_dir / name
            aside = target.skills_dir / f".previous-{name}-{token}"
            _replace(destination, aside)
            moved_aside.append((aside, destination))
        for beside, destination in incoming:
            if destination.exists():
                aside = target.skills_dir / f".previous-{destination.name}-{token}"
                _replace(destination, aside)
                moved_aside.append((aside, destination))
            _replace(beside, destination)
            placed.append(destination)
        write_lock(target.lock_path, lock)
    except BaseException:
        for destination in reversed(placed):
            shutil.rmtree(destination, ignore_errors=True)
        for aside, destination in reversed(moved_aside):
            os.replace(aside, destination)
        for beside, _ in incoming:
            shutil.rmtree(beside, ignore_errors=True)
        raise
    for aside, _ in moved_aside:
        shutil.rmtree(aside, ignore_errors=True)


def _copy_modes(source: Path, copy: Path) -> None:
    for item in skill_files(source):
        os.chmod(copy / item.relative, 0o755 if item.executable else 0o644)


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
    lock = read_lock(target.lock_path)
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
        for skill in skills:
            existing = target.skills_dir / skill.name
            if existing.exists() and lock.get(skill.name) is None and not force:
                raise SkillpackError(
                    f"{existing}: already exists and skillpack.lock does not list it (installed by hand?) —"
                    " remove it, or pass --force to replace it; nothing was installed"
                )
        _check_requirements(skills, target)
        changes = [_change(item, lock, target) for item in staged]
        _commit([(s.folder, s.name) for s in skills], target, lock.with_entries([i.entry for i in staged]))
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
    lock = read_lock(target.lock_path)
    if not lock.entries:
        raise UsageError(
            f"{target.lock_path}: no skills to restore (no lock file, or an empty one) —"
            " install one with `skillpack install SOURCE`"
        )
    changes: list[Change] = []
    pending: list[LockEntry] = []
    for entry in lock.entries:
        destination = target.skills_dir / entry.name
        if destination.is_dir() and _checksum_or_none(destination) == entry.checksum:
            changes.append(Change(entry.name, "unchanged", entry.version, entry.version, entry.source))
        else:
            pending.append(entry)
    if not pending:
        return changes
    base = target.lock_path.parent
    with tempfile.TemporaryDirectory(prefix="skillpack-restore-") as scratch_name:
        scratch = Path(scratch_name)
        staged: list[tuple[Path, str]] = []
        for index, entry in enumerate(pending):
            source = parse_source(entry.source, cwd=base)
            fetch_dir = scratch / f"fetch-{index}"
            staging = scratch / f"staged-{index}"
            fetch_dir.mkdir()
            staging.mkdir()
            with fetch(source, fetch_dir, commit=entry.resolved, timeout=timeout) as (root, _commit_id):
                folder = root / entry.path if entry.path else root
                if not is_skill_folder(folder):
                    raise SkillpackError(
                        f"{entry.name}: {entry.source} no longer holds the skill at {entry.path or '.'!r};"
                        " nothing was restored"
                    )
                skill = _stage(folder, staging)
            checksum = tree_checksum(skill.folder)
            if skill.name != entry.name or checksum != entry.checksum:
                raise SkillpackError(
                    f"{entry.name}: {entry.source} now holds different files (checksum {checksum[:19]}…, the"
                    f" lock says {entry.checksum[:19]}…) — if the change is wanted, run"
                    f" `skillpack install {entry.source}` to lock it; nothing was restored"
                )
            staged.append((skill.folder, entry.name))
            existed = (target.skills_dir / entry.name).exists()
            changes.append(
                Change(
                    entry.name,
                    "updated" if existed else "installed",
                    entry.version,
                    entry.version,
                    entry.source,
                )
            )
        _commit(staged, target, lock)
    return sorted(changes, key=lambda c: c.name)


def _checksum_or_none(folder: Path) -> str | None:
    try:
        return tree_checksum(folder)
    except (SkillpackError, OSError):
        return None


def uninstall(name: str, *, target: Target) -> Change:
    """Remove the skill ``name`` from ``target`` and its lock; refuse while another skill requires it."""
    lock = read_lock(target.lock_path)
    entry = lock.get(name)
    if entry is None:
        listed = ", ".join(lock.names) or "none"
        raise UsageError(
            f"{name!r} is not in {target.lock_path} (installed there: {listed}) — uninstall removes only"
            " skills `skillpack install` put there"
        )
    visible = _universe(target, [], removed=[name])
    dependants = sorted(s.name for s in visible.values() if any(r.name == name for r in s.requires))
    if dependants:
        raise SkillpackError(
            f"{', '.join(dependants)} {'requires' if len(dependants) == 1 else 'require'} {name} —"
            " uninstall them first; nothing was removed"
        )
    present = (target.skills_dir / name).exists()
    _commit([], target, lock.without(name), remove=[name] if present else [])
    return Change(name, "uninstalled", entry.version)
