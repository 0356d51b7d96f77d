"""Measure a router on labelled queries: the ranking (recall@k, MRR, nDCG@10), the selection, latency.

A queries file is JSON Lines, one ``{"query": str, "skills": [name, ...]}`` per line (blank lines are
skipped). An empty ``skills`` list marks a query as out of scope: no installed skill should be injected
for it. Ranking metrics are averaged over the in-scope queries; the selection (what ``select`` would
inject after the confidence bar, floors, k and budget) is scored on both kinds. Problems are reported with the file and line number; a file with unknown skill names is
refused as a whole, so a metric is never computed against labels the library cannot satisfy.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.errors import SkillpackError
from skillpack.plurals import plural
from skillpack.selection import DEFAULT_K, LOOKAHEAD, assemble, demerit, min_confidence_of, score_floor
from skillpack.tokens import TokenCounter

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.routing.base import Ranking, Router

#: What the selection is scored on: out-of-scope queries left empty, in-scope ones wrongly left empty, gold
#: skills inside the selection, gold among the selected, and skills and block tokens injected per query
#: (in-scope and out-of-scope separately). None when the file has no query of the kind a metric needs.
SELECTION_METRICS = (
    "oos_abstain",
    "in_abstain",
    "recall_selected",
    "precision",
    "selected_mean",
    "selected_oos_mean",
    "tokens_mean",
    "tokens_oos_mean",
)
#: The keys of an evaluation result, in the order they are printed.
METRICS = (
    "recall@1",
    "recall@3",
    "recall@5",
    "mrr",
    "ndcg@10",
    "complete@5",
    "p50_ms",
    "p95_ms",
    "build_s",
    "n_queries",
    "n_skills",
    "n_in_scope",
    "n_out_of_scope",
    *SELECTION_METRICS,
)

#: How many problems an error message lists before it says how many more there are.
SHOWN_PROBLEMS = 5


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """One line of a queries file: the task and the skills a router should pick for it."""

    line: int
    query: str
    skills: tuple[str, ...]


def read_queries(path: Path, *, known: Collection[str] | None = None) -> list[LabelledQuery]:
    """Read a QUERIES.jsonl file; raise ``SkillpackError`` naming the line of the first bad entry.

    With ``known``, every labelled skill must be one of those names; all unknown ones are listed.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SkillpackError(f"{path}: cannot read the queries file: {exc.strerror or exc}") from exc
    queries: list[LabelledQuery] = []
    for number, line_bytes in enumerate(raw.splitlines(), start=1):
        where = f"{path}:{number}"
        try:
            line = line_bytes.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise SkillpackError(
                f"{where}: not UTF-8 text (byte 0x{line_bytes[exc.start]:02x} at column {exc.start + 1})"
                " — save the file as UTF-8"
            ) from exc
        if not line.strip():
            continue
        queries.append(_parse(line, where, number))
    if not queries:
        raise SkillpackError(
            f'{path}: no queries — write one {{"query": ..., "skills": [...]}} object per line'
        )
    if known is not None:
        _check_known(path, queries, known)
    return queries


def _parse(line: str, where: str, number: int) -> LabelledQuery:
    shape = 'each line must be {"query": "...", "skills": ["skill-name", ...]}'
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SkillpackError(f"{where}: not JSON ({exc.msg} at column {exc.colno}) — {shape}") from exc
    if not isinstance(item, dict):
        raise SkillpackError(f"{where}: expected a JSON object, got {type(item).__name__} — {shape}")
    query, skills = item.get("query"), item.get("skills")
    if not isinstance(query, str) or not query.strip():
        raise SkillpackError(f"{where}: $.query must be a non-empty string — {shape}")
    if not isinstance(skills, list) or not all(isinstance(s, str) and s for s in skills):
        raise SkillpackError(
            f"{where}: $.skills must be a list of skill names ([] for a query no skill fits) — {shape}"
        )
    return LabelledQuery(number, query, tuple(dict.fromkeys(skills)))


def _check_known(path: Path, queries: Sequence[LabelledQuery], known: Collection[str]) -> None:
    unknown = [(q.line, name) for q in queries for name in q.skills if name not in known]
    if not unknown:
        return
    shown = "; ".join(f"line {line}: {name!r}" for line, name in unknown[:SHOWN_PROBLEMS])
    more = f" (and {len(unknown) - SHOWN_PROBLEMS} more)" if len(unknown) > SHOWN_PROBLEMS else ""
    raise SkillpackError(
        f"{path}: {plural(len(unknown), 'unknown skill name')} — {shown}{more}; "
        "fix the names or add those skills to the skills folder"
    )


