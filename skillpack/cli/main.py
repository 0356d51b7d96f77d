"""The ``skillpack`` group: global options, error handling, and the list of commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from skillpack import __version__
from skillpack.cli.common import Settings
from skillpack.errors import SkillpackError


class _Group(click.Group):
    """A group that turns library errors into one line on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SkillpackError as exc:
            click.echo(f"skillpack: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`); not an error worth a traceback
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-p",
    "--path",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=True),
    help="A skill folder or a folder of skills, searched before the default places. Repeatable.",
)
@click.option("--only", is_flag=True, help="Use only the --path folders, not the default search path.")
@click.version_option(__version__, prog_name="skillpack")
@click.pass_context
def cli(ctx: click.Context, paths: tuple[Path, ...], only: bool) -> None:
    """Load skills into an LLM's context on demand.

    Skills are found on the search path, earliest first: --path folders, ./.skillpack/skills,
    ./.agents/skills, ./.claude/skills, $SKILLPACK_HOME (default ~/.skillpack/skills), then the
    skills bundled with skillpack.

    \b
    Example:
      skillpack list
      skillpack --path ./my-skills validate --strict
    """
    ctx.obj = Settings(paths=paths, only=only)


def _register() -> None:
    # Imported here so that each command module stays independent and importable on its own.
    from skillpack.cli import authoring, bench, evaluate, inspect, route, scaffold, validate
    from skillpack.cli import install as install_commands
    from skillpack.cli import plugins as plugin_commands
    from skillpack.cli import run as run_commands

    for module in (
        authoring,
        bench,
        evaluate,
        inspect,
        install_commands,
        plugin_commands,
        route,
        run_commands,
        scaffold,
        validate,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Run the CLI (the ``skillpack`` console script)."""
    cli(prog_name="skillpack")
