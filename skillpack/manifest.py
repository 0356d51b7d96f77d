"""Read a skill's manifest: native ``skill.yaml`` or the YAML front matter of an Agent Skills ``SKILL.md``.

Reading is defensive: sizes are capped before anything is parsed, YAML goes only through a safe loader
that also refuses aliases (no "billion laughs") and duplicate keys, and every failure becomes a
``ManifestError`` carrying one ``Problem`` line. Only the manifest is read here; a ``SKILL.md`` body is
located (its byte offset) but not read, so listing skills stays cheap (progressive disclosure).
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from skillpack.errors import ManifestError
from skillpack.paths import LeavesFolderError, open_beneath
from skillpack.problems import Problem

if TYPE_CHECKING:
    import yaml

    from skillpack.cache import ManifestStore

Form = Literal["native", "agent-skills"]

NATIVE_MANIFEST = "skill.yaml"
AGENT_SKILLS_MANIFEST = "SKILL.md"
DEFAULT_INSTRUCTIONS = "instructions.md"

MAX_MANIFEST_BYTES = 64 * 1024
MAX_INSTRUCTIONS_BYTES = 1024 * 1024
#: The widest integer a manifest may hold. Wider ones (``0xfff…``, 5,000 digits long) only ever break
#: whatever formats them: Python refuses to print an integer of more than 4,300 decimal digits.
MAX_INTEGER_BITS = 64

_FENCE = b"---"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class RawManifest:
    """A parsed manifest, before validation: where it came from and what it says."""

    form: Form
    folder: Path
    path: Path
    display: str
    data: dict[str, Any]
    sha256: str
    body_offset: int | None
    notes: tuple[Problem, ...] = ()
    #: The problems found in the manifest's content alone, when already known (from a ManifestStore).
    checked: tuple[Problem, ...] | None = None

    @property
    def cache_key(self) -> str:
        """What parsing and content checks depend on: the bytes' hash, the form and the display name."""
        return f"{self.sha256}:{self.form}:{self.display}"


class _YamlRefusal(Exception):
    def __init__(self, message: str, fix: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.mark = mark


@functools.cache
def _loader() -> type:
    """Return the loader class: safe, refusing aliases and duplicate keys, keeping timestamps as text.

    It scans and parses in C when PyYAML has libyaml. Only the scanner and parser (where nearly all
    the time goes) come from C; composing nodes and constructing values stay PyYAML's Python code, so
    the hooks below see every alias event before any node graph exists, and deep nesting ends in a
    ``RecursionError`` (or libyaml's own nesting limit), never in a C stack overflow. Without libyaml
    the base is PyYAML's ``SafeLoader``. Built on first use: listing skills whose manifests are in
    the cache never imports PyYAML.
    """
    import yaml
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    base: type = yaml.SafeLoader
    try:
        from yaml._yaml import CParser
    except ImportError:
        pass
    else:

        class CSafeComposingLoader(Composer, CParser, SafeConstructor, Resolver):
            def __init__(self, stream: str) -> None:
                CParser.__init__(self, stream)
                Composer.__init__(self)
                SafeConstructor.__init__(self)
                Resolver.__init__(self)

        base = CSafeComposingLoader

    class ManifestLoader(base):  # type: ignore[misc]
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise _YamlRefusal(
                    "YAML aliases (*name) are not allowed in a manifest",
                    "write the value out in full instead of referring to an anchor",
                    event.start_mark,
                )
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            """Construct a mapping whose keys are all strings, as in JSON, refusing duplicates.

            ``{a: 1, 2: 3}`` becomes ``{"a": 1, "2": 3}``: keys of mixed types cannot even be sorted,
            which broke every command that reported on the skill; the schema then judges the values.
            """
            seen: dict[object, yaml.Mark] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise _duplicate(
                            f"{key_node.value!r} (first at line {seen[key].line + 1})", key_node.start_mark
                        )
                    seen[key] = key_node.start_mark
            mapping = super().construct_mapping(node, deep=deep)
            if all(type(key) is str for key in mapping):
                return mapping
            texts: dict[str, Any] = {}
            for key, value in mapping.items():
                text = key if type(key) is str else str(key)
                if text in texts:  # 1 and '1': the same key once both are text
                    raise _duplicate(f"{text!r}, written two ways (such as 1 and '1')", node.start_mark)
                texts[text] = value
            return texts

    ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
    ManifestLoader.add_constructor("tag:yaml.org,2002:int", _bounded_integer)
    return ManifestLoader


def _duplicate(what: str, mark: yaml.Mark) -> _YamlRefusal:
    return _YamlRefusal(f"duplicate key {what}", "keep one of them", mark)


def _bounded_integer(loader: Any, node: yaml.ScalarNode) -> int:
    """Construct a YAML integer, refusing one wider than ``MAX_INTEGER_BITS`` (see there)."""
    from yaml.constructor import SafeConstructor

    try:
        value: int = SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:  # over 4,300 decimal digits: Python refuses to convert it
        value = 1 << MAX_INTEGER_BITS
    if value.bit_length() > MAX_INTEGER_BITS:
        raise _YamlRefusal(
            f"a number wider than {MAX_INTEGER_BITS} bits",
            'quote it if it is text (version: "1.0.0"), or use a smaller number',
            node.start_mark,
        )
    return value


def _timestamp_as_text(loader: Any, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)


def manifest_path(folder: Path) -> tuple[Path, Form, tuple[Problem, ...]]:
    """Return the manifest file of a skill folder, its form, and a note when both forms are present.

    Raises ``ManifestError`` when the folder holds neither ``skill.yaml`` nor ``SKILL.md``, and
    ``OSError`` when the folder cannot be listed.
    """
    native = folder / NATIVE_MANIFEST
    standard = folder / AGENT_SKILLS_MANIFEST
    names = set(os.listdir(folder))  # raises OSError for an unreadable folder, which callers report
    has_native = NATIVE_MANIFEST in names and native.is_file()
    has_standard = AGENT_SKILLS_MANIFEST in names and standard.is_file()
    if has_native and has_standard:
        note = Problem(
            f"{folder.name}/{AGENT_SKILLS_MANIFEST}",
            "$",
            f"both {NATIVE_MANIFEST} and {AGENT_SKILLS_MANIFEST} are present; {NATIVE_MANIFEST} is used",
            f"remove one of them, or run `skillpack show {folder.name}` to see what is read",
            "warning",
            code="two-manifests",
        )
        return native, "native", (note,)
    if has_native:
        return native, "native", ()
    if has_standard:
        return standard, "agent-skills", ()
    for present in (n for n in (NATIVE_MANIFEST, AGENT_SKILLS_MANIFEST) if is_manifest_entry(folder / n)):
        # A pipe, socket, device or broken symlink by that name: "no manifest" would mislead, and reading a
        # pipe would block. (A folder by that name is simply not a manifest.)
        raise ManifestError(
            Problem(
                f"{folder.name}/{present}",
                "file",
                f"the manifest is a {_kind(folder / present)}, not a regular file",
                f"replace {present} with a UTF-8 text file",
                code="not-a-file",
                fatal=True,
            )
        )
    raise ManifestError(
        Problem(
            f"{folder.name}/",
            "folder",
            f"no {AGENT_SKILLS_MANIFEST} or {NATIVE_MANIFEST} in this folder",
            f"add one (`skillpack new {folder.name}` writes a scaffold),"
            " or move the folder out of the skill path",
            code="no-manifest",
            fatal=True,
        )
    )


def is_manifest_entry(path: Path) -> bool:
    """Return True when something other than a folder exists at ``path`` (a file, pipe, broken symlink ...)."""
    return os.path.lexists(path) and not os.path.isdir(path)


def _kind(path: Path) -> str:
    """Name what ``path`` is when it is not a regular file: "named pipe (FIFO)", "folder", ..."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "broken symlink or an unreadable entry"
    for test, name in (
        (stat.S_ISFIFO, "named pipe (FIFO)"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
    ):
        if test(mode):
            return name
    return "special file"


def read_manifest(folder: Path, *, store: ManifestStore | None = None) -> RawManifest:
    """Read and parse the manifest of the skill in ``folder`` without reading its instructions.

    With a ``store``, a manifest whose bytes were parsed before is not parsed again: the stored data
    and content problems for the same SHA-256 are used (``checked`` is then set).
    Raises ``ManifestError`` (with a fatal ``Problem``) when the manifest cannot be used at all.
    """
    path, form, notes = manifest_path(folder)
    display = f"{folder.name}/{path.name}"
    if form == "native":
        raw, line_offset, body_offset = _read_capped(path, display, MAX_MANIFEST_BYTES), 0, None
    else:
        (raw, body_offset), line_offset = _read_front_matter(path, display), 1
    sha256 = hashlib.sha256(raw).hexdigest()
    found = store.get(f"{sha256}:{form}:{display}") if store is not None else None
    if found is not None:
        # Only bytes that decoded and parsed cleanly are ever stored, so these need no second look.
        data, checked = found
    else:
        data, checked = _parse_yaml(_decode(raw, display), display, line_offset), None
    return RawManifest(
        form=form,
        folder=folder,
        path=path,
        display=display,
        data=data,
        sha256=sha256,
        body_offset=body_offset,
        notes=notes,
        checked=checked,
    )


def _fatal(display: str, location: str, message: str, fix: str, code: str) -> ManifestError:
    return ManifestError(Problem(display, location, message, fix, code=code, fatal=True))


def _open_manifest(path: Path, display: str) -> BinaryIO:
    """Open the manifest relative to its folder, refusing a symlink that leads out of the skill folder."""
    try:
        # open() with an opener rather than os.fdopen, so that the file object is the usual one.
        return open(path, "rb", opener=lambda _name, _flags: open_beneath(path.parent, path.name))
    except LeavesFolderError as exc:
        raise _fatal(
            display,
            "file",
            "the manifest is a symbolic link that leads outside the skill folder; refusing to read it",
            "replace the link with a copy of the file it points to",
            "outside-folder",
        ) from exc
    except OSError as exc:
        raise _open_error(display, exc) from exc


def _open_error(display: str, exc: OSError) -> ManifestError:
    reason = exc.strerror or type(exc).__name__
    return _fatal(
        display,
        "file",
        f"cannot be read: {reason}",
        "check that the file exists and is readable",
        "unreadable",
    )


def _read_capped(path: Path, display: str, limit: int) -> bytes:
    with _open_manifest(path, display) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise _open_error(display, exc) from exc
    if len(data) > limit:
        size = _size(path)
        raise _fatal(
            display,
            "file",
            f"manifest is {size:,} bytes; the limit is {limit:,} (64 KiB)",
            "move long text into the instructions or a resource file",
            "too-large",
        )
    return data


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _read_front_matter(path: Path, display: str) -> tuple[bytes, int]:
    """Return the front matter bytes of a SKILL.md and the byte offset where its body starts.

    The file is split line by line: only a line that is exactly ``---`` closes the front matter, so a
    ``---`` inside a value (``description: a---b``) cannot cut it short.
    """
    with _open_manifest(path, display) as handle:
        first = handle.readline(MAX_MANIFEST_BYTES)
        if first.startswith(_BOM):
            first = first[len(_BOM) :]
        if first.rstrip() != _FENCE:
            _check_text(first, display)
            raise _fatal(
                display,
                "line 1",
                "no YAML front matter: the file must start with a line '---'",
                "add front matter: a line '---', then name: and description:, then a closing line '---'",
                "no-front-matter",
            )
        lines: list[bytes] = []
        total = 0
        while True:
            line = handle.readline(MAX_MANIFEST_BYTES - total + 1)
            if not line:
                raise _fatal(
                    display,
                    f"line {len(lines) + 2}",
                    "unterminated front matter: no closing '---' line before the end of the file",
                    "add a line '---' after the last manifest field",
                    "unterminated-front-matter",
                )
            if line.rstrip() == _FENCE:
                return b"".join(lines), handle.tell()
            total += len(line)
            if total > MAX_MANIFEST_BYTES:
                raise _fatal(
                    display,
                    "front matter",
                    f"front matter is over {MAX_MANIFEST_BYTES:,} bytes (64 KiB),"
                    " or has no closing '---' line",
                    "close the front matter with a line '---' and move long text into the body",
                    "too-large",
                )
            lines.append(line)


def _check_text(raw: bytes, display: str) -> None:
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _fatal(
            display,
            f"byte {nul}",
            "binary data (a NUL byte), not text",
            "a manifest must be UTF-8 text; replace the file",
            "binary",
        )


def _decode(raw: bytes, display: str) -> str:
    _check_text(raw, display)
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fatal(
            display,
            f"line {line}",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8",
            "not-utf8",
        ) from exc


def _parse_yaml(text: str, display: str, line_offset: int) -> dict[str, Any]:
    def where(mark: yaml.Mark | None) -> str:
        if mark is None:
            return "yaml"
        return f"line {mark.line + 1 + line_offset}, column {mark.column + 1}"

    import yaml

    try:
        data = yaml.load(text, Loader=_loader())  # a SafeLoader, see _loader
    except _YamlRefusal as exc:
        raise _fatal(display, where(exc.mark), exc.message, exc.fix, "yaml") from exc
    except yaml.MarkedYAMLError as exc:
        reason = exc.problem or exc.context or "invalid YAML"
        fix = "fix the YAML there; quote values that contain ': ' or start with a special character"
        if "nesting depth" in reason:  # libyaml's limit of 1,000 nested flow collections
            fix = "nest lists and mappings less deeply"
        raise _fatal(display, where(exc.problem_mark), f"YAML syntax error: {reason}", fix, "yaml") from exc
    except (yaml.YAMLError, RecursionError) as exc:
        raise _fatal(display, "yaml", f"YAML error: {exc}", "fix the YAML syntax", "yaml") from exc
    except (ValueError, OverflowError) as exc:
        # A value the constructors cannot build, e.g. an integer of more than 4,300 digits.
        raise _fatal(display, "yaml", f"a value cannot be read: {exc}", "quote the value", "yaml") from exc
    if data is None:
        raise _fatal(
            display, "$", "the manifest is empty", "add at least name: and description:", "not-a-mapping"
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
        raise _fatal(
            display,
            "$",
            f"the manifest is {kind}, not a mapping",
            "write it as key: value pairs, starting with name: and description:",
            "not-a-mapping",
        )
    return data  # every key is a string (see the loader's construct_mapping)
