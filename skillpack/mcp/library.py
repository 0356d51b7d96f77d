"""The library a server offers: its skills by name, and every skill file as a ``skill://NAME/PATH`` resource.

A skill's files are its ``SKILL.md`` (for a native skill, the one ``skillmd`` generates) and its
resources (``Skill.resources()``). Each has a MIME type, a size and a SHA-256 digest of its bytes, worked
out the first time they are asked for and kept until ``reload()``: the server watches nothing.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from skillpack.errors import SkillNotFoundError, SkillpackError, UsageError
from skillpack.manifest import AGENT_SKILLS_MANIFEST
from skillpack.mcp.skillmd import generated_skill_md
from skillpack.registry import SkillPack
from skillpack.skill import Skill

SCHEME = "skill://"
#: The longest skill name or resource path accepted from a client (longer ones name nothing here).
MAX_NAME_CHARS = 1024


class UnknownResourceError(UsageError):
    """A ``skill://`` URI names no file this server serves."""


@dataclass(frozen=True, slots=True)
class SkillFile:
    """One file of a skill as a resource: where it is, what it is, and a digest of its bytes."""

    uri: str
    skill: str
    path: str
    mime_type: str
    size: int
    sha256: str

    @property
    def digest(self) -> str:
        """The digest as the Skills extension writes it: ``sha256:<hex>``."""
        return f"sha256:{self.sha256}"


def skill_uri(name: str, path: str = AGENT_SKILLS_MANIFEST) -> str:
    """Return the URI of ``path`` in skill ``name``: ``skill://NAME/PATH``, each part percent-encoded."""
    return f"{SCHEME}{quote(name, safe='')}/{quote(path, safe='/')}"


def check_text(value: object, what: str) -> str:
    """Return ``value`` when it is a short string without control characters; ``UsageError`` otherwise."""
    if not isinstance(value, str) or not value:
        raise UsageError(f"{what} must be a non-empty string")
    if len(value) > MAX_NAME_CHARS:
        raise UsageError(f"{what} is over {MAX_NAME_CHARS} characters — no skill or file has such a name")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise UsageError(f"{what} {value!r} contains control characters — no skill or file has such a name")
    return value


def parse_uri(uri: str) -> tuple[str, str]:
    """Split ``skill://NAME/PATH`` into its name and path; ``UnknownResourceError`` for anything else."""
    if not uri.startswith(SCHEME) or "/" not in uri[len(SCHEME) :]:
        raise UnknownResourceError(f"{uri!r} is not a skill file URI — they look like skill://NAME/PATH")
    name, _, path = uri[len(SCHEME) :].partition("/")
    return check_text(unquote(name), "the skill name"), check_text(unquote(path), "the file path")


class Library:
    """The skills a server serves, loaded by ``load`` at start and again on ``reload()``."""

    def __init__(self, load: Callable[[], SkillPack]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._pack = load()
        self._files: dict[str, tuple[SkillFile, ...]] = {}
        self.generation = 1

    @property
    def pack(self) -> SkillPack:
        return self._pack

    def reload(self) -> SkillPack:
        """Read the library again (what ``reload_skills`` does); cached digests are dropped."""
        pack = self._load()
        with self._lock:
            self._pack = pack
            self._files = {}
            self.generation += 1
        return pack

    def get(self, name: object) -> Skill:
        """Return the skill called ``name``; ``SkillNotFoundError`` names close matches."""
        return self._pack.get(check_text(name, "the skill name"))

    def files(self, skill: Skill) -> tuple[SkillFile, ...]:
        """Return the skill's files, ``SKILL.md`` first; files that cannot be read safely are left out."""
        with self._lock:
            cached = self._files.get(skill.name)
        if cached is not None:
            return cached
        found: list[SkillFile] = []
        for path in (AGENT_SKILLS_MANIFEST, *skill.resources()):
            try:
                found.append(_describe(skill, path, self._bytes(skill, path)))
            except SkillpackError:
                continue  # unreadable, too large or outside the folder: not offered
        files = tuple(found)
        with self._lock:
            self._files[skill.name] = files
        return files

    def read(self, uri: str) -> tuple[SkillFile, bytes]:
        """Return the file at ``uri`` and its bytes; ``UnknownResourceError`` or ``SkillpackError`` otherwise."""
        name, path = parse_uri(uri)
        try:
            skill = self._pack.get(name)
        except SkillNotFoundError as exc:
            raise UnknownResourceError(f"{uri!r}: {exc}") from exc
        served = {file.path for file in self.files(skill)}
        if path not in served:
            raise UnknownResourceError(
                f"{uri!r}: skill {name!r} has no file {path!r}; it serves: {', '.join(sorted(served))}"
            )
        data = self._bytes(skill, path)
        return _describe(skill, path, data), data

    def _bytes(self, skill: Skill, path: str) -> bytes:
        if path == AGENT_SKILLS_MANIFEST and skill.form == "native":
            return generated_skill_md(skill)
        # The skill's own reader: inside its folder, no link out of it, a regular file, at most 1 MiB.
        return skill.read_file_bytes(path)


def mime_type(path: str, data: bytes) -> str:
    """Return the MIME type of a skill file: Markdown for ``.md``, else by extension, else by content."""
    if path.lower().endswith((".md", ".markdown")):
        return "text/markdown"
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed:
        return guessed
    return "application/octet-stream" if is_binary(data) else "text/plain"


def is_binary(data: bytes) -> bool:
    """Return True when ``data`` is not UTF-8 text (so it travels as a base64 blob)."""
    if b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _describe(skill: Skill, path: str, data: bytes) -> SkillFile:
    return SkillFile(
        uri=skill_uri(skill.name, path),
        skill=skill.name,
        path=path,
        mime_type=mime_type(path, data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
