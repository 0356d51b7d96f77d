"""Statistics over trials: accuracy with a Wilson 95% interval, per model x strategy x N."""

from __future__ import annotations

import math
from collections.abc import Iterable
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
            "backend": self.backend,
            "model": self.model,
            "strategy": self.strategy,
            "size": self.size,
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
            "status": self.status,
        }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(records: Iterable[dict[str, Any]], strategies: tuple[str, ...] = ()) -> list[Cell]:
    """Group trial records into cells, ordered by backend, model, strategy (given order) and N.

    Accuracy is over the trials that ran (status ``ok``); errors and trials whose context did not fit
    the model's window are counted apart, never as wrong answers.
    """
    groups: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
    for record in records:
        key = (record["backend"], record["model"], record["strategy"], int(record["size"]))
        groups.setdefault(key, []).append(record)
    order = {name: index for index, name in enumerate(strategies)}
    cells = []
    for key in sorted(groups, key=lambda k: (k[0], k[1], order.get(k[2], len(order)), k[2], k[3])):
        trials = groups[key]
        ran = [t for t in trials if t["status"] == "ok"]
        passed = sum(bool(t["passed"]) for t in ran)
        low, high = wilson(passed, len(ran)) if ran else (None, None)
        sized = [float(t["context_tokens"]) for t in trials if t["status"] in ("ok", "does_not_fit")]
        costs = [float(t["cost_usd"]) for t in ran if t.get("cost_usd") is not None]
        recalls = [float(t["recall"]) for t in ran if t.get("recall") is not None]
        cells.append(
            Cell(
                backend=key[0],
                model=key[1],
                strategy=key[2],
                size=key[3],
                n=len(ran),
                passed=passed,
                errors=sum(t["status"] == "error" for t in trials),
                does_not_fit=sum(t["status"] == "does_not_fit" for t in trials),
                unsupported=sum(t["status"] == "unsupported" for t in trials),
                accuracy=passed / len(ran) if ran else None,
                ci_low=low,
                ci_high=high,
                mean_context_tokens=_mean(sized),
                mean_latency_s=_mean([float(t["latency_s"]) for t in ran if t.get("latency_s") is not None]),
                cost_usd=sum(costs) if costs else None,
                mean_recall=_mean(recalls),
            )
        )
    return cells
