"""``skillpack.lock``: which skills ``skillpack install`` put where, from what, with which checksum.

The file is JSON (``schemas/lock.schema.json``), written with sorted keys and entries so that it
diffs cleanly under version control::

    {
      "lockfile-version": 1,
      "skills": [
        {"checksum": "sha256:…", "name": "semver-bump", "path": "", "resolved": "",
         "source": "vendor/semver-bump-1.0.0.skill", "version": "1.0.0"}
      ]
    }

A project's lock sits at its root (``./skillpack.lock``, beside ``.skillpack/``); the user's sits in
the user's skill home (``$SKILLPACK_HOME/skillpack.lock``). Writes go to a file beside it, then rename.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from skillpack.bundled import load_schema
from skillpack.cache import write_atomic
from skillpack.errors import SkillpackError
from skillpack.files import read_regular
from skillpack.paths import relative_path_problem

LOCK_NAME = "skillpack.lock"
LOCK_VERSION = 1
MAX_LOCK_BYTES = 4 * 1024 * 1024

#: A skill name, matched with ``fullmatch`` (a pattern ending in "$" would accept a final newline).
_FIX = "restore it from version control, or delete it and reinstall"


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One installed skill as the lock records it."""

    name: str
    version: str
    source: str
    checksum: str
    resolved: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class Lock:
    """The entries of one lock file, sorted by name."""

    entries: tuple[LockEntry, ...] = ()

    def get(self, name: str) -> LockEntry | None:
        return next((entry for entry in self.entries if entry.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(entry.name for entry in self.entries)

    def with_entries(self, entries: list[LockEntry]) -> Lock:
        """Return a lock where ``entries`` replace any entries of the same names."""
        replaced = {entry.name for entry in entries}
        kept = [entry for entry in self.entries if entry.name not in replaced]
        return Lock(tuple(sorted([*kept, *entries], key=lambda e: e.name)))

    def without(self, name: str) -> Lock:
        return Lock(tuple(entry for entry in self.entries if entry.name != name))

    def to_dict(self) -> dict[str, object]:
        return {"lockfile-version": LOCK_VERSION, "skills": [asdict(entry) for entry in self.entries]}


def read_lock(path: Path) -> Lock:
    """Return the lock at ``path``, or an empty one when the file does not exist.

    Raises ``SkillpackError`` naming the file, the JSON path and the fix when it cannot be used.
    """
    fix = _FIX
    try:
        # Never a named pipe or a device (a symlink to /dev/zero hung every command that reads the lock).
        raw = read_regular(path, limit=MAX_LOCK_BYTES)
    except FileNotFoundError:
        return Lock()
    except OSError as exc:
        raise SkillpackError(f"{path}: cannot be read: {exc.strerror or exc} — {fix}") from exc
    if len(raw) > MAX_LOCK_BYTES:
        raise SkillpackError(f"{path}: over {MAX_LOCK_BYTES:,} bytes; this is not a skillpack lock file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SkillpackError(f"{path}: not valid JSON ({exc}) — {fix}") from exc
    except (RecursionError, ValueError) as exc:  # nested too deeply; an integer too long to read
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
        raise SkillpackError(f"{path}: not a skillpack lock file ({reason}) — {fix}") from exc
    _check_version(path, data)
    _check_paths(path, data)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(load_schema("lock")).iter_errors(data))
    if error is not None:
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        raise SkillpackError(f"{path}: {error.json_path}: {message} — {fix}")
    entries = [LockEntry(**item) for item in data["skills"]]
    names = [entry.name for entry in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SkillpackError(f"{path}: {duplicates[0]!r} is listed twice — keep one entry per skill")
    return Lock(tuple(sorted(entries, key=lambda e: e.name)))


def _check_paths(path: Path, data: object) -> None:
    """Refuse an entry whose ``path`` is absolute or climbs out of its source, in words rather than regex."""
    items = data.get("skills") if isinstance(data, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        where = item.get("path") if isinstance(item, dict) else None
        problem = relative_path_problem(where) if isinstance(where, str) and where else None
        if problem is not None:
            raise SkillpackError(
                f"{path}: $.skills[{index}].path: {where!r} {problem}; a skill's path must stay inside its"
                f" source — {_FIX}"
            )


def _check_version(path: Path, data: object) -> None:
    """Refuse a lock in another format with a message that says which skillpack can read it."""
    if not isinstance(data, dict) or "lockfile-version" not in data:
        return  # the schema reports it
    version = data["lockfile-version"]
    if version == LOCK_VERSION and type(version) is int:
        return
    if type(version) is int and version > LOCK_VERSION:
        raise SkillpackError(
            f"{path}: $['lockfile-version']: {version} is newer than this skillpack reads ({LOCK_VERSION}) —"
            " a newer skillpack wrote it; upgrade skillpack (pip install -U skillpack)"
        )
    raise SkillpackError(
        f"{path}: $['lockfile-version']: {json.dumps(version)[:60]} is not a lock file version (this skillpack"
        f" writes {LOCK_VERSION}) — restore it from version control, or delete it and reinstall"
    )


def write_lock(path: Path, lock: Lock) -> None:
    """Write ``lock`` to ``path`` atomically (a file beside it, then rename)."""
    text = json.dumps(lock.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise SkillpackError(f"{path}: cannot be written: {exc.strerror or exc}") from exc
