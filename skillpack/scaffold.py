"""Write a new skill folder that passes ``skillpack validate --strict``."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import yaml

from skillpack.errors import SkillpackError, UsageError
from skillpack.manifest import AGENT_SKILLS_MANIFEST, DEFAULT_INSTRUCTIONS, NATIVE_MANIFEST

NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

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


def create_skill(
    parent: Path,
    name: str,
    *,
    form: Literal["native", "agent-skills"] = "native",
    description: str | None = None,
) -> Path:
    """Create ``parent/name`` holding a scaffold skill, all at once, and return its folder.

    The folder is written beside its destination and renamed into place, so an interrupted call
    leaves nothing half-written.
    """
    if not NAME_PATTERN.match(name) or len(name) > 64:
        raise UsageError(
            f"{name!r} is not a valid skill name — use 1-64 lowercase letters, digits and single hyphens,"
            " e.g. 'release-notes'"
        )
    target = parent / name
    if target.exists():
        raise SkillpackError(f"{target} already exists — choose another name or remove it first")
    manifest: dict[str, object] = {
        "name": name,
        "description": description
        or f"TODO: say what {name} does and when to use it,"
        " e.g. 'Formats ... Use when the user asks to ...'.",
        "version": "0.1.0",
        "when_to_use": "TODO: the situations that call for this skill.",
        "when_not_to_use": "TODO: look-alike situations where another skill fits better.",
        "tags": ["todo"],
        "examples": [f"TODO: a task phrased the way a user would ask for {name}"],
        "counter_examples": ["TODO: a similar-sounding task that needs a different skill"],
    }
    body = _INSTRUCTIONS.format(title=name.replace("-", " ").capitalize())
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=parent))
    except OSError as exc:
        raise SkillpackError(f"{parent}: cannot create the skill here: {exc.strerror or exc}") from None
    try:
        if form == "native":
            manifest["instructions"] = DEFAULT_INSTRUCTIONS
            (staging / NATIVE_MANIFEST).write_text(_dump(manifest), encoding="utf-8")
            (staging / DEFAULT_INSTRUCTIONS).write_text(body, encoding="utf-8")
        else:
            text = f"---\n{_dump(manifest)}---\n\n{body}"
            (staging / AGENT_SKILLS_MANIFEST).write_text(text, encoding="utf-8")
        os.chmod(staging, 0o755)
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise SkillpackError(f"{target}: cannot write the skill: {exc.strerror or exc}") from None
    return target


def _dump(data: dict[str, object]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
