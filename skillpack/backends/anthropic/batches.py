"""Answer single-turn requests through the Anthropic Message Batches API: submit, poll, resume.

Each request (by its caller's key) is one batch entry whose ``custom_id`` is that key. Submitted batch
ids are saved in ``STATE_DIR/batches.json`` the moment the API accepts them: a run killed while waiting
polls the same batches again instead of paying twice. A request that errors, expires or is cancelled
is yielded as an error, and the caller sends it again on its next run. Batch prices are half the
standard ones; reported costs say so. ``AnthropicBackend.answer_batch`` is the way in.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from skillpack.backends.anthropic import status_message, system_blocks, usage_from
from skillpack.backends.anthropic.pricing import cost_usd
from skillpack.backends.base import Reply, Request, Usage
from skillpack.errors import BackendError, SkillpackError

#: The API accepts at most this many requests per batch.
MAX_BATCH_REQUESTS = 10_000

#: The Batches API bills half the standard price.
BATCH_DISCOUNT = 0.5

STATE_FILE = "batches.json"


def params(request: Request, model: str) -> dict[str, Any]:
    """Return the Messages API parameters of ``request``'s single turn, as the anthropic backend sends it."""

    body: dict[str, Any] = {
        "model": request.model or model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": "user", "content": request.task}],
    }
    system = system_blocks(request.system, "")
    if system:
        body["system"] = system
    return body


def read_state(out: Path) -> dict[str, Any]:
    """Return ``batches.json`` (an empty state when there is none)."""
    try:
        data = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"batches": []}
    except (OSError, ValueError) as exc:
        raise SkillpackError(
            f"{out / STATE_FILE}: cannot be read ({exc}); it lists submitted batches — restore it, or delete it"
            " to submit the pending requests again"
        ) from exc
    return data if isinstance(data, dict) and isinstance(data.get("batches"), list) else {"batches": []}


def write_state(out: Path, state: dict[str, Any]) -> None:
    from skillpack.cache import write_atomic

    try:
        write_atomic(out / STATE_FILE, (json.dumps(state, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    except OSError as exc:
        raise SkillpackError(
            f"{out / STATE_FILE}: cannot write: {exc.strerror or exc} — free disk space and run the same command"
            " again (submitted batches are polled again, not resubmitted, once it can be written)"
        ) from exc


def _api(call: Callable[[], Any], model: str) -> Any:
    import anthropic

    try:
        return call()
    except anthropic.APIStatusError as exc:
        raise BackendError(status_message(exc, model)) from exc
    except anthropic.APIConnectionError as exc:
        raise BackendError(
            f"anthropic batches: cannot reach the API ({exc}) — run the same command again"
        ) from exc
    except anthropic.AnthropicError as exc:
        raise BackendError(f"anthropic batches: {type(exc).__name__}: {exc}") from exc


def _results(client: Any, batch_id: str) -> list[Any]:
    # Read the whole stream inside ``_api`` so an error half-way through is reported like any other.
    return list(client.messages.batches.results(batch_id))


def _reply(message: Any, model: str) -> Reply:

    served = str(getattr(message, "model", None) or model)
    usage = usage_from(message.usage)
    full = cost_usd(served, usage)
    text = "".join(block.text for block in message.content if block.type == "text").strip()
    return Reply(
        text=text,
        model=served,
        backend="anthropic",
        usage=Usage(
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_tokens,
            usage.cache_write_tokens,
            None if full is None else full * BATCH_DISCOUNT,
        ),
        stop_reason=str(message.stop_reason),
        notes=("answered through the Message Batches API (half price)",),
    )


def answer(
    client: Any,
    model: str,
    requests: Mapping[str, Request],
    *,
    state_dir: Path,
    poll_seconds: float = 30.0,
    sleep: Callable[[float], None] | None = None,
) -> Iterator[tuple[str, Reply | None, str | None]]:
    """Submit ``requests`` not already in flight, wait for every submitted batch, yield each outcome."""
    state = read_state(state_dir)
    in_flight = {key for b in state["batches"] if b["status"] == "submitted" for key in b["keys"]}
    fresh = [key for key in requests if key not in in_flight]
    for start in range(0, len(fresh), MAX_BATCH_REQUESTS):
        keys = fresh[start : start + MAX_BATCH_REQUESTS]
        sent = [{"custom_id": key, "params": params(requests[key], model)} for key in keys]
        created = _api(functools.partial(client.messages.batches.create, requests=sent), model)
        state["batches"].append(
            {
                "id": created.id,
                "keys": keys,
                "status": "submitted",
                "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        )
        write_state(state_dir, state)
    for entry in state["batches"]:
        if entry["status"] != "submitted":
            continue
        while True:
            batch = _api(functools.partial(client.messages.batches.retrieve, entry["id"]), model)
            if batch.processing_status == "ended":
                break
            (sleep or time.sleep)(poll_seconds)
        answered: set[str] = set()
        for result in _api(functools.partial(_results, client, entry["id"]), model):
            key = str(result.custom_id)
            answered.add(key)
            outcome = result.result
            if outcome.type == "succeeded":
                yield key, _reply(outcome.message, model), None
            elif outcome.type == "errored":
                detail = getattr(getattr(outcome, "error", None), "error", None)
                yield (
                    key,
                    None,
                    f"anthropic batch {entry['id']}: the request failed: {getattr(detail, 'message', detail)}",
                )
            else:
                yield (
                    key,
                    None,
                    f"anthropic batch {entry['id']}: the request was {outcome.type}; the next run sends it again",
                )
        for key in entry["keys"]:
            if key not in answered:
                yield key, None, f"anthropic batch {entry['id']} returned no result for this request"
        entry["status"] = "collected"
        write_state(state_dir, state)
