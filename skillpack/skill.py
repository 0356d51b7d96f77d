"""The Skill value: manifest fields read eagerly, instructions and resources read only when asked for."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from skillpack.errors import ManifestError, SkillContentError
from skillpack.manifest import (
    DEFAULT_INSTRUCTIONS,
    MAX_INSTRUCTIONS_BYTES,
    Form,
    RawManifest,
    read_manifest,
)
from skillpack.paths import (
    LeavesFolderError,
    NotRegularFileError,
    is_regular_file,
    read_beneath,
    resolve_inside,
)
from skillpack.problems import Problem
from skillpack.validation import CLIENT_FIELDS, known_fields, split_requirement, validate_manifest

#: How many files a skill folder may expose as resources when it does not declare them.
MAX_DISCOVERED_RESOURCES = 1000


@dataclass(frozen=True, slots=True)
class Requirement:
    """Another skill this one needs: a name and an optional PEP 440 version range."""

    name: str
    specifier: str = ""

    def __str__(self) -> str:
        return f"{self.name} {self.specifier}".strip()


@dataclass(frozen=True, slots=True)
class Skill:
    """One skill: its manifest, where it lives, and lazy access to its instructions and resources.

    Listing skills builds these from manifests alone; ``instructions()`` reads the body the first time
    it is called (thread-safe, cached) and ``read_resource()`` reads one resource when asked.
    """

    name: str
    description: str
    folder: Path
    manifest_path: Path
    form: Form
    source: str
    manifest_sha256: str
    manifest: MappingProxyType[str, Any] = field(compare=False, repr=False)
    problems: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    body_offset: int | None = field(default=None, compare=False, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @classmethod
    def load(cls, folder: Path, *, source: str = "", strict: bool = False) -> Skill:
        """Read the skill in ``folder`` from its manifest alone.

        Raises ``ManifestError`` when the skill cannot be used (unparseable manifest, no description,
        instructions outside the folder); other problems are kept in ``problems``.
        """
        raw = read_manifest(folder)
        return cls.from_raw(raw, source=source, strict=strict)

    @classmethod
    def from_raw(cls, raw: RawManifest, *, source: str = "", strict: bool = False) -> Skill:
        """Build a Skill from a parsed manifest, validating it (see ``validate_manifest``)."""
        problems = tuple(validate_manifest(raw, strict=strict))
        fatal = [p for p in problems if p.fatal]
        if fatal:
            raise ManifestError(fatal[0])
        name = raw.data.get("name")
        if not isinstance(name, str) or not name:
            name = raw.folder.name
        return cls(
            name=name,
            description=str(raw.data["description"]).strip(),
            folder=raw.folder,
            manifest_path=raw.path,
            form=raw.form,
            source=source,
            manifest_sha256=raw.sha256,
            manifest=MappingProxyType(dict(raw.data)),
            problems=problems,
            body_offset=raw.body_offset,
        )

    # -- manifest fields -------------------------------------------------------------------------

    def _text(self, key: str) -> str:
        value = self.manifest.get(key)
        return value.strip() if isinstance(value, str) else ""

    def _strings(self, key: str) -> tuple[str, ...]:
        value = self.manifest.get(key)
        if not isinstance(value, list):
            return ()
        return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())

    @property
    def version(self) -> str:
        """The skill's semantic version, or "" when it declares none."""
        return self._text("version")

    @property
    def license(self) -> str:
        return self._text("license")

    @property
    def when_to_use(self) -> str:
        return self._text("when_to_use")

    @property
    def when_not_to_use(self) -> str:
        return self._text("when_not_to_use")

    @property
    def tags(self) -> tuple[str, ...]:
        return self._strings("tags")

    @property
    def examples(self) -> tuple[str, ...]:
        return self._strings("examples")

    @property
    def counter_examples(self) -> tuple[str, ...]:
        return self._strings("counter_examples")

    @property
    def requires(self) -> tuple[Requirement, ...]:
        """The skills this one needs, parsed from ``requires``."""
        value = self.manifest.get("requires")
        if not isinstance(value, list):
            return ()
        found = []
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                found.append(Requirement(item["name"], str(item.get("version", "")).strip()))
            elif isinstance(item, str) and item.strip():
                found.append(Requirement(*split_requirement(item)))
        return tuple(found)

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the schema does not define (client fields such as ``disable-model-invocation``), kept."""
        known = known_fields()
        return {key: value for key, value in self.manifest.items() if key not in known}

    @property
    def client_fields(self) -> dict[str, Any]:
        """The subset of ``extra`` that real clients are known to use."""
        return {key: value for key, value in self.manifest.items() if key in CLIENT_FIELDS}

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    # -- instructions ----------------------------------------------------------------------------

    @property
    def instructions_path(self) -> Path:
        """The file holding the instructions: ``SKILL.md`` itself, or the native form's instructions file."""
        if self.form == "agent-skills":
            return self.manifest_path
        target = self.manifest.get("instructions", DEFAULT_INSTRUCTIONS)
        # A non-string value (``instructions: [a]``) names no file; reading the instructions says so.
        return self.folder / (target if isinstance(target, str) else DEFAULT_INSTRUCTIONS)

    def instructions(self) -> str:
        """Return the instructions (Markdown), reading them on first use.

        Raises ``SkillContentError`` when they are missing, over 1 MiB, binary or not UTF-8.
        """
        cached = self._cache.get("instructions")
        if cached is not None:
            return str(cached)
        with self._lock:
            if "instructions" not in self._cache:
                self._cache["instructions"] = self._read_instructions()
            return str(self._cache["instructions"])

    def _read_instructions(self) -> str:
        display = f"{self.folder.name}/{self.instructions_path.name}"
        if self.form == "native":
            relative = self.manifest.get("instructions", DEFAULT_INSTRUCTIONS)
            if not isinstance(relative, str):
                raise SkillContentError(
                    Problem(
                        f"{self.folder.name}/{self.manifest_path.name}",
                        "$.instructions",
                        f"expected a string, got {type(relative).__name__}",
                        f"write the file's name, e.g. instructions: {DEFAULT_INSTRUCTIONS}",
                    )
                )
            if resolve_inside(self.folder, relative) is None:
                raise _unreadable(display, "instructions point outside the skill folder; refusing to read")
            offset = 0
        else:
            relative, offset = self.manifest_path.name, self.body_offset or 0
        raw = _read_limited(self.folder, relative, display, offset, what="instructions")
        return raw.strip("\n") + "\n" if raw.strip() else ""

    # -- resources -------------------------------------------------------------------------------

    def resources(self) -> tuple[str, ...]:
        """Return the skill's resource files, relative to its folder, sorted.

        Declared ``resources`` win; otherwise every regular file in the folder except the manifest and
        instructions is a resource (the Agent Skills layout: references/, assets/, scripts/ ...).
        Anything that resolves outside the folder is left out.
        """
        cached = self._cache.get("resources")
        if cached is not None:
            return tuple(cached)
        declared = self._strings("resources") if "resources" in self.manifest else None
        if declared is not None:
            found = tuple(sorted(r for r in declared if _is_inside_file(self.folder, r)))
            left_out: tuple[str, ...] = ()
        else:
            discovered, outside = self._discover_resources()
            found, left_out = tuple(discovered), tuple(outside)
        with self._lock:
            self._cache["resources"] = found
            self._cache["outside"] = left_out
        return found

    def resource_problems(self) -> tuple[Problem, ...]:
        """Return a warning for each file of the folder left out of ``resources()``: it leads outside.

        Declared resources that do are already in ``problems`` (the manifest names them); undeclared ones
        are found by walking the folder, which only ``resources()`` does, so this walks it too when it
        has not yet (listing skills never calls either).
        """
        self.resources()
        return tuple(
            Problem(
                f"{self.folder.name}/{relative}",
                "file",
                "a symlink that leads outside the skill folder (or loops); not offered as a resource",
                "remove the link, or copy the file it points to into the skill folder",
                "warning",
                code="outside-folder",
            )
            for relative in self._cache.get("outside", ())
        )

    def _discover_resources(self) -> tuple[list[str], list[str]]:
        """Return the folder's resource files, and the files left out because they resolve outside it."""
        root = self.folder
        skip = {
            resolve_inside(root, os.path.relpath(p, root))
            for p in (self.manifest_path, self.instructions_path)
        }
        found: list[str] = []
        outside: list[str] = []
        for directory, subdirs, files in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d != "__pycache__")
            for file_name in sorted(files):
                if file_name.startswith("."):
                    continue
                relative = os.path.relpath(os.path.join(directory, file_name), root)
                target = resolve_inside(root, relative)
                if target is None:
                    outside.append(Path(relative).as_posix())
                    continue
                if target in skip or not is_regular_file(target):
                    continue
                found.append(Path(relative).as_posix())
                if len(found) >= MAX_DISCOVERED_RESOURCES:
                    return found, outside
        return found, outside

    def resource_path(self, relative: str) -> Path:
        """Return the absolute path of one resource, refusing anything outside the skill folder."""
        target = resolve_inside(self.folder, relative)
        if target is None:
            raise _unreadable(
                self.name, f"resource {relative!r} points outside the skill folder; refusing to read it"
            )
        if not is_regular_file(target):
            raise _unreadable(
                self.name, f"no resource {relative!r}; available: {', '.join(self.resources()) or 'none'}"
            )
        return target

    def read_resource(self, relative: str) -> str:
        """Return one resource's text (UTF-8, at most 1 MiB).

        The file is opened relative to the skill folder without following any link out of it, so a
        folder swapped for a symlink between the check and the read cannot hand back an outside file.
        """
        self.resource_path(relative)  # the clear message for a missing or outside resource
        return _read_limited(self.folder, relative, f"{self.name}/{relative}", 0, what="resource")

    def read_file_bytes(self, relative: str) -> bytes:
        """Return the raw bytes (at most 1 MiB) of any file of the skill, its manifest included.

        Opened like ``read_resource``, relative to the skill folder without following a link out of
        it, but neither decoded nor checked for text: a server hands the exact bytes to its client.
        """
        if relative != self.manifest_path.name:
            self.resource_path(relative)
        return _read_raw(self.folder, relative, f"{self.name}/{relative}", 0, what="skill")


