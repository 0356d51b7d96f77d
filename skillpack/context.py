"""Render skills into model context: Claude-style XML, Markdown, the Agent Skills catalog, or JSON.

Every catalog of skills (names and descriptions, to load on demand) is rendered here, in one of the
``CatalogForm`` forms: the context's ``catalog`` format, the backends' ``load_skill`` listing and the
one-line listing ``skillpack lint`` measures against clients' budgets differ only in that form.
Rendering is deterministic (the same skills in the same order give the same bytes), so a prompt cache
keyed on the prefix keeps hitting. Nothing here cuts a skill's text: a skill is in or out whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape as _html_escape
from typing import Literal

from skillpack.errors import UnknownComponentError
from skillpack.skill import Skill
from skillpack.tokens import count_tokens

Format = Literal["xml", "markdown", "catalog", "json"]
#: How a catalog lists a skill. ``files``: the Agent Skills ``<skill>`` entry with name, description and
#: the manifest's location, for a client that reads skill files itself. ``tool``: the same without the
#: location, for a model that loads a skill through the ``load_skill`` tool. ``line``: one
#: ``- name: description when_to_use`` line, as clients list skills in their own prompt.
CatalogForm = Literal["files", "tool", "line"]
FORMATS: tuple[str, ...] = ("xml", "markdown", "catalog", "json")

_PREAMBLE = {
    "xml": (
        "<skills>\nThe following skills were loaded for this task. Follow the instructions of each skill that"
        " applies.\n",
        "</skills>\n",
    ),
    "markdown": (
        "# Skills loaded for this task\n\nFollow the instructions of each skill that applies.\n\n",
        "",
    ),
}


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for XML element text (xml.sax.saxutils pulls in urllib on import)."""
    return _html_escape(text, quote=False)


def quoteattr(text: str) -> str:
    """Return ``text`` as a double-quoted XML attribute value."""
    return f'"{_html_escape(text, quote=True)}"'


def check_format(name: str) -> Format:
    """Return ``name`` as a Format, or raise ``UnknownComponentError`` listing the formats."""
    if name not in FORMATS:
        raise UnknownComponentError("format", name, list(FORMATS))
    return name  # type: ignore[return-value]


def render_block(skill: Skill, fmt: Format) -> str:
    """Return one skill as it appears in a rendered context of format ``fmt`` (not for json)."""
    if fmt == "xml":
        version = f" version={quoteattr(skill.version)}" if skill.version else ""
        return f"<skill name={quoteattr(skill.name)}{version}>\n{skill.instructions().rstrip()}\n</skill>\n"
    if fmt == "markdown":
        return f"## Skill: {skill.name}\n\n> {' '.join(skill.description.split())}\n\n{skill.instructions().rstrip()}\n\n"
    if fmt == "catalog":
        return catalog_entry(skill)
    raise UnknownComponentError("block format", fmt, ["xml", "markdown", "catalog"])


def catalog_entry(skill: Skill, form: CatalogForm = "files") -> str:
    """Return ``skill``'s entry in a catalog of the given ``form`` (see ``CatalogForm``)."""
    if form == "line":
        parts = (skill.description, skill.when_to_use)
        return f"- {skill.name}: " + " ".join(" ".join(part.split()) for part in parts if part)
    description = " ".join(skill.description.split())
    location = f"<location>{escape(str(skill.manifest_path))}</location>\n" if form == "files" else ""
    return (
        "<skill>\n"
        f"<name>{escape(skill.name)}</name>\n"
        f"<description>{escape(description)}</description>\n"
        f"{location}"
        "</skill>\n"
    )


def catalog_frame(intro: str = "") -> tuple[str, str]:
    """Return the text before and after a catalog's entries; ``intro`` (a line or "") says how to use them."""
    return "<available_skills>\n" + intro, "</available_skills>\n"


def render(skills: Sequence[Skill], fmt: Format = "xml") -> str:
    """Render ``skills`` in order; an empty sequence renders as an empty string."""
    if not skills:
        return ""
    if fmt == "json":
        payload = {
            "skills": [
                {
                    "name": s.name,
                    "version": s.version,
                    "description": s.description,
                    "instructions": s.instructions(),
                }
                for s in skills
            ]
        }
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    head, tail = catalog_frame() if fmt == "catalog" else _PREAMBLE[fmt]
    return head + "".join(render_block(s, fmt) for s in skills) + tail


def render_catalog(
    skills: Sequence[Skill], *, budget: int | None = None, form: CatalogForm = "files", intro: str = ""
) -> tuple[str, list[Skill]]:
    """Render the catalog of ``skills`` in ``form`` (XML forms only), under ``budget`` tokens if one is given.

    Entries are taken in order while the whole catalog fits; returns the text and the skills left out.
    An empty catalog renders as "", so a prompt offers nothing rather than an empty list.
    """
    if not skills:
        return "", []
    head, tail = catalog_frame(intro)
    if budget is None:
        return head + "".join(catalog_entry(skill, form) for skill in skills) + tail, []
    used = count_tokens(head + tail)
    kept: list[str] = []
    left_out: list[Skill] = []
    for skill in skills:
        entry = catalog_entry(skill, form)
        cost = count_tokens(entry)
        if used + cost > budget:
            left_out.append(skill)
            continue
        kept.append(entry)
        used += cost
    if not kept:
        return "", left_out
    return head + "".join(kept) + tail, left_out


def wrapper_tokens(fmt: Format) -> int:
    """Return the tokens a context of format ``fmt`` spends outside the skills' own blocks."""
    if fmt == "json":
        return count_tokens('{\n  "skills": [\n  ]\n}\n')
    head, tail = catalog_frame() if fmt == "catalog" else _PREAMBLE[fmt]
    return count_tokens(head + tail)
