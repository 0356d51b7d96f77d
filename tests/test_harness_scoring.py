"""Wilson intervals and the per-cell summary."""

from __future__ import annotations

import pytest

from skillpack.harness.scoring import summarize, wilson


@pytest.mark.parametrize(
    ("passed", "n", "low", "high"),
    [
        # Textbook values (0/10, 5/10, 10/10) and 6/9 worked by hand from the formula.
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (6, 9, 0.3542, 0.8794),
    ],
)
def test_wilson_matches_reference_values(passed: int, n: int, low: float, high: float) -> None:
    got = wilson(passed, n)
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_wilson_edge_cases() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="between 0 and n=3"):
        wilson(4, 3)


def _trial(
    strategy: str, size: int, status: str, passed: bool | None, tokens: int = 100, **extra: object
) -> dict[str, object]:
    return {
        "backend": "fake",
        "model": "m",
        "strategy": strategy,
        "size": size,
        "status": status,
        "passed": passed,
        "context_tokens": tokens,
        "latency_s": 0.5,
        "cost_usd": 0.01,
        "recall": 1.0,
        **extra,
    }


def test_errors_and_unfit_trials_are_counted_apart() -> None:
    records = [
        _trial("all", 4, "ok", True),
        _trial("all", 4, "ok", False),
        _trial("all", 4, "error", None),
        _trial("all", 64, "does_not_fit", None, tokens=9000),
        _trial("none", 4, "ok", False, tokens=20),
        _trial("catalog", 4, "unsupported", None),
    ]
    cells = {(c.strategy, c.size): c for c in summarize(records, ("none", "all", "catalog"))}
    four = cells[("all", 4)]
    assert (four.n, four.passed, four.errors, four.accuracy) == (2, 1, 1, 0.5)
    assert four.cost_usd == pytest.approx(0.02) and four.status == "measured"
    unfit = cells[("all", 64)]
    assert (unfit.n, unfit.does_not_fit, unfit.accuracy, unfit.status) == (0, 1, None, "does not fit")
    assert unfit.mean_context_tokens == 9000
    assert cells[("catalog", 4)].status == "unsupported"
    assert [c.strategy for c in summarize(records, ("none", "all", "catalog"))] == [
        "none",
        "all",
        "all",
        "catalog",
    ]
