"""Packing skills reproducibly, and refusing unsafe archives without writing anything."""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from support.skills import MakeSkill

from skillpack.authoring.archive import (
    CHECKSUMS_NAME,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    checksums_text,
    pack_skill,
    skill_files,
    tree_checksum,
    unpack_archive,
)
from skillpack.errors import SkillpackError, UsageError


@pytest.fixture
def skill_dir(tmp_path: Path, make_skill: MakeSkill) -> Path:
    folder = make_skill(tmp_path / "src", "demo-skill", version="1.2.0")
    (folder / "references").mkdir()
    (folder / "references" / "notes.md").write_text("# Notes\n", encoding="utf-8")
    script = folder / "scripts" / "run.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho hi\n", encoding="utf-8")
    script.chmod(0o755)
    (folder / ".DS_Store").write_bytes(b"junk")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    return folder


def test_pack_writes_name_version_with_sorted_entries_and_checksums(skill_dir: Path, tmp_path: Path) -> None:
    result = pack_skill(skill_dir, out_dir=tmp_path / "dist")
    assert result.path == tmp_path / "dist" / "demo-skill-1.2.0.skill"
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
        assert names == [
            CHECKSUMS_NAME,
            "demo-skill/instructions.md",
            "demo-skill/references/notes.md",
            "demo-skill/scripts/run.sh",
            "demo-skill/skill.yaml",
        ]
        sums = archive.read(CHECKSUMS_NAME).decode()
        for line in sums.splitlines():
            digest, name = line.split("  ")
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
        assert modes["demo-skill/scripts/run.sh"] == 0o755
        assert modes["demo-skill/skill.yaml"] == 0o644
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert result.files == 4
    assert not list((tmp_path / "dist").glob(".*partial"))


def test_pack_is_byte_for_byte_reproducible(skill_dir: Path, tmp_path: Path) -> None:
    first = pack_skill(skill_dir, out_dir=tmp_path / "a").path.read_bytes()
    for path in skill_dir.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    (skill_dir / "references" / "notes.md").chmod(0o600)  # permissions are normalised too
    second = pack_skill(skill_dir, out_dir=tmp_path / "b").path.read_bytes()
    assert first == second


