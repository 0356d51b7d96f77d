"""Model calls cached by content, so a rerun (after a kill, or with more sizes) never pays twice.

The key is a SHA-256 of everything that decides an answer: backend, model, system text, task, answer
length, temperature, turn bound and the skills offered on demand (name and instructions). Each reply
is one small JSON file, written beside its place and renamed, so a kill never leaves half an entry.
Failed calls are never cached: they are retried on the next run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from skillpack.backends.base import Reply, Request, Usage
from skillpack.errors import SkillpackError

#: The largest cached reply read back; a larger file is a damaged entry (the call is made again).
MAX_REPLY_BYTES = 16 * 1024 * 1024


def request_key(backend: str, model: str | None, request: Request) -> str:
    """Return the content key of one model call."""
    offered = [
        [s.name, hashlib.sha256(s.instructions().encode("utf-8")).hexdigest()] for s in request.loadable
    ]
    payload = {
        "backend": backend,
        "model": model,
        "system": request.system,
        "task": request.task,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "max_turns": request.max_turns,
        "loadable": offered,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReplyCache:
    """A folder of cached replies, one file per key (``ab/abcdef....json``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Reply | None:
        """Return the cached reply for ``key``, or None (a corrupt entry counts as missing)."""
        from skillpack.files import read_regular

        try:
            # Only a regular file, and not a symlink: a named pipe in its place would block the bench.
            data = json.loads(read_regular(self._file(key), limit=MAX_REPLY_BYTES, follow_symlinks=False))
            return reply_from_dict(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None

    def put(self, key: str, reply: Reply) -> None:
        """Store ``reply`` under ``key``; a full disk raises ``SkillpackError`` saying what to do."""
        from skillpack.cache import write_atomic

        data = json.dumps(reply.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")
        try:
            write_atomic(self._file(key), data)
        except OSError as exc:
            raise SkillpackError(
                f"{self._file(key)}: cannot write the reply cache: {exc.strerror or exc} — free disk space"
                " and run the same command again (finished trials are kept)"
            ) from exc


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Rebuild a ``Reply`` from ``Reply.to_dict()`` output."""
    usage = data.get("usage") or {}
    return Reply(
        text=str(data["text"]),
        model=str(data["model"]),
        backend=str(data["backend"]),
        usage=Usage(
            int(usage.get("input_tokens", 0)),
            int(usage.get("output_tokens", 0)),
            int(usage.get("cache_read_tokens", 0)),
            int(usage.get("cache_write_tokens", 0)),
            usage.get("cost_usd"),
        ),
        loaded_skills=tuple(data.get("loaded_skills", ())),
        turns=int(data.get("turns", 1)),
        stop_reason=str(data.get("stop_reason", "")),
        latency_s=float(data.get("latency_s", 0.0)),
        notes=tuple(data.get("notes", ())),
    )
