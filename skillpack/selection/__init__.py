"""Select the skills a task needs: route, add what they require, fit them into a token budget.

``select(pack, task, ...)`` returns a ``Selection``: what was chosen (score, confidence, evidence,
tokens), what was rejected and why, and the context rendered in any format. A skill enters only on its
own merit: its confidence must reach the router's bar (``min_confidence``; see
``skillpack.routing.confidence``) and its score a fraction of the best match's (``relative_floor``), so
a clear winner is not padded with look-alikes because k has room. ``k`` and the budget then cap what
passed; what they cut is reported (``Selection.cut``). Budgets are exact (tiktoken), and a skill that
does not fit is left out whole and reported, never cut mid-text.

One module per part: ``rules`` decides what enters (``select``, ``assemble``), ``outcome`` holds what
came out (``Selection`` with ``Chosen`` and ``Rejected``, and its report), ``costs`` counts what skills
cost in context.
"""

from __future__ import annotations

from skillpack.context import FORMATS
from skillpack.selection.outcome import Chosen, Rejected, Selection
from skillpack.selection.rules import (
    DEFAULT_K,
    DEFAULT_ROUTER,
    LOOKAHEAD,
    LOOKALIKE_SHARE,
    assemble,
    check_limits,
    demerit,
    min_confidence_of,
    relative_floor_of,
    score_floor,
    select,
)

__all__ = [
    "DEFAULT_K",
    "DEFAULT_ROUTER",
    "FORMATS",
    "LOOKAHEAD",
    "LOOKALIKE_SHARE",
    "Chosen",
    "Rejected",
    "Selection",
    "assemble",
    "check_limits",
    "demerit",
    "min_confidence_of",
    "relative_floor_of",
    "score_floor",
    "select",
]
