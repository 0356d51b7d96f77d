"""``skillpack validate``: check skills against the schema and the Agent Skills rules."""

from __future__ import annotations

from pathlib import Path

import click

from skillpack.cli.common import echo, echo_json, format_option, load_pack, printable, settings
from skillpack.plurals import plural
from skillpack.problems import Problem
from skillpack.registry import SkillPack
from skillpack.validation import validate_pack


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat the specification's rules as errors, not warnings.")
@click.option("-v", "--verbose", is_flag=True, help="Show every problem, not only the best match per file.")
@format_option("text", "json")
@click.pass_context
def validate(
    ctx: click.Context, paths: tuple[Path, ...], strict: bool, verbose: bool, output_format: str
) -> None:
    """Check skill manifests and report each problem as one line with a fix.

    PATHS are skill folders or folders of skills; without them, the whole search path is checked.
    Lenient mode (the default) fails only on skills that cannot be loaded at all; --strict fails
    on anything the specification forbids. Exit 0 when valid, 1 when not.

    \b
    Example:
      skillpack validate ./skills --strict
      skillpack validate my-skill --format json
    """
    if paths:
        pack = SkillPack.from_paths(paths, strict=strict)
    elif settings(ctx).paths or settings(ctx).only:
        pack = load_pack(ctx, strict=strict)
    else:
        pack = SkillPack.discover(strict=strict)
    everything = validate_pack(pack, strict=strict)
    by_file: dict[str, list[Problem]] = {}
    for problem in everything:
        by_file.setdefault(problem.file, []).append(problem)
    errors = sum(p.severity == "error" for p in everything)
    warnings = len(everything) - errors
    skipped = len(pack.problems)
    if output_format == "json":
        echo_json(
            {
                "valid": errors == 0,
                "strict": strict,
                "skills": len(pack) + skipped,
                "loaded": len(pack),
                "skipped": skipped,
                "errors": errors,
                "warnings": warnings,
                "problems": [p.to_dict() for p in everything],
            }
        )
    else:
        for file_problems in by_file.values():
            shown = file_problems if verbose else file_problems[:1]
            for problem in shown:
                echo(f"{problem.severity}: {printable(str(problem), one_line=True)}")
            hidden = len(file_problems) - len(shown)
            if hidden:
                where = printable(file_problems[0].file, one_line=True)
                echo(f"  (+{hidden} more in {where}; --verbose shows them)")
        mode = "strict" if strict else "lenient"
        echo(
            f"{plural(len(pack) + skipped, 'skill')} checked ({mode}): {len(pack)} loaded, {skipped} skipped;"
            f" {plural(errors, 'error')}, {plural(warnings, 'warning')}"
        )
    ctx.exit(1 if errors else 0)


COMMANDS = [validate]
