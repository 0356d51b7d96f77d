"""Measure a router on labelled queries: recall@k, MRR, nDCG@10, complete@5 and latency.

A queries file is JSON Lines, one ``{"query": str, "skills": [name, ...]}`` per line (blank lines are
skipped). Problems are reported with the file and line number; a file with unknown skill names is
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

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.routing.base import Router

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
        raise SkillpackError(f"{path}: cannot read the queries file: {exc.strerror or exc}") from None
    queries: list[LabelledQuery] = []
    for number, line_bytes in enumerate(raw.splitlines(), start=1):
        where = f"{path}:{number}"
        try:
            line = line_bytes.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise SkillpackError(
                f"{where}: not UTF-8 text (byte 0x{line_bytes[exc.start]:02x} at column {exc.start + 1})"
                " — save the file as UTF-8"
            ) from None
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
        raise SkillpackError(f"{where}: not JSON ({exc.msg} at column {exc.colno}) — {shape}") from None
    if not isinstance(item, dict):
        raise SkillpackError(f"{where}: expected a JSON object, got {type(item).__name__} — {shape}")
    query, skills = item.get("query"), item.get("skills")
    if not isinstance(query, str) or not query.strip():
        raise SkillpackError(f"{where}: $.query must be a non-empty string — {shape}")
    if not isinstance(skills, list) or not skills or not all(isinstance(s, str) and s for s in skills):
        raise SkillpackError(f"{where}: $.skills must be a non-empty list of skill names — {shape}")
    return LabelledQuery(number, query, tuple(dict.fromkeys(skills)))


def _check_known(path: Path, queries: Sequence[LabelledQuery], known: Collection[str]) -> None:
    unknown = [(q.line, name) for q in queries for name in q.skills if name not in known]
    if not unknown:
        return
    shown = "; ".join(f"line {line}: {name!r}" for line, name in unknown[:SHOWN_PROBLEMS])
    more = f" (and {len(unknown) - SHOWN_PROBLEMS} more)" if len(unknown) > SHOWN_PROBLEMS else ""
    raise SkillpackError(
        f"{path}: {len(unknown)} unknown skill name(s) — {shown}{more}; "
        "fix the names or add those skills to the skills folder"
    )


def evaluate(
    pack: SkillPack, queries: Sequence[LabelledQuery], router: Router, *, k: int = 10
) -> dict[str, Any]:
    """Route every query with ``router`` (top ``k``) and return the metrics named in ``METRICS``.

    ``build_s`` is the time the router takes to build its index from scratch (routers without a
    ``prepare`` method build lazily, so for them it is 0 and the build lands in the first query).
    """
    prepare = getattr(router, "prepare", None)
    start = time.perf_counter()
    if callable(prepare):
        prepare(pack, rebuild=True)
    build_s = time.perf_counter() - start
    totals = dict.fromkeys(("recall@1", "recall@3", "recall@5", "mrr", "ndcg@10", "complete@5"), 0.0)
    latencies: list[float] = []
    for labelled in queries:
        start = time.perf_counter()
        ranking = router.rank(labelled.query, pack, k=k)
        latencies.append((time.perf_counter() - start) * 1000.0)
        for key, value in score([m.skill.name for m in ranking.matches], labelled.skills).items():
            totals[key] += value
    n = len(queries)
    result: dict[str, Any] = {key: round(total / n, 4) for key, total in totals.items()}
    result.update(
        {
            "p50_ms": round(percentile(latencies, 50), 3),
            "p95_ms": round(percentile(latencies, 95), 3),
            "build_s": round(build_s, 3),
            "n_queries": n,
            "n_skills": len(pack),
        }
    )
    return {key: result[key] for key in METRICS}


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