def evaluate(
    pack: SkillPack,
    queries: Sequence[LabelledQuery],
    router: Router,
    *,
    k: int = 10,
    select_k: int = DEFAULT_K,
    budget: int | None = None,
    min_confidence: float | None = None,
) -> dict[str, Any]:
    """Route every query with ``router`` (top ``k``) and return the metrics named in ``METRICS``.

    The selection metrics come from the same routing call: ``select``'s rules with ``select_k``,
    ``budget`` and ``min_confidence`` (None: the router's own bar). ``build_s`` is the time the router
    takes to build its index from scratch (``Router.prepare``; a router that builds nothing ahead
    reports 0, and any lazy build lands in the first query).
    """
    start = time.perf_counter()
    router.prepare(pack, rebuild=True)
    build_s = time.perf_counter() - start
    totals = dict.fromkeys(("recall@1", "recall@3", "recall@5", "mrr", "ndcg@10", "complete@5"), 0.0)
    latencies: list[float] = []
    rankings = []
    for labelled in queries:
        start = time.perf_counter()
        ranking = router.rank(labelled.query, pack, k=max(k, select_k + LOOKAHEAD))
        latencies.append((time.perf_counter() - start) * 1000.0)
        rankings.append(ranking)
        if labelled.skills:
            ranked = [m.skill.name for m in ranking.matches[:k]]
            for key, value in score(ranked, labelled.skills).items():
                totals[key] += value
    in_scope = sum(1 for q in queries if q.skills)
    result: dict[str, Any] = {
        key: round(total / in_scope, 4) if in_scope else None for key, total in totals.items()
    }
    result.update(
        {
            "p50_ms": round(percentile(latencies, 50), 3),
            "p95_ms": round(percentile(latencies, 95), 3),
            "build_s": round(build_s, 3),
            "n_queries": len(queries),
            "n_skills": len(pack),
            "n_in_scope": in_scope,
            "n_out_of_scope": len(queries) - in_scope,
        }
    )
    result.update(
        selection_metrics(
            pack, queries, rankings, router, k=select_k, budget=budget, min_confidence=min_confidence
        )
    )
    return {key: result[key] for key in METRICS}


def selection_metrics(
    pack: SkillPack,
    queries: Sequence[LabelledQuery],
    rankings: Sequence[Ranking],
    router: Router,
    *,
    k: int = DEFAULT_K,
    budget: int | None = None,
    min_confidence: float | None = None,
    tokens: bool = True,
) -> dict[str, float | None]:
    """Return the ``SELECTION_METRICS`` of what ``select`` would inject given each query's ranking.

    ``tokens=False`` skips counting the chosen skills' tokens (their metrics are then None).
    """
    counter = TokenCounter.cached()
    sums = dict.fromkeys(("oos_abstain", "in_abstain", "recall", "selected_in", "selected_oos"), 0.0)
    sums.update(tokens_in=0.0, tokens_oos=0.0, gold_selected=0.0)
    for labelled, ranking in zip(queries, rankings, strict=True):
        if tokens:
            selection = assemble(
                pack,
                labelled.query,
                ranking,
                router,
                k=k,
                budget=budget,
                min_confidence=min_confidence,
                counter=counter,
            )
            names = [c.skill.name for c in selection.chosen]
            spent = float(sum(c.tokens for c in selection.chosen))
        else:
            names, spent = _chosen_names(ranking, router, k=k, min_confidence=min_confidence), 0.0
        if labelled.skills:
            found = len(set(names) & set(labelled.skills))
            sums["in_abstain"] += not names
            sums["recall"] += found / len(labelled.skills)
            sums["gold_selected"] += found
            sums["selected_in"] += len(names)
            sums["tokens_in"] += spent
        else:
            sums["oos_abstain"] += not names
            sums["selected_oos"] += len(names)
            sums["tokens_oos"] += spent
    counter.save()
    n_in = sum(1 for q in queries if q.skills)
    n_oos = len(queries) - n_in

    def mean(total: float, n: int, *, wanted: bool = True) -> float | None:
        return round(total / n, 4) if n and wanted else None

    return {
        "oos_abstain": mean(sums["oos_abstain"], n_oos),
        "in_abstain": mean(sums["in_abstain"], n_in),
        "recall_selected": mean(sums["recall"], n_in),
        "precision": mean(sums["gold_selected"], int(sums["selected_in"])),
        "selected_mean": mean(sums["selected_in"], n_in),
        "selected_oos_mean": mean(sums["selected_oos"], n_oos),
        "tokens_mean": mean(sums["tokens_in"], n_in, wanted=tokens),
        "tokens_oos_mean": mean(sums["tokens_oos"], n_oos, wanted=tokens),
    }


def _chosen_names(ranking: Ranking, router: Router, *, k: int, min_confidence: float | None) -> list[str]:
    """Return the names ``select`` would choose by the bar, the floor and k alone (no tokens, no budget)."""
    bar = min_confidence_of(router, min_confidence)
    floor = score_floor(router, None, ranking)
    names: list[str] = []
    covered: set[str] = set()
    for match in ranking.matches:
        if match.skill.name not in names and not demerit(match, bar=bar, floor=floor, covered=covered):
            names.append(match.skill.name)
            covered.update(term for term, _ in match.matched)
    return names[:k]


def score(ranked: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Return the per-query metrics of one ranking against the gold skill names."""
    wanted = set(gold)
    ranks = [number for number, name in enumerate(ranked, start=1) if name in wanted]
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(wanted), 10)))
    return {
        "recall@1": sum(1 for r in ranks if r <= 1) / len(wanted),
        "recall@3": sum(1 for r in ranks if r <= 3) / len(wanted),
        "recall@5": sum(1 for r in ranks if r <= 5) / len(wanted),
        "mrr": 1.0 / ranks[0] if ranks else 0.0,
        "ndcg@10": sum(1.0 / math.log2(r + 1) for r in ranks if r <= 10) / ideal,
        "complete@5": 1.0 if sum(1 for r in ranks if r <= 5) == len(wanted) else 0.0,
    }


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the nearest-rank ``pct`` percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]
