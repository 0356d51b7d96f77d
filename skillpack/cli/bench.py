"""``skillpack bench``: measure accuracy as the installed skills grow, with and without routing."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import click

from skillpack.cli.common import echo, echo_json, format_option, in_cli_terms
from skillpack.errors import SkillpackError, UsageError
from skillpack.plurals import plural

SIZES_HELP = "1,2,4,8,16,32,64,128,256"


def _split(value: str, option: str) -> tuple[str, ...]:
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    if not items:
        raise UsageError(f"{option} needs at least one value, comma-separated")
    return items


def _sizes(value: str) -> tuple[int, ...]:
    sizes = []
    for item in _split(value, "--sizes"):
        try:
            size = int(item)
        except ValueError as exc:
            raise UsageError(f"--sizes: {item!r} is not a whole number — e.g. --sizes 1,4,16,64") from exc
        if size < 1:
            raise UsageError(f"--sizes: {size} is not a positive number of skills")
        sizes.append(size)
    return tuple(sizes)


class ProgressLine:
    """Progress with an estimate of the time left, on stderr: one updating line on a terminal,
    else a line every ``every`` seconds (for logs). The estimate counts model calls, not trials:
    trials answered from the cache or that do not fit take no time."""

    def __init__(self, stream: TextIO, *, every: float = 30.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every
        self.calls_started: float | None = None
        self.last_print: float | None = None

    def __call__(self, done: int, total: int, calls_done: int, calls_total: int) -> None:
        now = time.monotonic()
        starting = bool(calls_total) and self.calls_started is None
        if starting:
            self.calls_started = now
        percent = 100 * done / total if total else 100.0
        line = f"bench: {done}/{total} trials ({percent:.0f}%)"
        if calls_total:
            elapsed = now - (self.calls_started or now)
            left = elapsed / calls_done * (calls_total - calls_done) if calls_done else None
            eta = "--" if left is None else _duration(left)
            line += f", model calls {calls_done}/{calls_total}, ETA {eta}"
        if self.tty:
            self.stream.write("\r" + line.ljust(78))
            if done >= total:
                self.stream.write("\n")
        elif starting or self.last_print is None or done >= total or now - self.last_print >= self.every:
            self.stream.write(line + "\n")
            self.last_print = now
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@click.command()
@click.argument("suite", required=False, type=click.Path(path_type=Path))
@click.option(
    "--backend",
    default=None,
    help="Model backend: anthropic, local, fake, or a plugin's (not with --router-only).",
)
@click.option(
    "--model",
    default=None,
    help="Model id (anthropic) or GGUF path (local); the backend's default if omitted.",
)
@click.option(
    "--strategies",
    default="none,oracle,all,routed,catalog",
    show_default=True,
    help="Comma-separated: none, oracle, all, routed, catalog.",
)
@click.option("--sizes", default=SIZES_HELP, show_default=True, help="Installed skills N, comma-separated.")
@click.option(
    "--positions",
    default="start,middle,end",
    show_default=True,
    help="Where the gold skills sit among the installed ones.",
)
@click.option(
    "--repeats",
    type=int,
    default=1,
    show_default=True,
    help="Repeats; repeat r draws distractors with seed+r.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed of the distractor draw.")
@click.option("-k", "k", type=int, default=3, show_default=True, help="Skills the routed strategy keeps.")
@click.option("--budget", type=int, default=None, help="Token budget of the routed strategy's context.")
@click.option("--router", default="lexical", show_default=True, help="Router of the routed strategy.")
@click.option("--max-tokens", type=int, default=64, show_default=True, help="Answer length limit.")
@click.option(
    "--context-window",
    type=int,
    default=None,
    help="Model window in tokens; trials that exceed it are recorded as does_not_fit. "
    "Default: the backend's own, when it reports one.",
)
@click.option(
    "--threads",
    type=int,
    default=None,
    help="CPU threads of a local model, for prompt and generation (default: $SKILLPACK_THREADS, else 1).",
)
@click.option("--tasks", "task_ids", default=None, help="Only these task ids, comma-separated.")
@click.option("--limit", type=int, default=None, help="Only the first N tasks.")
@click.option(
    "--jobs", type=int, default=1, show_default=True, help="Model calls in parallel (API backends)."
)
@click.option(
    "--batch",
    is_flag=True,
    help="Send calls through the Anthropic Message Batches API (submit, poll, resume).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Out folder; rerun the same command to resume.",
)
@click.option("--no-progress", is_flag=True, help="Do not show progress on stderr.")
@click.option("--no-plot", is_flag=True, help="Do not draw accuracy.svg (the tables are always written).")
@format_option("text", "json")
@click.option(
    "--router-only",
    is_flag=True,
    help="No model: route every task at each size and report recall of the gold skill, skills and tokens"
    " injected and seconds per route (OUT/router.md, router.json).",
)
def bench(
    suite: Path | None,
    backend: str | None,
    model: str | None,
    strategies: str,
    sizes: str,
    positions: str,
    repeats: int,
    seed: int,
    k: int,
    budget: int | None,
    router: str,
    max_tokens: int,
    context_window: int | None,
    threads: int | None,
    task_ids: str | None,
    limit: int | None,
    jobs: int,
    batch: bool,
    out: Path,
    no_progress: bool,
    no_plot: bool,
    router_only: bool,
    output_format: str,
) -> None:
    """Measure task accuracy as the number of installed skills N grows, for each way of loading skills.

    SUITE is a suite JSON file or the name of a bundled suite: house-rules (the default; 48 tasks
    over 300 skills of house rules to apply) or office-facts (one value per skill, within a small
    model's reach: 48 tasks over 384 skills, plus 12 tasks that need no skill); office-facts-random is
    its control with random instead of look-alike distractors. Writes OUT/trials.jsonl, summary.csv,
    summary.md, accuracy.svg (with skillpack[plot]) and manifest.json. Killed or errored? Run the same command again: finished trials are kept, model
    calls are cached by content, errored trials are retried. Exit 0 when every trial finished,
    1 when some errored or the run stopped (full disk, five failed model calls in a row; rerun to
    resume), 2 on bad options or a bad suite. --format json prints {out, planned, skipped, ran, counts,
    errors, files, notes, cells} (cells as in summary.csv), or with --router-only router.json's content
    and its files.

    \b
    Example:
      skillpack bench office-facts --backend local --sizes 1,4,16,64 --limit 12 --out bench-out
      skillpack bench --backend anthropic --model claude-haiku-4-5 --jobs 8 --out runs/haiku
      skillpack bench --backend anthropic --batch --sizes 1,16,256 --out runs/batch
    """
    from skillpack.harness import SweepConfig, run_sweep
    from skillpack.harness.report import summary_markdown
    from skillpack.harness.suite import suite_path

    if router_only:
        if backend is not None:
            raise UsageError("--router-only runs no model; drop --backend")
        _router_only(
            suite,
            sizes=sizes,
            k=k,
            budget=budget,
            router=router,
            seed=seed,
            limit=limit,
            out=out,
            as_json=output_format == "json",
        )
        return
    if backend is None:
        raise UsageError(
            "--backend is required (anthropic, local, fake, or a plugin's), unless --router-only"
        )
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {jobs})")
    config = SweepConfig(
        suite=str(suite_path(suite)),
        backend=backend,
        model=model,
        strategies=_split(strategies, "--strategies"),
        sizes=_sizes(sizes),
        positions=_split(positions, "--positions"),
        repeats=repeats,
        seed=seed,
        k=k,
        budget=budget,
        router=router,
        max_tokens=max_tokens,
        context_window=context_window,
        threads=threads,
        tasks=_split(task_ids, "--tasks") if task_ids else (),
        limit=limit,
        jobs=jobs,
        batch=batch,
    )
    progress: Callable[[int, int, int, int], None] | None = None if no_progress else ProgressLine(sys.stderr)
    result = run_sweep(config, out, progress=progress, argv=["skillpack", *sys.argv[1:]], draw=not no_plot)
    report = result.report
    ran = sum(result.counts.values())
    written = ["trials.jsonl", *(report.files if report else ()), "manifest.json", "cache/"]
    errors = sum(1 for record in result.all_records if record["status"] == "error")
    if output_format == "json":
        echo_json(
            {
                "out": str(out),
                "planned": result.planned,
                "skipped": result.skipped,
                "ran": ran,
                "counts": dict(result.counts),
                "errors": errors,
                "files": written,
                "notes": [in_cli_terms(note) for note in (report.notes if report else ())],
                "cells": [cell.to_dict() for cell in (report.cells if report else ())],
            }
        )
    else:
        if report is not None:
            echo(summary_markdown(report.cells), nl=False)
            for note in report.notes:
                echo(f"skillpack: note: {in_cli_terms(note)}", err=True)
        echo(
            f"\n{plural(result.planned, 'trial')} planned, {result.skipped:,} already done, {ran:,} run now"
            + "".join(f", {count:,} {status}" for status, count in sorted(result.counts.items()))
            + f"; wrote in {out}/: {', '.join(written)}"
        )
    if errors:
        echo(
            f"skillpack: error: {plural(errors, 'trial')} failed (see the error field in {out}/trials.jsonl);"
            " run the same command again to retry them",
            err=True,
        )
        click.get_current_context().exit(1)


def _router_only(
    suite: Path | None,
    *,
    sizes: str,
    k: int,
    budget: int | None,
    router: str,
    seed: int,
    limit: int | None,
    out: Path,
    as_json: bool,
) -> None:
    """Measure the router alone at each size; print and write OUT/router.md and OUT/router.json."""
    import json

    from skillpack.cache import write_atomic
    from skillpack.harness.report import versions
    from skillpack.harness.routing_scale import markdown, measure
    from skillpack.harness.suite import load_suite, suite_path

    loaded = load_suite(suite_path(suite))
    tasks = list(loaded.tasks)
    if limit is not None:
        tasks = tasks[:limit]
    started = time.monotonic()
    points = measure(loaded, tasks, _sizes(sizes), k=k, budget=budget, router=router, seed=seed)
    title = f"router {router} (k={k}, budget {budget or 'none'}) on {loaded.name}: {len(loaded.skills):,} skills in the pool"
    table = markdown(points, title=title)
    document = {
        "command": ["skillpack", *sys.argv[1:]],
        "suite": {"name": loaded.name, "sha256": loaded.sha256, "skills": len(loaded.skills)},
        "router": router,
        "k": k,
        "budget": budget,
        "seed": seed,
        "wall_s": round(time.monotonic() - started, 1),
        "versions": versions(),
        "points": [p.to_dict() for p in points],
    }
    try:
        write_atomic(out / "router.md", table.encode("utf-8"))
        write_atomic(out / "router.json", (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise SkillpackError(f"{out}: cannot write the report: {exc.strerror or exc}") from exc
    if as_json:
        echo_json({**document, "out": str(out), "files": ["router.md", "router.json"]})
        return
    echo(table, nl=False)
    echo(f"\nwrote in {out}/: router.md, router.json")


COMMANDS = [bench]
