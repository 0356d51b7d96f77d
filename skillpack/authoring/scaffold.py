"""Write a new skill folder that passes ``skillpack validate --strict``.

Its text is placeholders for the author to replace: ``placeholder_fields`` and ``TEMPLATE_LINES`` say
which, so that ``skillpack lint`` can flag a scaffold left unedited without repeating its sentences.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

import yaml

from skillpack.errors import SkillpackError, UsageError
from skillpack.manifest import AGENT_SKILLS_MANIFEST, DEFAULT_INSTRUCTIONS, NATIVE_MANIFEST, RawManifest
from skillpack.paths import escapes_through_symlink
from skillpack.validation import content_problems

Form = Literal["native", "agent-skills"]

_INSTRUCTIONS = """\
# {title}

Replace this text with what the model must do when this skill is selected.

## Rules

1. State each rule so that a model can follow it without guessing.
2. Give exact formats, names and values; a model cannot know house rules it has not read.

## Example

Input: a typical request.
Output: exactly what a good answer looks like.

## Checklist

- [ ] Every rule above was applied.
"""


def template_text(line: str) -> str:
    """Return ``line`` without its indentation, list marker or checkbox, as ``TEMPLATE_LINES`` holds it."""
    return re.sub(r"^(?:\d+\.|[-*+](?: \[[ x]\])?)\s+", "", line.strip())


#: The template's own sentences (headings and list markers stripped): an instructions line that still
#: reads exactly so was not edited.
TEMPLATE_LINES: tuple[str, ...] = tuple(
    text for text in map(template_text, _INSTRUCTIONS.splitlines()) if text and not text.startswith("#")
)


def placeholder_fields(name: str) -> dict[str, str | list[str]]:
    """Return the placeholder values the native scaffold writes for skill ``name``, by field."""
    return {
        "description": f"TODO: say what {name} does and when to use it,"
        " e.g. 'Formats ... Use when the user asks to ...'.",
        "when_to_use": "TODO: the situations that call for this skill.",
        "when_not_to_use": "TODO: look-alike situations where another skill fits better.",
        "examples": [f"TODO: a task phrased the way a user would ask for {name}"],
        "counter_examples": ["TODO: a similar-sounding task that needs a different skill"],
    }


def create_skill(
    parent: Path,
    name: str,
    *,
    form: Form = "native",
    description: str | None = None,
    within: Path | None = None,
) -> Path:
    """Create ``parent/name`` holding a scaffold skill, all at once, and return its folder.

    The manifest is checked against the schema (as ``validate --strict`` checks it) before anything
    is written: an invalid ``name`` or ``description`` is a ``UsageError``. The folder is written
    beside its destination and renamed into place, so an interrupted call leaves nothing half-written.
    With ``within`` (the project), a ``parent`` inside it that leads out through a symlink is refused.

    The ``agent-skills`` form writes only the specification's fields (``name`` and ``description``):
    skillpack reads its own fields (``examples``, ``when_to_use``, ...) only at the top level, where other
    clients would not expect them, so they are left out rather than hidden under ``metadata``.
    """
    placeholders = placeholder_fields(name)
    manifest: dict[str, Any] = {"name": name, "description": description or placeholders["description"]}
    if form == "native":
        manifest.update(
            {
                "version": "0.1.0",
                "when_to_use": placeholders["when_to_use"],
                "when_not_to_use": placeholders["when_not_to_use"],
                "tags": ["todo"],
                "examples": placeholders["examples"],
                "counter_examples": placeholders["counter_examples"],
                "instructions": DEFAULT_INSTRUCTIONS,
            }
        )
    _check(manifest, name, form)
    target = parent / name
    if within is not None and escapes_through_symlink(target, within):
        raise SkillpackError(
            f"{parent}: leads outside {within} through a symbolic link (to {os.path.realpath(parent)}) —"
            " replace the link with a real folder, or give the real place as `parent`; nothing was written"
        )
    if target.exists():
        raise SkillpackError(f"{target} already exists — choose another name or remove it first")
    body = _INSTRUCTIONS.format(title=name.replace("-", " ").capitalize())
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=parent))
    except OSError as exc:
        raise SkillpackError(f"{parent}: cannot create the skill here: {exc.strerror or exc}") from exc
    try:
        if form == "native":
            (staging / NATIVE_MANIFEST).write_text(_dump(manifest), encoding="utf-8")
            (staging / DEFAULT_INSTRUCTIONS).write_text(body, encoding="utf-8")
        else:
            text = f"---\n{_dump(manifest)}---\n\n{body}"
            (staging / AGENT_SKILLS_MANIFEST).write_text(text, encoding="utf-8")
        os.chmod(staging, 0o755)
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise SkillpackError(f"{target}: cannot write the skill: {exc.strerror or exc}") from exc
    return target


def _check(manifest: dict[str, Any], name: str, form: Form) -> None:
    """Raise ``UsageError`` for the first schema error in ``manifest``, in terms of ``skillpack new``'s input."""
    file = NATIVE_MANIFEST if form == "native" else AGENT_SKILLS_MANIFEST
    raw = RawManifest(
        form=form,
        folder=Path(name),
        path=Path(name, file),
        display=f"{name}/{file}",
        data=manifest,
        sha256="",
        body_offset=None,
    )
    errors = [p for p in content_problems(raw) if p.severity == "error"]
    if not errors:
        return
    problem = errors[0]
    if problem.location == "$.name":
        detail = "" if problem.code == "schema:pattern" else f" ({problem.message})"
        raise UsageError(f"{name!r} is not a valid skill name{detail} — {problem.fix}")
    if problem.location == "$.description":
        raise UsageError(f"`description`: {problem.message} — {problem.fix}; nothing was written")
    raise UsageError(f"the scaffold's manifest is invalid: {problem}")  # only a schema change gets here


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
