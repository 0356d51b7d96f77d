"""The default router: BM25F over a skill's name, description, when_to_use, tags and examples.

One module per job: ``analysis`` turns a manifest into terms, ``index`` holds the posting lists and the
BM25F formula (``impact``), ``incremental`` derives an index from a near-identical one built shortly
before, and ``router`` ranks a task against the index and decides when to abstain.
"""

from __future__ import annotations

from skillpack.routing.lexical.analysis import FIELDS, evidence, negative_terms, skill_fields
from skillpack.routing.lexical.incremental import build_index, clear_term_cache
from skillpack.routing.lexical.index import FORMAT, LEXICAL_PRIOR, LexicalIndex, LexicalSettings, impact
from skillpack.routing.lexical.router import LexicalRouter

__all__ = [
    "FIELDS",
    "FORMAT",
    "LEXICAL_PRIOR",
    "LexicalIndex",
    "LexicalRouter",
    "LexicalSettings",
    "build_index",
    "clear_term_cache",
    "evidence",
    "impact",
    "negative_terms",
    "skill_fields",
]
