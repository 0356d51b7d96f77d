"""skillpack's cache folder and a small persistent store of derived numbers (token counts).

Everything here can be deleted at any time: it is rebuilt from the skills. Files are written beside
their destination and renamed into place, so a crash never leaves a half-written cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """Return the cache folder: ``$SKILLPACK_CACHE``, else ``$XDG_CACHE_HOME/skillpack``, else ``~/.cache/skillpack``."""
    configured = os.environ.get("SKILLPACK_CACHE")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "skillpack"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class CountStore:
    """A JSON file of ``key -> int``, read once and saved only when something new was counted.

    A missing, unreadable or corrupt file is treated as empty (the counts are recomputed); a cache
    that cannot be written is skipped silently, since it only ever saves time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._counts: dict[str, int] = {}
        self._dirty = False
        try:
            with open(path, encoding="utf-8") as handle:
                loaded = json.load(handle)
            if isinstance(loaded, dict):
                self._counts = {str(k): int(v) for k, v in loaded.items() if isinstance(v, int)}
        except (OSError, ValueError):
            self._counts = {}

    def get(self, key: str) -> int | None:
        return self._counts.get(key)

    def put(self, key: str, value: int) -> None:
        if self._counts.get(key) != value:
            self._counts[key] = value
            self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        with contextlib.suppress(OSError):
            write_atomic(self.path, json.dumps(self._counts, sort_keys=True).encode("utf-8"))
            self._dirty = False
