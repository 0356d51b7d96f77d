"""``--batch``: the Message Batches API through the SDK's own HTTP layer (a mock transport, no network).

The mock plays the API: it accepts a batch, reports it in progress, then ended, and serves the
results as JSON Lines in whatever order it likes, keyed by ``custom_id``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.harness import LIMIT_EXAMPLE, tiny_document, within_first, write_suite

from skillpack.backends.base import Request
from skillpack.errors import BackendError
from skillpack.harness import SweepConfig, run_sweep
from skillpack.harness.trials import read_trials

anthropic = pytest.importorskip("anthropic", reason="the anthropic SDK is not installed")

from skillpack.backends.anthropic import AnthropicBackend  # noqa: E402

BATCH_ID = "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF"


from support.http import anthropic_http_module  # noqa: E402

httpx = anthropic_http_module()


def batch_json(status: str, batch_id: str = BATCH_ID, count: int = 1) -> dict[str, Any]:
    ended = status == "ended"
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": {
            "processing": 0 if ended else count,
            "succeeded": count if ended else 0,
            "errored": 0,
            "canceled": 0,
            "expired": 0,
        },
        "ended_at": "2026-11-28T12:00:00Z" if ended else None,
        "created_at": "2026-11-28T11:00:00Z",
        "expires_at": "2026-11-29T11:00:00Z",
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"https://api.anthropic.com/v1/messages/batches/{batch_id}/results" if ended else None,
    }


class BatchApi:
    """A scripted Message Batches API; ``answer(params)`` decides each request's result."""

    def __init__(self, answer: Any, *, polls_before_end: int = 1, fail_on_poll: int | None = None) -> None:
        self.answer = answer
        self.polls_before_end = polls_before_end
        self.fail_on_poll = fail_on_poll
        self.created: list[list[dict[str, Any]]] = []
        self.polls = 0

    def __call__(self, request: Any) -> Any:
        path = request.url.path
        if request.method == "POST" and path == "/v1/messages/batches":
            self.created.append(json.loads(request.content)["requests"])
            return httpx.Response(200, json=batch_json("in_progress", count=len(self.created[-1])))
        if path.endswith("/results"):
            lines = [
                json.dumps({"custom_id": r["custom_id"], "result": self.answer(r["params"])})
                for r in reversed(self.created[-1])
            ]
            return httpx.Response(
                200,
                content=("\n".join(lines) + "\n").encode(),
                headers={"content-type": "application/binary"},
            )
        if request.method == "GET" and path.startswith("/v1/messages/batches/"):
            self.polls += 1
            if self.fail_on_poll is not None and self.polls == self.fail_on_poll:
                return httpx.Response(
                    500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}}
                )
            status = "ended" if self.polls > self.polls_before_end else "in_progress"
            return httpx.Response(200, json=batch_json(status, count=len(self.created[-1])))
        return httpx.Response(
            404, json={"type": "error", "error": {"type": "not_found_error", "message": path}}
        )


def succeeded(text: str) -> dict[str, Any]:
    return {
        "type": "succeeded",
        "message": {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 1000,
                "output_tokens": 10,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        },
    }


def known_answer(params: dict[str, Any]) -> dict[str, Any]:
    system = "".join(block["text"] for block in params.get("system", []))
    text = within_first(LIMIT_EXAMPLE)(Request(system=system, task=params["messages"][0]["content"]))
    return succeeded(text)


def backend(api: BatchApi) -> AnthropicBackend:
    client = anthropic.Anthropic(
        api_key="test-key", http_client=httpx.Client(transport=httpx.MockTransport(api)), max_retries=0
    )
    return AnthropicBackend(model="claude-haiku-4-5", client=client)


def config(suite: Path, **changes: Any) -> SweepConfig:
    options: dict[str, Any] = {
        "suite": str(suite),
        "backend": "anthropic",
        "model": "claude-haiku-4-5",
        "strategies": ("none", "oracle", "all"),
        "sizes": (1, 8),
        "batch": True,
    }
    options.update(changes)
    return SweepConfig(**options)


def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    import skillpack.backends.anthropic.batches as batch

    monkeypatch.setattr(batch.time, "sleep", lambda seconds: None)


