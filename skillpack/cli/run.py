"""``skillpack run``: route a task, assemble the skills, ask a model, print the answer."""

from __future__ import annotations

import shlex

import click

from skillpack.cli.common import (
    echo,
    echo_json,
    echo_note,
    format_option,
    in_cli_terms,
    load_pack,
    read_task,
    selection_options,
    shorten,
)
from skillpack.plurals import plural
from skillpack.running import DEFAULT_CATALOG_BUDGET, DEFAULT_MAX_TOKENS, NO_BACKEND, RunResult


@click.command()
@click.argument("task", required=False)
@click.option(
    "--backend",
    help="Model backend: anthropic, local, fake, or a plugin's (see `skillpack plugins`). Default: anthropic"
    " when ANTHROPIC_API_KEY is set, else local when skillpack[local] is installed, else a dry run.",
)
@click.option("--model", help="Model: an Anthropic model id, or a .gguf file for the local backend.")
@selection_options
@click.option(
    "--catalog-budget",
    type=int,
    default=DEFAULT_CATALOG_BUDGET,
    show_default=True,
    help="Tokens for the catalog of other skills the model may load on demand; 0 offers none.",
)
@click.option(
    "--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, show_default=True, help="Longest answer, in tokens."
)
@click.option(
    "--max-turns", type=int, default=4, show_default=True, help="Most model calls in the tool loop."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the system prompt the backend would send (skills, and any catalog); call no model.",
)
@click.option(
    "--explain", is_flag=True, help="Also print the skills used and why, tokens and cost (on stderr)."
)
@format_option("text", "json")
@click.pass_context
def run(
    ctx: click.Context,
    task: str | None,
    backend: str | None,
    model: str | None,
    router: str,
    k: int,
    budget: int | None,
    min_confidence: float | None,
    catalog_budget: int,
    max_tokens: int,
    max_turns: int,
    dry_run: bool,
    explain: bool,
    output_format: str,
) -> None:
    """Answer TASK with the skills it needs: route, assemble, call a model, print the answer.

    TASK may also come on standard input (pass - or nothing). Without --backend, the answer comes
    from Claude when ANTHROPIC_API_KEY is set, else from the local model when skillpack[local] is
    installed; otherwise it prints the context it would have sent: on stdout exactly what a model would
    receive, framed on stderr by the task, the chosen skills and why, the tokens, and what to try next.

    \b
    Example:
      skillpack run "write a commit message for: fix the login timeout"
      skillpack run --backend fake --explain "bump the version after a breaking change"
      git diff | skillpack run --dry-run
    """
    text = read_task(task)
    pack = load_pack(ctx)
    result = pack.run(
        text,
        backend=backend,
        model=model,
        router=router,
        k=k,
        budget=budget,
        min_confidence=min_confidence,
        catalog_budget=catalog_budget,
        max_tokens=max_tokens,
        max_turns=max_turns,
        dry_run=dry_run,
    )
    fallback = bool(result.dry_run_reason) and not dry_run
    if fallback and output_format == "json":
        echo_note(result.dry_run_reason)
    if output_format == "json":
        echo_json(result.report(include_context=explain))
        return
    if fallback:
        _introduce(result)
    if result.dry_run:
        _print_dry_run(result)
    else:
        echo(result.answer)
    if fallback:
        _next_steps(result)
    for note in result.notes:
        echo_note(note)
    if explain:
        _explain(result)


def _introduce(result: RunResult) -> None:
    """Say on stderr, before the context, what a newcomer needs first: the task, the skills and why, the tokens.

    stdout keeps only the context (what a model would receive), so it can still be piped or compared.
    """

    def say(line: str) -> None:
        echo(line, err=True)

    selection = result.selection
    report = selection.report()
    say(f"task: {shorten(result.task, 100)}")
    chosen = len(selection.chosen)
    skills = "skill" if report["skills_installed"] == 1 else "skills"
    say(f"skills: {chosen} of {report['skills_installed']} {skills}, chosen by the {report['router']} router")
    if selection.abstained:
        say(f"  none loaded — {selection.abstain_reason}")
    for chosen_skill in selection.chosen:
        why = shorten("; ".join(chosen_skill.evidence) or "-", 70)
        say(f"  {chosen_skill.skill.name}  confidence {chosen_skill.confidence:.2f}  why: {why}")
    say(
        f"tokens: {report['context_tokens']:,} in the context (loading every skill would cost"
        f" {report['all_skills_tokens']:,})"
    )
    if result.context:
        say("context, exactly as a model would receive it (on stdout):")
    say("")


