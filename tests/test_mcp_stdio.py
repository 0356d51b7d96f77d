"""``skillpack serve`` as a subprocess, spoken to over stdio: the SDK's stdio client, then raw JSON lines.

Generous timeouts guard against a hang only; nothing here measures speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.environment import ISOLATED_VARIABLES
from support.hang import within
from support.mcp import Client, build_library, run

from skillpack.mcp.toolkit import MAX_TASK_BYTES

pytestmark = pytest.mark.slow


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from skillpack.cli.main import main; main()", *args]


def environment(tmp_path: Path) -> dict[str, str]:
    keep = {
        key: value for key, value in os.environ.items() if key in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")
    }
    return {**keep, **{variable: os.environ[variable] for variable in ISOLATED_VARIABLES}}


def test_serve_over_stdio_with_the_sdk_client(tmp_path: Path) -> None:
    from mcp import StdioServerParameters

    library = build_library(tmp_path / "skills")
    log = tmp_path / "serve.jsonl"
    params = StdioServerParameters(
        command=command()[0],
        args=[*command()[1:], "--path", str(library), "--only", "serve", "--log-file", str(log)],
        env=environment(tmp_path),
        cwd=str(tmp_path),
    )

    async def body() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            assert client.server_info is None or client.server_info.name == "skillpack"
            tools = {tool.name for tool in (await client.list_tools()).tools}
            assert "find_skills" in tools
            found = await client.call_tool(
                "find_skills", {"task": "what semver version after a breaking change?"}
            )
            assert not found.is_error
            assert found.structured_content["skills"][0]["name"] == "semver-bump"
            too_big = await client.call_tool("find_skills", {"task": "x" * (1_000_000)})
            assert too_big.is_error and f"{MAX_TASK_BYTES:,}" in too_big.content[0].text
            loaded = await client.call_tool("load_skill", {"name": "semver-bump"})
            assert "Breaking change: bump MAJOR." in loaded.content[0].text
            resource = await client.read_resource("skill://pdf-forms/references/fields.md")
            assert (
                resource.contents[0].text == (library / "pdf-forms" / "references" / "fields.md").read_text()
            )
            prompts = {p.name for p in (await client.list_prompts()).prompts}
            assert "pdf-forms" in prompts

    run(body)
    tools_called = [json.loads(line)["tool"] for line in log.read_text().splitlines()]
    assert tools_called == ["find_skills", "find_skills", "load_skill"]


def test_stdout_carries_protocol_messages_only(tmp_path: Path) -> None:
    library = build_library(tmp_path / "skills")
    requests: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw-test", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "load_skill", "arguments": {"name": "nope"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "resources/read",
            "params": {"uri": "skill://pdf-forms/../../x"},
        },
        {"jsonrpc": "2.0", "id": 5, "method": "skills/list"},
    ]
    errors = (tmp_path / "stderr.txt").open("wb")  # a file, not a pipe nobody drains
    process = subprocess.Popen(
        command("--path", str(library), "--only", "serve"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        env=environment(tmp_path),
        cwd=tmp_path,
    )
    assert process.stdin is not None and process.stdout is not None

    def exchange() -> list[dict[str, Any]]:
        # Read until every request has its answer, then close stdin: closing it first would race the
        # server's shutdown against its last answers.
        for request in requests:
            process.stdin.write((json.dumps(request) + "\n").encode())
        process.stdin.flush()
        received: list[dict[str, Any]] = []
        while {m.get("id") for m in received} < {1, 2, 3, 4, 5}:
            line = process.stdout.readline()
            if not line:
                break
            received.append(json.loads(line))  # every line is a JSON-RPC message, nothing else
        process.stdin.close()
        received += [json.loads(line) for line in process.stdout.read().splitlines()]
        return received

    try:
        messages = within(120, exchange)
        assert process.wait(timeout=120) == 0, (tmp_path / "stderr.txt").read_text()
    finally:
        process.kill()
        process.wait()
        errors.close()
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    by_id = {m["id"]: m for m in messages if "id" in m}
    assert set(by_id) == {1, 2, 3, 4, 5}
    assert by_id[3]["result"]["isError"] is True
    assert by_id[4]["error"]["code"] == -32602
    assert len(by_id[5]["result"]["skills"]) == 4


def test_serve_without_the_sdk_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from skillpack.cli.main import cli

    monkeypatch.setitem(sys.modules, "mcp", None)  # makes `import mcp` raise ImportError
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1, result.output
    assert "pip install 'skillpack[mcp]'" in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_an_unwritable_log_file_before_serving(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from skillpack.cli.main import cli

    result = CliRunner().invoke(
        cli, ["serve", "--log-file", str(tmp_path / "no" / "such" / "dir" / "log.jsonl")]
    )
    assert result.exit_code == 2, result.output
    assert "cannot write the log file" in result.output
