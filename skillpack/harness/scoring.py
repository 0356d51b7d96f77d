"""Statistics over trials: accuracy with a Wilson 95% interval, per model x strategy x N.

An interval counts independent observations, not trials. Trials that send the same request (the same
``request_key``: ``none`` and ``oracle`` at every N and position, every strategy at N = 1, a task with
no gold skill at every position) get the same answer from a deterministic model and from the reply
cache, so they are one observation: a cell's ``n`` is the number of distinct requests that ran, and
``trials`` how many trials those requests answered. Trials written before requests were keyed count
one observation each.

Tasks without a gold skill (``scope = "no-skill"``) are summarised apart from those with one
(``"gold"``): they measure what a strategy injects when nothing is needed, not context rot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: The two-sided 95% normal quantile.
Z95 = 1.959963984540054


def wilson(passed: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval for ``passed`` successes in ``n`` trials (``(0, 1)`` when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= passed <= n:
        raise ValueError(f"passed must be between 0 and n={n} (got {passed})")
    p = passed / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Cell:
    """The trials of one backend x model x strategy x N, summarised."""

    backend: str
    model: str
    strategy: str
    size: int
    n: int
    passed: int
    trials: int
    errors: int
    does_not_fit: int
    unsupported: int
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None
    mean_context_tokens: float | None
    mean_latency_s: float | None
    cost_usd: float | None
    mean_recall: float | None
    mean_skills_injected: float | None = None
    mean_injected_tokens: float | None = None
    scope: str = "gold"
    #: The gold position, when cells are split by it (``summarize(..., by_position=True)``); else "".
    position: str = ""

    @property
    def status(self) -> str:
        """``measured``, ``does not fit`` (no trial fit the window), ``unsupported`` or ``errors only``."""
        if self.n:
            return "measured"
        if self.does_not_fit:
            return "does not fit"
        return "unsupported" if self.unsupported else "errors only"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "backend": self.backend,
            "model": self.model,
            "strategy": self.strategy,
            "size": self.size,
            "trials": self.trials,
            "n": self.n,
            "passed": self.passed,
            "accuracy": self.accuracy,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "errors": self.errors,
            "does_not_fit": self.does_not_fit,
            "unsupported": self.unsupported,
            "mean_context_tokens": self.mean_context_tokens,
            "mean_latency_s": self.mean_latency_s,
            "cost_usd": self.cost_usd,
            "mean_recall": self.mean_recall,
            "mean_skills_injected": self.mean_skills_injected,
            "mean_injected_tokens": self.mean_injected_tokens,
            "status": self.status,
        }


def mean(values: Sequence[float]) -> float | None:
    """Return the mean of ``values``, None when there are none."""
    return sum(values) / len(values) if values else None


def observations(trials: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one trial per distinct request (``request_key``); unkeyed trials are kept one by one."""
    seen: dict[str, dict[str, Any]] = {}
    unkeyed: list[dict[str, Any]] = []
    for trial in trials:
        key = trial.get("request_key")
        if isinstance(key, str):
            seen.setdefault(key, trial)
        else:
            unkeyed.append(trial)
    return [*seen.values(), *unkeyed]


def scope(record: dict[str, Any]) -> str:
    """Return ``"gold"`` for a task with gold skills, ``"no-skill"`` for one that needs none."""
    return "gold" if record.get("gold", [None]) else "no-skill"


def summarize(
    records: Iterable[dict[str, Any]], strategies: tuple[str, ...] = (), *, by_position: bool = False
) -> list[Cell]:
    """Group trial records into cells, ordered by scope, backend, model, strategy (given order) and N.

    Accuracy is over the distinct requests that ran (status ``ok``; see the module docstring); errors
    and trials whose context did not fit the model's window are counted apart, never as wrong answers.
    ``by_position`` splits every cell by the gold skills' position.
    """
    groups: dict[tuple[str, str, str, str, int, str], list[dict[str, Any]]] = {}
    for record in records:
        position = str(record.get("position", "")) if by_position else ""
        key = (
            scope(record),
            record["backend"],
            record["model"],
            record["strategy"],
            int(record["size"]),
            position,
        )
        groups.setdefault(key, []).append(record)
    order = {name: index for index, name in enumerate(strategies)}
    places = {name: index for index, name in enumerate(("start", "middle", "end"))}
    cells = []
    for key in sorted(
        groups,
        key=lambda k: (
            k[0] != "gold",
            k[1],
            k[2],
            order.get(k[3], len(order)),
            k[3],
            k[4],
            places.get(k[5], 3),
        ),
    ):
        trials = groups[key]
        ran_trials = [t for t in trials if t["status"] == "ok"]
        ran = observations(ran_trials)
        passed = sum(bool(t["passed"]) for t in ran)
        low, high = wilson(passed, len(ran)) if ran else (None, None)
        sized = [float(t["context_tokens"]) for t in trials if t["status"] in ("ok", "does_not_fit")]
        costs = [float(t["cost_usd"]) for t in ran_trials if t.get("cost_usd") is not None]
        recalls = [float(t["recall"]) for t in ran if t.get("recall") is not None]
        injected = [t for t in trials if t["status"] in ("ok", "does_not_fit")]
        cells.append(
            Cell(
                scope=key[0],
                backend=key[1],
                model=key[2],
                strategy=key[3],
                size=key[4],
                position=key[5],
                n=len(ran),
                passed=passed,
                trials=len(ran_trials),
                errors=sum(t["status"] == "error" for t in trials),
                does_not_fit=sum(t["status"] == "does_not_fit" for t in trials),
                unsupported=sum(t["status"] == "unsupported" for t in trials),
                accuracy=passed / len(ran) if ran else None,
                ci_low=low,
                ci_high=high,
                mean_context_tokens=mean(sized),
                mean_latency_s=mean([float(t["latency_s"]) for t in ran if t.get("latency_s") is not None]),
                cost_usd=sum(costs) if costs else None,
                mean_recall=mean(recalls),
                mean_skills_injected=mean([float(len(t.get("skills_injected") or ())) for t in injected]),
                mean_injected_tokens=mean(
                    [float(t["injected_tokens"]) for t in injected if t.get("injected_tokens") is not None]
                ),
            )
        )
    return cells
