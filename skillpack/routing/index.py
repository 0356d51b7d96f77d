"""Persist router indexes on disk, keyed by a content hash of the skills' manifests.

An index built in one process is reused by the next while the skills are unchanged; any change to a
manifest (or to the router's settings) gives a new key, so a stale index is never read. Files live in
skillpack's cache folder (``$SKILLPACK_CACHE``, see ``skillpack.cache``) under ``index/``; each holds a magic header and a
SHA-256 of its payload, so a truncated or corrupt file is detected, reported in the Ranking's notes and
rebuilt — never a crash. Writes go to a temporary file beside the target, then an atomic rename. Only
the ``KEEP_PER_KIND`` most recent indexes of each router are kept. A build holds a file lock per router
(``KIND.lock``), so processes starting at once on one library build its index once and then read it; a
lock that cannot be had (a read-only cache, a holder stuck past ``LOCK_WAIT``) only costs a second build.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from skillpack.cache import cache_dir as skillpack_cache_dir
from skillpack.cache import write_atomic
from skillpack.files import read_regular

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.skill import Skill

MAGIC = b"SKILLPACK-INDEX\x01"
#: How many index files of one kind are kept; older ones (for skills since edited) are deleted.
KEEP_PER_KIND = 16
#: The largest index file read; a larger one is treated as damaged and rebuilt.
MAX_INDEX_BYTES = 256 * 1024 * 1024
#: How long a build waits, in seconds, for another process building an index of the same router.
LOCK_WAIT = 120.0
T = TypeVar("T")


def cache_dir() -> Path:
    """Return where persisted indexes live: ``index/`` in skillpack's cache folder (``skillpack.cache``)."""
    return skillpack_cache_dir() / "index"


