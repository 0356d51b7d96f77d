"""What every command shares: the search-path options, loading the pack, printing JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from skillpack.registry import SkillPack

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """Options given to the ``skillpack`` group, before the command name."""

    paths: tuple[Path, ...] = ()
    only: bool = False
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
            options.packs[strict] = SkillPack.from_paths(options.paths, strict=strict)
        else:
            options.packs[strict] = SkillPack.discover(options.paths, strict=strict)
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


def echo_json(data: Any) -> None:
    """Print ``data`` as indented, key-sorted JSON (stable bytes for scripts and diffs)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str))


def shorten(text: str, width: int) -> str:
    """Return ``text`` on one line, cut to ``width`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
