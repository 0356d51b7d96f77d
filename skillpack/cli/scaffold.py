"""``skillpack new``: start a skill from a scaffold."""

from __future__ import annotations

from pathlib import Path

import click

from skillpack.authoring.scaffold import create_skill
from skillpack.cli.common import echo, echo_json, format_option


@click.command()
@click.argument("name")
@click.option(
    "--form",
    type=click.Choice(["native", "agent-skills"]),
    default="native",
    show_default=True,
    help="native: skill.yaml + instructions.md; agent-skills: one SKILL.md with YAML front matter holding"
    " only the specification's fields (name, description).",
)
@click.option(
    "--dir",
    "parent",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".skillpack/skills"),
    show_default=True,
    help="Where to create the skill folder (the default is on the search path).",
)
@click.option(
    "--description",
    help="The description to start with (what it does and when to use it); checked against the schema"
    " like `validate --strict` (at most 1,024 characters) before anything is written.",
)
@format_option("text", "json")
def new(name: str, form: str, parent: Path, description: str | None, output_format: str) -> None:
    """Create a new skill folder NAME that passes `skillpack validate --strict`.

    NAME and --description are checked first: when either would fail validation, the command exits 2
    with the reason and writes nothing. A --dir inside the current folder that leads out of it through a
    symbolic link (a cloned project's `.skillpack -> ../elsewhere`) is refused. --format json prints
    {name, form, folder, files}, files relative to the folder.

    \b
    Example:
      skillpack new release-notes
      skillpack new release-notes --form agent-skills --dir ./skills
    """
    folder = create_skill(
        parent,
        name,
        form="native" if form == "native" else "agent-skills",
        description=description,
        within=Path.cwd(),
    )
    if output_format == "json":
        files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
        echo_json({"name": name, "form": form, "folder": str(folder), "files": files})
        return
    echo(f"created {folder}")
    echo(
        "next: edit its description, examples and instructions, then run:"
        f" skillpack validate {folder} --strict"
    )


COMMANDS = [new]
