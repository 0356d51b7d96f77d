"""Load skills on demand without tools: a plain-text protocol for backends that cannot call tools.

A backend that declares ``loads_skills = False`` (a small local model cannot drive a tool loop) can
still be offered skills on demand, the way Claude Code and Codex offer them: the system text lists
the loadable skills' names and descriptions and says how to ask for one — a reply line
``LOAD: <name>``. ``generate`` sends the request without ``loadable`` (so the backend sees plain
text only), and when the reply asks for a listed skill it sends the request again with that skill's
instructions added after the catalog, up to ``request.max_turns`` calls. The last reply is the
answer; ``Reply.loaded_skills`` and ``Reply.turns`` say what happened, so a bench can report what the
model did with the catalog.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from skillpack.backends.base import Backend, Reply, Request, Usage
from skillpack.context import escape, render_block

if TYPE_CHECKING:
    from collections.abc import Sequence

    from skillpack.skill import Skill

#: A reply line asking for a skill: ``LOAD: aurora-door-code`` (case of LOAD, quotes and backquotes ignored).
REQUEST = re.compile(r"^\s*LOAD\s*:\s*[`'\"]?([A-Za-z0-9][A-Za-z0-9_.-]*)", re.IGNORECASE | re.MULTILINE)


def catalog(skills: Sequence[Skill]) -> str:
    """Return the plain-text catalog of ``skills``: how to ask for one, then each name and description."""
    if not skills:
        return ""
    entries = "".join(f"- {escape(s.name)}: {escape(' '.join(s.description.split()))}\n" for s in skills)
    return (
        "<available_skills>\nThese skills are not loaded. If the task needs one, reply with exactly one line"
        " `LOAD: <name>` and nothing else; its instructions will then be given to you. Otherwise answer"
        f" the task.\n{entries}</available_skills>\n"
    )


def requested(text: str) -> str | None:
    """Return the skill name a reply asks for with ``LOAD: <name>``, or None."""
    match = REQUEST.search(text)
    return match.group(1).rstrip(".") if match else None


def generate(backend: Backend, request: Request) -> Reply:
    """Answer ``request`` through ``backend`` with its ``loadable`` skills offered as plain text."""
    offered = {skill.name: skill for skill in request.loadable}
    listing = catalog(request.loadable)
    loaded: list[Skill] = []
    usage = Usage()
    latency = 0.0
    notes: list[str] = []
    turns = 0
    while True:
        turns += 1
        system = request.system + listing
        if loaded:
            system += (
                "<loaded_skills>\nThe skills you asked for are loaded below; answer the task now.\n"
                + "".join(render_block(skill, "xml") for skill in loaded)
                + "</loaded_skills>\n"
            )
        reply = backend.generate(replace(request, system=system, loadable=()))
        usage += reply.usage
        latency += reply.latency_s
        notes.extend(reply.notes)
        name = requested(reply.text)
        if name is None or turns >= request.max_turns:
            break
        if name not in offered:
            notes.append(
                f"the model asked for {name!r}, which is not in the catalog; its reply is the answer"
            )
            break
        if offered[name] in loaded:
            notes.append(f"the model asked for {name!r} again; its reply is the answer")
            break
        loaded.append(offered[name])
    return replace(
        reply,
        usage=usage,
        loaded_skills=tuple(skill.name for skill in loaded),
        turns=turns,
        latency_s=latency,
        notes=tuple(notes),
    )