def test_batch_submits_polls_and_records_the_known_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sleep(monkeypatch)
    api = BatchApi(known_answer, polls_before_end=2)
    result = run_sweep(config(write_suite(tmp_path)), tmp_path / "out", backend=backend(api), draw=False)
    assert len(api.created) == 1
    sent = api.created[0]
    # One entry per distinct request; custom_id is the content key; the system carries cache_control.
    assert len({r["custom_id"] for r in sent}) == len(sent)
    with_system = [r["params"] for r in sent if "system" in r["params"]]
    assert with_system and all(p["system"][-1]["cache_control"] == {"type": "ephemeral"} for p in with_system)
    assert result.counts == {"ok": result.planned}
    records = list(read_trials(tmp_path / "out" / "trials.jsonl").values())
    passed = {(r["strategy"], r["size"]): 0 for r in records}
    for r in records:
        passed[(r["strategy"], r["size"])] += bool(r["passed"])
    assert passed == {
        ("none", 1): 0,
        ("none", 8): 0,
        ("oracle", 1): 9,
        ("oracle", 8): 9,
        ("all", 1): 9,
        ("all", 8): 6,
    }
    # Haiku 4.5 at half price: 1000 input and 10 output tokens.
    assert all(r["cost_usd"] == pytest.approx((1000 * 1.0 + 10 * 5.0) / 1e6 / 2) for r in records)
    state = json.loads((tmp_path / "out" / "batches.json").read_text())
    assert [(b["id"], b["status"]) for b in state["batches"]] == [(BATCH_ID, "collected")]


def test_a_run_killed_while_polling_resumes_the_same_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sleep(monkeypatch)
    suite = write_suite(tmp_path)
    api = BatchApi(known_answer, polls_before_end=5, fail_on_poll=2)
    with pytest.raises(BackendError, match=r"anthropic: server error \(500 api_error: boom\)"):
        run_sweep(config(suite), tmp_path / "out", backend=backend(api), draw=False)
    state = json.loads((tmp_path / "out" / "batches.json").read_text())
    assert [(b["id"], b["status"]) for b in state["batches"]] == [(BATCH_ID, "submitted")]
    assert read_trials(tmp_path / "out" / "trials.jsonl") == {}
    api.fail_on_poll = None
    result = run_sweep(config(suite), tmp_path / "out", backend=backend(api), draw=False)
    assert len(api.created) == 1  # polled again, never resubmitted
    assert result.counts == {"ok": result.planned}


def test_failed_entries_are_errors_and_are_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sleep(monkeypatch)
    suite = write_suite(tmp_path, tiny_document(tasks=1))

    def half_fail(params: dict[str, Any]) -> dict[str, Any]:
        if "system" not in params:
            return {
                "type": "errored",
                "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
            }
        return known_answer(params)

    api = BatchApi(half_fail)
    first = run_sweep(
        config(suite, strategies=("none", "oracle"), sizes=(1,), positions=("start",)),
        tmp_path / "out",
        backend=backend(api),
        draw=False,
    )
    assert first.counts == {"error": 1, "ok": 1}
    errors = [r for r in read_trials(tmp_path / "out" / "trials.jsonl").values() if r["status"] == "error"]
    assert errors[0]["error"] == f"anthropic batch {BATCH_ID}: the request failed: bad"
    api.answer = known_answer
    second = run_sweep(
        config(suite, strategies=("none", "oracle"), sizes=(1,), positions=("start",)),
        tmp_path / "out",
        backend=backend(api),
        draw=False,
    )
    assert len(api.created) == 2 and len(api.created[1]) == 1
    assert second.counts == {"ok": 1}


def test_catalog_trials_run_synchronously_beside_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sleep(monkeypatch)
    api = BatchApi(known_answer)
    handler_calls: list[Any] = []

    def messages_api(request: Any) -> Any:
        if request.url.path == "/v1/messages":
            handler_calls.append(json.loads(request.content))
            return httpx.Response(200, json=succeeded("I do not know.")["message"])
        return api(request)

    client = anthropic.Anthropic(
        api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(messages_api)), max_retries=0
    )
    result = run_sweep(
        config(
            write_suite(tmp_path, tiny_document(tasks=1)),
            strategies=("oracle", "catalog"),
            sizes=(4,),
            positions=("end",),
        ),
        tmp_path / "out",
        backend=AnthropicBackend(model="claude-haiku-4-5", client=client),
        draw=False,
    )
    assert result.counts == {"ok": 2}
    assert len(api.created[0]) == 1 and len(handler_calls) == 1
    assert handler_calls[0]["tools"][0]["name"] == "load_skill"


def test_batch_needs_an_anthropic_client(tmp_path: Path) -> None:
    from skillpack.backends.fake import FakeBackend
    from skillpack.errors import UsageError

    with pytest.raises(UsageError, match="`batch` needs a backend that declares supports_batches"):
        run_sweep(config(write_suite(tmp_path)), tmp_path / "out", backend=FakeBackend(), draw=False)
