"""``skillpack install`` and ``skillpack uninstall``: put skills in a project or the user's home, locked."""

from __future__ import annotations

import click

from skillpack.authoring.install import Change, Target, install, restore, uninstall
from skillpack.authoring.sources import DEFAULT_GIT_TIMEOUT
from skillpack.cli.common import echo, echo_json, format_option

_USER = click.option(
    "--user", is_flag=True, help="Use the user's skill home ($SKILLPACK_HOME, default ~/.skillpack/skills)."
)


def _target(user: bool) -> Target:
    return Target.user() if user else Target.project()


def _echo(changes: list[Change], output_format: str, target: Target) -> None:
    if output_format == "json":
        echo_json(
            {
                "skills_dir": str(target.skills_dir),
                "lock": str(target.lock_path),
                "changes": [
                    {
                        "name": c.name,
                        "action": c.action,
                        "version": c.version,
                        "previous_version": c.previous_version,
                        "source": c.source,
                    }
                    for c in changes
                ],
            }
        )
        return
    for change in changes:
        echo(str(change))
    echo(f"{len(changes)} skill(s) in {target.skills_dir}; lock: {target.lock_path}", err=True)


@click.command(name="install")
@click.argument("source", required=False)
@_USER
@click.option(
    "--force",
    is_flag=True,
    help="Replace a skill folder that the lock does not list (never a non-skill folder).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_GIT_TIMEOUT,
    show_default=True,
    help="Seconds each git command may take.",
)
@format_option("text", "json")
def install_(source: str | None, user: bool, force: bool, timeout: float, output_format: str) -> None:
    """Install skills from SOURCE, or restore exactly what skillpack.lock lists.

    SOURCE is a skill folder (or a folder of skills), a NAME-VERSION.skill archive, or a git URL with
    an optional @REF and #subdirectory=PATH (git+https://host/repo.git@v1.2). Skills go to
    ./.skillpack/skills, recorded in ./skillpack.lock, or with --user to $SKILLPACK_HOME and its
    skillpack.lock. Each skill is validated strictly and its `requires` checked (PEP 440 version ranges)
    before anything is written; archives with unsafe entries or wrong checksums are refused. Without
    SOURCE, every skill in the lock is verified against its checksum and re-fetched when it differs.
    Nothing a skill contains is ever run. Installs into one folder run one at a time (a file lock); a
    skills folder or lock that leads outside the project (or home) through a symlink is refused, as is a
    git checkout holding a symlink that leads outside it. REF may contain '/' (@release/1.2).

    \b
    Example:
      skillpack install ./vendor/semver-bump-1.0.0.skill
      skillpack install git+https://github.com/acme/skills.git@v1.2#subdirectory=skills
      skillpack install            # restore from skillpack.lock
    """
    target = _target(user)
    if source is None:
        changes = restore(target=target, timeout=timeout)
    else:
        changes = install(source, target=target, force=force, timeout=timeout)
    _echo(changes, output_format, target)


@click.command(name="uninstall")
@click.argument("name")
@_USER
@format_option("text", "json")
def uninstall_(name: str, user: bool, output_format: str) -> None:
    """Remove the installed skill NAME and its entry in skillpack.lock.

    Refused while another installed skill requires it, and when its folder is a symlink or the skills
    folder leads outside the project (or home) through one.

    \b
    Example:
      skillpack uninstall semver-bump
    """
    target = _target(user)
    _echo([uninstall(name, target=target)], output_format, target)


COMMANDS = [install_, uninstall_]
