"""What every command shares: the search-path options, loading the pack, printing JSON."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from skillpack.registry import SkillPack
from skillpack.routing.base import Router
from skillpack.routing.confidence import DEFAULT_MIN_CONFIDENCE
from skillpack.selection import DEFAULT_K, DEFAULT_ROUTER

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """Options given to the ``skillpack`` group, before the command name."""

    paths: tuple[Path, ...] = ()
    only: bool = False
    traceback: bool = False
    packs: dict[bool, SkillPack] = field(default_factory=dict)


def settings(ctx: click.Context) -> Settings:
    obj = ctx.find_object(Settings)
    return obj if obj is not None else Settings()


def load_pack(ctx: click.Context, *, strict: bool = False) -> SkillPack:
    """Return the pack the group's options describe, loaded once per invocation."""
    options = settings(ctx)
    if strict not in options.packs:
        if options.only:
            if not options.paths:
                raise click.UsageError("--only needs at least one --path")
            options.packs[strict] = SkillPack.from_paths(options.paths, strict=strict, cache=True)
        else:
            options.packs[strict] = SkillPack.discover(options.paths, strict=strict, cache=True)
    return options.packs[strict]


def format_option(*choices: str) -> Callable[[F], F]:
    """Add ``--format`` with the given choices, the first one the default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def deprecated_alias(old: str, new: str, dest: str, **attrs: Any) -> Callable[[F], F]:
    """Add the hidden option ``old`` (parameter ``dest``), kept for one release after its rename to ``new``.

    Using it still works and prints one deprecation line on stderr; the command folds ``dest`` into
    the new option's value.
    """

    def warn(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if ctx.get_parameter_source(param.name or "") == click.core.ParameterSource.COMMANDLINE:
            echo(
                f"skillpack: warning: {old} is deprecated and will be removed in the next release; use {new}",
                err=True,
            )
        return value

    return click.option(old, dest, hidden=True, callback=warn, **attrs)


def selection_options(command: F) -> F:
    """Add ``--router``, ``-k``, ``--budget`` and ``--min-confidence``, the options that choose skills."""
    for option in reversed(
        (
            click.option(
                "--router",
                default=DEFAULT_ROUTER,
                show_default=True,
                help="Router name (see `skillpack plugins`).",
            ),
            click.option(
                "-k", "k", type=int, default=DEFAULT_K, show_default=True, help="At most this many skills."
            ),
            click.option(
                "--budget", type=int, help="Token budget for the assembled skills (exact, cl100k_base)."
            ),
            click.option(
                "--min-confidence",
                type=float,
                help=f"The confidence (0-1) a skill needs to be chosen. Default: the router's own bar"
                f" ({DEFAULT_MIN_CONFIDENCE} for the built-in routers: the skill stands out from the others"
                f" more than the best wrong skill does for {DEFAULT_MIN_CONFIDENCE:.0%} of the library's own"
                " unrelated texts). Lower it to load more, 0 to load up to -k skills.",
            ),
        )
    ):
        command = option(command)
    return command


#: What a terminal may act on rather than show: C0 and C1 controls (ESC starts the sequences that set the
#: window title or write the clipboard, OSC 52), DEL, line and paragraph separators, the bidirectional
#: overrides and isolates and zero-width characters that make text read differently than it is, lone
#: surrogates (an undecodable file name), and the byte-order mark. Newline and tab are kept by ``echo``.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ud800-\udfff]"
)
_CONTROL_OR_BREAK = re.compile(f"[\n\t{_CONTROL.pattern[1:-1]}]")


#: The command-line option for each setting the library names in its messages. The library speaks its
#: own language (a setting is its keyword argument in backticks: "raise `k`"); ``in_cli_terms`` turns
#: each into the flag a command-line user types ("raise -k"), in one place.
OPTION_FLAGS = {
    "backend": "--backend",
    "batch": "--batch",
    "budget": "--budget",
    "catalog_budget": "--catalog-budget",
    "description": "--description",
    "force": "--force",
    "k": "-k",
    "max_tokens": "--max-tokens",
    "max_turns": "--max-turns",
    "min_confidence": "--min-confidence",
    "model": "--model",
    "out": "--out",
    "parent": "--dir",
    "paths": "--path",
    "threads": "--threads",
    "timeout": "--timeout",
}
_SETTING = re.compile(r"`([a-z_]+)`")


def routing_backend_options(command: F) -> F:
    """Add ``--backend`` and ``--model``: the model of a router that declares ``needs_backend``."""
    command = click.option(
        "--model", help="Model for --router llm: an Anthropic model id, or a .gguf file for local."
    )(command)
    return click.option(
        "--backend",
        help="Model backend for --router llm: anthropic, local, fake, or a plugin's. Default: as for"
        " `skillpack run` (anthropic when ANTHROPIC_API_KEY is set, else local when installed).",
    )(command)


def router_for(name: str, backend: str | None, model: str | None) -> Router | str:
    """Give a router that declares ``needs_backend`` the backend and model chosen on the command line."""
    from skillpack.errors import UsageError
    from skillpack.plugins import get_router, router_class

    if not router_class(name).needs_backend:
        if backend is not None or model is not None:
            raise UsageError(
                f"--backend and --model choose the model of --router llm; the {name} router uses none"
                " — drop them, or add --router llm"
            )
        return name
    return get_router(name, backend=backend, model=model)


def in_cli_terms(message: str) -> str:
    """Return a library message with each setting it names (```k```) written as its option (``-k``)."""
    return _SETTING.sub(lambda match: OPTION_FLAGS.get(match.group(1), match.group()), message)


def printable(text: str, *, one_line: bool = False) -> str:
    """Return ``text`` with each control character written out as an escape (``\\x1b``, ``\\u202e``).

    Skill manifests, instructions, folder names and model replies are other people's text: printed raw,
    they could retitle the window, write the clipboard or hide what they say. ``one_line`` escapes
    newlines and tabs as well, for what must stay on its line (a name, a description, a problem).
    """
    pattern = _CONTROL_OR_BREAK if one_line else _CONTROL
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print human-readable ``message`` with its control characters escaped (see ``printable``).

    Every human-readable output goes through here; JSON output (``echo_json``) is escaped by JSON itself.
    """
    click.echo(printable(message), err=err, nl=nl)