def _unreadable(file: str, message: str, fix: str = "") -> SkillContentError:
    """Return the error for a file of the skill that cannot be read safely (``fix`` empty: none to give)."""
    return SkillContentError(Problem(file, "file", message, fix, code="unreadable"))


def _is_inside_file(folder: Path, relative: str) -> bool:
    target = resolve_inside(folder, relative)
    return target is not None and is_regular_file(target)


def _read_raw(folder: Path, relative: str, display: str, offset: int, *, what: str) -> bytes:
    limit = MAX_INSTRUCTIONS_BYTES
    try:
        raw = read_beneath(folder, relative, offset=offset, limit=limit)
    except LeavesFolderError as exc:
        raise _unreadable(
            display,
            f"the {what} file leads outside the skill folder (a symbolic link?); refusing to read it",
            "copy the file into the skill folder",
        ) from exc
    except NotRegularFileError as exc:
        raise _unreadable(
            display,
            f"the {what} file is not a regular file (a pipe or device?)",
            "replace it with a UTF-8 text file",
        ) from exc
    except OSError as exc:
        raise _unreadable(
            display,
            f"the {what} file cannot be read: {exc.strerror or exc}",
            "check that it exists and is readable",
        ) from exc
    if len(raw) > limit:
        raise _unreadable(
            display, f"the {what} file is over {limit:,} bytes (1 MiB)", "split it into resource files"
        )
    return raw


def _read_limited(folder: Path, relative: str, display: str, offset: int, *, what: str) -> str:
    raw = _read_raw(folder, relative, display, offset, what=what)
    if b"\x00" in raw:
        raise _unreadable(display, f"the {what} file holds binary data (a NUL byte)", "it must be UTF-8 text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _unreadable(
            display,
            f"the {what} file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start + offset})",
            "save the file as UTF-8",
        ) from exc
