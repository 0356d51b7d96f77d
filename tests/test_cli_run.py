"""``skillpack run`` and ``skillpack plugins`` through click's CliRunner (no network: mock transports)."""

from __future__ import annotations

import importlib
import json
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support.http import anthropic_http_module

from skillpack import plugins
from skillpack.backends.base import Backend, Reply, Request, Usage
from skillpack.backends.fake import BANNER
from skillpack.cli.main import cli
from skillpack.hookspecs import Register, hookimpl
from skillpack.running import NO_BACKEND

anthropic = pytest.importorskip("anthropic", reason="the anthropic SDK is not installed")

TASK = "write a git commit message for this change"


@pytest.fixture
def library(tmp_path: Path, make_skill: Callable[..., Path]) -> Path:
    root = tmp_path / "library"
    make_skill(
        root,
        "commit-messages",
        description="Writes git commit messages in the Conventional Commits format. Use for any commit message.",
        body="Use feat:, fix: and chore: prefixes.\n",
    )
    make_skill(
        root,
        "changelog",
        description="Keeps a CHANGELOG.md in the Keep a Changelog format. Use when releasing.",
        body="Group entries under Added, Changed, Fixed.\n",
    )
    return root


@pytest.fixture
def invoke(library: Path, skill_home: Path) -> Callable[..., Result]:
    def call(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            cli, ["--path", str(library), "--only", *args], input=input, prog_name="skillpack"
        )

    return call


@pytest.fixture
def no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setattr("skillpack.backends.local.is_available", lambda: False)


class Broken(Backend):
    name = "broken"

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model

    def generate(self, request: Request) -> Reply:
        raise RuntimeError("lost the connection after 12 tokens")


class Scripted(Backend):
    """A backend that routes to the changelog skill, then answers."""

    name = "scripted"

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model or "scripted-1"

    def generate(self, request: Request) -> Reply:
        text = "changelog" if request.task.startswith("Task:") else "Added: a section."
        return Reply(
            text=text, model=self.model, backend=self.name, usage=Usage(input_tokens=120, output_tokens=3)
        )


class ExtraBackendsPlugin:
    @hookimpl
    def skillpack_register_backends(self, register: Register) -> None:
        register("broken", Broken)
        register("scripted", Scripted)


@pytest.fixture
def extra_backends_registered() -> Iterator[None]:
    plugins.reset()
    plugins.manager().add(ExtraBackendsPlugin(), name="test-backends")
    yield
    plugins.reset()


# -- the fake backend, dry runs, formats ---------------------------------------------------------------


