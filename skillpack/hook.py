"""Claude Code's ``UserPromptSubmit`` hook: route each prompt and add the chosen skills as context.

Claude Code runs the hook command with a JSON object on standard input (``session_id``,
``transcript_path``, ``cwd``, ``permission_mode``, ``hook_event_name: "UserPromptSubmit"``, ``prompt``).
A hook that exits 0 and prints
``{"hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": "..."}}`` adds that
text to the model's context; printing nothing adds nothing. Exit code 2 would block the prompt, so this hook
never uses it: whatever goes wrong (bad input, no skills, an error, running past its time bound), it prints
nothing, exits 0, and says why in its event log.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillpack.context import render
from skillpack.errors import SkillpackError
from skillpack.eventlog import EventLog, text_digest

EVENT_NAME = "UserPromptSubmit"
#: The most bytes read from standard input; a larger payload is refused unread.
MAX_INPUT_BYTES = 4 * 1024 * 1024
#: The most of a prompt routed: a long prompt is mostly pasted material, its request comes first or last.
MAX_PROMPT_BYTES = 64 * 1024
#: Claude Code passes ``additionalContext`` up to 10,000 characters whole and replaces longer text with a
#: preview, so the context stays under this many characters (whole skills are dropped from the end).
MAX_CONTEXT_CHARS = 10_000
DEFAULT_TIMEOUT = 2.0
DEFAULT_BUDGET = 2_000
DEFAULT_K = 3

HEADER = (
    "skillpack chose these skills for the user's prompt. Follow the instructions of each one that applies"
    " to the request; ignore any that do not."
)


class HookInputError(SkillpackError):
    """The hook's standard input is not a ``UserPromptSubmit`` payload this hook can use."""


@dataclass(frozen=True, slots=True)
class HookInput:
    """The fields of Claude Code's ``UserPromptSubmit`` input that routing uses."""

    prompt: str
    cwd: Path | None
    session_id: str


@dataclass(frozen=True, slots=True)
class HookOptions:
    """How the hook routes: the search path, how many skills, their budget, and the time bound."""

    paths: Sequence[Path] = ()
    only: bool = False
    router: str = "lexical"
    k: int = DEFAULT_K
    budget: int = DEFAULT_BUDGET
    max_chars: int = MAX_CONTEXT_CHARS
    timeout: float = DEFAULT_TIMEOUT


def parse_input(raw: bytes) -> HookInput:
    """Return the payload's prompt, working folder and session; ``HookInputError`` when it is unusable."""
    if len(raw) > MAX_INPUT_BYTES:
        raise HookInputError(f"the hook input is over {MAX_INPUT_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HookInputError(f"the hook input is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise HookInputError("the hook input is not a JSON object")
    event = data.get("hook_event_name")
    if event != EVENT_NAME:
        raise HookInputError(f"hook_event_name is {event!r}, not {EVENT_NAME!r} — register the hook there")
    prompt = data.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise HookInputError("the hook input has no prompt")
    cwd = data.get("cwd")
    folder = Path(cwd) if isinstance(cwd, str) and cwd else None
    session = data.get("session_id")
    return HookInput(prompt=prompt, cwd=folder, session_id=session if isinstance(session, str) else "")


def hook_output(context: str) -> str:
    """Return the JSON that adds ``context`` to the model's context."""
    payload = {"hookSpecificOutput": {"hookEventName": EVENT_NAME, "additionalContext": context}}
    return json.dumps(payload, ensure_ascii=False)


def build_context(hook_input: HookInput, options: HookOptions, record: dict[str, Any]) -> str:
    """Route the prompt over the project's skills and return the context to add ("" when none applies)."""
    from skillpack.registry import SkillPack
    from skillpack.selection import select

    cwd = hook_input.cwd or _project_dir()
    if options.only:
        pack = SkillPack.from_paths(options.paths, cache=True)
    else:
        pack = SkillPack.discover(options.paths, cwd=cwd, cache=True)
    prompt = _head(hook_input.prompt, MAX_PROMPT_BYTES)
    record["truncated"] = prompt != hook_input.prompt
    selection = select(pack, prompt, k=options.k, budget=options.budget, router=options.router)
    skills = list(selection.skills)
    record.update(abstained=not skills, skills_installed=len(pack))
    if not skills:
        record["reason"] = (
            "the router abstained" if selection.ranking.abstained else "; ".join(selection.notes)
        )
        return ""
    text = ""
    while skills:
        text = f"{HEADER}\n\n{render(skills, 'xml')}"
        if len(text) <= options.max_chars:
            break
        skills.pop()
    if not skills:
        record["reason"] = f"even the first chosen skill is over {options.max_chars:,} characters"
        return ""
    record.update(
        chosen=[s.name for s in skills],
        tokens=sum(c.tokens for c in selection.chosen if c.skill in skills),
    )
    return text


def run_hook(
    read_input: Callable[[], bytes],
    options: HookOptions,
    log: EventLog,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> str:
    """Return what the hook prints: the hook output, or "" on abstention, error or timeout. Never raises.

    Reading the input and routing run in a worker thread; when it has not finished after
    ``options.timeout`` seconds, the hook gives up (the thread is a daemon, so the process can exit).
    """
    started = clock()
    record: dict[str, Any] = {}
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            hook_input = parse_input(read_input())
            record.update(session_id=hook_input.session_id, prompt_sha256=text_digest(hook_input.prompt))
            outcome["context"] = build_context(hook_input, options, record)
        except HookInputError as exc:
            outcome["skipped"] = str(exc)
        except Exception as exc:  # the hook must never fail the prompt: every error is logged instead
            outcome["error"] = (
                f"{type(exc).__name__}: {exc}" if not isinstance(exc, SkillpackError) else str(exc)
            )

    worker = threading.Thread(target=work, name="skillpack-hook", daemon=True)
    worker.start()
    worker.join(options.timeout)
    elapsed = {"ms": round((clock() - started) * 1000, 2)}
    if worker.is_alive():
        log.write(
            "hook", outcome="timeout", reason=f"gave up after {options.timeout:g} s", **elapsed, **record
        )
        return ""
    for kind in ("skipped", "error"):
        if kind in outcome:
            log.write("hook", outcome=kind, reason=outcome[kind], **elapsed, **record)
            return ""
    context = str(outcome.get("context", ""))
    log.write("hook", outcome="context" if context else "nothing", **elapsed, **record)
    return hook_output(context) if context else ""


def _project_dir() -> Path:
    # Claude Code sets CLAUDE_PROJECT_DIR for hook commands; the payload's cwd is preferred when present.
    configured = os.environ.get("CLAUDE_PROJECT_DIR")
    return Path(configured) if configured else Path.cwd()


def _head(text: str, limit: int) -> str:
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")
