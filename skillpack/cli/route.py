"""``skillpack route``: show which skills a task would get, with scores, evidence and tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from skillpack.cli.common import (
    echo,
    echo_json,
    echo_note,
    format_option,
    in_cli_terms,
    load_pack,
    printable,
    read_task,
    router_for,
    routing_backend_options,
    selection_options,
    shorten,
)
from skillpack.plurals import plural
from skillpack.selection.outcome import against_bar

if TYPE_CHECKING:
    pass


@click.command()
@click.argument("task", required=False)
@selection_options
@routing_backend_options
@format_option("text", "json")
@click.pass_context
def route(
    ctx: click.Context,
    task: str | None,
    router: str,
    k: int,
    budget: int | None,
    min_confidence: float | None,
    backend: str | None,
    model: str | None,
    output_format: str,
) -> None:
    """Rank the skills for TASK and show what would enter the context.

    TASK may also come on standard input (pass - or nothing). Each skill shows its confidence
    (0-1); only skills that reach --min-confidence are loaded, so nothing is chosen when no skill is
    relevant, and the output says why in one line.

    \b
    Example:
      skillpack route "write a commit message for this diff"
      echo "bump the version after a breaking change" | skillpack route --budget 2000 --format json
    """
    text = read_task(task)
    chooser = router_for(router, backend, model)
    pack = load_pack(ctx)
    selection = pack.select(text, k=k, budget=budget, router=chooser, min_confidence=min_confidence)
    report = selection.report()
    if output_format == "json":
        for note in selection.cut_notes:
            echo_note(note)
        echo_json(report)
        return
    if selection.abstained:
        echo(f"nothing is loaded — {printable(in_cli_terms(selection.abstain_reason), one_line=True)}")
    for position, chosen in enumerate(selection.chosen, 1):
        evidence = "; ".join(chosen.evidence) or "-"
        echo(
            f"{position}. {printable(chosen.skill.name, one_line=True)}  confidence {chosen.confidence:.2f}"
            f"  score {chosen.score:.3f}  {plural(chosen.tokens, 'token')}"
        )
        echo(f"   why: {shorten(evidence, 100)}")
    for rejected in selection.rejected:
        echo(
            f"-  {printable(rejected.skill.name, one_line=True)}"
            f"  confidence {against_bar(rejected.confidence, selection.min_confidence)[0]}"
            f"  score {rejected.score:.3f}  left out: {printable(in_cli_terms(rejected.reason), one_line=True)}"
        )
    for note in report["notes"]:
        echo_note(note)
    budget_text = f" of a {budget:,}-token budget" if budget else ""
    echo(
        f"context: {plural(report['context_tokens'], 'token')}{budget_text} for {len(selection.chosen)} of"
        f" {plural(report['skills_installed'], 'skill')}; loading every skill would cost"
        f" {plural(report['all_skills_tokens'], 'token')}"
    )


COMMANDS = [route]