def test_pack_refuses_invalid_skill_and_writes_nothing(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "bad-skill", version="1.0.0", fields={"name": "Bad_Name"})
    with pytest.raises(SkillpackError, match=r"\$\.name"):
        pack_skill(folder, out_dir=tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def test_pack_needs_a_version(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "no-version")
    with pytest.raises(SkillpackError, match=r"needs a version — add version: 1\.0\.0"):
        pack_skill(folder, out_dir=tmp_path)


def test_pack_refuses_a_symlink_in_the_skill(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "linked", version="1.0.0")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    os.symlink(tmp_path / "secret.txt", folder / "leak.txt")
    with pytest.raises(SkillpackError, match=r"linked/leak\.txt: is a symbolic link"):
        pack_skill(folder, out_dir=tmp_path / "dist")


def test_pack_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        pack_skill(tmp_path / "nope", out_dir=tmp_path)


def test_unpack_round_trip_verifies_and_keeps_modes(skill_dir: Path, tmp_path: Path) -> None:
    archive = pack_skill(skill_dir, out_dir=tmp_path / "dist").path
    into = tmp_path / "into"
    into.mkdir()
    unpacked = unpack_archive(archive, into)
    assert unpacked.verified
    assert unpacked.folder == into / "demo-skill"
    assert tree_checksum(unpacked.folder) == tree_checksum(skill_dir)
    assert os.stat(unpacked.folder / "scripts" / "run.sh").st_mode & 0o777 == 0o755
    assert os.stat(unpacked.folder / "skill.yaml").st_mode & 0o777 == 0o644


def test_tree_checksum_ignores_time_and_mode_but_not_content(skill_dir: Path) -> None:
    before = tree_checksum(skill_dir)
    os.utime(skill_dir / "skill.yaml", (1, 1))
    (skill_dir / "skill.yaml").chmod(0o600)
    assert tree_checksum(skill_dir) == before
    (skill_dir / "references" / "notes.md").write_text("# Changed\n", encoding="utf-8")
    assert tree_checksum(skill_dir) != before
    assert before.startswith("sha256:") and len(before) == 7 + 64


def test_skill_files_leaves_out_hidden_and_compiled(skill_dir: Path) -> None:
    assert [f.relative for f in skill_files(skill_dir)] == [
        "instructions.md",
        "references/notes.md",
        "scripts/run.sh",
        "skill.yaml",
    ]


# -- malicious archives, built here -------------------------------------------------------------------

MANIFEST = (
    b"---\nname: evil\ndescription: Evil skill. Use when testing refusals of unsafe archives.\n---\nBody\n"
)


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicates built on purpose
        for info, data in entries:
            archive.writestr(info, data)
    return path


def _typed(name: str, kind: int, mode: int = 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (kind | mode) << 16
    return info


def _with_sums(
    entries: list[tuple[str, bytes]], *, wrong: str | None = None
) -> list[tuple[zipfile.ZipInfo | str, bytes]]:
    pairs = [
        (name, hashlib.sha256(b"tampered" if name == wrong else data).hexdigest()) for name, data in entries
    ]
    return [(CHECKSUMS_NAME, checksums_text(pairs).encode()), *entries]


def _bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.skill"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("evil/SKILL.md", MANIFEST)
        with archive.open("evil/zeros.bin", "w", force_zip64=True) as handle:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(MAX_TOTAL_BYTES // len(chunk) + 1):
                handle.write(chunk)
    return path


def _lying_size(tmp_path: Path) -> Path:
    """An entry whose headers declare 10 bytes but which holds 5,000 (a bomb that hides its size)."""
    path = _zip(tmp_path / "liar.skill", [("evil/SKILL.md", MANIFEST), ("evil/big.txt", b"A" * 5000)])
    data = bytearray(path.read_bytes())
    name = b"evil/big.txt"
    # The uncompressed size sits 22 bytes into a local header (name at 30), 24 into a central one (name at 46).
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        start = data.find(signature)
        while data[start + name_at : start + name_at + len(name)] != name:
            start = data.find(signature, start + 1)
        data[start + size_at : start + size_at + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def _many_files(tmp_path: Path) -> Path:
    entries: list[tuple[zipfile.ZipInfo | str, bytes]] = [("evil/SKILL.md", MANIFEST)]
    entries += [(f"evil/f{i}.txt", b"x") for i in range(MAX_FILES + 1)]
    return _zip(tmp_path / "many.skill", entries)


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "absolute path": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), ("/etc/evil", b"x")]),
        r"'/etc/evil': is an absolute path",
    ),
    "windows drive": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), ("C:/evil", b"x")]),
        r"is an absolute path",
    ),
    "dot-dot": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), ("evil/../../escape.txt", b"x")]),
        r"climbs out of the folder with '\.\.'",
    ),
    "backslash": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), ("evil\\..\\x", b"x")]),
        r"contains a backslash",
    ),
    "symlink": (
        lambda t: _zip(
            t / "a.skill", [("evil/SKILL.md", MANIFEST), (_typed("evil/link", stat.S_IFLNK), b"/etc/passwd")]
        ),
        r"'evil/link': is a symbolic link",
    ),
    "character device": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), (_typed("evil/tty", stat.S_IFCHR), b"")]),
        r"is a character device",
    ),
    "block device": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), (_typed("evil/sda", stat.S_IFBLK), b"")]),
        r"is a block device",
    ),
    "fifo": (
        lambda t: _zip(
            t / "a.skill", [("evil/SKILL.md", MANIFEST), (_typed("evil/pipe", stat.S_IFIFO), b"")]
        ),
        r"is a named pipe",
    ),
    "duplicate name": (
        lambda t: _zip(
            t / "a.skill", [("evil/SKILL.md", MANIFEST), ("evil/x.md", b"1"), ("evil/x.md", b"2")]
        ),
        r"'evil/x\.md': appears twice",
    ),
    "duplicate by case": (
        lambda t: _zip(
            t / "a.skill", [("evil/SKILL.md", MANIFEST), ("evil/X.md", b"1"), ("evil/x.md", b"2")]
        ),
        r"differing only in case",
    ),
    "too many files": (_many_files, r"entries; the limit is 1,000 files"),
    "zip bomb": (_bomb, r"looks like a zip bomb"),
    # zipfile stops at the declared size, so the lie surfaces as a CRC mismatch: refused all the same.
    "size lie": (_lying_size, r"'evil/big\.txt': cannot be read \(Bad CRC-32"),
    "checksum mismatch": (
        lambda t: _zip(
            t / "a.skill",
            _with_sums([("evil/SKILL.md", MANIFEST), ("evil/notes.md", b"notes")], wrong="evil/notes.md"),
        ),
        r"'evil/notes\.md': its SHA-256 is [0-9a-f]{12}…, but SHA256SUMS says",
    ),
    "unlisted file": (
        lambda t: _zip(
            t / "a.skill", [*_with_sums([("evil/SKILL.md", MANIFEST)]), ("evil/extra.md", b"sneaky")]
        ),
        r"'evil/extra\.md': is not listed in SHA256SUMS",
    ),
    "listed file missing": (
        lambda t: _zip(
            t / "a.skill",
            [_with_sums([("evil/SKILL.md", MANIFEST), ("evil/gone.md", b"x")])[i] for i in (0, 1)],
        ),
        r"'evil/gone\.md': is listed in SHA256SUMS but missing",
    ),
    "file under a file": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), ("evil/a", b"1"), ("evil/a/b", b"2")]),
        r"sits inside 'evil/a', which is a file",
    ),
    "two top folders": (
        lambda t: _zip(t / "a.skill", [("evil/SKILL.md", MANIFEST), ("other/SKILL.md", MANIFEST)]),
        r"expected one skill folder at the top of the archive",
    ),
    "not a zip": (lambda t: _write(t / "a.skill", b"this is not a zip"), r"not a readable zip archive"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_unsafe_archive_is_refused_and_nothing_written(case: str, tmp_path: Path) -> None:
    build, message = CASES[case]
    archive = build(tmp_path)
    into = tmp_path / "into"
    into.mkdir()
    with pytest.raises(SkillpackError, match=message) as caught:
        unpack_archive(archive, into)
    assert list(into.iterdir()) == []
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "escape.txt").exists()


def test_archive_with_skill_md_at_the_root_is_named_after_the_file(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "evil-2.0.1.skill", [("SKILL.md", MANIFEST), ("references/a.md", b"a")])
    into = tmp_path / "into"
    into.mkdir()
    unpacked = unpack_archive(archive, into)
    assert unpacked.folder == into / "evil"
    assert not unpacked.verified
    assert (unpacked.folder / "references" / "a.md").read_bytes() == b"a"


def test_missing_archive_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        unpack_archive(tmp_path / "nope.skill", tmp_path)
