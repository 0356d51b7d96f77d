"""Record what skillpack did for an agent host, one JSON object per line (JSON Lines).

``skillpack serve --log-file`` writes one record per tool call and ``skillpack hook claude-code --log-file``
one per prompt. A record names the task by its SHA-256 (``text_digest``), never by its text, so a log can
be shared without the prompts in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from skillpack.errors import UsageError


def text_digest(text: str) -> str:
    """Return ``sha256:<hex>`` of ``text`` encoded as UTF-8 (how logs and answers name a task)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class EventLog:
    """Append JSON Lines records to a file; without a path, record nothing. Safe to share between threads."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            try:
                # Opened once here so a bad path is reported at start, not at the first tool call.
                with open(path, "a", encoding="utf-8"):
                    pass
            except OSError as exc:
                raise UsageError(
                    f"{path}: cannot write the log file: {exc.strerror or exc} — give a writable path"
                ) from exc

    def write(self, event: str, **fields: Any) -> None:
        """Append one record: the UTC time, the event's name, then ``fields`` (JSON-ready values)."""
        if self.path is None:
            return
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "event": event}
        record.update(fields)
        line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n"
        with self._lock:
            # One write per record on an O_APPEND descriptor, so concurrent writers never interleave lines.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8", "surrogatepass"))
            finally:
                os.close(fd)
