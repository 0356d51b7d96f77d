"""Measure the ``llm`` router on a real model: what the model answers, and what the selection injects.

Usage::

    python benchmarks/llm_router.py LIBRARY QUERIES [--limit N] [--backend local] [--model PATH]

Every query of QUERIES (JSON Lines, as ``skillpack eval`` reads them; the first ``--limit``) is routed
twice over the skills in LIBRARY: by the ``llm`` router's base (``lexical``) and by the ``llm`` router,
which asks the model to choose from the base's shortlist. Printed as JSON:

- ``answers``: how the model's replies were read — ``chosen`` (one or more names from the shortlist),
  ``none`` (the model said NONE), ``fell_back`` (a reply that is not a list of shortlist names: the
  router used the base ranking), ``no_call`` (the shortlist was empty, so no model call);
- ``base`` and ``llm``: the selection metrics of each (``skillpack.evaluation.selection_metrics``:
  out-of-scope queries abstained on, in-scope recall in the selection, skills and tokens injected);
- ``seconds_per_call``: the median wall time of a model call, and the load average before and after;
- ``replies``: the first ``--show`` replies of the model, with how each was read.

With a deterministic local model (greedy decoding) a query answered twice is the same observation, so
each query counts once. Set ``SKILLPACK_THREADS`` for the local backend's threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from skillpack.evaluation import read_queries, selection_metrics
from skillpack.plugins import get_router
from skillpack.registry import SkillPack
from skillpack.routing.base import Ranking
from skillpack.routing.llm import LLMRouter

#: How many skills a ranking holds; the selection takes at most ``DEFAULT_K`` of them.
RANK_K = 10


def outcome(ranking: Ranking) -> str:
    """Return how one ``llm`` ranking came about (see the module docstring)."""
    if "answer" not in ranking.extra:
        return "no_call"
    if any(note.startswith("llm: ") and "fell back" in note for note in ranking.notes):
        return "fell_back"
    return "chosen" if ranking.matches else "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--model", default=None)
    parser.add_argument("--show", type=int, default=5, help="how many of the model's replies to print")
    args = parser.parse_args(argv)

    pack = SkillPack.from_paths([args.library])
    queries = read_queries(args.queries, known=set(pack.names))[: args.limit]
    base = get_router("lexical", persist=False)
    router = LLMRouter(backend=args.backend, model=args.model, base=base)
    load_before = os.getloadavg()
    answers = dict.fromkeys(("chosen", "none", "fell_back", "no_call"), 0)
    base_rankings, llm_rankings, seconds = [], [], []
    replies: list[dict[str, str]] = []
    for number, labelled in enumerate(queries, 1):
        base_rankings.append(base.rank(labelled.query, pack, k=RANK_K))
        started = time.perf_counter()
        ranking = router.rank(labelled.query, pack, k=RANK_K)
        elapsed = time.perf_counter() - started
        kind = outcome(ranking)
        if kind != "no_call":
            seconds.append(elapsed)
        answers[kind] += 1
        if kind != "no_call" and len(replies) < args.show:
            replies.append(
                {"query": labelled.query, "reply": str(ranking.extra["answer"])[:300], "read_as": kind}
            )
        llm_rankings.append(ranking)
        print(f"{number}/{len(queries)} {kind}", file=sys.stderr, flush=True)
    result = {
        "library": str(args.library),
        "queries": str(args.queries),
        "n_queries": len(queries),
        "n_in_scope": sum(1 for q in queries if q.skills),
        "backend": args.backend,
        "answers": answers,
        "base": selection_metrics(pack, queries, base_rankings, base),
        "llm": selection_metrics(pack, queries, llm_rankings, router),
        "seconds_per_call": round(statistics.median(seconds), 2) if seconds else None,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "replies": replies,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