def content_key(kind: str, settings: str, skills: Iterable[Skill]) -> str:
    """Return the hex key for ``kind``'s index over ``skills``: their names and manifest hashes, and the settings."""
    digest = hashlib.sha256(f"{kind}\n{settings}\n".encode())
    for skill in sorted(skills, key=lambda s: s.name):
        digest.update(f"{skill.name}\0{skill.manifest_sha256}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    """An index and how it was obtained: ``notes`` say when it had to be rebuilt and why."""

    value: T
    reused: bool
    seconds: float
    notes: tuple[str, ...] = ()


def load_or_build(
    kind: str,
    key: str,
    *,
    build: Callable[[], T],
    encode: Callable[[T], bytes],
    decode: Callable[[bytes], T],
    persist: bool = True,
    rebuild: bool = False,
    directory: Path | None = None,
) -> Loaded[T]:
    """Return the persisted index ``kind``/``key`` if it is intact, else build it with ``build()`` and save it.

    ``rebuild`` ignores a persisted copy (and overwrites it); ``persist=False`` neither reads nor writes disk.
    """
    start = time.perf_counter()
    problem = ""
    if not persist:
        return Loaded(build(), reused=False, seconds=time.perf_counter() - start)
    path = (directory or cache_dir()) / f"{kind}-{key[:32]}.idx"
    notes: list[str] = []
    if not rebuild:
        found, problem = _load(path, decode)
        if found is not None:
            return Loaded(found, reused=True, seconds=time.perf_counter() - start)
        if problem:
            notes.append(f"the persisted {kind} index {path} {problem}; rebuilt it")
    with _build_lock(path.parent / f"{kind}.lock"):
        if not rebuild and not problem:
            # Another process may have built it while this one waited for the lock.
            found, _ = _load(path, decode)
            if found is not None:
                return Loaded(found, reused=True, seconds=time.perf_counter() - start)
        value = build()
        saved = _write(path, encode(value))
        if not saved:
            _prune(path.parent, kind, keep=path)
    if not notes and not rebuild and not saved:
        notes.append(f"no persisted {kind} index for these skills yet; built it and saved it to {path}")
    if saved:
        notes.append(f"the persisted {kind} index could not be saved ({saved}); it is rebuilt next time")
    return Loaded(value, reused=False, seconds=time.perf_counter() - start, notes=tuple(notes))


def pack_index(
    pack: SkillPack,
    kind: str,
    settings: str,
    *,
    build: Callable[[], T],
    encode: Callable[[T], bytes],
    decode: Callable[[bytes], T],
    persist: bool,
    rebuild: bool = False,
) -> tuple[T, tuple[str, ...]]:
    """Return ``pack``'s ``kind`` index for ``settings`` and how it was obtained (``Loaded.notes``).

    It is built or read (``load_or_build``, keyed by the pack's manifests and ``settings``) once per pack:
    a pack never changes its skills, so the pack keeps it for every later call.
    """

    def load() -> tuple[T, tuple[str, ...]]:
        key = content_key(kind, settings, pack.skills)
        loaded = load_or_build(
            kind, key, build=build, encode=encode, decode=decode, persist=persist, rebuild=rebuild
        )
        return loaded.value, loaded.notes

    found: tuple[T, tuple[str, ...]] = pack.cache(f"{kind}:{settings}", load)
    return found


def expect(condition: bool, what: str) -> None:
    """Raise ``ValueError(what)`` unless ``condition``: a decoder checks a persisted index, never assumes it.

    A checksum proves no origin (anyone can compute one), so a forged index in the cache folder must fail
    while decoding, where ``load_or_build`` rebuilds it, and never later, while routing.
    """
    if not condition:
        raise ValueError(what)


def expect_names(found: object, expected: Collection[str]) -> list[str]:
    """Return ``found`` when it names each of the ``expected`` skills exactly once, else raise ``ValueError``."""
    if not isinstance(found, list) or not all(type(name) is str for name in found):
        raise ValueError("the skill names are not text")
    unique = set(found)
    expect(len(unique) == len(found) == len(expected) and unique == set(expected), "not this pack's skills")
    return found


def is_finite_number(value: object) -> bool:
    """Return True for an int or float that is neither infinite nor NaN (nor too large for a float)."""
    if type(value) is float:
        return math.isfinite(value)
    return type(value) is int and -(2**53) <= value <= 2**53


def _load(path: Path, decode: Callable[[bytes], T]) -> tuple[T | None, str]:
    """Return (index, "") for an intact, decodable file, (None, "") when there is none, else (None, why)."""
    payload, problem = _read(path)
    if payload is None:
        return None, problem
    try:
        return decode(payload), ""
    except Exception as exc:  # a payload that passed its checksum but not decoding: wrong format
        return None, f"cannot be decoded ({type(exc).__name__}: {str(exc)[:200]})"


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """Hold the file lock at ``path`` while building, or go on without it when it cannot be had.

    The lock only saves work: the index file is written atomically either way. So a cache folder that
    cannot be written, a symbolic link in the lock's place (which the lock would open and truncate) or
    a holder stuck past ``LOCK_WAIT`` seconds mean building without it, never an error or a hang.
    """
    from filelock import FileLock, Timeout

    held = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_symlink():
            lock = FileLock(path, timeout=LOCK_WAIT)
            lock.acquire()
            held = lock
    except (OSError, Timeout):
        pass
    try:
        yield
    finally:
        if held is not None:
            held.release()


def _read(path: Path) -> tuple[bytes | None, str]:
    """Return (payload, "") for an intact file, (None, "") when there is none, (None, why) when it is bad.

    Only a regular file is read, never through a symlink, and never more than ``MAX_INDEX_BYTES``: a
    named pipe or a link to ``/dev/zero`` in its place is "bad", so the index is rebuilt and the file
    replaced. A checksum proves no origin (anyone can compute one), so ``decode`` checks the shape.
    """
    try:
        data = read_regular(path, limit=MAX_INDEX_BYTES, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None, ""
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    if len(data) > MAX_INDEX_BYTES:
        return None, f"is over {MAX_INDEX_BYTES:,} bytes"
    header = len(MAGIC) + 32
    if len(data) < header or not data.startswith(MAGIC):
        return None, "is corrupt (bad header)"
    checksum, payload = data[len(MAGIC) : header], data[header:]
    if hashlib.sha256(payload).digest() != checksum:
        return None, "is corrupt (checksum mismatch)"
    return payload, ""


def _prune(directory: Path, kind: str, *, keep: Path) -> None:
    """Delete all but the ``KEEP_PER_KIND`` most recently written ``kind`` indexes (never ``keep``)."""
    try:
        found = sorted(directory.glob(f"{kind}-*.idx"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for stale in found[KEEP_PER_KIND:]:
            if stale != keep:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # another process pruned or replaced a file meanwhile; pruning is best effort


def _write(path: Path, payload: bytes) -> str:
    """Write ``payload`` to ``path`` atomically; return "" on success, else why it failed."""
    try:
        write_atomic(path, MAGIC + hashlib.sha256(payload).digest() + payload)
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    return ""
