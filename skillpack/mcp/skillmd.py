"""Give every skill an Agent Skills ``SKILL.md``: its own file, or one generated from a native ``skill.yaml``.

Hosts that speak MCP's Skills extension (SEP-2640) expect each skill as a ``SKILL.md`` with YAML front
matter. A native skill gets one generated from its manifest and instructions; the bytes depend on nothing
but those two, so the digest a host records stays valid from one server run to the next.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from skillpack.skill import Skill
from skillpack.validation import CLIENT_FIELDS

#: Fields of the Agent Skills specification a generated SKILL.md carries over, in this order.
SPEC_FIELDS = ("name", "description", "license", "compatibility", "allowed-tools")


def frontmatter(skill: Skill) -> dict[str, Any]:
    """Return the skill's ``SKILL.md`` front matter as JSON values.

    An Agent Skills skill gives its own front matter whole. A native skill gives the specification's
    fields, the client fields hosts act on (``argument-hint``, ``user-invocable`` …), and its ``version``
    under ``metadata``; skillpack's routing fields (``when_to_use``, ``examples`` …) stay out, since
    only skillpack's router reads them.
    """
    if skill.form == "agent-skills":
        return _jsonable(dict(skill.manifest))
    data: dict[str, Any] = {"name": skill.name, "description": skill.description}
    for key in (*SPEC_FIELDS[2:], *CLIENT_FIELDS):
        if key in skill.manifest:
            data[key] = skill.manifest[key]
    metadata = skill.manifest.get("metadata")
    merged = dict(metadata) if isinstance(metadata, dict) else {}
    if skill.version and "version" not in merged:
        merged["version"] = skill.version
    if merged:
        data["metadata"] = merged
    return _jsonable(data)


def generated_skill_md(skill: Skill) -> bytes:
    """Return the ``SKILL.md`` that stands for a native skill: its front matter, then its instructions.

    Raises ``SkillContentError`` when the instructions cannot be read.
    """
    header = yaml.safe_dump(frontmatter(skill), sort_keys=False, allow_unicode=True, width=100_000)
    return f"---\n{header}---\n\n{skill.instructions()}".encode()


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # YAML can hold dates and other non-JSON scalars; a host receives the front matter as JSON.
    converted: dict[str, Any] = json.loads(json.dumps(data, default=str, ensure_ascii=False))
    return converted
