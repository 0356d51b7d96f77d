"""Check a parsed manifest against ``schemas/skill.schema.json`` and the folder it sits in.

Each finding is a ``Problem`` with a JSON path and a fix. Schema errors come best match first
(``jsonschema.exceptions.best_match``). In lenient mode (the default when loading) everything except a
missing or unusable description is a warning; in strict mode (``skillpack validate --strict``) the
specification's rules are errors. Fields that real clients use but the specification lacks are always
reported as warnings and kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.bundled import load_schema
from skillpack.manifest import DEFAULT_INSTRUCTIONS, MAX_INSTRUCTIONS_BYTES, RawManifest
from skillpack.paths import is_regular_file, resolve_inside
from skillpack.problems import Problem
from skillpack.versions import RANGE_FIX, VERSION_FIX, parse_range, parse_version

if TYPE_CHECKING:
    # jsonschema is imported when the first manifest is validated: importing it reads and indexes
    # every bundled metaschema from disk, which `import skillpack` must not do.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

    from skillpack.registry import SkillPack

#: Fields that clients such as Claude Code read but neither the Agent Skills specification nor
#: skillpack defines. They are kept in ``Skill.extra`` and reported, never rejected.
CLIENT_FIELDS: dict[str, str] = {
    "disable-model-invocation": "Claude Code",
    "user-invocable": "Claude Code",
    "argument-hint": "Claude Code",
    "model": "Claude Code",
    "context": "Claude Code",
    "agent": "Claude Code",
    "hooks": "Claude Code",
    "paths": "Claude Code",
    "shell": "Claude Code",
}

_FIXES_BY_FIELD = {
    "name": "use 1-64 lowercase letters, digits and single hyphens, e.g. 'my-skill'",
    "description": "say what the skill does and when to use it",
    "version": VERSION_FIX,
    "requires": "write a skill name, optionally with a version range: 'semver-bump >=1.0,<2'",
}

_PLAIN_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")
#: Unicode categories a name must not hold at all: controls, format characters (bidi overrides,
#: zero-width), surrogates, line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_TYPE_NAMES = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
}


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema("skill"))


def known_fields() -> frozenset[str]:
    """Return the manifest fields the schema defines."""
    return frozenset(load_schema("skill")["properties"])


#: The longest message taken from a checker's text (jsonschema quotes the offending value in full).
MAX_MESSAGE_CHARS = 300


def validate_manifest(raw: RawManifest, *, strict: bool = False) -> list[Problem]:
    """Return every problem with ``raw``, best match first; ``fatal`` ones make a lenient load skip it.

    Whatever the manifest holds, this returns: a check that fails in an unforeseen way becomes one fatal
    problem for this skill (see ``_unchecked``), never an exception that would stop every other skill.
    """
    try:
        return _validate(raw, strict=strict)
    except Exception as exc:  # one bad skill must only ever cost itself
        return [_unchecked(raw, exc)]


def _validate(raw: RawManifest, *, strict: bool) -> list[Problem]:
    problems = list(content_problems(raw))
    if raw.checked is not None:
        # Stored checks prove nothing about where they came from (anyone can write the cache folder's
        # checksums): what decides whether the skill can be used at all is cheap, so it runs again.
        problems[:0] = [*_description_problems(raw), *_name_problems(raw)]
    name = raw.data.get("name")
    # An ill-formed name is reported by the schema; renaming the folder after it would be bad advice.
    # Nor is naming the skill after a folder whose own name is not a valid skill name.
    if isinstance(name, str) and is_skill_name(name) and name != raw.folder.name:
        folder = raw.folder.name
        also = f" or set name: {folder}" if is_skill_name(folder) else ""
        problems.append(
            Problem(
                raw.display,
                "$.name",
                f"{name!r} differs from the folder name {folder!r}",
                f"rename the folder to {name!r}{also}",
                code="name-mismatch",
            )
        )
    problems.extend(_file_problems(raw))
    problems.extend(raw.notes)
    ordered = _dedupe(problems)
    if strict:
        return ordered
    return [p if p.fatal or p.severity == "warning" else p.as_warning() for p in ordered]


def content_problems(raw: RawManifest) -> tuple[Problem, ...]:
    """Return the problems that depend on the manifest's bytes alone, before strictness is applied.

    These are what a ``ManifestStore`` keeps: ``raw.checked`` when it came from one. The rest of
    ``validate_manifest`` (the folder's name, the files the manifest points at) is checked every time.
    """
    if raw.checked is not None:
        return raw.checked
    try:
        return (
            *_description_problems(raw),
            *_name_problems(raw),
            *_schema_problems(raw),
            *_field_problems(raw),
            *_version_problems(raw),
            *_requirement_problems(raw),
        )
    except Exception as exc:  # one bad skill must only ever cost itself
        return (_unchecked(raw, exc),)


def _unchecked(raw: RawManifest, exc: Exception) -> Problem:
    """Return the fatal problem for a manifest that a check could not handle (a bug, said as one line)."""
    return Problem(
        raw.display,
        "$",
        f"cannot be checked ({type(exc).__name__}: {_bounded(str(exc))})",
        "simplify the manifest to plain text, lists and mappings; please report this to skillpack",
        code="unchecked",
        fatal=True,
    )


def cache_salt() -> str | None:
    """Return what stored manifest checks depend on besides the manifest, or None if it is unknowable.

    That is skillpack's version, the schema, and the size and modification time of the code that
    parses and checks, PyYAML's included (so an edited checkout never reuses checks made by older code).
    """
    import importlib.util

    from skillpack import __version__, versions
    from skillpack import manifest as manifest_module

    # PyYAML is pinned by its files rather than its version, which would mean importing it.
    yaml_spec = importlib.util.find_spec("yaml")
    schema = json.dumps(load_schema("skill"), sort_keys=True).encode("utf-8")
    parts = [__version__, hashlib.sha256(schema).hexdigest()]
    modules = (__file__, manifest_module.__file__, versions.__file__, yaml_spec.origin if yaml_spec else None)
    for module_file in modules:
        try:
            stat = os.stat(module_file or "")
        except OSError:
            return None
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def _description_problems(raw: RawManifest) -> list[Problem]:
    description = raw.data.get("description")
    if isinstance(description, str) and description.strip():
        return []
    if description is None:
        message = "missing required field 'description'"
    elif isinstance(description, str):
        message = "the description is empty"
    else:
        message = f"expected a string, got {_type_name(description)}"
    return [
        Problem(
            raw.display,
            "$.description",
            message,
            "add a description: what the skill does and when to use it (the skill is skipped until then)",
            code="no-description",
            fatal=True,
        )
    ]


def _name_problems(raw: RawManifest) -> list[Problem]:
    """Refuse a name holding a control character (``"abc\\n"``): it cannot be shown, typed or made a folder.

    Any other ill-formed name is only a warning when loading leniently (the schema check reports it).
    """
    name = raw.data.get("name")
    if not isinstance(name, str) or not any(unicodedata.category(ch) in _INVISIBLE for ch in name):
        return []
    return [
        Problem(
            raw.display,
            "$.name",
            f"{_short(name)} contains a control character (a line break, tab, escape or bidi override)",
            _FIXES_BY_FIELD["name"],
            code="name-control-character",
            fatal=True,
        )
    ]


def _schema_problems(raw: RawManifest) -> list[Problem]:
    errors = [
        error
        for error in _validator().iter_errors(raw.data)
        # Unknown top-level fields are reported by _field_problems, with client-field knowledge.
        if not (error.validator == "additionalProperties" and not error.absolute_path)
        and not (error.validator == "required" and "'description'" in error.message)
    ]
    if not errors:
        return []
    from jsonschema.exceptions import best_match, relevance

    best = best_match(errors)
    rest = sorted((e for e in errors if e is not best), key=relevance, reverse=True)
    return [_schema_problem(raw.display, error) for error in [best, *rest] if error is not None]


def _schema_problem(display: str, error: ValidationError) -> Problem:
    location = error.json_path
    field = str(error.absolute_path[0]) if error.absolute_path else ""
    instance: Any = error.instance
    kind = error.validator
    value = error.validator_value
    fix = _FIXES_BY_FIELD.get(field, "see the field's description in schemas/skill.schema.json")
    if kind == "maxLength":
        message, fix = f"{len(instance)} characters; the limit is {value}", "shorten it"
    elif kind == "minLength":
        message = "is empty"
    elif kind == "pattern":
        message = f"{instance!r} does not have the required form"
    elif kind == "type":
        wanted = _TYPE_NAMES.get(str(value), str(value))
        message, fix = f"expected {wanted}, got {_type_name(instance)}", f"write it as {wanted}"
        if wanted == "a string":
            fix = "quote it"
    elif kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        message, fix = f"missing required field {missing!r}", _FIXES_BY_FIELD.get(missing, f"add {missing}:")
        if missing == "name" and not error.absolute_path:
            # The specification wants the folder's name; the display is "<folder>/<manifest file>".
            fix = f"add name: {display.split('/')[0]}"
    elif kind == "uniqueItems":
        message, fix = "has duplicate entries", "remove the duplicates"
    elif kind == "oneOf":
        message = f"{_short(instance)} is not any of the accepted forms"
    else:
        message = _bounded(error.message)
    return Problem(display, location, message, fix, code=f"schema:{kind}")


def _field_problems(raw: RawManifest) -> list[Problem]:
    problems = []
    known = known_fields()
    for field in raw.data:
        if field in known:
            continue
        # The same JSON path spelling as jsonschema's ``json_path``: $.plain_key, $['other-key'].
        location = f"$.{field}" if _PLAIN_KEY.fullmatch(field) else f"$[{field!r}]"
        if field in CLIENT_FIELDS:
            problems.append(
                Problem(
                    raw.display,
                    location,
                    f"{field!r} is a {CLIENT_FIELDS[field]} field, not part of the Agent Skills"
                    " specification; kept, and not used by skillpack",
                    "nothing to do if the skill is meant for that client; otherwise remove it",
                    "warning",
                    code="client-field",
                )
            )
            continue
        import difflib

        close = difflib.get_close_matches(field, sorted(known), n=1)
        hint = f"did you mean {close[0]!r}? otherwise " if close else ""
        problems.append(
            Problem(
                raw.display,
                location,
                f"unknown field {field!r}",
                f"{hint}remove it, or move it under metadata: (string values only)",
                code="unknown-field",
            )
        )
    if raw.form == "agent-skills" and "instructions" in raw.data:
        problems.append(
            Problem(
                raw.display,
                "$.instructions",
                "ignored in SKILL.md: the Markdown body is the instructions",
                "remove the field, or use the native form (skill.yaml) to point at another file",
                "warning",
                code="ignored-field",
            )
        )
    return problems


def _version_problems(raw: RawManifest) -> list[Problem]:
    """Check ``version`` with the grammar routing and installing compare it by (``skillpack.versions``)."""
    version = raw.data.get("version")
    if not isinstance(version, str) or parse_version(version) is not None:
        return []  # a version that is not a string is reported by the schema check
    return [
        Problem(
            raw.display,
            "$.version",
            f"{_short(version)} is not a valid version",
            VERSION_FIX,
            code="bad-version",
        )
    ]


def is_skill_name(text: str) -> bool:
    """Return True when ``text`` is a well-formed skill name (the schema's pattern, for the whole string)."""
    return _name_pattern().fullmatch(text) is not None


@functools.cache
def _name_pattern() -> re.Pattern[str]:
    return re.compile(load_schema("skill")["properties"]["name"]["pattern"])


def split_requirement(text: str) -> tuple[str, str]:
    """Split the string form of a requirement, ``'semver-bump >=1.0,<2'``, into its name and version range."""
    head = text.strip()
    cut = next((i for i, ch in enumerate(head) if ch in "<>=!~ "), len(head))
    return head[:cut], head[cut:].strip()


@functools.cache
def _requirement_pattern() -> str:
    pattern: str = load_schema("skill")["properties"]["requires"]["items"]["oneOf"][0]["pattern"]
    return pattern


def _requirement_problems(raw: RawManifest) -> list[Problem]:
    """Check each ``requires`` version range as PEP 440 (what routing will use), not only its shape."""
    requires = raw.data.get("requires")
    if not isinstance(requires, list):
        return []
    problems = []
    for index, entry in enumerate(requires):
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            name, specifier, location = (
                entry.get("name"),
                entry["version"].strip(),
                f"$.requires[{index}].version",
            )
        elif isinstance(entry, str) and re.match(_requirement_pattern(), entry):
            # (A string the schema's pattern rejects is reported by the schema check already.)
            (name, specifier), location = split_requirement(entry), f"$.requires[{index}]"
        else:
            continue  # the schema reports entries of the wrong type
        if not specifier:
            continue
        if parse_range(specifier) is None:
            problems.append(
                Problem(
                    raw.display,
                    location,
                    f"{_short(specifier)} is not a valid version range",
                    f"{RANGE_FIX} (for {name if isinstance(name, str) else 'the skill'}), or leave it out",
                    code="bad-version-range",
                )
            )
    return problems


def _file_problems(raw: RawManifest) -> list[Problem]:
    problems: list[Problem] = []
    if raw.form == "native":
        target = raw.data.get("instructions", DEFAULT_INSTRUCTIONS)
        if isinstance(target, str):
            found = _referenced_file(raw, "$.instructions", target, fatal_outside=True)
            problems.extend(found)
            if not found:
                problems.extend(_body_size(raw, "$.instructions", os.path.join(raw.folder, target), 0))
    else:
        problems.extend(_body_size(raw, "body", raw.path, raw.body_offset or 0))
    resources = raw.data.get("resources")
    if isinstance(resources, list):
        for index, entry in enumerate(resources):
            if isinstance(entry, str):
                problems.extend(_referenced_file(raw, f"$.resources[{index}]", entry, fatal_outside=False))
    return problems


def _referenced_file(raw: RawManifest, location: str, relative: str, *, fatal_outside: bool) -> list[Problem]:
    outside = resolve_inside(raw.folder, relative) is None
    if outside:
        return [
            Problem(
                raw.display,
                location,
                f"{_short(relative)} points outside the skill folder",
                "keep every file the skill uses inside its folder"
                " (no '..', absolute paths or outward symlinks)",
                code="outside-folder",
                fatal=fatal_outside,
            )
        ]
    if os.path.isdir(os.path.join(raw.folder, relative)):
        return [
            Problem(
                raw.display,
                location,
                f"{_short(relative)} is a folder, not a file",
                f"point it at a file inside the folder, e.g. '{relative.rstrip('/')}/{DEFAULT_INSTRUCTIONS}'",
                code="not-a-file",
            )
        ]
    if not is_regular_file(os.path.join(raw.folder, relative)):
        return [
            Problem(
                raw.display,
                location,
                f"{_short(relative)} does not exist",
                f"create {_short(relative).strip(chr(39))} in the skill folder or fix the path",
                code="missing-file",
            )
        ]
    return []


def _body_size(raw: RawManifest, location: str, path: str | Path, offset: int) -> list[Problem]:
    try:
        size = os.stat(path).st_size - offset
    except OSError:
        return []
    if size <= MAX_INSTRUCTIONS_BYTES:
        return []
    return [
        Problem(
            raw.display,
            location,
            f"the instructions are {size:,} bytes; the limit is {MAX_INSTRUCTIONS_BYTES:,} (1 MiB), so they"
            " cannot be loaded",
            "move detail into resource files that are loaded on demand",
            code="instructions-too-large",
        )
    ]


def _type_name(value: Any) -> str:
    for python_type, name in ((bool, "true/false"), (str, "a string"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, python_type):
            return name
    if value is None:
        return "nothing (null)"
    if isinstance(value, (int, float)):
        return f"the number {_short(value)}"
    return type(value).__name__


def _short(value: Any) -> str:
    return _bounded(repr(value), 60)


def _bounded(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.location, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    # Fatal problems first: they are what decides whether the skill loads at all.
    return sorted(unique, key=lambda p: not p.fatal)


def validate_pack(pack: SkillPack, *, strict: bool = False) -> list[Problem]:
    """Return every problem of ``pack``'s skills, grouped by file in search-path order.

    That is the skills that could not be loaded, each loaded skill's manifest and resource problems,
    instructions that cannot be read (an error in ``strict`` mode, else a warning; loading never reads
    them), and a warning for each skill shadowed by an earlier one of the same name.
    """
    from skillpack.errors import SkillContentError

    by_file: dict[str, list[Problem]] = {}
    for problem in pack.problems:
        by_file.setdefault(problem.file, []).append(problem)
    for skill in pack:
        found = [*skill.problems, *skill.resource_problems()]
        if not any(p.location in ("$.instructions", "body") for p in skill.problems):
            try:
                skill.instructions()
            except SkillContentError as exc:
                unreadable = replace(
                    exc.problem,
                    fix=exc.problem.fix or "fix or replace the file",
                    code="unreadable-instructions",
                )
                found.append(unreadable if strict else unreadable.as_warning())
        for problem in found:
            by_file.setdefault(problem.file, []).append(problem)
    for shadow in pack.shadowed:
        note = Problem(
            f"{shadow.skill.folder.name}/{shadow.skill.manifest_path.name}",
            "$.name",
            f"{shadow.skill.name!r} is shadowed by {shadow.by.folder} (earlier on the search path)",
            "rename one of them if both are meant to be used",
            "warning",
            code="shadowed",
        )
        by_file.setdefault(note.file, []).append(note)
    return [problem for problems in by_file.values() for problem in problems]
