"""trials.jsonl: appended, fsynced, read with the last word winning and torn lines skipped."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from skillpack.errors import SkillpackError
from skillpack.harness.trials import TrialLog, read_trials


def test_last_record_wins_and_torn_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "trials.jsonl"
    with TrialLog(path) as log:
        log.append({"trial_id": "a", "status": "error"})
        log.append({"trial_id": "b", "status": "ok"})
        log.append({"trial_id": "a", "status": "ok"})
    with open(path, "ab") as handle:
        handle.write(b'{"trial_id": "c", "sta')
    found = read_trials(path)
    assert {k: v["status"] for k, v in found.items()} == {"a": "ok", "b": "ok"}
    with TrialLog(path) as log:
        log.append({"trial_id": "c", "status": "ok"})
    assert path.read_bytes().endswith(b'"sta\n{"status": "ok", "trial_id": "c"}\n')
    assert set(read_trials(path)) == {"a", "b", "c"}


def test_a_line_torn_inside_a_utf8_character_is_dropped_and_the_run_resumes(tmp_path: Path) -> None:
    # A kill or a full disk cut the line inside "é" (two bytes): every resume raised UnicodeDecodeError.
    path = tmp_path / "trials.jsonl"
    with TrialLog(path) as log:
        log.append({"trial_id": "a", "status": "ok", "answer": "café"})
    torn = '{"trial_id": "b", "status": "ok", "answer": "café"}'.encode()
    with open(path, "ab") as handle:
        handle.write(torn[: torn.index("é".encode()) + 1])
    assert {k: v["answer"] for k, v in read_trials(path).items()} == {"a": "café"}
    with TrialLog(path) as log:
        log.append({"trial_id": "b", "status": "ok", "answer": "thé"})
    assert {k: v["answer"] for k, v in read_trials(path).items()} == {"a": "café", "b": "thé"}


def test_a_pipe_in_place_of_the_trials_file_is_one_line(tmp_path: Path) -> None:
    from support.hang import within

    path = tmp_path / "trials.jsonl"
    os.mkfifo(path)
    with pytest.raises(SkillpackError) as caught:
        within(10, lambda: read_trials(path))
    assert str(caught.value) == f"{path}: cannot be read: not a regular file but a named pipe (FIFO)"


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_trials(tmp_path / "none.jsonl") == {}


def test_every_append_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    with TrialLog(tmp_path / "t.jsonl") as log:
        log.append({"trial_id": "a"})
        log.append({"trial_id": "b"})
    assert len(synced) == 2


def test_full_disk_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with TrialLog(tmp_path / "t.jsonl") as log, pytest.raises(SkillpackError) as caught:
        log.append({"trial_id": "a"})
    assert str(caught.value) == (
        f"{tmp_path / 't.jsonl'}: cannot write: No space left on device — free disk space and run the same"
        " command again; every finished trial is kept and only the rest will run"
    )
