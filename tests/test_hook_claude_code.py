"""``skillpack hook claude-code`` on recorded Claude Code payloads: context when a skill applies, else nothing."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.skills import DATA, REPO, make_skill

from skillpack.cli.main import cli
from skillpack.eventlog import EventLog
from skillpack.hook import HookOptions, hook_output, parse_input, run_hook

PAYLOADS = DATA / "claude-code-hooks"
SKILLS = REPO / "skills"


@pytest.fixture(autouse=True)
def outside_claude_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as if no Claude Code project were open (HOME and the caches are isolated for every test)."""
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)


def hook(
    stdin: bytes,
    *args: str,
    log: Path | None = None,
    paths: tuple[str, ...] = ("--path", str(SKILLS), "--only"),
) -> Any:
    extra = ["--log-file", str(log)] if log else []
    return CliRunner().invoke(cli, [*paths, "hook", "claude-code", *extra, *args], input=stdin)


def records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize(
    ("payload", "skill"),
    [
        ("user-prompt-submit-semver.json", "semver-bump"),
        ("user-prompt-submit-commit.json", "conventional-commits"),
    ],
)
def test_a_relevant_prompt_gets_the_chosen_skills_instructions(
    tmp_path: Path, payload: str, skill: str
) -> None:
    log = tmp_path / "hook.jsonl"
    result = hook((PAYLOADS / payload).read_bytes(), log=log)
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert set(output) == {"hookSpecificOutput"}
    specific = output["hookSpecificOutput"]
    assert specific["hookEventName"] == "UserPromptSubmit"
    context = specific["additionalContext"]
    instructions = (SKILLS / skill / "instructions.md").read_text().strip()
    assert instructions.splitlines()[0] in context
    assert f'<skill name="{skill}"' in context
    assert len(context) <= 10_000
    (record,) = records(log)
    assert record["outcome"] == "context" and skill in record["chosen"]
    assert record["session_id"] == json.loads((PAYLOADS / payload).read_text())["session_id"]
    assert record["prompt_sha256"].startswith("sha256:") and "prompt" not in record


def test_an_abstention_prints_nothing(tmp_path: Path) -> None:
    log = tmp_path / "hook.jsonl"
    result = hook((PAYLOADS / "user-prompt-submit-small-talk.json").read_bytes(), log=log)
    assert result.exit_code == 0 and result.output == ""
    (record,) = records(log)
    assert record["outcome"] == "nothing" and record["abstained"] is True


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        ((PAYLOADS / "pre-tool-use.json").read_bytes(), "hook_event_name is 'PreToolUse'"),
        (b"", "not JSON"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"hook_event_name": "UserPromptSubmit", "prompt": "  "}).encode(), "no prompt"),
        (json.dumps({"hook_event_name": "UserPromptSubmit", "prompt": 42}).encode(), "no prompt"),
    ],
)
def test_unusable_input_prints_nothing_and_exits_0(tmp_path: Path, stdin: bytes, reason: str) -> None:
    log = tmp_path / "hook.jsonl"
    result = hook(stdin, log=log)
    assert result.exit_code == 0, result.output
    assert result.output == ""
    (record,) = records(log)
    assert record["outcome"] == "skipped" and reason in record["reason"]


def test_an_error_while_routing_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    log = tmp_path / "hook.jsonl"
    payload = (PAYLOADS / "user-prompt-submit-semver.json").read_bytes()
    result = hook(payload, "--router", "no-such-router", log=log)
    assert result.exit_code == 0 and result.output == ""
    (record,) = records(log)
    assert record["outcome"] == "error" and "no-such-router" in record["reason"]
    missing = hook(payload, log=log, paths=("--path", str(tmp_path / "missing"), "--only"))
    assert missing.exit_code == 0 and missing.output == ""
    assert "no such folder" in records(log)[-1]["reason"]


def test_bad_options_never_block_the_prompt() -> None:
    # Exit code 2 from a UserPromptSubmit hook blocks the prompt, so even a typo in the settings exits 0.
    result = hook(b"{}", "--budget", "lots")
    assert result.exit_code == 0
    assert "ignored" in result.output


def test_the_time_bound_gives_up_with_nothing_printed(tmp_path: Path) -> None:
    # The input never arrives, so the worker cannot finish whatever the machine's speed: the bound decides.
    release = threading.Event()
    log = tmp_path / "hook.jsonl"

    def stuck() -> bytes:
        release.wait()
        return b"{}"

    try:
        output = run_hook(stuck, HookOptions(timeout=0.05), EventLog(log))
    finally:
        release.set()
    assert output == ""
    (record,) = records(log)
    assert record["outcome"] == "timeout" and "gave up after 0.05 s" in record["reason"]


def test_the_project_is_the_payloads_cwd(tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_skill(
        project / ".claude" / "skills",
        "invoice-layout",
        description="Lays out customer invoices with line items, tax and totals. Use when writing an invoice.",
    )
    payload = json.loads((PAYLOADS / "user-prompt-submit-semver.json").read_text())
    payload.update(cwd=str(project), prompt="lay out the customer invoice with tax and totals")
    result = hook(json.dumps(payload).encode(), paths=())
    assert result.exit_code == 0, result.output
    assert (
        '<skill name="invoice-layout">'
        in json.loads(result.output)["hookSpecificOutput"]["additionalContext"]
    )


def test_the_context_stays_under_max_chars(tmp_path: Path) -> None:
    log = tmp_path / "hook.jsonl"
    payload = (PAYLOADS / "user-prompt-submit-semver.json").read_bytes()
    result = hook(payload, "--max-chars", "500", log=log)
    assert result.exit_code == 0 and result.output == ""
    assert "over 500 characters" in records(log)[0]["reason"]


def test_parse_input_and_output_follow_claude_codes_format() -> None:
    parsed = parse_input((PAYLOADS / "user-prompt-submit-commit.json").read_bytes())
    assert parsed.cwd == Path("/Users/ana/src/api")
    assert parsed.session_id == "c51d9e07-6b2a-4f3e-8d41-0a7b9c2e5f36"
    assert json.loads(hook_output("ctx")) == {
        "hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": "ctx"}
    }


def test_an_unwritable_log_file_still_never_blocks(tmp_path: Path) -> None:
    payload = (PAYLOADS / "user-prompt-submit-semver.json").read_bytes()
    result = hook(payload, log=tmp_path / "no" / "such" / "folder" / "hook.jsonl")
    assert result.exit_code == 0
    assert (
        json.loads(result.output.splitlines()[-1])["hookSpecificOutput"]["hookEventName"]
        == "UserPromptSubmit"
    )
