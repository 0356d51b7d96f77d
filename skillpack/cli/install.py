"""``skillpack install`` and ``skillpack uninstall``: put skills in a project or the user's home, locked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from skillpack.authoring.install import Change, Target, install, restore, uninstall
from skillpack.authoring.sources import DEFAULT_GIT_TIMEOUT
from skillpack.cli.common import echo, echo_json, format_option, in_cli_terms, printable
from skillpack.errors import SkillpackError
from skillpack.plurals import plural

_USER = click.option(
    "--user", is_flag=True, help="Use the user's skill home ($SKILLPACK_HOME, default ~/.skillpack/skills)."
)


def _target(user: bool) -> Target:
    return Target.user() if user else Target.project()


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What installing one source did: its changes, or the error that left it uninstalled."""

    source: str | None
    changes: list[Change]
    error: SkillpackError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.error is None,
            "error": None if self.error is None else str(self.error),
            "changes": [_change_dict(change) for change in self.changes],
        }


def _change_dict(change: Change) -> dict[str, str]:
    return {
        "name": change.name,
        "action": change.action,
        "version": change.version,
        "previous_version": change.previous_version,
        "source": change.source,
    }


def _echo(outcomes: list[_Outcome], output_format: str, target: Target) -> None:
    """Print each source's outcome, then what the skills folder holds now (the names its lock lists)."""
    remaining = target.installed()
    if output_format == "json":
        echo_json(
            {
                "skills_dir": str(target.skills_dir),
                "lock": str(target.lock_path),
                "ok": all(outcome.error is None for outcome in outcomes),
                "sources": [outcome.to_dict() for outcome in outcomes],
                "changes": [_change_dict(change) for outcome in outcomes for change in outcome.changes],
                "installed": list(remaining),
            }
        )
    else:
        for outcome in outcomes:
            for change in outcome.changes:
                echo(str(change))
            if outcome.error is not None:
                message = printable(in_cli_terms(str(outcome.error)), one_line=True)
                echo(f"skillpack: error: {outcome.source}: {message}", err=True)
        names = f": {', '.join(remaining)}" if remaining else ""
        echo(
            f"{plural(len(remaining), 'skill')} in {target.skills_dir}{names}; lock: {target.lock_path}",
            err=True,
        )
    failed = [outcome.error for outcome in outcomes if outcome.error is not None]
    if failed:
        click.get_current_context().exit(max(error.exit_code for error in failed))


@click.command(name="install")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
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
def install_(sources: tuple[str, ...], user: bool, force: bool, timeout: float, output_format: str) -> None:
    """Install skills from each SOURCE, or restore exactly what skillpack.lock lists.

    SOURCE is a skill folder (or a folder of skills), a NAME-VERSION.skill archive, or a git URL with
    an optional @REF and #subdirectory=PATH (git+https://host/repo.git@v1.2). Skills go to
    ./.skillpack/skills, recorded in ./skillpack.lock, or with --user to $SKILLPACK_HOME and its
    skillpack.lock. Each skill is validated strictly and its `requires` checked (PEP 440 version ranges)
    before anything is written; archives with unsafe entries or wrong checksums are refused. Without
    SOURCE, every skill in the lock is verified against its checksum and re-fetched when it differs.
    Nothing a skill contains is ever run. Installs into one folder run one at a time (a file lock); a
    skills folder or lock that leads outside the project (or home) through a symlink is refused, as is a
    git checkout holding a symlink that leads outside it. REF may contain '/' (@release/1.2).
    Several SOURCEs are installed in order, each all or nothing: one that fails is reported (with its
    error) and leaves nothing of itself behind, the others are still installed, and the exit code is
    the failure's (1, or 2 for a usage error). --format json gives {skills_dir, lock, ok, sources:
    [{source, ok, error, changes}], changes, installed}, where installed is what the lock lists after.

    \b
    Example:
      skillpack install ./vendor/semver-bump-1.0.0.skill ./vendor/changelog-1.0.0.skill
      skillpack install git+https://github.com/acme/skills.git@v1.2#subdirectory=skills
      skillpack install            # restore from skillpack.lock
    """
    target = _target(user)
    if not sources:
        _echo([_Outcome(None, restore(target=target, timeout=timeout))], output_format, target)
        return
    if len(sources) == 1:  # one source: its error is the command's, printed (and traced) as any other
        _echo(
            [_Outcome(sources[0], install(sources[0], target=target, force=force, timeout=timeout))],
            output_format,
            target,
        )
        return
    outcomes = []
    for source in sources:
        try:
            outcomes.append(_Outcome(source, install(source, target=target, force=force, timeout=timeout)))
        except SkillpackError as exc:
            outcomes.append(_Outcome(source, [], exc))
    _echo(outcomes, output_format, target)


@click.command(name="uninstall")
@click.argument("name")
@_USER
@format_option("text", "json")
def uninstall_(name: str, user: bool, output_format: str) -> None:
    """Remove the installed skill NAME and its entry in skillpack.lock.

    Refused while another installed skill requires it, and when its folder is a symlink or the skills
    folder leads outside the project (or home) through one. Says what the folder holds afterwards;
    --format json gives {skills_dir, lock, ok, sources: [{source, ok, error, changes}], changes,
    installed}, as install does.

    \b
    Example:
      skillpack uninstall semver-bump
    """
    target = _target(user)
    _echo([_Outcome(name, [uninstall(name, target=target)])], output_format, target)


COMMANDS = [install_, uninstall_]
