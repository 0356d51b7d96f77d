"""The MCP server: ``SkillTools`` and the library's files and prompts on the official SDK's ``MCPServer``.

Tools report bad input as tool errors (``isError: true`` with one line saying what is wrong and how to fix
it, close matches included), as the protocol asks, so the model can correct itself. Resources and prompts
that do not exist are JSON-RPC errors (``-32602``). Nothing is written to stdout but protocol messages: the
SDK points descriptor 1 at stderr while it serves stdio.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    Prompt,
    PromptArgument,
    PromptMessage,
    Resource,
    TextContent,
    Tool,
    ToolAnnotations,
)
from pydantic import AnyUrl

from skillpack import __version__
from skillpack.errors import SkillpackError
from skillpack.manifest import AGENT_SKILLS_MANIFEST
from skillpack.mcp.extension import SkillsExtension
from skillpack.mcp.library import UnknownResourceError, is_binary
from skillpack.mcp.toolkit import MAX_BUDGET, MAX_K, MAX_TASK_BYTES, SkillTools
from skillpack.skill import Skill

T = TypeVar("T")
Transport = Literal["stdio", "streamable-http"]
#: The only address ``--transport streamable-http`` listens on: the server is for agents on this machine.
HOST = "127.0.0.1"
#: The ``_meta`` key under which each resource carries the SHA-256 of its bytes.
SHA256_META_KEY = "skillpack/sha256"

INSTRUCTIONS = (
    "skillpack holds a library of skills: instructions for particular kinds of task. Before starting a"
    " task, call find_skills with a one-paragraph description of it; when it returns skills, call"
    " load_skill for the ones you will use and follow their instructions. When it abstains, no skill"
    " applies: go ahead without one."
)

FIND_SKILLS = (
    "Find the skills (task instructions, playbooks, how-tos) relevant to a task, from the skill library."
    " Returns the few skills the router chose, with score, tokens and one line of evidence each, or an"
    " explicit abstention when no skill is relevant. Call it before starting a task, then load_skill."
    f" task: what the user wants done, in a sentence or a paragraph (at most {MAX_TASK_BYTES:,} bytes);"
    f" k: at most this many skills (1-{MAX_K}, default 5); budget: the most tokens the chosen skills'"
    f" instructions may take together (1-{MAX_BUDGET:,})."
)
LOAD_SKILL = (
    "Load a skill by name: returns its instructions to follow and the list of its files (references,"
    " scripts, templates). Each skill is loaded once per session; loading it again says it is already"
    " loaded."
)
READ_SKILL_RESOURCE = (
    "Read one file of a skill (a reference, script or template that load_skill listed) by the skill's"
    " name and the file's path inside the skill, e.g. references/forms.md. Text files up to 1 MiB."
)
RELOAD_SKILLS = "Read the skill library again from disk, after skills were added, changed or removed."


class SkillServer(MCPServer):
    """``MCPServer`` serving one ``SkillTools``: its tools, every skill file, a prompt per invocable skill."""

    def __init__(self, tools: SkillTools, *, transport: Transport = "stdio", extension: bool = True) -> None:
        super().__init__(
            name="skillpack",
            version=__version__,
            instructions=INSTRUCTIONS,
            extensions=[SkillsExtension(tools.library)] if extension else None,
        )
        self.skill_tools = tools
        self.library = tools.library
        self.transport = transport
        self._arguments: dict[str, frozenset[str]] = {}
        read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

        def find_skills(task: str, k: int | None = None, budget: int | None = None) -> dict[str, Any]:
            return _tool_call(lambda: tools.find_skills(task, k=k, budget=budget))

        def load_skill(name: str, ctx: Context) -> str:
            return _tool_call(lambda: tools.load_skill(name, session=self.session_key(ctx)))

        def read_skill_resource(name: str, path: str) -> str:
            return _tool_call(lambda: tools.read_skill_resource(name, path))

        def reload_skills() -> dict[str, Any]:
            return _tool_call(tools.reload_skills)

        self._register(find_skills, FIND_SKILLS, read_only)
        self._register(load_skill, LOAD_SKILL, read_only)
        self._register(read_skill_resource, READ_SKILL_RESOURCE, read_only)
        self._register(
            reload_skills, RELOAD_SKILLS, ToolAnnotations(idempotent_hint=True, open_world_hint=False)
        )

    def session_key(self, ctx: Context[Any, Any]) -> str | None:
        """Name the client's session: the whole process over stdio (one client), else the HTTP session.

        Protocol 2026-07-28 is stateless, so over HTTP only a transport session (``Mcp-Session-Id``)
        groups calls; without one, each call stands alone and ``load_skill`` always loads.
        """
        if self.transport == "stdio":
            return "stdio"
        headers = ctx.headers or {}
        session = headers.get("mcp-session-id") or headers.get("Mcp-Session-Id")
        return f"http:{session}" if session else None

    def _register(self, fn: Callable[..., Any], description: str, annotations: ToolAnnotations) -> None:
        parameters = inspect.signature(fn).parameters
        self._arguments[fn.__name__] = frozenset(name for name in parameters if name != "ctx")
        self.add_tool(fn, description=description, annotations=annotations)

    # -- tools ---------------------------------------------------------------------------------------

    async def list_tools(self) -> list[Tool]:
        """List the tools, each schema closed: an argument it does not name is refused."""
        tools = await super().list_tools()
        return [
            t.model_copy(update={"input_schema": {**t.input_schema, "additionalProperties": False}})
            for t in tools
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Call a tool, refusing arguments it does not take (the SDK would drop them silently)."""
        known = self._arguments.get(name)
        if known is not None:
            unknown = sorted(set(arguments) - known)
            if unknown:
                raise ToolError(
                    f"{name} takes no argument {', '.join(map(repr, unknown))}; its arguments are:"
                    f" {', '.join(sorted(known)) or 'none'}"
                )
        return await super().call_tool(name, arguments, context)

    # -- resources -----------------------------------------------------------------------------------

    async def list_resources(self) -> list[Resource]:
        """List every skill file as ``skill://NAME/PATH`` with its MIME type, size and SHA-256."""
        listed = []
        for skill in self.library.pack:
            for file in self.library.files(skill):
                is_manifest = file.path == AGENT_SKILLS_MANIFEST
                listed.append(
                    Resource(
                        uri=file.uri,
                        name=skill.name if is_manifest else f"{skill.name}/{file.path}",
                        description=skill.description if is_manifest else None,
                        mime_type=file.mime_type,
                        size=file.size,
                        _meta={SHA256_META_KEY: file.sha256},
                    )
                )
        return listed

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        """Return one skill file: UTF-8 text as text, anything else as a blob."""
        try:
            file, data = self.library.read(str(uri))
        except UnknownResourceError as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        except SkillpackError as exc:
            raise ResourceNotFoundError(f"{uri}: {exc}") from exc
        content: str | bytes = data if is_binary(data) else data.decode("utf-8")
        return [
            ReadResourceContents(
                content=content, mime_type=file.mime_type, meta={SHA256_META_KEY: file.sha256}
            )
        ]

    # -- prompts -------------------------------------------------------------------------------------

    async def list_prompts(self) -> list[Prompt]:
        """List one prompt per user-invocable skill, with its ``argument-hint`` when it has one."""
        return [_prompt(skill) for skill in self.library.pack if _user_invocable(skill)]

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        """Return the skill's instructions as a user message, ``$ARGUMENTS`` filled in."""
        try:
            skill = self.library.get(name)
            if not _user_invocable(skill):
                raise MCPError(
                    INVALID_PARAMS, f"skill {skill.name!r} is not user-invocable (user-invocable: false)"
                )
            instructions = skill.instructions()
        except SkillpackError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from exc
        given = (arguments or {}).get("arguments")
        text = instructions
        if isinstance(given, str) and given.strip():
            if "$ARGUMENTS" in text:
                text = text.replace("$ARGUMENTS", given)
            else:
                text = f"{text.rstrip()}\n\nARGUMENTS: {given}\n"
        return GetPromptResult(
            description=skill.description,
            messages=[PromptMessage(role="user", content=TextContent(type="text", text=text))],
        )


def build_server(tools: SkillTools, *, transport: Transport = "stdio", extension: bool = True) -> SkillServer:
    """Return the server for ``tools`` on ``transport`` (with the Skills extension unless told not to)."""
    return SkillServer(tools, transport=transport, extension=extension)


def serve(tools: SkillTools, *, transport: Transport = "stdio", port: int = 8000) -> None:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP on 127.0.0.1:``port``)."""
    server = build_server(tools, transport=transport)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=HOST, port=port)


def _tool_call(action: Callable[[], T]) -> T:
    try:
        return action()
    except SkillpackError as exc:
        raise ToolError(str(exc)) from exc


def _user_invocable(skill: Skill) -> bool:
    return skill.manifest.get("user-invocable") is not False


def _prompt(skill: Skill) -> Prompt:
    hint = skill.manifest.get("argument-hint")
    description = (
        f"What to apply the skill to: {hint}"
        if isinstance(hint, str) and hint.strip()
        else "What to apply the skill to (optional)."
    )
    return Prompt(
        name=skill.name,
        description=skill.description,
        arguments=[PromptArgument(name="arguments", description=description, required=False)],
    )


__all__ = ["HOST", "SkillServer", "Transport", "build_server", "serve"]
