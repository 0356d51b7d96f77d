"""``skillpack list`` and ``skillpack show``: what is installed, and what one skill holds."""

from __future__ import annotations

from typing import Any

import click
import yaml

from skillpack.cli.common import echo, echo_json, format_option, load_pack, printable, shorten
from skillpack.context import render_block
from skillpack.errors import SkillContentError
from skillpack.plurals import plural
from skillpack.skill import Skill
from skillpack.tokens import count_tokens


def _tokens(skill: Skill) -> tuple[int | None, int | None, str | None]:
    """Return the tokens ``skill`` costs when loaded (its block, as route counts it), of its instructions alone,
    and why they cannot be counted."""
    try:
        return count_tokens(render_block(skill, "xml")), count_tokens(skill.instructions()), None
    except SkillContentError as exc:
        return None, None, str(exc)


@click.command(name="list")
@format_option("text", "json")
@click.pass_context
def list_(ctx: click.Context, output_format: str) -> None:
    """List the skills on the search path: name, source, tokens when loaded, description.

    Skills hidden by one of the same name earlier on the search path are listed as shadowed.
    TOKENS is what loading the skill costs: the exact cl100k_base count of its block in the context
    (instructions plus the <skill> tags), the number `route` shows; --format json adds
    instruction_tokens, the instructions alone (as `show` counts them).

    \b
    Example:
      skillpack list
      skillpack --path ./skills --only list --format json
    """
    pack = load_pack(ctx)
    rows: list[dict[str, Any]] = []
    for skill in pack:
        tokens, instruction_tokens, error = _tokens(skill)
        rows.append(
            {
                "name": skill.name,
                "path": str(skill.folder),
                "source": skill.source,
                "form": skill.form,
                "version": skill.version,
                "description": skill.description,
                "tokens": tokens,
                "instruction_tokens": instruction_tokens,
                "warnings": [str(p) for p in skill.warnings] + ([error] if error else []),
                "shadowed": [str(s.skill.folder) for s in pack.shadowed if s.by is skill],
            }
        )
    if output_format == "json":
        echo_json(rows)
        return
    names = [printable(r["name"], one_line=True) for r in rows]
    width = max((len(name) for name in names), default=4)
    if rows:
        echo(f"{'NAME':<{width}}  {'SOURCE':<8}  {'TOKENS':>6}  DESCRIPTION")
    else:
        echo("no skills found; create one with `skillpack new NAME` or add --path FOLDER")
    for name, row in zip(names, rows, strict=True):
        shown = "?" if row["tokens"] is None else str(row["tokens"])
        flag = f" [{plural(len(row['warnings']), 'warning')}]" if row["warnings"] else ""
        description = shorten(row["description"], 70)
        echo(f"{name:<{width}}  {row['source']:<8}  {shown:>6}  {description}{flag}")
    for shadow in pack.shadowed:
        shadowed = f"{shadow.skill.name} at {shadow.skill.folder} (by {shadow.by.folder})"
        echo(f"shadowed: {printable(shadowed, one_line=True)}")
    for problem in pack.problems:
        echo(f"skipped: {printable(str(problem), one_line=True)}", err=True)
    echo(plural(len(rows), "skill"), err=True)


@click.command()
@click.argument("name")
@format_option("text", "json")
@click.pass_context
def show(ctx: click.Context, name: str, output_format: str) -> None:
    """Show one skill: its manifest, instructions and resources.

    \b
    Example:
      skillpack show conventional-commits
    """
    skill = load_pack(ctx).get(name)
    instructions = skill.instructions()
    resources = list(skill.resources())
    warnings = (*skill.warnings, *skill.resource_problems())
    if output_format == "json":
        echo_json(
            {
                "name": skill.name,
                "path": str(skill.folder),
                "source": skill.source,
                "form": skill.form,
                "manifest": dict(skill.manifest),
                "instructions": instructions,
                "tokens": count_tokens(instructions),
                "resources": resources,
                "warnings": [str(p) for p in warnings],
            }
        )
        return
    echo(printable(f"# {skill.name} ({skill.form}, {skill.source}: {skill.folder})", one_line=True))
    echo("\n## manifest\n")
    echo(yaml.safe_dump(dict(skill.manifest), sort_keys=False, allow_unicode=True, width=100).rstrip())
    echo(f"\n## instructions ({plural(count_tokens(instructions), 'token')})\n")
    echo(instructions.rstrip())
    echo("\n## resources\n")
    echo("\n".join(f"- {printable(r, one_line=True)}" for r in resources) if resources else "(none)")
    for problem in warnings:
        echo(f"warning: {printable(str(problem), one_line=True)}", err=True)


COMMANDS = [list_, show]
