"""Where the bundled skill library and the JSON Schemas live, installed or in a source checkout."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from skillpack.errors import SkillpackError

_PACKAGE = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    # A wheel carries the folders inside the package (see pyproject's force-include); a source
    # checkout or an editable install has them at the repository's top level.
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise SkillpackError(f"skillpack's {name}/ folder is missing from {_PACKAGE} — reinstall skillpack")


def skills_dir() -> Path:
    """Return the folder of the skills bundled with skillpack."""
    return _locate("skills")


def schemas_dir() -> Path:
    """Return the folder of skillpack's JSON Schemas."""
    return _locate("schemas")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed JSON Schema ``schemas/NAME.schema.json``."""
    with open(schemas_dir() / f"{name}.schema.json", encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema
