"""skillpack's cache folder and small persistent stores of derived data (token counts, manifests).

Everything here can be deleted at any time: it is rebuilt from the skills. Files are written beside
their destination and renamed into place, so a crash never leaves a half-written cache, and each
starts with a header holding the SHA-256 of its payload, so a damaged file is ignored, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from skillpack.files import read_regular
from skillpack.problems import Problem

_MAGIC = b"skillpack-cache 1 "
#: The largest cache file read; a larger one is ignored (and rewritten) like a damaged one.
MAX_CACHE_BYTES = 64 * 1024 * 1024
#: The largest count a ``CountStore`` keeps (far above any text's token count).
MAX_COUNT = 2**40


def cache_dir() -> Path:
    """Return the cache folder: ``$SKILLPACK_CACHE``, else ``$XDG_CACHE_HOME/skillpack``, else ``~/.cache/skillpack``."""
    configured = os.environ.get("SKILLPACK_CACHE")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "skillpack"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a file beside it and a rename; a failure leaves ``path`` as it was.

    The temporary file is created with the ordinary permissions (the umask decides), so what lands at
    ``path`` is readable as any file the user writes; its name is unique per process and thread.
    """
    import threading

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        with open(partial, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def read_checked(path: Path, salt: str = "") -> Any:
    """Return the JSON payload of a file written by ``write_checked`` with the same ``salt``, else None.

    None means missing, unreadable, written for another ``salt`` (another skillpack version or
    schema), damaged (its SHA-256 does not match), too large, nested too deeply, or not a regular file
    at all (a named pipe or a symlink in its place is never opened for reading): the caller rebuilds
    what it needed. The caller still checks the shape of what it gets: the header proves no origin.
    """
    try:
        data = read_regular(path, limit=MAX_CACHE_BYTES, follow_symlinks=False)
    except OSError:
        return None
    header, _, payload = data.partition(b"\n")
    if len(data) > MAX_CACHE_BYTES or header != _MAGIC + _digest(salt, payload).encode("ascii"):
        return None
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, an integer too long to read, nesting too deep
        return None


def write_checked(path: Path, data: Any, salt: str = "") -> None:
    """Write ``data`` as JSON behind a header with its SHA-256 (see ``read_checked``); errors are ignored."""
    try:
        payload = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError):  # a value JSON cannot hold: the cache is only skipped
        return
    with contextlib.suppress(OSError):
        write_atomic(path, _MAGIC + _digest(salt, payload).encode("ascii") + b"\n" + payload)


def _digest(salt: str, payload: bytes) -> str:
    return hashlib.sha256(salt.encode("utf-8") + b"\0" + payload).hexdigest()


class CountStore:
    """A checked JSON file of ``key -> int``, read once and saved only when something new was counted.

    A missing, unreadable or damaged file is treated as empty (the counts are recomputed); a cache
    that cannot be written is skipped silently, since it only ever saves time.
    """

    def __init__(self, path: Path, *, salt: str = "") -> None:
        self.path = path
        self.salt = salt
        self._counts: dict[str, int] = {}
        self._dirty = False
        loaded = read_checked(path, salt)
        if isinstance(loaded, dict):
            # A count no counter can have written (a forged file's 10**100) is dropped, like damage.
            self._counts = {str(k): v for k, v in loaded.items() if type(v) is int and 0 <= v < MAX_COUNT}

    def __len__(self) -> int:
        return len(self._counts)

    def get(self, key: str) -> int | None:
        return self._counts.get(key)

    def put(self, key: str, value: int) -> None:
        if self._counts.get(key) != value:
            self._counts[key] = value
            self._dirty = True

    def save(self) -> None:
        if self._dirty:
            write_checked(self.path, self._counts, self.salt)
            self._dirty = False


class ManifestStore:
    """Parsed manifests and the problems found in their content, keyed by the manifest bytes' SHA-256.

    Parsing YAML and checking it against the schema is most of the cost of listing skills; both
    depend only on the manifest's bytes (and on skillpack's code and schema, which the ``salt``
    pins), so an entry found under the hash of the bytes just read is exactly what parsing them
    again would give. Only plain JSON values are stored (a manifest using YAML types JSON cannot
    round-trip, such as sets or non-string keys, is simply parsed every time). Saving keeps only the
    entries used since the store was opened, so a store follows one folder's current skills.
    """

    def __init__(self, path: Path, *, salt: str) -> None:
        self.path = path
        self.salt = salt
        loaded = read_checked(path, salt)
        self._entries: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self._used: set[str] = set()
        self._dirty = False

    def get(self, key: str) -> tuple[dict[str, Any], tuple[Problem, ...]] | None:
        """Return the parsed data and content problems stored under ``key``, or None."""
        entry = self._entries.get(key)
        if not isinstance(entry, dict):
            return None
        data, problems = entry.get("data"), entry.get("problems")
        if not isinstance(data, dict) or not isinstance(problems, list):
            return None
        try:
            found = tuple(_problem_from_json(item) for item in problems)
        except (TypeError, ValueError):
            return None
        self._used.add(key)
        return data, found

    def put(self, key: str, data: dict[str, Any], problems: tuple[Problem, ...]) -> None:
        """Store ``data`` and its content ``problems`` under ``key`` (skipped unless ``data`` is plain JSON)."""
        if not is_plain_json(data):
            return
        self._entries[key] = {"data": data, "problems": [_problem_to_json(p) for p in problems]}
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write the entries used since opening, if anything new was stored; errors are ignored."""
        if self._dirty:
            write_checked(self.path, {key: self._entries[key] for key in sorted(self._used)}, self.salt)
            self._dirty = False


def is_plain_json(value: Any) -> bool:
    """Return True when ``value`` survives a JSON round trip unchanged (same types, same values)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and is_plain_json(v) for k, v in value.items())
    if kind is list:
        return all(is_plain_json(item) for item in value)
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    return kind in (str, int, bool) or value is None


_PROBLEM_FIELDS = ("file", "location", "message", "fix", "severity", "code", "fatal")


def _problem_to_json(problem: Problem) -> list[Any]:
    return [getattr(problem, name) for name in _PROBLEM_FIELDS]


def _problem_from_json(item: Any) -> Problem:
    if not isinstance(item, list) or len(item) != len(_PROBLEM_FIELDS):
        raise ValueError("not a problem")
    file, location, message, fix, severity, code, fatal = item
    texts = (file, location, message, fix, code)
    if not all(isinstance(t, str) for t in texts) or severity not in ("error", "warning"):
        raise ValueError("not a problem")
    if type(fatal) is not bool:
        raise ValueError("not a problem")
    return Problem(file, location, message, fix, severity, code, fatal)
