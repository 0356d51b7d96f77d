"""skillpack.lock: reading, writing atomically, and one clear line for every unusable lock."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from skillpack.authoring import lockfile
from skillpack.authoring.lockfile import LOCK_NAME, LOCK_VERSION, Lock, LockEntry, read_lock, write_lock
from skillpack.errors import SkillpackError

SUM = "sha256:" + "a" * 64
COMMIT = "b" * 40
FIX = " — restore it from version control, or delete it and reinstall"


def _entry(name: str, **fields: str) -> dict[str, str]:
    return {"name": name, "version": "1.0.0", "source": f"vendor/{name}", "checksum": SUM, **fields}


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / LOCK_NAME


def test_a_missing_lock_is_empty(lock_path: Path) -> None:
    assert read_lock(lock_path) == Lock()


def test_write_then_read_round_trips_sorted_and_stable(lock_path: Path) -> None:
    lock = Lock().with_entries(
        [
            LockEntry("zeta", "2.0.0", "git+https://h/r.git@v2", SUM, COMMIT, "skills/zeta"),
            LockEntry("alpha", "", "vendor/alpha-1.0.0.skill", SUM),
        ]
    )
    write_lock(lock_path, lock)
    assert read_lock(lock_path) == lock
    assert lock.names == ("alpha", "zeta")
    text = lock_path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data["lockfile-version"] == LOCK_VERSION
    assert list(data["skills"][0]) == sorted(data["skills"][0])  # sorted keys diff cleanly
    write_lock(lock_path, read_lock(lock_path))
    assert lock_path.read_text(encoding="utf-8") == text  # rewriting changes no byte
    assert sorted(p.name for p in lock_path.parent.iterdir()) == [LOCK_NAME]


def test_entries_are_replaced_by_name_and_removed() -> None:
    lock = Lock().with_entries([LockEntry("alpha", "1.0.0", "a", SUM), LockEntry("beta", "1.0.0", "b", SUM)])
    updated = lock.with_entries([LockEntry("alpha", "2.0.0", "a", SUM)])
    entry = updated.get("alpha")
    assert entry is not None and entry.version == "2.0.0"
    assert updated.names == ("alpha", "beta")
    assert updated.without("alpha").names == ("beta",)
    assert updated.get("gamma") is None


def test_a_failed_write_keeps_the_old_lock_and_leaves_no_partial_file(
    lock_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lock(lock_path, Lock((LockEntry("alpha", "1.0.0", "a", SUM),)))
    before = lock_path.read_bytes()

    def full(source: object, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(SkillpackError, match=r"skillpack\.lock: cannot be written: No space left on device$"):
        write_lock(lock_path, Lock())
    assert lock_path.read_bytes() == before
    assert sorted(p.name for p in lock_path.parent.iterdir()) == [LOCK_NAME]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON (Expecting property name"),
        (b"\xff\xfe{}", "not valid JSON ("),
        (b"", "not valid JSON (Expecting value"),
    ],
)
def test_corrupt_lock_is_one_line(lock_path: Path, content: bytes, message: str) -> None:
    lock_path.write_bytes(content)
    with pytest.raises(SkillpackError) as caught:
        read_lock(lock_path)
    text = str(caught.value)
    assert text.startswith(f"{lock_path}: {message}"), text
    assert text.endswith(FIX) and "\n" not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "$: [] is not of type 'object'"),
        ({"skills": []}, "$: 'lockfile-version' is a required property"),
        ({"lockfile-version": 1}, "$: 'skills' is a required property"),
        ({"lockfile-version": 1, "skills": [], "extra": 1}, "$: Additional properties are not allowed"),
        ({"lockfile-version": 1, "skills": [{"name": "x"}]}, "$.skills[0]: 'version' is a required property"),
        (
            {"lockfile-version": 1, "skills": [_entry("x", checksum="md5:00")]},
            "$.skills[0].checksum: 'md5:00' does not match",
        ),
        (
            {"lockfile-version": 1, "skills": [_entry("Bad Name")]},
            "$.skills[0].name: 'Bad Name' does not match",
        ),
        (
            {"lockfile-version": 1, "skills": [_entry("x", resolved="main")]},
            "$.skills[0].resolved: 'main' does not match",
        ),
    ],
)
def test_wrong_schema_names_the_json_path(lock_path: Path, data: object, message: str) -> None:
    with pytest.raises(SkillpackError) as caught:
        read_lock(_write(lock_path, data))
    text = str(caught.value)
    assert text.startswith(f"{lock_path}: {message}"), text
    assert text.endswith(FIX) and "\n" not in text


def test_a_newer_lock_version_says_to_upgrade(lock_path: Path) -> None:
    with pytest.raises(SkillpackError) as caught:
        read_lock(_write(lock_path, {"lockfile-version": 2, "skills": []}))
    assert str(caught.value) == (
        f"{lock_path}: $['lockfile-version']: 2 is newer than this skillpack reads (1) — a newer skillpack"
        " wrote it; upgrade skillpack (pip install -U skillpack)"
    )


@pytest.mark.parametrize(("version", "shown"), [("1", '"1"'), (0, "0"), (True, "true"), (1.5, "1.5")])
def test_an_unknown_lock_version_is_one_line(lock_path: Path, version: object, shown: str) -> None:
    with pytest.raises(SkillpackError) as caught:
        read_lock(_write(lock_path, {"lockfile-version": version, "skills": []}))
    assert str(caught.value) == (
        f"{lock_path}: $['lockfile-version']: {shown} is not a lock file version (this skillpack writes 1)"
        + FIX
    )


def test_duplicate_entries_are_refused(lock_path: Path) -> None:
    data = {"lockfile-version": 1, "skills": [_entry("alpha"), _entry("alpha", version="2.0.0")]}
    with pytest.raises(SkillpackError) as caught:
        read_lock(_write(lock_path, data))
    assert str(caught.value) == f"{lock_path}: 'alpha' is listed twice — keep one entry per skill"


def test_an_oversized_lock_is_refused_without_parsing(
    lock_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lockfile, "MAX_LOCK_BYTES", 100)
    lock_path.write_text(" " * 101, encoding="utf-8")
    with pytest.raises(SkillpackError) as caught:
        read_lock(lock_path)
    assert str(caught.value) == f"{lock_path}: over 100 bytes; this is not a skillpack lock file"


def test_an_unreadable_lock_is_one_line(lock_path: Path) -> None:
    lock_path.mkdir()  # a folder where the file should be
    with pytest.raises(SkillpackError) as caught:
        read_lock(lock_path)
    assert str(caught.value).startswith(f"{lock_path}: cannot be read: ")


@pytest.mark.parametrize(
    ("path", "reason"),
    [("../victim/keeper", "climbs out of the folder"), ("/home/me/keeper", "is an absolute path")],
)
def test_an_entry_path_outside_its_source_is_refused(lock_path: Path, path: str, reason: str) -> None:
    _write(lock_path, {"lockfile-version": LOCK_VERSION, "skills": [_entry("keeper", path=path)]})
    with pytest.raises(SkillpackError) as caught:
        read_lock(lock_path)
    assert str(caught.value) == (
        f"{lock_path}: $.skills[0].path: {path!r} {reason} with '..'; a skill's path must stay inside its source{FIX}"
        if reason.startswith("climbs")
        else f"{lock_path}: $.skills[0].path: {path!r} {reason}; a skill's path must stay inside its source{FIX}"
    )


def test_a_name_with_a_final_newline_is_refused(lock_path: Path) -> None:
    _write(lock_path, {"lockfile-version": LOCK_VERSION, "skills": [_entry("abc\n")]})
    with pytest.raises(SkillpackError, match=r"\$\.skills\[0\]\.name: 'abc\\n' does not match"):
        read_lock(lock_path)


# -- a hostile skillpack.lock: one clear line, never a hang or a traceback ----------------------------


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: os.mkfifo(p), "cannot be read: not a regular file but a named pipe (FIFO)"),
        (lambda p: p.symlink_to("/dev/zero"), "cannot be read: not a regular file but a character device"),
        (
            lambda p: p.write_text("[" * 100_000 + "]" * 100_000),
            "not a skillpack lock file (nested too deeply)",
        ),
        (lambda p: p.write_text("1" * 5000), "not a skillpack lock file (Exceeds the limit (4300 digits)"),
    ],
    ids=["fifo", "dev-zero", "deep-json", "huge-integer"],
)
def test_a_hostile_lock_is_one_line(tmp_path: Path, make: object, says: str) -> None:
    from support.hang import within

    path = tmp_path / LOCK_NAME
    make(path)  # type: ignore[operator]
    with pytest.raises(SkillpackError) as caught:
        within(10, lambda: read_lock(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: {says}") and "\n" not in message
    assert message.endswith(" — restore it from version control, or delete it and reinstall")


def test_a_schema_error_quotes_a_long_value_shortened(tmp_path: Path) -> None:
    path = _write(tmp_path / LOCK_NAME, {"lockfile-version": LOCK_VERSION, "skills": ["x" * 100_000]})
    with pytest.raises(SkillpackError) as caught:
        read_lock(path)
    assert len(str(caught.value)) < 500