def _next_steps(result: RunResult) -> None:
    """Say on stderr, after the context, why no model answered and what to try next."""
    echo("", err=True)
    if result.dry_run_reason != NO_BACKEND:
        echo_note(result.dry_run_reason)
        return
    echo("no answer: no model backend is available.", err=True)
    echo(
        "next: export ANTHROPIC_API_KEY=... for Claude's answer, or pip install 'skillpack[local]' for a local"
        f" model, and run it again; skillpack route {_task_argument(result.task)} shows how every skill ranked",
        err=True,
    )


def _task_argument(task: str) -> str:
    """Return ``task`` quoted for a shell when it is short enough to retype, else ``TASK``."""
    return shlex.quote(task) if len(task) <= 80 and task.isprintable() else "TASK"


def _print_dry_run(result: RunResult) -> None:
    """Print the system text as the backend builds it (controls escaped); say on stderr what else goes along."""
    prompt = result.prompt
    system = prompt.system if prompt is not None else result.context
    if not result.context:
        echo_note("no skill was selected for this task; the context is empty")
    if system:
        echo(system, nl=False)
    tools = [tool.get("name", "?") for tool in prompt.tools] if prompt is not None else []
    if tools:
        echo_note(
            f"a {', '.join(tools)} tool over {plural(len(result.loadable), 'skill')} would be offered"
            " (--format json shows it)"
        )


def _explain(result: RunResult) -> None:
    """Print what was used and why, and what it cost, on stderr (stdout keeps only the answer)."""

    def say(line: str) -> None:
        echo(line, err=True)

    selection = result.selection
    report = selection.report()
    say("")
    say(
        f"skills: {len(selection.chosen)} of {report['skills_installed']} chosen by the {report['router']} router;"
        f" context {plural(report['context_tokens'], 'token')} (every skill: {report['all_skills_tokens']:,})"
    )
    if selection.abstained:
        say(f"  nothing is loaded — {in_cli_terms(selection.abstain_reason)}")
    for position, chosen in enumerate(selection.chosen, 1):
        why = shorten("; ".join(chosen.evidence) or "-", 90)
        say(
            f"  {position}. {chosen.skill.name}  confidence {chosen.confidence:.2f}  score {chosen.score:.3f}"
            f"  {plural(chosen.tokens, 'token')}  why: {why}"
        )
    for rejected in selection.rejected:
        say(f"  -  {rejected.skill.name}  left out: {in_cli_terms(rejected.reason)}")
    for note in report["notes"]:
        if note not in result.notes:  # the cuts by k or budget were already printed as notes
            say(f"  note: {in_cli_terms(note)}")
    if report["routing_tokens"]:
        say(f"routing: {plural(report['routing_tokens'], 'model token')}")
    offered = ", ".join(result.loadable) or "none"
    if result.reply is None:
        say(f"on demand: offered {offered}")
        say("model: none (dry run)")
        return
    reply = result.reply
    say(f"on demand: loaded {', '.join(reply.loaded_skills) or 'none'}; offered {offered}")
    say(
        f"model: {reply.model} (backend {reply.backend}), {plural(reply.turns, 'turn')}, {reply.latency_s:.1f}s,"
        f" stop reason {reply.stop_reason or '-'}"
    )
    usage = reply.usage
    cost = "unknown" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    say(
        f"tokens: {usage.input_tokens:,} input, {usage.output_tokens:,} output, {usage.cache_read_tokens:,} cache"
        f" read, {usage.cache_write_tokens:,} cache write; cost {cost}"
    )


COMMANDS = [run]
