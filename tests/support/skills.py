"""Writing skill folders for a test, and where the repository, its test data and the shared corpora are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
DATA = REPO / "tests" / "data"

#: Pass as a field value to leave that field out of the manifest (e.g. ``description=OMIT``).
OMIT: Any = object()

DEFAULT_BODY = "# Steps\n\n1. Do the thing.\n2. Check the thing.\n"

MakeSkill = Callable[..., Path]


def make_skill(
    root: Path,
    name: str,
    *,
    form: str = "native",
    body: str | bytes = DEFAULT_BODY,
    fields: dict[str, Any] | None = None,
    **named: Any,
) -> Path:
    """Write the skill folder ``root/name`` and return it.

    ``form`` is ``native`` (skill.yaml + instructions.md) or ``agent-skills`` (SKILL.md). The manifest
    holds ``name`` and a description unless overridden; ``named`` and ``fields`` (for keys that are
    not Python identifiers, such as ``allowed-tools``) add or replace fields, and ``OMIT`` drops one.
    """
    manifest: dict[str, Any] = {
        "name": name,
        "description": f"Does {name} things. Use when a task needs {name}.",
    }
    manifest.update(named)
    manifest.update(fields or {})
    manifest = {key: value for key, value in manifest.items() if value is not OMIT}
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    raw_body = body.encode("utf-8") if isinstance(body, str) else body
    if form == "native":
        (folder / "skill.yaml").write_text(text, encoding="utf-8")
        instructions = folder / str(manifest.get("instructions", "instructions.md"))
        instructions.parent.mkdir(parents=True, exist_ok=True)
        instructions.write_bytes(raw_body)
    elif form == "agent-skills":
        (folder / "SKILL.md").write_bytes(f"---\n{text}---\n\n".encode() + raw_body)
    else:
        raise ValueError(f"unknown form {form!r}")
    return folder
