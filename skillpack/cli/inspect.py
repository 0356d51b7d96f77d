"""``skillpack list`` and ``skillpack show``: what is installed, and what one skill holds."""

from __future__ import annotations

from typing import Any

import click
import yaml

from skillpack.cli.common import echo_json, format_option, load_pack, shorten
from skillpack.errors import SkillContentError
from skillpack.skill import Skill
from skillpack.tokens import count_tokens


def _tokens(skill: Skill) -> tuple[int | None, str | None]:
    try:
        return count_tokens(skill.instructions()), None
    except SkillContentError as exc:
        return None, str(exc)


@click.command(name="list")
@format_option("text", "json")
@click.pass_context
def list_(ctx: click.Context, output_format: str) -> None:
    """List the skills on the search path: name, source, instruction tokens, description.

    Skills hidden by one of the same name earlier on the search path are listed as shadowed.
    Tokens are exact cl100k_base counts of each skill's instructions body.

    \b
    Example:
      skillpack list
      skillpack --path ./skills --only list --format json
    """
    pack = load_pack(ctx)
    rows: list[dict[str, Any]] = []
    for skill in pack:
        tokens, error = _tokens(skill)
        rows.append(
            {
                "name": skill.name,
                "path": str(skill.folder),
                "source": skill.source,
                "form": skill.form,
                "version": skill.version,
                "description": skill.description,
                "tokens": tokens,
                "warnings": [str(p) for p in skill.warnings] + ([error] if error else []),
                "shadowed": [str(s.skill.folder) for s in pack.shadowed if s.by is skill],
            }
        )
    if output_format == "json":
        echo_json(rows)
        return
    width = max((len(r["name"]) for r in rows), default=4)
    if rows:
        click.echo(f"{'NAME':<{width}}  {'SOURCE':<8}  {'TOKENS':>6}  DESCRIPTION")
    else:
        click.echo("no skills found; create one with `skillpack new NAME` or add --path FOLDER")
    for row in rows:
        shown = "?" if row["tokens"] is None else str(row["tokens"])
        flag = f" [{len(row['warnings'])} warning(s)]" if row["warnings"] else ""
        description = shorten(row["description"], 70)
        click.echo(f"{row['name']:<{width}}  {row['source']:<8}  {shown:>6}  {description}{flag}")
    for shadow in pack.shadowed:
        click.echo(f"shadowed: {shadow.skill.name} at {shadow.skill.folder} (by {shadow.by.folder})")
    for problem in pack.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(f"{len(rows)} skills", err=True)


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
    click.echo(f"# {skill.name} ({skill.form}, {skill.source}: {skill.folder})")
    click.echo("\n## manifest\n")
    click.echo(yaml.safe_dump(dict(skill.manifest), sort_keys=False, allow_unicode=True, width=100).rstrip())
    click.echo(f"\n## instructions ({count_tokens(instructions)} tokens)\n")
    click.echo(instructions.rstrip())
    click.echo("\n## resources\n")
    click.echo("\n".join(f"- {r}" for r in resources) if resources else "(none)")
    for problem in warnings:
        click.echo(f"warning: {problem}", err=True)


COMMANDS = [list_, show]
