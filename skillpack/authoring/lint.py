"""Lint skills for authors: what the schema checks, and what makes a skill hard to route to or to afford.

Per skill: the strict validation problems (``skillpack.validation``), a description too vague to
route on (too short, or no "when"), instructions past the Agent Skills guidance (500 lines or 5,000
tokens), placeholder text (TODO, FIXME, lorem ipsum, or the ``skillpack new`` scaffold's own sentences) and
a skill with no ``examples`` to test (a suggestion only for an Agent Skills ``SKILL.md``, whose specification
has no such field). Across the library: pairs of skills the router confuses
(one skill's examples, each routed with itself left out of its skill, rank the other first) and the catalog's size against the budgets real clients
give the skill listing (``CLIENT_BUDGETS``). Every finding is a ``Problem``; errors fail the lint.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from skillpack.authoring.scaffold import TEMPLATE_LINES, placeholder_fields, template_text
from skillpack.authoring.triggers import holdout_router, without_example
from skillpack.context import catalog_entry
from skillpack.errors import SkillContentError
from skillpack.plurals import plural
from skillpack.problems import Problem
from skillpack.registry import SkillPack
from skillpack.skill import Skill
from skillpack.tokens import count_tokens

#: The Agent Skills guidance for SKILL.md bodies (agentskills.io): keep them under these.
MAX_INSTRUCTION_LINES = 500
MAX_INSTRUCTION_TOKENS = 5000

#: Below these a description says too little for a router or a model to choose the skill from it.
MIN_DESCRIPTION_WORDS = 12
MIN_DESCRIPTION_CHARS = 60

_WHEN = re.compile(r"\b(when|whenever|use (?:it |this )?(?:for|to|if|on|with))\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ClientBudget:
    """How many characters a client gives its list of available skills."""

    client: str
    total_chars: int
    entry_chars: int | None
    basis: str


#: Claude Code lists skills within about 1% of the context window: 8,000 characters at 200k tokens,
#: each entry cut at 1,536 characters. Codex uses about 2% of the window; it logs ``budget_limit=5440``
#: characters for a 272k-token model (openai/codex#24299) and then truncates descriptions.
CLIENT_BUDGETS = (
    ClientBudget("Claude Code", 8000, 1536, "about 1% of a 200k-token context window"),
    ClientBudget("Codex", 5440, None, "about 2% of the context window, as Codex logs for a 272k-token model"),
)


@dataclass(frozen=True, slots=True)
class LintReport:
    """The findings, and the numbers behind the library-level ones."""

    problems: tuple[Problem, ...]
    skills: int
    catalog_chars: int
    confusions: tuple[Confusion, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)

    @property
    def suggestions(self) -> int:
        return sum(p.severity == "suggestion" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.errors == 0,
            "skills": self.skills,
            "errors": self.errors,
            "warnings": self.warnings,
            "suggestions": self.suggestions,
            "catalog_chars": self.catalog_chars,
            "budgets": [
                {
                    "client": b.client,
                    "total_chars": b.total_chars,
                    "entry_chars": b.entry_chars,
                    "basis": b.basis,
                }
                for b in CLIENT_BUDGETS
            ],
            "confusions": [c.to_dict() for c in self.confusions],
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Confusion:
    """Examples of ``skill`` that the router ranks ``rival`` first for."""

    skill: str
    rival: str
    examples: tuple[str, ...]
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {"skill": self.skill, "rival": self.rival, "examples": list(self.examples), "of": self.total}


def display(skill: Skill) -> str:
    """Return the short file name problems about ``skill`` are reported under."""
    return f"{skill.folder.name}/{skill.manifest_path.name}"


def lint(
    linted: SkillPack,
    *,
    library: SkillPack | None = None,
    router: Any = None,
    router_name: str = "lexical",
    holdout: bool = True,
) -> LintReport:
    """Lint the skills of ``linted``; route against ``library`` (default: ``linted``) for confusions.

    ``linted`` should be loaded with ``strict=True`` so that its skills carry the specification's
    errors. ``router`` is any object with ``rank(task, pack, k=...)``; by default the registered
    ``router_name`` router is used. ``holdout`` routes each example with itself left out of its skill,
    as ``skillpack test`` does (a router that indexes examples otherwise finds an example's own skill).
    """
    problems: list[Problem] = list(linted.problems)
    for skill in linted:
        problems.extend(skill.problems)
        problems.extend(skill_problems(skill))
    library = library if library is not None else linted
    confusions: list[Confusion] = []
    notes: list[str] = []
    if len(library) > 1:
        if router is None:
            from skillpack.plugins import get_router

            router = holdout_router(router_name) if holdout else get_router(router_name)
        confusions = find_confusions(linted.skills, library, router, holdout=holdout)
        problems.extend(_confusion_problem(c, linted, library) for c in confusions)
    else:
        notes.append("one skill only: confusable pairs need a library of two or more")
    catalog = [catalog_entry(skill, "line") for skill in linted]
    catalog_chars = sum(len(line) + 1 for line in catalog)
    problems.extend(catalog_problems(linted.skills, catalog_chars))
    return LintReport(
        tuple(problems), len(linted) + len(linted.problems), catalog_chars, tuple(confusions), tuple(notes)
    )


#: Below this share of function words ("the", "of", "when"), 20 or more words read as a list, not prose.
#: (Among the bundled, the Anthropic and MetaTool's 199 descriptions the lowest share is 14%.)
MIN_FUNCTION_WORD_SHARE = 0.10


def keyword_stuffing(description: str) -> str:
    """Return why ``description`` looks stuffed with keywords (a short phrase), or "" when it reads as prose.

    English prose is roughly a third function words; a list of popular terms has almost none. That is
    a property of the text, not of any library. (Repeating a term gains little: BM25F saturates it.)
    """
    from skillpack.routing import text

    words = text.words(description)
    if len(words) < 20:
        return ""
    share = sum(word in text.STOP_WORDS for word in words) / len(words)
    if share < MIN_FUNCTION_WORD_SHARE:
        return f"{len(words)} words, only {share:.0%} function words"
    return ""


def skill_problems(skill: Skill) -> list[Problem]:
    """Return what makes one skill hard to route to, long to load or impossible to test."""
    found: list[Problem] = []
    file = display(skill)
    words = len(skill.description.split())
    if words < MIN_DESCRIPTION_WORDS or len(skill.description) < MIN_DESCRIPTION_CHARS:
        found.append(
            Problem(
                file,
                "$.description",
                f"too vague to route on: {plural(words, 'word')}, {plural(len(skill.description), 'character')}",
                "say what the skill does, on what inputs, and when to use it, in a sentence or two"
                f" (at least {MIN_DESCRIPTION_WORDS} words)",
                "warning",
                code="vague-description",
            )
        )
    if not _WHEN.search(skill.description):
        found.append(
            Problem(
                file,
                "$.description",
                "does not say when to use the skill (no 'when' in it); clients choose from the description alone",
                "end it with 'Use when …' naming the situations or requests that call for it",
                "warning",
                code="no-when",
            )
        )
    stuffed = keyword_stuffing(skill.description)
    if stuffed:
        found.append(
            Problem(
                file,
                "$.description",
                f"reads like a keyword list ({stuffed}); it would match unrelated tasks",
                "describe what the skill does and when to use it in plain sentences; put keywords in tags",
                "warning",
                code="keyword-stuffing",
            )
        )
    if not skill.examples:
        spec = skill.form == "agent-skills"
        found.append(
            Problem(
                file,
                "$.examples",
                "no examples, so `skillpack test` cannot check that tasks route to this skill"
                + (" (optional: the Agent Skills specification has no such field)" if spec else ""),
                "add 3-5 task phrasings that should select it under examples:"
                + (" (other clients ignore the field)" if spec else ""),
                "suggestion" if spec else "warning",
                code="no-examples",
            )
        )
    found.extend(placeholder_problems(skill))
    found.extend(_instruction_problems(skill, file))
    return found


#: Words an author leaves to come back to; as a text's first word they mark it unfinished.
_MARKER = re.compile(r"^(?:[-*+>#]+\s*|\d+\.\s*|<!--\s*)*(TODO|FIXME|TBD|XXX)\b")
_LOREM = re.compile(r"\blorem ipsum\b", re.IGNORECASE)
_PLACEHOLDER_FIELDS = ("description", "when_to_use", "when_not_to_use", "examples", "counter_examples")


def placeholder(text: str, scaffold: Sequence[str] = ()) -> str:
    """Return why ``text`` is placeholder text (a short phrase), or "" when it is not.

    Placeholder text starts with TODO, FIXME, TBD or XXX, contains "lorem ipsum", or is one of the
    ``scaffold``'s own sentences.
    """
    line = text.strip()
    marker = _MARKER.match(line)
    if marker:
        return f"starts with {marker.group(1)}"
    if _LOREM.search(line):
        return "lorem ipsum"
    if template_text(line) in scaffold:
        return "the `skillpack new` template, unedited"
    return ""


def placeholder_problems(skill: Skill) -> list[Problem]:
    """Return an error per manifest field, and one for the instructions, that still hold placeholder text."""
    found: list[Problem] = []
    file = display(skill)
    scaffold = placeholder_fields(skill.name)
    for name in _PLACEHOLDER_FIELDS:
        value = skill.manifest.get(name)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        expected = scaffold[name]
        template = [expected] if isinstance(expected, str) else expected
        for index, item in enumerate(items):
            why = placeholder(item, template) if isinstance(item, str) else ""
            if why:
                location = f"$.{name}" if isinstance(value, str) else f"$.{name}[{index}]"
                found.append(
                    Problem(
                        file,
                        location,
                        f"placeholder text ({why}): {_shorten(item)!r}",
                        _PLACEHOLDER_FIXES[name],
                        code="placeholder",
                    )
                )
                break  # one line per field says enough
    try:
        body = skill.instructions()
    except SkillContentError:
        return found  # reported by _instruction_problems
    lines = [
        (number, line)
        for number, line in enumerate(body.splitlines(), 1)
        if placeholder(line, TEMPLATE_LINES)
    ]
    if lines:
        number, line = lines[0]
        more = f" and {len(lines) - 1} more line{'' if len(lines) == 2 else 's'}" if len(lines) > 1 else ""
        found.append(
            Problem(
                file,
                "body" if skill.form == "agent-skills" else "$.instructions",
                f"placeholder text at line {number} ({placeholder(line, TEMPLATE_LINES)}):"
                f" {_shorten(line.strip())!r}{more}",
                "replace it with the rules, formats and an example the model must follow",
                code="placeholder",
            )
        )
    return found


_PLACEHOLDER_FIXES = {
    "description": "say what the skill does and when to use it, e.g. 'Formats … Use when the user asks to …'",
    "when_to_use": "name the situations that call for this skill, or remove the field",
    "when_not_to_use": "name look-alike situations where another skill fits better, or remove the field",
    "examples": "write tasks phrased the way a user would ask for this skill",
    "counter_examples": "write similar-sounding tasks that need a different skill, or remove the field",
}


def _shorten(text: str, width: int = 60) -> str:
    """Return ``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _instruction_problems(skill: Skill, file: str) -> list[Problem]:
    location = "body" if skill.form == "agent-skills" else "$.instructions"
    try:
        body = skill.instructions()
    except SkillContentError as exc:
        return [
            Problem(
                file,
                location,
                f"the instructions cannot be read: {exc}",
                "fix the file",
                code="unreadable-instructions",
            )
        ]
    lines = body.count("\n")
    tokens = count_tokens(body)
    if lines <= MAX_INSTRUCTION_LINES and tokens <= MAX_INSTRUCTION_TOKENS:
        return []
    return [
        Problem(
            file,
            location,
            f"the instructions are {plural(lines, 'line')} and {plural(tokens, 'token')}; the Agent"
            " Skills guidance is at most"
            f" {MAX_INSTRUCTION_LINES} lines and {MAX_INSTRUCTION_TOKENS:,} tokens",
            "move detail into files under references/ that the instructions point to (loaded only when needed)",
            "warning",
            code="long-instructions",
        )
    ]


def find_confusions(
    skills: Sequence[Skill], library: SkillPack, router: Any, *, holdout: bool = True
) -> list[Confusion]:
    """Return, per pair, the examples of a skill in ``skills`` that ``router`` ranks another skill first for.

    With ``holdout`` each example is routed with itself removed from its skill (``without_example``).
    """
    wrong: dict[tuple[str, str], list[str]] = defaultdict(list)
    totals: dict[str, int] = {}
    for skill in skills:
        if skill.name not in library or library.get(skill.name).folder != skill.folder:
            continue  # shadowed in the library by another skill of the same name
        totals[skill.name] = len(skill.examples)
        for index, example in enumerate(skill.examples):
            pack = without_example(library, skill, index) if holdout else library
            ranking = router.rank(example, pack, k=1)
            if ranking.matches and ranking.matches[0].skill.name != skill.name:
                wrong[(skill.name, ranking.matches[0].skill.name)].append(example)
    return [
        Confusion(name, rival, tuple(examples), totals[name])
        for (name, rival), examples in sorted(wrong.items(), key=lambda item: (-len(item[1]), item[0]))
    ]


def _confusion_problem(confusion: Confusion, linted: SkillPack, library: SkillPack) -> Problem:
    skill = linted.get(confusion.skill)
    rival = library.get(confusion.rival)
    count = len(confusion.examples)
    return Problem(
        display(skill),
        "$.examples",
        f"{count} of {confusion.total} examples rank {confusion.rival} first, e.g. {confusion.examples[0]!r}",
        f"tell them apart: say in when_not_to_use when to use {rival.name} instead, add such tasks to"
        f" counter_examples, and name what is unique to {skill.name} in its description",
        "warning",
        code="confusable",
    )


def catalog_problems(skills: Sequence[Skill], catalog_chars: int) -> list[Problem]:
    """Return the catalog's overruns of each client's total and per-entry budget."""
    found: list[Problem] = []
    for budget in CLIENT_BUDGETS:
        if catalog_chars > budget.total_chars:
            found.append(
                Problem(
                    "catalog",
                    f"{len(skills)} skills",
                    f"the skill listing is {catalog_chars:,} characters; {budget.client} gives it about"
                    f" {budget.total_chars:,} ({budget.basis}), so descriptions get cut or skills left out",
                    "shorten descriptions, split the library by project, or let a router load only the skills"
                    " a task needs (`skillpack route TASK` shows its pick)",
                    "warning",
                    code="catalog-budget",
                )
            )
        if budget.entry_chars is None:
            continue
        for skill in skills:
            size = len(catalog_entry(skill, "line"))
            if size > budget.entry_chars:
                found.append(
                    Problem(
                        display(skill),
                        "$.description",
                        f"its listing entry (name, description, when_to_use) is {size:,} characters;"
                        f" {budget.client} cuts each entry at {budget.entry_chars:,}",
                        "put the deciding words first and shorten the description and when_to_use",
                        "warning",
                        code="entry-budget",
                    )
                )
    return found
