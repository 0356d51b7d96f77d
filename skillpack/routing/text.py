"""Turn text into index terms: split words (and names such as ``ResearchFinder`` or ``semver-bump``),
drop English stop words, and stem with the Snowball English stemmer.

Routers share this module so that a skill's fields and a task become the same kind of terms.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

from skillpack.errors import UsageError

#: A task longer than this is routed on its first ``MAX_TASK_CHARS`` characters (and the Ranking says so).
MAX_TASK_CHARS = 20_000
#: At most this many distinct terms of a task are scored; more only slow routing down.
MAX_TASK_TERMS = 512

_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# A general English stop-word list (the common NLTK/Snowball core) plus the politeness words that open
# requests ("please", "could you"). Nothing here is specific to any skill library.
_STOP_WORDS = """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your yours yourself yourselves
    s t d ll m re ve y also may might must shall us let get got please kindly hi hello hey thanks thank
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


@functools.cache
def _stemmer() -> Callable[[str], str]:
    import snowballstemmer  # type: ignore[import-untyped]  # uses PyStemmer's C implementation when it is installed

    stem: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
    return stem


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the Snowball English stem of a lower-case ``word``."""
    return _stemmer()(word)


def words(text: str) -> list[str]:
    """Return the lower-case words of ``text``, with camelCase and snake_case names split apart."""
    return _WORD.findall(_CAMEL.sub(" ", text).lower())


def terms(text: str) -> list[str]:
    """Return the stemmed, stop-word-free terms of ``text``, in order (repeats kept)."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS]


def adjacent_pairs(found: list[str]) -> frozenset[tuple[str, str]]:
    """Return the pairs of terms that stand next to each other in ``found`` (stop words already dropped)."""
    return frozenset((first, second) for first, second in itertools.pairwise(found) if first != second)


def name_terms(name: str) -> list[str]:
    """Return the terms of a skill name: ``semver-bump`` and ``SemverBump`` both give ``semver``, ``bump``."""
    return terms(name.replace("-", " ").replace("_", " "))


def check_task(task: object) -> str:
    """Return ``task`` if it is usable text; raise ``UsageError`` for bytes, non-text or an empty task."""
    if isinstance(task, bytes | bytearray):
        raise UsageError("the task must be text, not bytes — decode it first (e.g. task.decode('utf-8'))")
    if not isinstance(task, str):
        raise UsageError(f"the task must be text, got {type(task).__name__}")
    if not task.strip():
        raise UsageError("the task is empty — describe what you want done, e.g. 'write a commit message'")
    return task


def check_k(k: object) -> int:
    """Return ``k`` if it is a positive whole number; raise ``UsageError`` otherwise."""
    if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
        raise UsageError(f"k must be a whole number of at least 1, got {k!r}")
    return k


def task_terms(task: str) -> tuple[list[str], list[str]]:
    """Return the task's terms (capped) and notes saying what was cut, if anything."""
    notes: list[str] = []
    text = task
    if len(text) > MAX_TASK_CHARS:
        notes.append(
            f"the task is {len(task):,} characters; only its first {MAX_TASK_CHARS:,} were used for routing"
        )
        text = text[:MAX_TASK_CHARS]
    found = terms(text)
    distinct = list(dict.fromkeys(found))
    if len(distinct) > MAX_TASK_TERMS:
        notes.append(
            f"the task has {len(distinct):,} distinct terms; only the first {MAX_TASK_TERMS} were scored"
        )
        keep = set(distinct[:MAX_TASK_TERMS])
        found = [term for term in found if term in keep]
    return found, notes
