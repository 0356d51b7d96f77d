"""``skillpack route``: show which skills a task would get, with scores, evidence and tokens."""

from __future__ import annotations

import click

from skillpack.cli.common import echo_json, format_option, load_pack, read_task, shorten
from skillpack.selection import DEFAULT_K, DEFAULT_ROUTER


@click.command()
@click.argument("task", required=False)
@click.option(
    "--router", default=DEFAULT_ROUTER, show_default=True, help="Router name (see `skillpack plugins`)."
)
@click.option("-k", "k", type=int, default=DEFAULT_K, show_default=True, help="At most this many skills.")
@click.option("--budget", type=int, help="Token budget for the assembled context (exact, cl100k_base).")
@format_option("text", "json")
@click.pass_context
def route(
    ctx: click.Context, task: str | None, router: str, k: int, budget: int | None, output_format: str
) -> None:
    """Rank the skills for TASK and show what would enter the context.

    TASK may also come on standard input (pass - or nothing). The router abstains, choosing
    nothing, when no skill is relevant.

    \b
    Example:
      skillpack route "write a commit message for this diff"
      echo "bump the version after a breaking change" | skillpack route --budget 2000 --format json
    """
    text = read_task(task)
    pack = load_pack(ctx)
    selection = pack.select(text, k=k, budget=budget, router=router)
    report = selection.report()
    if output_format == "json":
        echo_json(report)
        return
    if selection.ranking.abstained:
        click.echo(
            f"no skill is relevant to this task ({report['router']} router abstained); nothing is loaded"
        )
    for position, chosen in enumerate(selection.chosen, 1):
        evidence = "; ".join(chosen.evidence) or "-"
        click.echo(f"{position}. {chosen.skill.name}  score {chosen.score:.3f}  {chosen.tokens} tokens")
        click.echo(f"   why: {shorten(evidence, 100)}")
    for rejected in selection.rejected:
        click.echo(f"-  {rejected.skill.name}  score {rejected.score:.3f}  left out: {rejected.reason}")
    for note in report["notes"]:
        click.echo(f"note: {note}", err=True)
    budget_text = f" of a {budget:,}-token budget" if budget else ""
    click.echo(
        f"context: {report['context_tokens']:,} tokens{budget_text} for {len(selection.chosen)} of"
        f" {report['skills_installed']} skills; loading every skill would cost {report['all_skills_tokens']:,}"
    )


COMMANDS = [route]
