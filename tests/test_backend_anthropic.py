"""The anthropic backend, driven through the SDK's own HTTP layer with a mock transport (no network).

Each test replays Messages API JSON as the API sends it and asserts both what the SDK sent (system
blocks, cache_control, the load_skill tool's enum, tool results) and what the backend made of it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillpack.backends.anthropic import (
    DEFAULT_MODEL,
    NO_KEY,
    PRICES,
    AnthropicBackend,
    cost_usd,
    price_for,
)
from skillpack.backends.base import Request, Usage
from skillpack.errors import BackendError
from skillpack.registry import SkillPack

anthropic = pytest.importorskip("anthropic", reason="the anthropic SDK is not installed")


from support.http import anthropic_http_module  # noqa: E402

httpx = anthropic_http_module()

Handler = Callable[[Any], Any]


class Api:
    """A scripted Messages API: replies in order, every request body kept."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.requests: list[Any] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def raw(self, turn: int, field: str) -> str:
        """Return ``field``'s value exactly as serialised in request ``turn``'s bytes."""
        content = self.requests[turn].content.decode("utf-8")
        start = content.index(f'"{field}":') + len(f'"{field}":')
        start += len(content[start:]) - len(content[start:].lstrip())
        _, end = json.JSONDecoder().raw_decode(content, start)
        return content[start:end]

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def client(api: Api, *, max_retries: int = 0) -> Any:
    return anthropic.Anthropic(
        api_key="test-key",
        http_client=httpx.Client(transport=httpx.MockTransport(api)),
        max_retries=max_retries,
    )


def message(
    *content: dict[str, Any],
    stop: str = "end_turn",
    model: str = DEFAULT_MODEL,
    usage: dict[str, int] | None = None,
    number: int = 1,
) -> Any:
    body = {
        "id": f"msg_01XFDUDYJgAACzvnptvVoYE{number}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(content),
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage
        or {
            "input_tokens": 2095,
            "output_tokens": 503,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    return httpx.Response(200, json=body, headers={"request-id": f"req_{number}"})


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(name: str, number: int = 1, tool: str = "load_skill") -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": f"toolu_01A09q90qw90lq917835lq9{number}",
        "name": tool,
        "input": {"name": name},
    }


def error(status: int, kind: str, msg: str, headers: dict[str, str] | None = None) -> Any:
    body = {"type": "error", "error": {"type": kind, "message": msg}, "request_id": "req_err"}
    return httpx.Response(status, json=body, headers=headers or {})


@pytest.fixture
def pack(tmp_path: Path, make_skill: Callable[..., Path]) -> SkillPack:
    make_skill(tmp_path, "alpha", description="Alpha things. Use for alpha tasks.", body="Alpha steps.\n")
    make_skill(tmp_path, "beta", description="Beta things. Use for beta tasks.", body="Beta steps.\n")
    make_skill(tmp_path, "gamma", description="Gamma & <things>. Use for gamma.", body="Gamma steps.\n")
    return SkillPack.from_paths([tmp_path])


def request(pack: SkillPack, *loadable: str, max_turns: int = 4) -> Request:
    return Request(
        system='<skills>\n<skill name="alpha">\nAlpha steps.\n</skill>\n</skills>\n',
        task="do the beta thing",
        loadable=tuple(pack.get(n) for n in loadable),
        max_turns=max_turns,
        in_context=("alpha",),
    )


def test_plain_answer_sends_cached_system_and_reports_usage_and_cost(pack: SkillPack) -> None:
    usage = {
        "input_tokens": 1200,
        "output_tokens": 80,
        "cache_creation_input_tokens": 1100,
        "cache_read_input_tokens": 0,
    }
    api = Api(message(text("Here is the answer."), usage=usage))
    reply = AnthropicBackend(client=client(api)).generate(request(pack))

    (body,) = api.bodies
    headers = api.requests[0].headers
    assert "test-key" in (headers.get("x-api-key") or headers.get("authorization", ""))  # SDKs 0.x and 2.x
    assert api.requests[0].url.path == "/v1/messages"
    assert body["model"] == DEFAULT_MODEL
    assert body["max_tokens"] == 1024
    assert body["messages"] == [{"role": "user", "content": "do the beta thing"}]
    assert body["system"] == [
        {
            "type": "text",
            "text": '<skills>\n<skill name="alpha">\nAlpha steps.\n</skill>\n</skills>',
            "cache_control": {"type": "ephemeral"},
        }
    ]
    assert "tools" not in body and "temperature" not in body
    assert reply.text == "Here is the answer."
    assert (reply.backend, reply.model, reply.turns, reply.stop_reason) == (
        "anthropic",
        DEFAULT_MODEL,
        1,
        "end_turn",
    )
    assert reply.usage.input_tokens == 1200 and reply.usage.output_tokens == 80
    assert reply.usage.cache_write_tokens == 1100 and reply.usage.cache_read_tokens == 0
    price = PRICES[DEFAULT_MODEL]
    expected = (1200 * price.input + 80 * price.output + 1100 * price.cache_write) / 1e6
    assert reply.usage.cost_usd == pytest.approx(expected)
    assert reply.notes == ()


def test_tool_use_turn_loads_the_skill_then_answers(pack: SkillPack) -> None:
    first = {
        "input_tokens": 500,
        "output_tokens": 40,
        "cache_creation_input_tokens": 300,
        "cache_read_input_tokens": 0,
    }
    second = {
        "input_tokens": 650,
        "output_tokens": 90,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    api = Api(
        message(text("I need the beta skill."), tool_use("beta"), stop="tool_use", usage=first, number=1),
        message(text("Done the beta way."), usage=second, number=2),
    )
    reply = AnthropicBackend(client=client(api)).generate(request(pack, "beta", "gamma"))

    one, two = api.bodies
    catalog = one["system"][1]
    assert "cache_control" not in one["system"][0]
    assert catalog["cache_control"] == {"type": "ephemeral"}
    assert "<name>beta</name>" in catalog["text"] and "<name>gamma</name>" in catalog["text"]
    assert "Gamma &amp; &lt;things&gt;." in catalog["text"]
    assert "Beta steps." not in catalog["text"]  # the catalog holds names and descriptions only
    (tool,) = one["tools"]
    assert tool["name"] == "load_skill"
    assert tool["input_schema"]["properties"]["name"]["enum"] == ["beta", "gamma"]
    assert tool["input_schema"]["required"] == ["name"]
    # The second turn: the cached prefix (tools, then system) is byte for byte the first turn's, the
    # assistant turn was replayed, and the skill came back as a result.
    assert api.raw(1, "tools") == api.raw(0, "tools")
    assert api.raw(1, "system") == api.raw(0, "system")
    assert two["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "I need the beta skill."},
            {
                "type": "tool_use",
                "id": "toolu_01A09q90qw90lq917835lq91",
                "name": "load_skill",
                "input": {"name": "beta"},
            },
        ],
    }
    (result,) = two["messages"][2]["content"]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_01A09q90qw90lq917835lq91"
    assert result["content"] == '<skill name="beta">\nBeta steps.\n</skill>\n'
    assert "is_error" not in result
    assert reply.text == "Done the beta way."
    assert reply.loaded_skills == ("beta",) and reply.turns == 2
    assert reply.usage.input_tokens == 1150 and reply.usage.output_tokens == 130
    assert reply.usage.cache_write_tokens == 300


def test_repeat_and_unknown_skill_requests_get_error_results_and_are_reported(pack: SkillPack) -> None:
    api = Api(
        message(tool_use("beta", 1), stop="tool_use", number=1),
        message(tool_use("beta", 2), tool_use("delta", 3), stop="tool_use", number=2),
        message(text("Answer."), number=3),
    )
    reply = AnthropicBackend(client=client(api)).generate(request(pack, "beta", "gamma"))

    # The tool definition never changes, so every turn's enum still lists beta; the repeat is refused.
    assert {api.raw(turn, "tools") for turn in range(3)} == {api.raw(0, "tools")}
    assert api.bodies[2]["tools"][0]["input_schema"]["properties"]["name"]["enum"] == ["beta", "gamma"]
    results = api.bodies[2]["messages"][4]["content"]
    assert [r["is_error"] for r in results] == [True, True]
    assert results[0]["content"] == "already loaded: beta is in the context above"
    assert results[1]["content"] == "there is no loadable skill named 'delta'; loadable skills: gamma"
    assert reply.loaded_skills == ("beta",)
    assert reply.notes == (
        "refused a load_skill request: already loaded: beta is in the context above",
        "refused a load_skill request: there is no loadable skill named 'delta'; loadable skills: gamma",
    )


def test_a_skill_the_router_put_in_the_context_is_refused_as_already_loaded(pack: SkillPack) -> None:
    api = Api(message(tool_use("alpha"), stop="tool_use", number=1), message(text("Answer."), number=2))
    reply = AnthropicBackend(client=client(api)).generate(request(pack, "beta"))

    (result,) = api.bodies[1]["messages"][2]["content"]
    assert result["is_error"] is True
    assert result["content"] == "already loaded: alpha is in the context above"
    assert reply.loaded_skills == ()


def test_two_requests_for_one_skill_in_one_turn_load_it_once(pack: SkillPack) -> None:
    api = Api(
        message(tool_use("beta", 1), tool_use("beta", 2), stop="tool_use", number=1),
        message(text("Answer."), number=2),
    )
    reply = AnthropicBackend(client=client(api)).generate(request(pack, "beta", "gamma"))

    first, second = api.bodies[1]["messages"][2]["content"]
    assert "is_error" not in first and first["content"].startswith('<skill name="beta">')
    assert second["is_error"] is True and second["content"] == "already loaded: beta is in the context above"
    assert reply.loaded_skills == ("beta",)


def test_prompt_is_exactly_what_the_first_turn_sends(pack: SkillPack) -> None:
    api = Api(message(text("Answer.")))
    backend = AnthropicBackend(client=client(api))
    sent = request(pack, "beta", "gamma")
    backend.generate(sent)

    (body,) = api.bodies
    shown = backend.prompt(sent)
    assert shown.system == "".join(block["text"] + "\n" for block in body["system"])
    assert "<available_skills>" in shown.system and "Alpha steps." in shown.system
    assert list(shown.tools) == body["tools"]
    assert shown.task == body["messages"][0]["content"] == "do the beta thing"
    assert backend.client is backend._client


def test_when_every_skill_is_loaded_the_tool_is_disabled_but_unchanged(pack: SkillPack) -> None:
    api = Api(message(tool_use("beta"), stop="tool_use", number=1), message(text("Answer."), number=2))
    AnthropicBackend(client=client(api)).generate(request(pack, "beta"))

    first, second = api.bodies
    assert "tool_choice" not in first and second["tool_choice"] == {"type": "none"}
    assert api.raw(1, "tools") == api.raw(0, "tools")
    assert second["tools"][0]["input_schema"]["properties"]["name"]["enum"] == ["beta"]


def test_a_tool_loop_that_does_not_end_stops_at_max_turns(pack: SkillPack) -> None:
    api = Api(
        message(tool_use("beta", 1), stop="tool_use", number=1),
        message(tool_use("gamma", 2), stop="tool_use", number=2),
        message(tool_use("beta", 3), stop="tool_use", number=3),
    )
    with pytest.raises(
        BackendError, match=r"still calling load_skill after max_turns=3 turns \(loaded: beta, gamma\)"
    ):
        AnthropicBackend(client=client(api)).generate(request(pack, "beta", "gamma", max_turns=3))
    assert len(api.requests) == 3


def test_429_then_success_waits_as_told(pack: SkillPack, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(importlib.import_module("anthropic._base_client").time, "sleep", waits.append)
    api = Api(
        error(
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
            {"retry-after": "7"},
        ),
        message(text("After the wait.")),
    )
    reply = AnthropicBackend(client=client(api, max_retries=2)).generate(request(pack))
    assert reply.text == "After the wait."
    assert waits == [7.0]
    assert len(api.requests) == 2 and api.bodies[0] == api.bodies[1]


def test_429_that_persists_is_one_clear_error(pack: SkillPack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("anthropic._base_client").time, "sleep", lambda _: None)
    limited = error(429, "rate_limit_error", "Rate limited", {"retry-after": "1"})
    api = Api(limited, limited, limited)
    with pytest.raises(BackendError) as caught:
        AnthropicBackend(client=client(api, max_retries=2)).generate(request(pack))
    assert str(caught.value) == (
        "anthropic: rate limited (429 rate_limit_error: Rate limited) after retrying — wait a minute and run again"
    )
    assert len(api.requests) == 3


def test_401_is_not_retried_and_names_the_key(pack: SkillPack) -> None:
    api = Api(error(401, "authentication_error", "invalid x-api-key"))
    with pytest.raises(BackendError) as caught:
        AnthropicBackend(client=client(api, max_retries=2)).generate(request(pack))
    assert str(caught.value) == (
        "anthropic: the API key was rejected (401 authentication_error: invalid x-api-key) — check ANTHROPIC_API_KEY"
    )
    assert len(api.requests) == 1


def test_500_is_retried_then_reported(pack: SkillPack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("anthropic._base_client").time, "sleep", lambda _: None)
    failed = error(500, "api_error", "Internal server error")
    api = Api(failed, failed)
    with pytest.raises(
        BackendError, match=r"^anthropic: server error \(500 api_error: Internal server error\)"
    ):
        AnthropicBackend(client=client(api, max_retries=1)).generate(request(pack))
    assert len(api.requests) == 2


def test_timeout_is_retried_then_reported(pack: SkillPack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("anthropic._base_client").time, "sleep", lambda _: None)
    api = Api(httpx.ReadTimeout("timed out"), httpx.ReadTimeout("timed out"))
    backend = AnthropicBackend(client=client(api, max_retries=1), timeout=30)
    with pytest.raises(BackendError, match=r"^anthropic: the request timed out after 30s"):
        backend.generate(request(pack))
    assert len(api.requests) == 2


@pytest.mark.parametrize(
    ("body", "kind", "start"),
    [
        (b"{not json", "application/json", "{not json"),
        (b"<html><body>Proxy login required</body></html>", "text/html", "<html><body>Proxy login"),
    ],
)
def test_a_body_that_is_not_json_is_one_clear_line(
    pack: SkillPack, body: bytes, kind: str, start: str
) -> None:
    api = Api(httpx.Response(200, content=body, headers={"content-type": kind}))
    with pytest.raises(BackendError) as caught:
        AnthropicBackend(client=client(api)).generate(request(pack))
    message = str(caught.value)
    assert message.startswith(
        f"anthropic: the API answered with a body that is not JSON (HTTP 200, {kind}, from"
        " https://api.anthropic.com/v1/messages; it starts '"
    )
    assert start in message
    assert message.endswith("— retry; if it persists, check proxies and ANTHROPIC_BASE_URL")
    assert "\n" not in message


def test_unknown_model_is_named(pack: SkillPack) -> None:
    api = Api(error(404, "not_found_error", "model: claude-nonexistent-1"))
    with pytest.raises(BackendError) as caught:
        AnthropicBackend(client=client(api), model="claude-nonexistent-1").generate(request(pack))
    assert str(caught.value).startswith(
        "anthropic: unknown model 'claude-nonexistent-1' (404 not_found_error: model: claude-nonexistent-1)"
    )
    assert api.bodies[0]["model"] == "claude-nonexistent-1"


def test_an_answer_without_text_is_an_error(pack: SkillPack) -> None:
    api = Api(message(stop="refusal"))
    with pytest.raises(BackendError, match="returned no text"):
        AnthropicBackend(client=client(api)).generate(request(pack))


def test_an_answer_cut_at_max_tokens_says_so(pack: SkillPack) -> None:
    api = Api(message(text("The first half"), stop="max_tokens"))
    reply = AnthropicBackend(client=client(api)).generate(request(pack))
    assert reply.text == "The first half"
    assert reply.notes == ("the answer was cut at max_tokens=1024; raise `max_tokens` for the rest",)


def test_an_unpriced_model_reports_no_cost_and_says_why(pack: SkillPack) -> None:
    api = Api(message(text("Hi."), model="claude-haiku-5-5"))
    reply = AnthropicBackend(client=client(api), model="claude-haiku-5-5").generate(request(pack))
    assert reply.usage.cost_usd is None
    assert reply.notes[0].startswith("no price for model 'claude-haiku-5-5' in skillpack's table")


def test_missing_key_says_how_to_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(BackendError) as caught:
        AnthropicBackend()
    assert str(caught.value) == NO_KEY
    assert "export ANTHROPIC_API_KEY=" in NO_KEY and "`backend` local or fake" in NO_KEY


def test_a_key_from_the_environment_builds_a_real_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    backend = AnthropicBackend(model="claude-opus-4-5", max_retries=5)
    assert backend.model == "claude-opus-4-5"
    assert backend._client.api_key == "sk-ant-from-env" and backend._client.max_retries == 5


def test_prices() -> None:
    assert price_for("claude-sonnet-4-5-20250929") == PRICES["claude-sonnet-4-5"]
    assert price_for("claude-sonnet-4-5-2025") is None
    assert price_for("gpt-4o") is None
    assert cost_usd("claude-haiku-4-5", Usage(1_000_000, 1_000_000, 1_000_000, 1_000_000)) == pytest.approx(
        1.0 + 5.0 + 0.1 + 1.25
    )
    assert cost_usd("who-knows", Usage(10, 10)) is None