def echo_note(message: str) -> None:
    """Print an informational ``message`` on stderr as one ``note:`` line, each setting it names as its flag."""
    echo(f"note: {printable(in_cli_terms(message), one_line=True)}", err=True)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented, key-sorted JSON (stable bytes for scripts and diffs).

    Text stays UTF-8, but what a terminal would act on is written as a JSON escape (``\\u202e``), which
    reads back as the same string.
    """
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    click.echo(_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def shorten(text: str, width: int) -> str:
    """Return ``text`` on one line, cut to ``width`` characters with an ellipsis, its controls escaped."""
    line = printable(" ".join(text.split()), one_line=True)
    return line if len(line) <= width else line[: width - 1] + "…"


MAX_TASK_BYTES = 1024 * 1024


def read_task(task: str | None) -> str:
    """Return the task from the argument, or from standard input when it is ``-`` or absent.

    Raises ``UsageError`` for an empty task, one that is not UTF-8, or one over 1 MiB.
    """
    from skillpack.errors import UsageError

    if task is None or task == "-":
        stdin = sys.stdin.buffer
        if task is None and stdin.isatty():
            raise UsageError('no task given — pass it as an argument ("...") or on standard input')
        raw = stdin.read(MAX_TASK_BYTES + 1)
        if len(raw) > MAX_TASK_BYTES:
            raise UsageError(
                f"the task on standard input is over {MAX_TASK_BYTES:,} bytes (1 MiB) — shorten it"
            )
        try:
            text: str = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"the task on standard input is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
                " — convert it, e.g. with iconv -t UTF-8"
            ) from exc
    else:
        try:
            encoded = task.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UsageError("the task is not valid UTF-8 — check the terminal's encoding") from exc
        if len(encoded) > MAX_TASK_BYTES:
            raise UsageError(f"the task is over {MAX_TASK_BYTES:,} bytes (1 MiB) — shorten it")
        text = task
    if not text.strip():
        raise UsageError('the task is empty — describe what you want done, e.g. "write a commit message"')
    return text
