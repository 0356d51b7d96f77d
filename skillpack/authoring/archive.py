"""Pack a skill folder into a reproducible ``.skill`` archive, and unpack one without trusting it.

A ``.skill`` file is a zip archive, the form Anthropic's skill-creator packages skills in: every file
sits under one top folder named after the skill (``semver-bump/SKILL.md``). skillpack adds
``SHA256SUMS`` at the archive root, one ``<sha256>  <path>`` line per file, so ``unzip x.skill &&
sha256sum -c SHA256SUMS`` verifies it by hand too. Packing is byte-for-byte reproducible: entries are
sorted, timestamps fixed at 1980-01-01, permissions normalised to 0644 (0755 when the source file is
executable) and the compression level fixed.

Unpacking checks the whole archive before writing a byte: absolute paths, ``..``, backslashes,
control characters or line separators in names, over-long names (``paths.relative_path_problem``, which
packing applies too, so that ``pack`` never writes what ``install`` refuses), symlinks, device files, encrypted entries, duplicate names, too many files or too many uncompressed
bytes (zip bombs) and checksum mismatches are refused with ``SkillpackError``. Contents are hashed in a
first pass that writes nothing, and written in a second pass that hashes again, so an archive that
changes underneath is caught too.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from skillpack.errors import ManifestError, SkillpackError, UsageError
from skillpack.manifest import AGENT_SKILLS_MANIFEST, NATIVE_MANIFEST
from skillpack.paths import relative_path_problem
from skillpack.skill import Skill

ARCHIVE_SUFFIX = ".skill"
CHECKSUMS_NAME = "SHA256SUMS"

#: Limits for one skill, packed or unpacked; a skill that needs more is not a skill.
MAX_FILES = 1000
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_CHECKSUMS_BYTES = 1024 * 1024

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_COMPRESS_LEVEL = 9
_CHUNK = 64 * 1024
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_FILE_TYPES = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
}


@dataclass(frozen=True, slots=True)
class SkillFile:
    """One file of a skill folder: its path relative to the folder (POSIX form) and where it is."""

    relative: str
    path: Path
    executable: bool


@dataclass(frozen=True, slots=True)
class PackResult:
    """What ``pack_skill`` wrote."""

    path: Path
    skill: Skill
    files: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Unpacked:
    """A skill unpacked from an archive into a staging folder."""

    folder: Path
    files: int
    verified: bool  # True when the archive carried SHA256SUMS and every file matched it


# -- reading a skill folder ------------------------------------------------------------------------


def skill_files(folder: Path) -> list[SkillFile]:
    """Return the files that make up the skill in ``folder``, sorted by relative path.

    Hidden files and folders (``.git``, ``.DS_Store``), ``__pycache__`` and compiled Python are left
    out. A symlink or any other non-regular file is refused: packing or installing it could carry
    files from outside the skill.
    """
    found: list[SkillFile] = []
    total = 0
    for directory, subdirs, files in os.walk(folder):
        here = Path(directory)
        kept = []
        for name in sorted(subdirs):
            if name.startswith(".") or name in _SKIPPED_DIRS:
                continue
            if (here / name).is_symlink():
                raise _not_regular(folder, here / name, "a symbolic link")
            kept.append(name)
        subdirs[:] = kept
        for name in sorted(files):
            if name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES):
                continue
            path = here / name
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                raise _not_regular(
                    folder, path, _FILE_TYPES.get(stat.S_IFMT(info.st_mode), "not a regular file")
                )
            total += info.st_size
            relative = path.relative_to(folder).as_posix()
            problem = relative_path_problem(relative)
            if problem is not None:
                # What unpacking refuses must be refused here, before it is packed or installed.
                raise SkillpackError(
                    f"{folder.name}/{relative!r}: the file name {problem}, which an archive cannot carry"
                    " — rename it"
                )
            found.append(SkillFile(relative, path, bool(info.st_mode & stat.S_IXUSR)))
            if len(found) > MAX_FILES:
                raise SkillpackError(
                    f"{folder}: holds more than {MAX_FILES:,} files — a skill keeps only what it needs;"
                    " move data elsewhere"
                )
            if total > MAX_TOTAL_BYTES:
                raise SkillpackError(
                    f"{folder}: files add up to over {MAX_TOTAL_BYTES:,} bytes (64 MiB) — a skill keeps only"
                    " what it needs; move large data elsewhere"
                )
    return sorted(found, key=lambda f: f.relative)


def _not_regular(folder: Path, path: Path, kind: str) -> SkillpackError:
    relative = path.relative_to(folder).as_posix()
    return SkillpackError(
        f"{folder.name}/{relative}: is {kind}, which a skill may not contain — replace it with a regular file"
        " (copy the content in) or remove it"
    )


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of one file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checksums_text(entries: Iterable[tuple[str, str]]) -> str:
    """Return ``sha256sum`` lines (``<hex>  <path>``) for ``(path, hex)`` pairs, sorted by path."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(entries))


