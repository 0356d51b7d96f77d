"""``skillpack serve``: the skill library as an MCP server for agent hosts (Claude Code, Codex, …)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from skillpack.cli.common import load_pack, settings
from skillpack.errors import MissingExtraError
from skillpack.registry import SkillPack
from skillpack.selection import DEFAULT_ROUTER


@click.command()
@click.option(
    "--transport",
    type=click.Choice(["stdio", "streamable-http"]),
    default="stdio",
    show_default=True,
    help="stdio for a host that starts the server itself; streamable-http listens on 127.0.0.1 only.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port for --transport streamable-http (the address is always 127.0.0.1).",
)
@click.option(
    "--router",
    default=DEFAULT_ROUTER,
    show_default=True,
    help="Router that find_skills uses (see `skillpack plugins`).",
)
@click.option(
    "--log-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append one JSON line per tool call (time, tool, task hash, skills chosen, abstained, tokens).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    transport: Literal["stdio", "streamable-http"],
    port: int,
    router: str,
    log_file: Path | None,
) -> None:
    """Serve the skills of the search path over the Model Context Protocol.

    \b
    Tools:     find_skills(task, k?, budget?)  the router's choice for a task, or an abstention
               load_skill(name)                instructions and file list (once per session)
               read_skill_resource(name, path) one file of a skill, path-checked, at most 1 MiB
               reload_skills()                 read the library again (nothing is watched)
    Resources: every skill file as skill://NAME/PATH with MIME type, size and SHA-256;
               a native skill.yaml skill is served as a generated SKILL.md.
    Prompts:   one per user-invocable skill, with its argument-hint.

    The MCP SDK the extra installs (mcp 2.3 or later) supports protocol extensions
    (SEP-2133) but has no Skills extension of its own, so skillpack implements
    skills/list and skills/get of MCP's Skills extension (SEP-2640,
    io.modelcontextprotocol/skills) on it, advertised on protocol 2026-07-28;
    resources/directory/read is not offered.
    Nothing but protocol messages goes to standard output. Needs the extra: pip install 'skillpack[mcp]'.

    \b
    Example:
      claude mcp add skillpack -- skillpack serve
      skillpack --path ./skills --only serve --log-file serve.jsonl
      skillpack serve --transport streamable-http --port 8765
    """
    try:
        import mcp  # noqa: F401  (the SDK is an optional extra; say which one before loading anything)
    except ImportError as exc:
        raise MissingExtraError("skillpack serve", "mcp", "mcp") from exc
    from skillpack.eventlog import EventLog
    from skillpack.mcp.library import Library
    from skillpack.mcp.server import serve as run_server
    from skillpack.mcp.toolkit import SkillTools
    from skillpack.plugins import get_router

    log = EventLog(log_file)
    chosen_router = get_router(router)
    options = settings(ctx)

    def load() -> SkillPack:
        options.packs.clear()  # a reload reads the search path again
        return load_pack(ctx)

    library = Library(load)
    run_server(SkillTools(library, router=chosen_router, log=log), transport=transport, port=port)


COMMANDS = [serve]
