"""``skillpack lint``, ``skillpack test`` and ``skillpack pack``: the skill author's loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from skillpack.authoring.lint import CLIENT_BUDGETS, lint
from skillpack.authoring.triggers import (
    DEFAULT_COUNTER_K,
    DEFAULT_K,
    Probe,
    SkillResult,
    TriggerReport,
    holdout_router,
    run_trigger_tests,
)
from skillpack.cli.common import echo, echo_json, format_option, printable, settings
from skillpack.errors import UsageError
from skillpack.plurals import plural
from skillpack.registry import SkillPack

_PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


def _library(ctx: click.Context, paths: tuple[Path, ...]) -> SkillPack:
    """Return the library to route against: PATHS and --path folders, then (unless --only) the search path."""
    options = settings(ctx)
    everything = [*paths, *options.paths]
    if options.only:
        if not everything:
            raise UsageError("--only needs at least one --path or PATH")
        return SkillPack.from_paths(everything)
    return SkillPack.discover(everything)


def _router(name: str, **options: Any) -> Any:
    from skillpack.plugins import get_router

    return get_router(name, **options)


@click.command(name="lint")
@_PATHS
@click.option(
    "--router", "router_name", default="lexical", show_default=True, help="Router that checks confusions."
)
@format_option("text", "json")
@click.pass_context
def lint_(ctx: click.Context, paths: tuple[Path, ...], router_name: str, output_format: str) -> None:
    """Check skills for what makes them hard to route to, to load or to afford.

    Beyond the strict schema checks of `validate`: descriptions too vague to route on (too short, no
    "when"), instructions over 500 lines or 5,000 tokens, placeholder text (TODO, FIXME, lorem ipsum, an unedited
    `skillpack new` scaffold; an error), skills without examples (a suggestion for a SKILL.md), pairs of skills the
    router confuses (one skill's example, routed with itself left out of its skill as `skillpack test`
    does, ranks the other first), and the catalog's size against the
    budgets clients give their skill listing (Claude Code about 8,000 characters and 1,536 per entry;
    Codex about 5,440). PATHS default to every skill on the search path; confusions are checked against
    PATHS plus the search path (only PATHS and --path with --only). Exit 1 on errors; warnings print.

    \b
    Example:
      skillpack lint ./skills
      skillpack --only lint ./skills --format json
    """
    library = _library(ctx, paths)
    linted = (
        SkillPack.from_paths(paths, strict=True)
        if paths
        else SkillPack.from_roots(library.roots, strict=True)
    )
    report = lint(linted, library=library, router=holdout_router(router_name))
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        for problem in report.problems:
            echo(f"{problem.severity}: {printable(str(problem), one_line=True)}")
        for confusion in report.confusions:
            for example in confusion.examples[1:]:
                echo(
                    f"  also ranks {confusion.rival} first: {printable(repr(example), one_line=True)}"
                    f" (an example of {confusion.skill})"
                )
        budgets = ", ".join(f"{b.client} ~{b.total_chars:,}" for b in CLIENT_BUDGETS)
        echo(
            f"{plural(report.skills, 'skill')} linted: {plural(report.errors, 'error')},"
            f" {plural(report.warnings, 'warning')}{_suggestions(report.suggestions)};"
            f" catalog {report.catalog_chars:,} characters ({budgets})"
        )
    ctx.exit(1 if report.errors else 0)


def _suggestions(count: int) -> str:
    """Return ", N suggestions" for the lint summary, or "" when there are none."""
    return f", {plural(count, 'suggestion')}" if count else ""


@click.command(name="test")
@_PATHS
@click.option(
    "-k",
    "k",
    type=int,
    default=DEFAULT_K,
    show_default=True,
    help="An example passes when its skill ranks this high.",
)
@click.option(
    "--counter-k",
    type=int,
    default=DEFAULT_COUNTER_K,
    show_default=True,
    help="A counter-example fails when the skill ranks this high.",
)
@click.option(
    "--holdout/--no-holdout",
    default=True,
    show_default=True,
    help="Route each example with itself removed from its skill's examples; --no-holdout routes against"
    " the library as installed, where an example finds itself.",
)
@click.option("--router", "router_name", default="lexical", show_default=True, help="Router to test with.")
@format_option("text", "json")
@click.pass_context
def test(
    ctx: click.Context,
    paths: tuple[Path, ...],
    k: int,
    counter_k: int,
    holdout: bool,
    router_name: str,
    output_format: str,
) -> None:
    """Check, offline, that each skill's examples route to it and its counter_examples do not.

    Every example of the skills under PATHS (default: every skill on the search path) is routed against
    the whole library (PATHS plus the search path; only PATHS and --path with --only): it must rank its
    skill within the top -k, and no counter-example may rank the skill within the top --counter-k.
    Routers index the examples, so by default each example is routed with itself left out of its
    skill (--holdout): it must route as a new phrasing of the request would.

    A probe selects a skill when the skill ranks within -k (examples) or --counter-k
    (counter-examples). Per skill S, recall = S's examples that select S / S's examples, and
    precision = S's examples that select S / every probe that selects S (S's examples, the other
    skills' examples, S's counter-examples), so the examples of every skill in the library are routed.
    At -k 3 each example selects three skills; -k 1 scores the router's first choice. Prints both per
    skill and each failure. Exit 1 when any probe fails or no skill has examples to test, so authors
    can run it in CI.

    \b
    Example:
      skillpack test ./skills
      skillpack test ./skills -k 1 --no-holdout --format json
    """
    library = _library(ctx, paths)
    if paths:
        wanted = {skill.folder.resolve() for skill in SkillPack.from_paths(paths)}
        tested = [skill for skill in library if skill.folder.resolve() in wanted]
    else:
        tested = list(library)
    router = holdout_router(router_name) if holdout else _router(router_name)
    report = run_trigger_tests(tested, library, router, k=k, counter_k=counter_k, holdout=holdout)
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        _print_report(report)
    ctx.exit(0 if report.passed else 1)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print_report(report: TriggerReport) -> None:
    names = {r.name: printable(r.name, one_line=True) for r in report.results}
    width = max((len(name) for name in names.values()), default=4)
    for result in report.results:
        status = "PASS" if result.passed else "FAIL"
        echo(
            f"{status}  {names[result.name]:<{width}}  recall {result.hits}/{result.examples} ({_ratio(result.recall)})"
            f"  precision {_precision(result)}"
        )
        for probe in result.failures:
            echo(f"      {printable(_failure(result.name, probe), one_line=True)}")
    if report.untested:
        untested = printable(", ".join(report.untested), one_line=True)
        echo(f"untested (no examples or counter_examples): {untested}")
    totals = report.totals()
    mode = ", leave-one-out" if report.holdout else ", --no-holdout: each example indexed"
    echo(
        f"{plural(totals['skills'], 'skill')} tested against a library of {report.library} with {report.router}"
        f" (k={report.k}, counter-k={report.counter_k}{mode}): {totals['skills'] - totals['failed_skills']} passed,"
        f" {totals['failed_skills']} failed; {totals['probes'] - totals['failed_probes']}/{totals['probes']} probes"
        " passed"
    )
    if not report.results:
        echo("nothing to test: add examples: (and counter_examples:) to the skills' manifests")


def _precision(result: SkillResult) -> str:
    selected = result.hits + result.false_positives
    return f"{result.hits}/{selected} ({_ratio(result.precision)})"


def _failure(name: str, probe: Probe) -> str:
    ranked = ", ".join(probe.top) or "nothing (the router abstained)"
    if probe.kind == "example":
        return f"example {probe.task!r}: {name} not in the top {probe.limit}; ranked {ranked}"
    return (
        f"counter-example {probe.task!r}: {name} ranked {probe.rank} (must not be in the top {probe.limit})"
    )


@click.command(name="pack")
@click.argument("skill_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Folder to write the archive into.",
)
@format_option("text", "json")
def pack(skill_dir: Path, out_dir: Path, output_format: str) -> None:
    """Validate a skill strictly and write NAME-VERSION.skill (a zip archive with SHA256SUMS).

    The archive holds the skill folder (hidden files and __pycache__ left out) and a SHA256SUMS file
    with one checksum per file. Packing the same files again gives the same bytes: entries are sorted,
    timestamps and permissions fixed. Symlinks and special files are refused. --format json prints
    {name, version, path, files, sha256}.

    \b
    Example:
      skillpack pack ./skills/semver-bump --out dist
    """
    from skillpack.authoring.archive import pack_skill

    result = pack_skill(skill_dir, out_dir=out_dir)
    if output_format == "json":
        echo_json(
            {
                "name": result.skill.name,
                "version": result.skill.version,
                "path": str(result.path),
                "files": result.files,
                "sha256": result.sha256,
            }
        )
        return
    echo(f"wrote {result.path} ({plural(result.files, 'file')}, sha256 {result.sha256})")


COMMANDS = [lint_, test, pack]
