"""``skillpack serve``'s server in memory, through the SDK's own client: tools, resources, prompts, extension."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from support.mcp import ANY, PNG, Client, GetSkill, GetSkillParams, ListSkills, build_library, run

from skillpack.eventlog import EventLog
from skillpack.mcp.library import Library
from skillpack.mcp.server import SHA256_META_KEY, build_server
from skillpack.mcp.toolkit import SkillTools
from skillpack.plugins import get_router
from skillpack.registry import SkillPack


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return build_library(tmp_path / "skills")


def server_for(folder: Path, *, log: Path | None = None) -> Any:
    library = Library(lambda: SkillPack.from_paths([folder]))
    return build_server(SkillTools(library, router=get_router("lexical"), log=EventLog(log)))


def text(result: Any) -> str:
    return "".join(block.text for block in result.content)


def test_lists_the_four_tools_with_closed_schemas(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(tools) == {"find_skills", "load_skill", "read_skill_resource", "reload_skills"}
            find = tools["find_skills"]
            assert set(find.input_schema["properties"]) == {"task", "k", "budget"}
            assert find.input_schema["required"] == ["task"]
            assert all(tool.input_schema["additionalProperties"] is False for tool in tools.values())
            assert "ctx" not in tools["load_skill"].input_schema["properties"]
            assert "skill" in find.description.lower()

    run(body)


def test_find_skills_reports_score_tokens_and_evidence(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            result = await client.call_tool(
                "find_skills", {"task": "what semver version comes after a breaking release?"}
            )
            assert not result.is_error, text(result)
            answer = result.structured_content
            assert answer["abstained"] is False
            first = answer["skills"][0]
            assert first["name"] == "semver-bump"
            assert first["uri"] == "skill://semver-bump/SKILL.md"
            assert first["score"] > 0 and first["tokens"] > 0
            assert 0.0 < first["confidence"] <= 1.0
            assert "\n" not in first["evidence"] and first["evidence"] != "-"
            assert answer["context_tokens"] >= sum(s["tokens"] for s in answer["skills"])
            assert (
                answer["task_sha256"]
                == "sha256:"
                + hashlib.sha256(b"what semver version comes after a breaking release?").hexdigest()
            )
            assert json.loads(text(result)) == answer

    run(body)


def test_find_skills_abstains_explicitly(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            result = await client.call_tool("find_skills", {"task": "thanks, that's all"})
            assert not result.is_error, text(result)
            answer = result.structured_content
            assert answer["abstained"] is True
            assert answer["skills"] == []
            assert answer["reason"].startswith("no skill is ") and "\n" not in answer["reason"]

    run(body)


def test_find_skills_never_chooses_a_skill_that_disables_model_invocation(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            result = await client.call_tool("find_skills", {"task": "deploy the service to production"})
            names = [s["name"] for s in result.structured_content["skills"]]
            assert "deploy-prod" not in names
            loaded = await client.call_tool("load_skill", {"name": "deploy-prod"})
            assert not loaded.is_error, text(loaded)  # named explicitly, it loads

    run(body)


def test_load_skill_gives_instructions_and_files_once_per_session(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            first = await client.call_tool("load_skill", {"name": "pdf-forms"})
            assert not first.is_error, text(first)
            assert "Fill $ARGUMENTS field by field." in text(first)
            assert "references/fields.md" in text(first)
            assert "skill://pdf-forms/assets/logo.png" in text(first)
            again = await client.call_tool("load_skill", {"name": "pdf-forms"})
            assert not again.is_error
            assert "already loaded" in text(again)
            assert "Fill $ARGUMENTS" not in text(again)

    run(body)


def test_read_skill_resource_returns_the_file(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            result = await client.call_tool(
                "read_skill_resource", {"name": "pdf-forms", "path": "references/fields.md"}
            )
            assert not result.is_error, text(result)
            assert text(result) == (library / "pdf-forms" / "references" / "fields.md").read_text()
            binary = await client.call_tool(
                "read_skill_resource", {"name": "pdf-forms", "path": "assets/logo.png"}
            )
            assert binary.is_error
            assert "skill://pdf-forms/assets/logo.png" in text(binary)

    run(body)


def test_unknown_names_are_errors_with_close_matches(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            result = await client.call_tool("load_skill", {"name": "semver-bmp"})
            assert result.is_error
            assert "no skill named 'semver-bmp'" in text(result)
            assert "semver-bump" in text(result)
            resource = await client.call_tool("read_skill_resource", {"name": "pdf-form", "path": "x.md"})
            assert resource.is_error and "pdf-forms" in text(resource)

    run(body)


def test_reload_skills_reads_the_library_again(library: Path) -> None:
    from support.skills import make_skill

    async def body() -> None:
        async with Client(server_for(library)) as client:
            make_skill(library, "csv-cleaning", description="Cleans CSV files. Use when a CSV is messy.")
            missing = await client.call_tool("load_skill", {"name": "csv-cleaning"})
            assert missing.is_error
            reloaded = await client.call_tool("reload_skills", {})
            assert reloaded.structured_content["skills"] == 5
            found = await client.call_tool("load_skill", {"name": "csv-cleaning"})
            assert not found.is_error, text(found)

    run(body)


def test_resources_carry_mime_type_size_and_the_files_sha256(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            listed = {str(r.uri): r for r in (await client.list_resources()).resources}
            fields = listed["skill://pdf-forms/references/fields.md"]
            data = (library / "pdf-forms" / "references" / "fields.md").read_bytes()
            assert fields.mime_type == "text/markdown"
            assert fields.size == len(data)
            assert fields.meta[SHA256_META_KEY] == hashlib.sha256(data).hexdigest()
            manifest = listed["skill://pdf-forms/SKILL.md"]
            assert manifest.name == "pdf-forms"
            assert manifest.description.startswith("Fills in PDF forms")
            assert (
                manifest.meta[SHA256_META_KEY]
                == hashlib.sha256((library / "pdf-forms" / "SKILL.md").read_bytes()).hexdigest()
            )
            logo = listed["skill://pdf-forms/assets/logo.png"]
            assert logo.mime_type == "image/png" and logo.size == len(PNG)

            read = await client.read_resource("skill://pdf-forms/references/fields.md")
            assert read.contents[0].text.encode() == data
            assert hashlib.sha256(read.contents[0].text.encode()).hexdigest() == fields.meta[SHA256_META_KEY]
            blob = await client.read_resource("skill://pdf-forms/assets/logo.png")
            assert base64.b64decode(blob.contents[0].blob) == PNG

    run(body)


def test_a_native_skill_is_served_as_a_generated_skill_md_identical_run_to_run(
    library: Path, tmp_path: Path
) -> None:
    async def read_once() -> tuple[str, str]:
        async with Client(server_for(library)) as client:
            listed = {str(r.uri): r for r in (await client.list_resources()).resources}
            read = await client.read_resource("skill://semver-bump/SKILL.md")
            return read.contents[0].text, listed["skill://semver-bump/SKILL.md"].meta[SHA256_META_KEY]

    first, digest = run(read_once)
    second, _ = run(read_once)
    assert first == second
    assert hashlib.sha256(first.encode()).hexdigest() == digest
    assert "skill.yaml" not in {u.split("/")[-1] for u in first.splitlines()}
    # The generated file is an Agent Skills skill of its own: same name, description and instructions.
    copy = tmp_path / "copy" / "semver-bump"
    copy.mkdir(parents=True)
    (copy / "SKILL.md").write_text(first, encoding="utf-8")
    original = SkillPack.from_paths([library]).get("semver-bump")
    generated = SkillPack.from_paths([copy]).get("semver-bump")
    assert (generated.description, generated.instructions()) == (
        original.description,
        original.instructions(),
    )
    assert generated.manifest["metadata"] == {"version": "1.2.0"}
    assert "examples" not in generated.manifest


def test_prompts_one_per_user_invocable_skill_with_argument_hint(library: Path) -> None:
    async def body() -> None:
        async with Client(server_for(library)) as client:
            prompts = {p.name: p for p in (await client.list_prompts()).prompts}
            assert set(prompts) == {
                "semver-bump",
                "pdf-forms",
                "deploy-prod",
            }  # internal-notes is not invocable
            assert "[form.pdf] [data.json]" in prompts["pdf-forms"].arguments[0].description
            got = await client.get_prompt("pdf-forms", {"arguments": "w9.pdf me.json"})
            assert got.messages[0].role == "user"
            assert "Fill w9.pdf me.json field by field." in got.messages[0].content.text
            plain = await client.get_prompt("semver-bump", {"arguments": "1.4.0 + removed API"})
            assert plain.messages[0].content.text.rstrip().endswith("ARGUMENTS: 1.4.0 + removed API")
            with pytest.raises(Exception, match="not user-invocable"):
                await client.get_prompt("internal-notes", {})
            with pytest.raises(Exception, match="did you mean semver-bump"):
                await client.get_prompt("semver-bum", {})

    run(body)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_skills_extension_lists_and_gets_entries_with_digests(library: Path, mode: str) -> None:
    async def body() -> None:
        async with Client(server_for(library), mode=mode) as client:
            if mode == "auto":  # protocol 2026-07-28, where capabilities carry extensions (SEP-2133)
                assert client.server_capabilities.extensions == {"io.modelcontextprotocol/skills": {}}
            listing = await client.session.send_request(ListSkills(), ANY)
            entries = {e["frontmatter"]["name"]: e for e in listing["skills"]}
            assert set(entries) == {"semver-bump", "pdf-forms", "deploy-prod", "internal-notes"}
            pdf = entries["pdf-forms"]
            assert pdf["uri"] == "skill://pdf-forms/SKILL.md"
            assert pdf["frontmatter"]["argument-hint"] == "[form.pdf] [data.json]"
            assert pdf["frontmatter"]["license"] == "MIT"
            by_uri = {r["uri"]: r for r in pdf["resources"]}
            assert set(by_uri) == {
                "skill://pdf-forms/SKILL.md",
                "skill://pdf-forms/assets/logo.png",
                "skill://pdf-forms/references/fields.md",
            }
            for uri, entry in by_uri.items():
                data = (library / uri.removeprefix("skill://")).read_bytes()
                assert entry == {
                    "uri": uri,
                    "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                }
            got = await client.session.send_request(GetSkill(params=GetSkillParams(uri=pdf["uri"])), ANY)
            assert got["skill"] == pdf
            if mode == "auto":
                assert got["ttlMs"] > 0 and got["cacheScope"] == "public"
            else:
                assert "ttlMs" not in got
            with pytest.raises(Exception) as raised:
                await client.session.send_request(
                    GetSkill(params=GetSkillParams(uri="skill://nope/SKILL.md")), ANY
                )
            assert raised.value.code == -32602
            with pytest.raises(Exception, match="did you mean pdf-forms") as raised:
                await client.session.send_request(
                    GetSkill(params=GetSkillParams(uri="skill://pdf-form/SKILL.md")), ANY
                )
            assert raised.value.code == -32602
            with pytest.raises(Exception, match="did you mean pdf-forms"):
                await client.read_resource("skill://pdf-form/SKILL.md")

    run(body)


def test_every_tool_call_is_one_json_line_in_the_log(library: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.jsonl"

    async def body() -> None:
        async with Client(server_for(library, log=log)) as client:
            await client.call_tool("find_skills", {"task": "bump the semver version for a release"})
            await client.call_tool("find_skills", {"task": "thanks, that's all"})
            await client.call_tool("load_skill", {"name": "nope"})

    run(body)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["tool"] for r in records] == ["find_skills", "find_skills", "load_skill"]
    found, abstained, failed = records
    assert found["chosen"] == ["semver-bump"] and found["abstained"] is False and found["tokens"] > 0
    assert found["task_sha256"].startswith("sha256:") and "task" not in found
    assert abstained["abstained"] is True and abstained["chosen"] == []
    assert "no skill named 'nope'" in failed["error"]
    assert all("time" in r for r in records)


def test_streamable_http_listens_on_127_0_0_1_only(library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from skillpack.cli.main import cli
    from skillpack.mcp.server import SkillServer

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(SkillServer, "run", lambda self, *args, **kwargs: calls.append((args, kwargs)))
    result = CliRunner().invoke(
        cli, ["--path", str(library), "--only", "serve", "--transport", "streamable-http", "--port", "8765"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert calls == [(("streamable-http",), {"host": "127.0.0.1", "port": 8765})]
    assert "--host" not in CliRunner().invoke(cli, ["serve", "--help"]).output
