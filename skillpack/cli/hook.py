"""``skillpack hook``: commands an agent host runs on its own events (Claude Code's ``UserPromptSubmit``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from skillpack.cli.common import settings
from skillpack.selection import DEFAULT_ROUTER


class _NeverBlocking(click.Command):
    """A command whose bad options exit 0: exit code 2 from a ``UserPromptSubmit`` hook blocks the prompt."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            click.echo(
                f"skillpack hook: ignored (the prompt goes on unchanged): {exc.format_message()}", err=True
            )
            ctx.exit(0)


@click.group()
def hook() -> None:
    """Commands for agent hosts' hooks.

    \b
    Example (.claude/settings.json):
      {"hooks": {"UserPromptSubmit": [{"hooks": [
        {"type": "command", "command": "skillpack hook claude-code", "timeout": 10}]}]}}
    """


@hook.command("claude-code", cls=_NeverBlocking)
@click.option(
    "--router", default=DEFAULT_ROUTER, show_default=True, help="Router name (see `skillpack plugins`)."
)
@click.option(
    "-k", "k", type=click.IntRange(1, 20), default=3, show_default=True, help="At most this many skills."
)
@click.option(
    "--budget",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Token budget for the added skills (exact, cl100k_base).",
)
@click.option(
    "--max-chars",
    type=click.IntRange(1),
    default=10_000,
    show_default=True,
    help="The added context stays under this many characters (Claude Code previews longer text).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="Seconds to spend at most; past it the hook adds nothing.",
)
@click.option(
    "--log-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append one JSON line per prompt: what was chosen, or why nothing was.",
)
@click.pass_context
def claude_code(
    ctx: click.Context,
    router: str,
    k: int,
    budget: int,
    max_chars: int,
    timeout: float,
    log_file: Path | None,
) -> None:
    """Claude Code UserPromptSubmit hook: add the skills a prompt needs as context.

    Reads the hook's JSON on standard input, routes the prompt over the project's skills (the search
    path, from the payload's cwd) and prints the hook output whose additionalContext holds the chosen
    skills' instructions. Prints nothing when the router abstains. It never blocks the prompt: on any
    error, or after --timeout seconds, it prints nothing and exits 0, with the reason in --log-file.

    \b
    Example (.claude/settings.json):
      {"hooks": {"UserPromptSubmit": [{"hooks": [
        {"type": "command", "command": "skillpack hook claude-code --log-file .claude/skillpack.jsonl",
         "timeout": 10}]}]}}
    """
    from skillpack.eventlog import EventLog
    from skillpack.hook import MAX_INPUT_BYTES, HookOptions, run_hook

    group = settings(ctx)
    try:
        log = EventLog(log_file)
    except Exception as exc:  # an unwritable log must not block the prompt either
        click.echo(f"skillpack hook: {exc}", err=True)
        log = EventLog(None)
    hook_options = HookOptions(
        paths=group.paths,
        only=group.only,
        router=router,
        k=k,
        budget=budget,
        max_chars=max_chars,
        timeout=timeout,
    )
    output = run_hook(lambda: sys.stdin.buffer.read(MAX_INPUT_BYTES + 1), hook_options, log)
    if output:
        click.echo(output)


COMMANDS = [hook]
