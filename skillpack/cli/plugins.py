"""``skillpack plugins``: what is loaded (routers, backends, skill sources, checks) and from where."""

from __future__ import annotations

import click

from skillpack.cli.common import echo, echo_json, format_option
from skillpack.plugins import ENTRY_POINT_GROUP, manager
from skillpack.plugins import plugins as list_plugins

_PLURAL = {"router": "routers", "backend": "backends", "source": "skill sources", "check": "checks"}


@click.command()
@format_option("text", "json")
def plugins(output_format: str) -> None:
    """List the loaded plugins: what each registers and where it comes from.

    Built-in routers and backends are plugins too. Third-party plugins are packages with an entry
    point in the "skillpack" group (see docs/PLUGINS.md). Exits 1 when a plugin failed to load.

    \b
    Example:
      skillpack plugins
      skillpack plugins --format json
    """
    pm = manager()
    found = list_plugins(pm)
    if output_format == "json":
        echo_json(
            {
                "entry_point_group": ENTRY_POINT_GROUP,
                "plugins": [info.to_dict() for info in found],
                "failed": [{"name": name, "error": error} for name, error in sorted(pm.failures.items())],
            }
        )
    else:
        for info in found:
            echo(f"{info.name}  ({info.origin}; module {info.module})")
            for kind, names in info.provides.items():
                echo(f"  {_PLURAL.get(kind, kind)}: {', '.join(sorted(names))}")
            if not info.provides:
                echo("  (registers nothing)")
        for name, error in sorted(pm.failures.items()):
            echo(f"skillpack: error: plugin {name!r} failed to load: {error} — fix or uninstall it", err=True)
    if pm.failures:
        raise click.exceptions.Exit(1)


COMMANDS = [plugins]