def test_fake_backend_answers_and_says_it_is_not_a_model(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--backend", "fake", TASK)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(BANNER)
    assert "Skills in the context: commit-messages" in result.stdout
    assert result.stderr == ""


def test_explain_reports_skills_tokens_and_cost_on_stderr(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--backend", "fake", "--explain", "-k", "1", TASK)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(BANNER) and "skills:" not in result.stdout
    assert "skills: 1 of 2 chosen by the lexical router; context " in result.stderr
    assert "  1. commit-messages  confidence " in result.stderr
    assert "on demand: loaded none; offered changelog" in result.stderr
    assert "model: fake (backend fake), 1 turn," in result.stderr
    assert "output, 0 cache read, 0 cache write; cost $0.0000" in result.stderr


def test_dry_run_prints_the_context_only(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--dry-run", "--backend", "fake", TASK)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<skills>")
    assert '<skill name="commit-messages">\nUse feat:, fix: and chore: prefixes.\n</skill>' in result.stdout
    assert result.stderr == ""


def test_without_key_or_local_model_the_context_is_framed_for_a_newcomer_on_stderr(
    invoke: Callable[..., Result], no_backend: None
) -> None:
    result = invoke("run", TASK)
    assert result.exit_code == 0, result.output
    # stderr: the framing before the context, a blank line (the context goes here on a terminal), the end
    before, after = result.stderr.split("\n\n\n")
    lines = before.splitlines()
    assert lines[0] == f"task: {TASK}"
    assert lines[1] == "skills: 1 of 2 skills, chosen by the lexical router"
    assert lines[2].startswith("  commit-messages  confidence ") and "  why: " in lines[2]
    assert lines[3].startswith("tokens: ") and " in the context (loading every skill would cost " in lines[3]
    assert lines[4:] == ["context, exactly as a model would receive it (on stdout):"]
    assert after.splitlines() == [
        "no answer: no model backend is available.",
        "next: export ANTHROPIC_API_KEY=... for Claude's answer, or pip install 'skillpack[local]' for a local"
        f" model, and run it again; skillpack route {shlex.quote(TASK)} shows how every skill ranked",
    ]
    # stdout holds the context alone, byte for byte what --dry-run prints and a backend receives
    assert result.stdout == invoke("run", "--dry-run", TASK).stdout
    assert result.stdout.startswith("<skills>") and "commit-messages" in result.stdout
    tokens = json.loads(invoke("route", "--format", "json", TASK).stdout)["context_tokens"]
    assert lines[3].startswith(f"tokens: {tokens:,} in the context")


def test_without_a_model_an_abstention_is_framed_too(invoke: Callable[..., Result], no_backend: None) -> None:
    result = invoke("run", "zzzz qqqq")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[:2] == ["task: zzzz qqqq", "skills: 0 of 2 skills, chosen by the lexical router"]
    assert lines[2].startswith("  none loaded — ") and lines[3].startswith("tokens: 0 in the context")
    assert "context, exactly as a model would receive it (on stdout):" not in lines
    assert lines[-1].startswith("next: ")


def test_the_fallback_in_json_says_why_in_one_line(invoke: Callable[..., Result], no_backend: None) -> None:
    result = invoke("run", "--format", "json", TASK)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"note: {NO_BACKEND}\n"
    assert json.loads(result.stdout)["dry_run_reason"] == NO_BACKEND


def test_an_empty_selection_says_so(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--dry-run", "zzzz qqqq")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "note: no skill was selected for this task; the context is empty\n"


def test_json_output(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--backend", "fake", "--format", "json", TASK)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answer"].startswith(BANNER)
    assert data["backend"] == "fake" and data["dry_run"] is False
    assert data["selection"]["chosen"][0]["name"] == "commit-messages"
    assert data["usage"]["cost_usd"] == 0.0 and "context" not in data
    explained = json.loads(invoke("run", "--backend", "fake", "--format", "json", "--explain", TASK).stdout)
    assert explained["context"].startswith("<skills>")


@pytest.mark.parametrize("args", [["run", "--backend", "fake"], ["run", "--backend", "fake", "-"]])
def test_the_task_may_come_on_stdin(invoke: Callable[..., Result], args: list[str]) -> None:
    result = invoke(*args, input=TASK + "\n")
    assert result.exit_code == 0, result.output
    assert f"received the task {TASK + chr(10)!r}" in result.stdout


def test_an_empty_task_is_a_usage_error(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--backend", "fake", input="")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "task" in result.stderr and "Traceback" not in result.output


# -- bad input --------------------------------------------------------------------------------------


def test_an_unknown_backend_exits_2(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--backend", "gpt-9", TASK)
    assert result.exit_code == 2, result.output
    assert (
        result.stderr == "skillpack: error: unknown backend 'gpt-9'; choose one of: anthropic, fake, local\n"
    )


def test_an_unknown_local_model_is_one_line(invoke: Callable[..., Result], tmp_path: Path) -> None:
    result = invoke("run", "--backend", "local", "--model", str(tmp_path / "nope.gguf"), TASK)
    if importlib.util.find_spec("llama_cpp") is None:
        assert result.exit_code == 1, result.output
        assert "pip install 'skillpack[local]'" in result.stderr
    else:
        assert result.exit_code == 2, result.output
        assert result.stderr.endswith(
            "nope.gguf: no such model file — the local backend takes a path to a .gguf file"
            " (omit --model for SmolLM2-135M-Instruct)\n"
        )
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1


def test_a_backend_failing_mid_answer_writes_nothing(
    invoke: Callable[..., Result], extra_backends_registered: None
) -> None:
    result = invoke("run", "--backend", "broken", TASK)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "skillpack: error: backend 'broken' failed: RuntimeError: lost the connection after 12 tokens\n"
    )


def test_the_llm_router_from_the_cli(invoke: Callable[..., Result], extra_backends_registered: None) -> None:
    # The model chooses among the skills the lexical evidence carries (confidence from the base router).
    task = "keep the changelog for the release in the Keep a Changelog format"
    result = invoke("run", "--backend", "scripted", "--router", "llm", "--explain", task)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Added: a section.\n"
    assert "chosen by the llm router" in result.stderr and "1. changelog" in result.stderr
    assert "routing: 123 model tokens" in result.stderr


# -- the anthropic backend, through the SDK's HTTP layer ---------------------------------------------


httpx = anthropic_http_module()


def message(*content: dict[str, Any], stop: str = "end_turn") -> Any:
    return httpx.Response(
        200,
        json={
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-5-5",
            "content": list(content),
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": 900,
                "output_tokens": 40,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 850,
            },
        },
    )


def api_error(status: int, kind: str, text: str) -> Any:
    return httpx.Response(status, json={"type": "error", "error": {"type": kind, "message": text}})


@pytest.fixture
def mock_api(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[Any]]:
    """Route the anthropic backend's client through a mock transport replaying ``replies``."""

    def install(*replies: Any) -> list[Any]:
        seen: list[Any] = []
        queue = list(replies)

        def handler(request: Any) -> Any:
            seen.append(json.loads(request.content))
            reply = queue.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply

        def build(key: str, *, max_retries: int, timeout: float) -> Any:
            transport = httpx.MockTransport(handler)
            return anthropic.Anthropic(
                api_key=key, http_client=httpx.Client(transport=transport), max_retries=0
            )

        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setattr("skillpack.backends.anthropic._build_client", build)
        return seen

    return install


def test_with_a_key_the_default_backend_is_anthropic(invoke: Callable[..., Result], mock_api: Any) -> None:
    seen = mock_api(message({"type": "text", "text": "feat: add login timeout"}))
    result = invoke("run", "--explain", "-k", "1", TASK)
    assert result.exit_code == 0, result.output
    assert result.stdout == "feat: add login timeout\n"
    assert seen[0]["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert seen[0]["tools"][0]["input_schema"]["properties"]["name"]["enum"] == ["changelog"]
    assert "model: claude-sonnet-5-5 (backend anthropic), 1 turn," in result.stderr
    assert "tokens: 900 input, 40 output, 850 cache read, 0 cache write; cost $0.0023" in result.stderr


def test_a_model_asking_for_unknown_or_loaded_skills_gets_refused_and_noted(
    invoke: Callable[..., Result], mock_api: Any
) -> None:
    def use(name: str, number: int) -> dict[str, Any]:
        return {"type": "tool_use", "id": f"toolu_{number}", "name": "load_skill", "input": {"name": name}}

    seen = mock_api(
        message(use("changelog", 1), stop="tool_use"),
        message(use("changelog", 2), use("rust-lifetimes", 3), use("commit-messages", 4), stop="tool_use"),
        message({"type": "text", "text": "Done."}),
    )
    result = invoke("run", "--explain", "-k", "1", TASK)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Done.\n"
    assert "note: refused a load_skill request: already loaded: changelog is in the context above" in (
        result.stderr
    )
    assert (
        "note: refused a load_skill request: there is no loadable skill named 'rust-lifetimes'"
        in result.stderr
    )
    # The router put commit-messages in the context: the model is told so, not that it does not exist.
    refused = seen[2]["messages"][4]["content"][2]
    assert refused["is_error"] is True
    assert refused["content"] == "already loaded: commit-messages is in the context above"
    assert seen[0]["tools"] == seen[1]["tools"] == seen[2]["tools"]
    assert "on demand: loaded changelog; offered changelog" in result.stderr


def test_a_tool_loop_that_does_not_end_is_one_line(invoke: Callable[..., Result], mock_api: Any) -> None:
    use = {"type": "tool_use", "id": "toolu_1", "name": "load_skill", "input": {"name": "changelog"}}
    mock_api(message(use, stop="tool_use"), message(use, stop="tool_use"))
    result = invoke("run", "--max-turns", "2", "-k", "1", TASK)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(
        "skillpack: error: anthropic: the model was still calling load_skill after max_turns=2"
    )
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("reply", "message_start"),
    [
        (
            api_error(401, "authentication_error", "invalid x-api-key"),
            "anthropic: the API key was rejected (401",
        ),
        (
            api_error(429, "rate_limit_error", "slow down"),
            "anthropic: rate limited (429 rate_limit_error: slow down)",
        ),
        (api_error(500, "api_error", "Internal server error"), "anthropic: server error (500 api_error"),
        (api_error(404, "not_found_error", "model: claude-x"), "anthropic: unknown model 'claude-x' (404"),
        (httpx.ConnectTimeout("timed out"), "anthropic: the request timed out after 120s"),
    ],
)
def test_api_errors_are_one_line_and_nothing_is_written(
    invoke: Callable[..., Result], mock_api: Any, reply: Any, message_start: str
) -> None:
    mock_api(reply)
    result = (
        invoke("run", "--model", "claude-x", TASK) if "claude-x" in message_start else invoke("run", TASK)
    )
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"skillpack: error: {message_start}")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


def test_a_body_that_is_not_json_is_one_anthropic_line(invoke: Callable[..., Result], mock_api: Any) -> None:
    mock_api(httpx.Response(200, content=b"{not json", headers={"content-type": "application/json"}))
    result = invoke("run", TASK)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "skillpack: error: anthropic: the API answered with a body that is not JSON (HTTP 200,"
        " application/json, from https://api.anthropic.com/v1/messages; it starts '{not json') — retry;"
        " if it persists, check proxies and ANTHROPIC_BASE_URL\n"
    )


def _system_text(body: dict[str, Any]) -> str:
    return "".join(block["text"] + "\n" for block in body["system"])


@pytest.mark.parametrize("key", [True, False], ids=["with-key", "without-key"])
def test_a_dry_run_prints_exactly_the_system_prompt_anthropic_sends(
    invoke: Callable[..., Result], mock_api: Any, monkeypatch: pytest.MonkeyPatch, key: bool
) -> None:
    seen = mock_api(message({"type": "text", "text": "feat: add login timeout"}))
    assert invoke("run", "-k", "1", TASK).exit_code == 0
    (sent,) = seen
    if not key:
        monkeypatch.delenv("ANTHROPIC_API_KEY")

    dry = invoke("run", "--dry-run", "--backend", "anthropic", "-k", "1", TASK)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == _system_text(sent)
    assert "<available_skills>" in dry.stdout and "<name>changelog</name>" in dry.stdout
    assert dry.stderr == ("note: a load_skill tool over 1 skill would be offered (--format json shows it)\n")
    data = json.loads(
        invoke("run", "--dry-run", "--backend", "anthropic", "-k", "1", "--format", "json", TASK).stdout
    )
    assert data["prompt"] == {"system": _system_text(sent), "tools": sent["tools"], "task": TASK}
    assert data["dry_run"] is True and len(seen) == 1  # the dry runs sent nothing


def test_a_dry_run_for_a_backend_without_tools_prints_the_skills_only(invoke: Callable[..., Result]) -> None:
    result = invoke("run", "--dry-run", "--backend", "fake", "--format", "json", TASK)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["prompt"] == {"system": data["context"], "tools": [], "task": TASK}


def test_no_key_with_anthropic_named_says_how_to_set_it(
    invoke: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = invoke("run", "--backend", "anthropic", TASK)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        "skillpack: error: the anthropic backend needs an API key: export ANTHROPIC_API_KEY="
    )
    assert "--backend local or fake" in result.stderr


# -- skillpack plugins ------------------------------------------------------------------------------


def test_plugins_lists_what_is_loaded_and_from_where(
    invoke: Callable[..., Result], extra_backends_registered: None
) -> None:
    result = invoke("plugins")
    assert result.exit_code == 0, result.output
    assert (
        "skillpack.backends.builtin  (built-in; module skillpack.backends.builtin)\n  backends: anthropic, fake, local\n"
        in (result.stdout)
    )
    assert (
        f"test-backends  (registered at run time; module {__name__})\n  backends: broken, scripted\n"
        in result.stdout
    )
    data = json.loads(invoke("plugins", "--format", "json").stdout)
    assert data["entry_point_group"] == "skillpack" and data["failed"] == []
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["test-backends"]["provides"] == {"backend": ["broken", "scripted"]}
    assert any("llm" in p["provides"].get("router", []) for p in data["plugins"])


def test_plugins_exits_1_when_a_plugin_failed_to_load(invoke: Callable[..., Result]) -> None:
    plugins.reset()
    plugins.manager().failures["ghost"] = (
        "skillpack-ghost 0.1 (entry point ghost = ghost): ModuleNotFoundError: ghost"
    )
    try:
        result = invoke("plugins")
    finally:
        plugins.reset()
    assert result.exit_code == 1, result.output
    assert "skillpack: error: plugin 'ghost' failed to load: skillpack-ghost 0.1" in result.stderr


def test_run_says_on_stderr_when_k_cuts_a_skill_that_passed_the_bar(invoke: Callable[..., Result]) -> None:
    task = "write the commit message and keep the changelog in the Keep a Changelog format"
    result = invoke("run", "--dry-run", "-k", "1", "--min-confidence", "0", task)
    assert result.exit_code == 0, result.output
    assert "note: k cut 1 skill that passed the confidence bar: " in result.stderr
    assert "raise -k to load them" in result.stderr
