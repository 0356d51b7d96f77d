"""Hostile input over the protocol: each is an MCP error, and the server answers the next request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.mcp import ANY, Client, GetSkill, GetSkillParams, build_library, run

from skillpack.mcp.library import Library
from skillpack.mcp.server import build_server
from skillpack.mcp.toolkit import MAX_TASK_BYTES, SkillTools
from skillpack.plugins import get_router
from skillpack.registry import SkillPack

ONE_MB_TASK = "bump the version " * (1_000_000 // 17 + 1)

Call = Callable[[Any], Awaitable[str]]


async def tool_error(client: Any, name: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(name, arguments)
    assert result.is_error, result
    return "".join(block.text for block in result.content)


async def protocol_error(action: Awaitable[Any]) -> str:
    with pytest.raises(Exception) as raised:
        await action
    return str(raised.value)


HOSTILE: dict[str, tuple[Call, str]] = {
    "unknown tool argument": (
        lambda c: tool_error(c, "find_skills", {"task": "bump the version", "verbose": True}),
        "takes no argument 'verbose'",
    ),
    "unknown argument to a tool without any": (
        lambda c: tool_error(c, "reload_skills", {"force": 1}),
        "takes no argument 'force'",
    ),
    "argument of the wrong type": (lambda c: tool_error(c, "find_skills", {"task": "x", "k": "five"}), "k"),
    "k out of range": (lambda c: tool_error(c, "find_skills", {"task": "bump", "k": 10_000}), "k must be"),
    "1 MB task": (lambda c: tool_error(c, "find_skills", {"task": ONE_MB_TASK}), f"{MAX_TASK_BYTES:,}"),
    "empty task": (lambda c: tool_error(c, "find_skills", {"task": "   "}), "the task is empty"),
    "../ in a tool's resource path": (
        lambda c: tool_error(
            c, "read_skill_resource", {"name": "pdf-forms", "path": "../semver-bump/skill.yaml"}
        ),
        "outside the skill folder",
    ),
    "absolute resource path": (
        lambda c: tool_error(c, "read_skill_resource", {"name": "pdf-forms", "path": "/etc/passwd"}),
        "outside the skill folder",
    ),
    "../ in a resource URI": (
        lambda c: protocol_error(c.read_resource("skill://pdf-forms/../semver-bump/skill.yaml")),
        "has no file",
    ),
    "encoded ../ in a resource URI": (
        lambda c: protocol_error(c.read_resource("skill://pdf-forms/%2e%2e/%2e%2e/etc/passwd")),
        "has no file",
    ),
    "a URI of another scheme": (
        lambda c: protocol_error(c.read_resource("file:///etc/passwd")),
        "not a skill file URI",
    ),
    "control characters in a skill name": (
        lambda c: tool_error(c, "load_skill", {"name": "semver\x1b[2J-bump"}),
        "control characters",
    ),
    "control characters in a resource URI": (
        lambda c: protocol_error(c.read_resource("skill://pdf%07forms/SKILL.md")),
        "control characters",
    ),
    "control characters in a prompt name": (
        lambda c: protocol_error(c.get_prompt("pdf-forms\x00", {})),
        "control characters",
    ),
    "control characters in skills/get": (
        lambda c: protocol_error(
            c.session.send_request(GetSkill(params=GetSkillParams(uri="skill://a\x01b/SKILL.md")), ANY)
        ),
        "control characters",
    ),
    "a huge skill name": (
        lambda c: tool_error(c, "load_skill", {"name": "x" * 100_000}),
        "over 1024 characters",
    ),
    "an unknown tool": (lambda c: tool_error(c, "delete_skills", {}), "delete_skills"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_an_error_and_the_server_answers_afterwards(tmp_path: Path, case: str) -> None:
    library = build_library(tmp_path / "skills")
    server = build_server(
        SkillTools(Library(lambda: SkillPack.from_paths([library])), router=get_router("lexical"))
    )
    attempt, expected = HOSTILE[case]

    async def body() -> None:
        async with Client(server) as client:
            message = await attempt(client)
            assert expected in message
            assert "Traceback" not in message
            after = await client.call_tool(
                "find_skills", {"task": "what semver version after a breaking change?"}
            )
            assert not after.is_error
            assert after.structured_content["skills"][0]["name"] == "semver-bump"

    run(body)