def tree_checksum(folder: Path) -> str:
    """Return ``sha256:<hex>`` over the skill's files and contents (what ``skillpack.lock`` records).

    It is the SHA-256 of the folder's ``SHA256SUMS`` text with paths relative to the folder, so it
    depends on file names and bytes only, never on timestamps or permissions.
    """
    text = checksums_text((f.relative, file_sha256(f.path)) for f in skill_files(folder))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- packing ------------------------------------------------------------------------------------------


def load_strictly(folder: Path) -> Skill:
    """Load the skill in ``folder`` in strict mode; raise ``SkillpackError`` naming its first error."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder — give the folder that holds SKILL.md or skill.yaml")
    try:
        skill = Skill.load(folder, strict=True)
    except ManifestError as exc:
        raise SkillpackError(f"{exc} (the skill is invalid; fix it first)") from exc
    except OSError as exc:
        raise SkillpackError(f"{folder}: cannot be read: {exc.strerror or exc}") from exc
    errors = [p for p in skill.problems if p.severity == "error"]
    if errors:
        more = (
            f" (+{len(errors) - 1} more; validating {folder} strictly lists them all)"
            if len(errors) > 1
            else ""
        )
        raise SkillpackError(f"{errors[0]}{more}")
    return skill


def archive_name(skill: Skill) -> str:
    """Return ``NAME-VERSION.skill``; ``SkillpackError`` when the skill declares no version."""
    if not skill.version:
        raise SkillpackError(
            f"{skill.folder.name}/{skill.manifest_path.name}: $.version: a packed skill needs a version"
            " — add version: 1.0.0 to the manifest"
        )
    return f"{skill.name}-{skill.version}{ARCHIVE_SUFFIX}"


def pack_skill(folder: Path, *, out_dir: Path) -> PackResult:
    """Validate the skill in ``folder`` strictly and write ``out_dir/NAME-VERSION.skill``.

    The archive is written beside its final name and renamed into place, so a failure never leaves a
    half-written file. Packing the same files again gives the same bytes.
    """
    skill = load_strictly(folder)
    target = out_dir / archive_name(skill)
    files = skill_files(folder)
    digests = [(f"{skill.name}/{f.relative}", file_sha256(f.path)) for f in files]
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            _write(archive, CHECKSUMS_NAME, checksums_text(digests).encode("utf-8"), executable=False)
            for item in files:
                with open(item.path, "rb") as handle:
                    data = handle.read()
                _write(archive, f"{skill.name}/{item.relative}", data, executable=item.executable)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return PackResult(target, skill, len(files), file_sha256(target))


def _write(archive: zipfile.ZipFile, name: str, data: bytes, *, executable: bool) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.create_system = 3  # Unix, so that the permission bits below are read back
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=_COMPRESS_LEVEL)


# -- unpacking -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Member:
    info: zipfile.ZipInfo
    relative: str  # path inside the skill folder
    executable: bool


def unpack_archive(archive: Path, into: Path) -> Unpacked:
    """Check ``archive`` completely, then unpack its skill into the new folder ``into/<top folder>``.

    ``into`` must be an empty staging folder the caller removes on failure; nothing is written to it
    unless every check passes. Raises ``SkillpackError`` with the archive's name and the reason.
    """
    display = archive.name
    try:
        handle = zipfile.ZipFile(archive)
    except FileNotFoundError as exc:
        raise UsageError(f"{archive}: no such file") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise SkillpackError(
            f"{display}: not a readable zip archive ({exc}) — a .skill file is a zip archive"
        ) from exc
    with handle:
        top, members, expected = _plan(handle, display)
        # First pass: hash every member without writing anything.
        for member in members:
            digest = _read_member(handle, member, display, None)
            _check_digest(display, member, digest, expected)
        folder = into / top
        try:
            folder.mkdir()
            for member in members:
                target = folder.joinpath(*member.relative.split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as out:
                    digest = _read_member(handle, member, display, out)
                _check_digest(display, member, digest, expected)
                os.chmod(target, 0o755 if member.executable else 0o644)
        except OSError as exc:
            raise SkillpackError(f"{display}: cannot unpack into {into}: {exc.strerror or exc}") from exc
    return Unpacked(folder, len(members), expected is not None)


def _refuse(display: str, name: str, reason: str) -> SkillpackError:
    return SkillpackError(f"{display}: entry {name!r}: {reason} — refusing to unpack; nothing was written")


def _plan(handle: zipfile.ZipFile, display: str) -> tuple[str, list[_Member], dict[str, str] | None]:
    infos = handle.infolist()
    if len(infos) > MAX_FILES + 1:
        raise SkillpackError(
            f"{display}: holds {len(infos):,} entries; the limit is {MAX_FILES:,} files — refusing to unpack;"
            " nothing was written"
        )
    seen: dict[str, str] = {}
    total = 0
    files: list[zipfile.ZipInfo] = []
    checksums: zipfile.ZipInfo | None = None
    for info in infos:
        name = info.filename
        _check_name(display, name)
        folded = name.rstrip("/").casefold()
        if folded in seen:
            same = (
                "twice"
                if seen[folded] == name.rstrip("/")
                else f"twice (also as {seen[folded]!r}, differing only in case)"
            )
            raise _refuse(display, name, f"appears {same}")
        seen[folded] = name.rstrip("/")
        kind = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
        if kind in _FILE_TYPES:
            raise _refuse(display, name, f"is {_FILE_TYPES[kind]}, which a skill may not contain")
        if info.is_dir() or kind == stat.S_IFDIR:
            continue
        if info.flag_bits & 0x1:
            raise _refuse(display, name, "is encrypted")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise SkillpackError(
                f"{display}: unpacks to over {MAX_TOTAL_BYTES:,} bytes (64 MiB); a skill needs far less, so this"
                " looks like a zip bomb — refusing to unpack; nothing was written"
            )
        if name == CHECKSUMS_NAME:
            checksums = info
        else:
            files.append(info)
    top, members = _layout(display, files)
    paths = {info.filename for info in files}
    for info in files:
        parts = info.filename.split("/")
        for end in range(1, len(parts)):
            if "/".join(parts[:end]) in paths:
                raise _refuse(
                    display, info.filename, f"sits inside {'/'.join(parts[:end])!r}, which is a file"
                )
    expected = _read_checksums(handle, checksums, display) if checksums is not None else None
    if expected is not None:
        listed = {m.info.filename for m in members}
        missing = sorted(listed - expected.keys())
        extra = sorted(expected.keys() - listed)
        if missing:
            raise _refuse(display, missing[0], f"is not listed in {CHECKSUMS_NAME}")
        if extra:
            raise _refuse(display, extra[0], f"is listed in {CHECKSUMS_NAME} but missing from the archive")
    return top, members, expected


def _check_name(display: str, name: str) -> None:
    if not name or "\x00" in name:
        raise _refuse(display, name, "has an empty or NUL-containing name")
    problem = relative_path_problem(name[:-1] if name.endswith("/") else name)
    if problem is not None:
        raise _refuse(display, name, problem)


def _layout(display: str, files: list[zipfile.ZipInfo]) -> tuple[str, list[_Member]]:
    """Return the skill's folder name and its members, whether files sit under one top folder or not."""
    if not files:
        raise SkillpackError(f"{display}: the archive holds no files — it should hold one skill folder")
    names = [info.filename for info in files]
    at_root = {n for n in names if "/" not in n}
    if at_root & {AGENT_SKILLS_MANIFEST, NATIVE_MANIFEST}:
        # Some packagers put SKILL.md at the root; the folder is then named after the archive.
        return _stem_name(display), [_member(info, info.filename) for info in files]
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1 or at_root:
        shown = ", ".join(sorted(tops)[:3])
        raise SkillpackError(
            f"{display}: expected one skill folder at the top of the archive, found {shown} — pack one skill"
            " per archive (`skillpack pack SKILL_DIR`)"
        )
    top = tops.pop()
    return top, [_member(info, info.filename.split("/", 1)[1]) for info in files]


