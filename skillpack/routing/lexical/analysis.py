"""Turn a skill's manifest into the terms the lexical index counts, field by field.

Names are split on hyphens, underscores and camelCase, and a name written as one word
(``airqualityforecast``) is also split into the words the library itself uses (``decompound``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from skillpack.routing import text

if TYPE_CHECKING:
    from skillpack.skill import Skill

#: The indexed fields, each a separate BM25F stream with its own weight and length normalisation.
FIELDS = ("name", "description", "when_to_use", "tags", "examples")
#: Decompounding splits only names at least this long, into pieces at least ``MIN_PIECE`` long.
MIN_COMPOUND = 7
MIN_PIECE = 3


def skill_fields(skill: Skill, *, splits: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Return the terms of each indexed field of ``skill`` (names decompounded with ``splits``)."""
    name = text.name_terms(skill.name)
    if splits:
        name = [part for term in name for part in splits.get(term, [term])]
    return {
        "name": name,
        "description": text.terms(skill.description),
        "when_to_use": text.terms(skill.when_to_use),
        "tags": [term for tag in skill.tags for term in text.name_terms(tag)],
        "examples": [term for example in skill.examples for term in text.terms(example)],
    }


def negative_terms(skill: Skill) -> list[str]:
    """Return the terms of ``when_not_to_use`` and the counter-examples: words that count against a skill."""
    return text.terms(" ".join((skill.when_not_to_use, *skill.counter_examples)))


def vocabulary(fields: dict[str, list[str]]) -> frozenset[str]:
    """Return the words of a skill's fields other than its name that a name may be decompounded into."""
    return frozenset(word for f in FIELDS if f != "name" for word in fields[f] if len(word) >= MIN_PIECE)


def decompound(names: list[list[str]], vocabularies: list[frozenset[str]]) -> dict[str, list[str]]:
    """Split one-word names (``diceroller``) into words other fields of the library use (``dice roller``)."""
    known: set[str] = set().union(*vocabularies)
    # Fields hold stems, so a piece of the name counts when it, or its stem, is one of them.
    splits: dict[str, list[str]] = {}
    for name in names:
        for term in name:
            if len(term) < MIN_COMPOUND or term in known or term in splits:
                continue
            parts = segment(term, known)
            if parts and len(parts) > 1:
                splits[term] = [term, *parts]
    return splits


def split_names(raw_names: list[list[str]], splits: dict[str, list[str]]) -> list[list[str]]:
    """Return each name's terms with the decompounded ones replaced by their ``splits``."""
    if not splits:
        return [list(name) for name in raw_names]
    return [[part for term in name for part in splits.get(term, [term])] for name in raw_names]


def name_pieces(raw_names: Iterable[list[str]]) -> frozenset[str]:
    """Return every word ``decompound`` could look up for these names: each piece and its stem."""
    return frozenset(
        piece
        for name in raw_names
        for term in name
        if len(term) >= MIN_COMPOUND
        for end in range(MIN_PIECE, len(term) + 1)
        for start in range(0, end - MIN_PIECE + 1)
        for piece in (term[start:end], text.stem(term[start:end]))
    )


def segment(word: str, known: set[str]) -> list[str] | None:
    """Return the split of ``word`` into the fewest ``known`` words (stems), or None when there is none."""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(MIN_PIECE, len(word) + 1):
        for start in range(0, end - MIN_PIECE + 1):
            head = best[start]
            if head is None:
                continue
            piece = word[start:end]
            if piece in known or text.stem(piece) in known:
                candidate = [*head, text.stem(piece)]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(word)]


def evidence(
    fields: dict[str, list[str]], negative: Iterable[str], task_terms: Iterable[str]
) -> tuple[str, ...]:
    """Return, per field, the (stemmed) task terms it contains: ``("description: commit, messag", ...)``."""
    wanted = set(task_terms)
    found = []
    positive: set[str] = set()
    for name, terms in fields.items():
        positive.update(terms)
        hits = [term for term in dict.fromkeys(terms) if term in wanted]
        if hits:
            found.append(f"{name}: {', '.join(hits)}")
    against = [term for term in dict.fromkeys(negative) if term in wanted and term not in positive]
    if against:
        found.append(f"against (when_not_to_use): {', '.join(against)}")
    return tuple(found)
