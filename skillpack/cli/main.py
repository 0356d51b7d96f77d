"""The ``skillpack`` group: global options, error handling, and the list of commands."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from skillpack import __version__
from skillpack.cli.common import Settings, echo, in_cli_terms, printable
from skillpack.errors import SkillpackError

#: Set to 1 to print an error's traceback, as ``--traceback`` does (for a host that runs the command).
DEBUG_VARIABLE = "SKILLPACK_DEBUG"


class _Group(click.Group):
    """A group that imports a command's module only when that command runs (or ``--help`` lists all).

    It also turns library errors into one line on stderr and the error's exit code.
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        _load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load_all()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SkillpackError as exc:
            if _show_traceback(ctx):
                echo("".join(traceback.format_exception(exc)).rstrip("\n"), err=True)
            echo(f"skillpack: error: {printable(in_cli_terms(str(exc)), one_line=True)}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            # The reader went away (`| head`): it has all it wanted, so exit 0 quietly, as a command
            # whose output happened to fit the pipe does. Point stdout at devnull so the final flush
            # at exit cannot raise again.
            _silence_stdout()
            ctx.exit(0)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run as click does, but print click's own usage errors in skillpack's one style, on one line."""
        standalone = standalone_mode
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            if not standalone:
                raise
            message = printable(exc.format_message(), one_line=True)
            command = exc.ctx.command_path if isinstance(exc, click.UsageError) and exc.ctx else ""
            hint = f" (see `{command} --help`)" if command else ""
            echo(f"skillpack: error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            if not standalone:
                raise
            echo("skillpack: error: aborted", err=True)
            sys.exit(1)
        if not standalone:
            return result
        # Without standalone mode click returns the code of ``ctx.exit(code)`` instead of exiting with it;
        # the commands themselves return nothing.
        sys.exit(result if isinstance(result, int) else 0)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every command with its whole first sentence (click cuts it to the terminal width)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


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
@click.option(
    "--traceback",
    "show_traceback",
    is_flag=True,
    help=f"On an error, print the traceback with its causes above the one-line message (or set {DEBUG_VARIABLE}=1).",
)
@click.version_option(__version__, "-V", "--version", prog_name="skillpack")
@click.pass_context
def cli(ctx: click.Context, paths: tuple[Path, ...], only: bool, show_traceback: bool) -> None:
    """Load skills into an LLM's context on demand.

    Skills are found on the search path, earliest first: --path folders, ./.skillpack/skills,
    ./.agents/skills, ./.claude/skills, $SKILLPACK_HOME (default ~/.skillpack/skills), then the
    skills bundled with skillpack.

    \b
    Example:
      skillpack list
      skillpack --path ./my-skills validate --strict
    """
    ctx.obj = Settings(paths=paths, only=only, traceback=show_traceback)


def _show_traceback(ctx: click.Context) -> bool:
    """Return whether ``--traceback`` was given or ``$SKILLPACK_DEBUG`` is set to a true value."""
    options = ctx.find_object(Settings)
    if options is not None and options.traceback:
        return True
    return os.environ.get(DEBUG_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


#: The command modules under skillpack/cli/, each with the names of the commands in its COMMANDS,
#: so that running one command imports one module (a test keeps this table complete and exact).
#: A command missing here still works: asking for it loads every module.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "authoring": ("lint", "test", "pack"),
    "bench": ("bench",),
    "evaluate": ("eval",),
    "hook": ("hook",),
    "inspect": ("list", "show"),
    "install": ("install", "uninstall"),
    "plugins": ("plugins",),
    "route": ("route",),
    "run": ("run",),
    "scaffold": ("new",),
    "serve": ("serve",),
    "validate": ("validate",),
}
_loaded: set[str] = set()


def _load_module(module_name: str) -> None:
    if module_name in _loaded:
        return
    module = importlib.import_module(f"skillpack.cli.{module_name}")
    for command in module.COMMANDS:
        cli.add_command(command)
    _loaded.add(module_name)


def _load(command_name: str) -> None:
    """Import the module that defines ``command_name`` (every module when the name is not in the table)."""
    found = [module for module, names in COMMAND_MODULES.items() if command_name in names]
    if not found:
        _load_all()
    for module_name in found:
        _load_module(module_name)


def _load_all() -> None:
    for module_name in COMMAND_MODULES:
        _load_module(module_name)


def _silence_stdout() -> None:
    """Send whatever is still buffered for stdout to devnull (its reader is gone)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. click's CliRunner)
        pass


def main() -> None:
    """Run the CLI (the ``skillpack`` console script)."""
    cli(prog_name="skillpack")