def _stem_name(display: str) -> str:
    stem = display[: -len(ARCHIVE_SUFFIX)] if display.endswith(ARCHIVE_SUFFIX) else Path(display).stem
    # NAME-VERSION.skill: a version starts with a digit after the last hyphen that precedes one.
    match = re.match(r"^(.*?)-\d+\.\d+\.\d+.*$", stem)
    return match.group(1) if match else stem


def _member(info: zipfile.ZipInfo, relative: str) -> _Member:
    mode = (info.external_attr >> 16) & 0o777 if info.create_system == 3 else 0
    return _Member(info, relative, bool(mode & stat.S_IXUSR))


def _read_checksums(handle: zipfile.ZipFile, info: zipfile.ZipInfo, display: str) -> dict[str, str]:
    if info.file_size > MAX_CHECKSUMS_BYTES:
        raise _refuse(display, info.filename, "is over 1 MiB")
    with handle.open(info) as stream:
        raw = stream.read(MAX_CHECKSUMS_BYTES + 1)
    if len(raw) > MAX_CHECKSUMS_BYTES:
        raise _refuse(display, info.filename, "is over 1 MiB")
    expected: dict[str, str] = {}
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if match is None:
            raise _refuse(display, info.filename, f"line {number} is not '<sha256>  <path>'")
        expected[match.group(2)] = match.group(1)
    return expected


def _read_member(handle: zipfile.ZipFile, member: _Member, display: str, out: BinaryIO | None) -> str:
    """Stream one member, hashing it and (when ``out`` is given) writing it; enforce the declared size."""
    digest = hashlib.sha256()
    size = 0
    limit = member.info.file_size
    try:
        with handle.open(member.info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise _refuse(
                        display, member.info.filename, "unpacks to more bytes than it declares (a zip bomb?)"
                    )
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise _refuse(display, member.info.filename, f"cannot be read ({exc})") from exc
    return digest.hexdigest()


def _check_digest(display: str, member: _Member, digest: str, expected: dict[str, str] | None) -> None:
    if expected is None:
        return
    key = member.info.filename
    if expected[key] != digest:
        raise _refuse(
            display,
            member.info.filename,
            f"its SHA-256 is {digest[:12]}…, but {CHECKSUMS_NAME} says {expected[key][:12]}… (corrupted or"
            " tampered with)",
        )
