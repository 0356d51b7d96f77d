"""MCP's Skills extension (SEP-2640, ``io.modelcontextprotocol/skills``): ``skills/list`` and ``skills/get``.

Built on the SDK's extension interface (SEP-2133), which advertises the extension under
``capabilities.extensions``. An entry carries the URI of the skill's ``SKILL.md``, its front matter as a
JSON object, and every file of the skill with the SHA-256 digest and size of its bytes; the files
themselves are the server's ``skill://`` resources. ``resources/directory/read`` (optional in the
extension) is not offered, so ``directoryRead`` is not declared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PaginatedRequestParams, RequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from skillpack.errors import SkillpackError
from skillpack.manifest import AGENT_SKILLS_MANIFEST
from skillpack.mcp.library import Library, parse_uri
from skillpack.mcp.skillmd import frontmatter
from skillpack.skill import Skill

EXTENSION_ID = "io.modelcontextprotocol/skills"
#: Entries per ``skills/list`` page; an entry is never split across pages.
PAGE_SIZE = 100
#: How long a host may treat a listing or an entry as current (the server reloads only when asked).
TTL_MS = 60_000


class GetSkillParams(RequestParams):
    """``skills/get`` params: the URI of a skill's ``SKILL.md``."""

    uri: str


class SkillsExtension(Extension):
    """Answer ``skills/list`` and ``skills/get`` from a ``Library``."""

    identifier = EXTENSION_ID

    def __init__(self, library: Library) -> None:
        self.library = library

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
        )

    async def _list(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
    ) -> dict[str, Any]:
        skills = list(self.library.pack)
        cursor = params.cursor if params is not None else None
        start = _cursor(cursor)
        page = skills[start : start + PAGE_SIZE]
        entries = (self.entry(skill) for skill in page)
        result: dict[str, Any] = {"skills": [entry for entry in entries if entry is not None]}
        if start + PAGE_SIZE < len(skills):
            result["nextCursor"] = str(start + PAGE_SIZE)
        return _cacheable(ctx, result)

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: GetSkillParams) -> dict[str, Any]:
        try:
            name, path = parse_uri(params.uri)
            if path != AGENT_SKILLS_MANIFEST:
                raise MCPError(INVALID_PARAMS, f"{params.uri!r} is not the SKILL.md of a skill served here")
            entry = self.entry(self.library.get(name))
        except SkillpackError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from exc
        if entry is None:
            raise MCPError(INVALID_PARAMS, f"{params.uri!r}: the skill's SKILL.md cannot be read")
        return _cacheable(ctx, {"skill": entry})

    def entry(self, skill: Skill) -> dict[str, Any] | None:
        """Return the extension's entry for ``skill`` (URI, front matter, every file with its digest).

        ``None`` when its ``SKILL.md`` cannot be read: such a skill is not listed.
        """
        files = self.library.files(skill)
        if not files or files[0].path != AGENT_SKILLS_MANIFEST:
            return None
        return {
            "uri": files[0].uri,
            "frontmatter": frontmatter(skill),
            "resources": [{"uri": f.uri, "digest": f.digest, "size": f.size} for f in files],
        }


def _cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise MCPError(INVALID_PARAMS, f"invalid cursor {cursor!r}: pass back a nextCursor this server gave")
    return int(cursor)


def _cacheable(ctx: ServerRequestContext[Any, Any], result: dict[str, Any]) -> dict[str, Any]:
    # resultType, ttlMs and cacheScope exist from protocol 2026-07-28 on; older sessions get neither.
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        result.update(resultType="complete", ttlMs=TTL_MS, cacheScope="public")
    return result
