"""``trials.jsonl``: one JSON line per trial, appended and flushed to disk as each trial ends.

A run that is killed loses at most the line being written; reading skips a torn last line and the
next append starts on a fresh line. A trial that is written again (an error retried) is read as its
last line, so the file is a log and the latest word wins.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from skillpack.errors import SkillpackError
from skillpack.files import read_regular

#: Trial outcomes that count as finished; anything else (``error``) is retried on the next run.
#: ``does_not_fit``: the context exceeds the model's window; ``unsupported``: the backend cannot run
#: the strategy (``catalog`` needs the ``load_skill`` tool).
FINISHED = ("ok", "does_not_fit", "unsupported")
#: The largest trials file read (about a million trials).
MAX_TRIALS_BYTES = 2 * 1024 * 1024 * 1024


def read_trials(path: Path) -> dict[str, dict[str, Any]]:
    """Return ``{trial_id: record}``, the last record of each trial; torn or foreign lines are skipped.

    The file is read as bytes and each line decoded on its own: a kill or a full disk can tear a line
    inside a multi-byte UTF-8 character, and decoding the whole file at once then failed on every resume.
    """
    found: dict[str, dict[str, Any]] = {}
    try:
        data = read_regular(path, limit=MAX_TRIALS_BYTES)
    except FileNotFoundError:
        return found
    except OSError as exc:
        raise SkillpackError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    if len(data) > MAX_TRIALS_BYTES:
        raise SkillpackError(
            f"{path}: over {MAX_TRIALS_BYTES:,} bytes — start a new run in another `out` folder"
        )
    for line in data.split(b"\n"):
        try:
            record = json.loads(line.decode("utf-8"))  # a torn character: UnicodeDecodeError, a ValueError
        except (ValueError, RecursionError):
            continue  # a line torn by a kill mid-write (or mangled); that trial simply runs again
        if isinstance(record, dict) and isinstance(record.get("trial_id"), str):
            found[record["trial_id"]] = record
    return found


class TrialLog:
    """Append trial records to ``path``, each one flushed and fsynced before the next trial counts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def __enter__(self) -> TrialLog:
        try:
            self._handle = open(self.path, "a+b")
            self._handle.seek(0, os.SEEK_END)
            if self._handle.tell() > 0:
                self._handle.seek(-1, os.SEEK_END)
                if self._handle.read(1) != b"\n":
                    self._write(b"\n")  # close a line torn by a kill, so the next record starts clean
        except OSError as exc:
            raise self._error(exc) from exc
        return self

    def __exit__(self, *_: object) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as one line; raise ``SkillpackError`` (disk full, ...) with what to do."""
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            self._write(line.encode("utf-8"))
        except OSError as exc:
            raise self._error(exc) from exc

    def _write(self, data: bytes) -> None:
        self._handle.write(data)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def _error(self, exc: OSError) -> SkillpackError:
        return SkillpackError(
            f"{self.path}: cannot write: {exc.strerror or exc} — free disk space and run the same command"
            " again; every finished trial is kept and only the rest will run"
        )
