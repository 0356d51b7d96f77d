"""What the harness tests share: a tiny suite with known token sizes and a fake whose accuracy is known.

The tiny suite has 12 skills in two families; every skill's rendered block is about 100 cl100k tokens.
``within_first(T)`` answers a task correctly only when its gold skill's block ends within the first
``T`` tokens of the system text, so each strategy's accuracy at each N and position follows from
arithmetic (see test_harness_runner.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillpack.backends.base import Request
from skillpack.tokens import count_tokens

FILLER = (
    "Apply this rule to every document of the team without exception. Write the code in upper case, never"
    " abbreviate it, and do not add spaces around the hyphen. When in doubt, ask the owner of the rule"
    " before you publish anything, and keep a copy of the request in the shared folder."
)

UNKNOWN = "I do not know."

#: A limit under which gold blocks at indexes 0-4 pass (blocks are about 100 tokens each).
LIMIT_EXAMPLE = 570


def skill_entry(index: int) -> dict[str, Any]:
    family = "ticket" if index < 6 else "invoice"
    return {
        "name": f"team{index:02d}-{family}-codes",
        "family": family,
        "description": f"The {family} code of team {index:02d}. Use for team {index:02d} {family} codes.",
        "instructions": f"# Team {index:02d} {family} codes\n\nThe {family} code of team {index:02d} is"
        f" QX-{index:02d}-{family.upper()}.\n\n{FILLER}\n",
    }


#: A task no skill helps with: a router should inject nothing for it.
NO_SKILL_TASK: dict[str, Any] = {
    "id": "sum",
    "prompt": "What is 7 times 8?",
    "gold": [],
    "expect": {"check": "contains", "value": "56"},
}


def tiny_document(tasks: int = 3, *, no_skill_task: bool = False) -> dict[str, Any]:
    """Return a small suite document: ``tasks`` tasks with a gold skill, plus ``NO_SKILL_TASK`` if asked."""
    skills = [skill_entry(i) for i in range(12)]
    chosen = [0, 7, 3][:tasks]
    return {
        "suite": "tiny",
        "version": 1,
        "skills": skills,
        "tasks": [
            {
                "id": f"t{i}",
                "prompt": f"What is the {skills[i]['family']} code of team {i:02d}? Answer with the code only.",
                "gold": [skills[i]["name"]],
                "expect": {"check": "contains", "value": f"QX-{i:02d}-{skills[i]['family'].upper()}"},
            }
            for i in chosen
        ]
        + ([dict(NO_SKILL_TASK)] if no_skill_task else []),
    }


def write_suite(folder: Path, document: dict[str, Any] | None = None) -> Path:
    path = folder / "suite.json"
    path.write_text(json.dumps(document or tiny_document(), indent=1), encoding="utf-8")
    return path


def within_first(limit: int, document: dict[str, Any] | None = None) -> Callable[[Request], str]:
    """Return a responder that answers right only when the gold block ends within ``limit`` tokens."""
    document = document or tiny_document()
    answers = {t["prompt"]: (t["gold"][0], t["expect"]["value"]) for t in document["tasks"]}

    def responder(request: Request) -> str:
        gold, answer = answers[request.task]
        opening = f'<skill name="{gold}">'
        if opening not in request.system:
            return UNKNOWN
        end = request.system.index("</skill>", request.system.index(opening)) + len("</skill>")
        return answer if count_tokens(request.system[:end]) <= limit else UNKNOWN

    return responder
