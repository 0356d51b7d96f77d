"""The ``anthropic`` backend: Claude through the official anthropic SDK, with on-demand skill loading.

The assembled skills go into the system prompt, marked for prompt caching. Skills the router left out
are listed in a catalog (name and description) and offered through a ``load_skill`` tool whose ``name``
parameter is an enum of the skills not loaded at the start, so the model can pull one it needs. The
tool definition stays fixed for the whole conversation: tools come first in the cached prefix, so a
definition that changed between turns would miss the prompt cache on every turn. The same skill is
still never loaded twice: asking again, or asking for a skill the router already put in the context,
gets an ``is_error`` tool result saying it is in the context above. The tool loop is bounded by
``Request.max_turns``. ``request_params`` builds what every turn shares and ``prompt`` renders it as
text, so a dry run shows exactly what is sent. The SDK is imported only when a backend is built, so
``import skillpack`` stays light. ``Request.temperature`` is not sent: current Claude models reject
non-default sampling settings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.backends.anthropic.pricing import PRICES as PRICES
from skillpack.backends.anthropic.pricing import PRICES_AS_OF, cost_usd, price_for
from skillpack.backends.anthropic.pricing import Price as Price
from skillpack.backends.base import LOAD_TOOL, Backend, Prompt, Reply, Request, Usage
from skillpack.backends.base import catalog as catalog  # re-exported: the harness counts its tokens
from skillpack.errors import BackendError, SkillContentError

if TYPE_CHECKING:
    from skillpack.skill import Skill

#: The model used when none is given: the current Sonnet (the SDK's own examples use it).
DEFAULT_MODEL = "claude-sonnet-5-5"

TOOL_NAME = LOAD_TOOL

NO_KEY = (
    "the anthropic backend needs an API key: export ANTHROPIC_API_KEY=sk-ant-... "
    "(https://console.anthropic.com/settings/keys), or use `backend` local or fake"
)


def load_skill_tool(names: list[str]) -> dict[str, Any]:
    """Return the ``load_skill`` tool definition; its ``name`` enum lists the skills loadable at the start.

    The definition must not change during a conversation (it heads the cached prefix), so the enum is
    not narrowed as skills are loaded; repeats are refused in the tool result instead.
    """
    name: dict[str, Any] = {"type": "string", "description": "The name of a skill from <available_skills>."}
    if names:
        name["enum"] = list(names)
    return {
        "name": TOOL_NAME,
        "description": (
            "Load the full instructions of one skill listed in <available_skills>. Use it only when the task"
            " needs that skill; a skill that is already loaded cannot be loaded again."
        ),
        "input_schema": {
            "type": "object",
            "properties": {"name": name},
            "required": ["name"],
            "additionalProperties": False,
        },
    }


def request_params(request: Request, model: str) -> dict[str, Any]:
    """Return the Messages API parameters every turn of ``request`` shares, byte for byte.

    That is the model, ``max_tokens``, the system blocks (skills, then the catalog of loadable skills,
    the last block carrying the cache breakpoint) and the ``load_skill`` tool when anything is loadable.
    Each turn adds only its ``messages``.
    """
    params: dict[str, Any] = {"model": model, "max_tokens": request.max_tokens}
    system = system_blocks(request.system, catalog(request.loadable))
    if system:
        params["system"] = system
    if request.loadable:
        params["tools"] = [load_skill_tool([skill.name for skill in request.loadable])]
    return params


def prompt(request: Request) -> Prompt:
    """Return what the first turn of ``request`` sends: the system blocks' text, the tools and the task.

    Built from ``request_params``, the same parameters ``AnthropicBackend.generate`` sends; the system
    blocks are joined one per line.
    """
    params = request_params(request, request.model or DEFAULT_MODEL)
    text = "".join(block["text"] + "\n" for block in params.get("system", ()))
    return Prompt(system=text, task=request.task, tools=tuple(params.get("tools", ())))


class AnthropicBackend(Backend):
    """Answer requests with Claude through the anthropic SDK.

    ``client`` may be any ``anthropic.Anthropic`` (tests pass one built on an ``httpx`` mock transport);
    without one, a client is built from ``api_key`` or ``$ANTHROPIC_API_KEY`` with ``max_retries``
    retries (the SDK honours ``retry-after``) and a ``timeout`` in seconds per request.
    """

    name = "anthropic"
    loads_skills = True
    #: Single-turn requests can go through the Message Batches API at half price (``bench --batch``).
    supports_batches = True

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        client: Any = None,
        max_retries: int = 2,
        timeout: float = 120.0,
    ) -> None:
        self.model = model or DEFAULT_MODEL
        self.timeout = timeout
        if client is None:
            key = api_key or os.environ.get("ANTHROPIC_API_KEY", "").strip()
            if not key:
                raise BackendError(NO_KEY)
            client = _build_client(key, max_retries=max_retries, timeout=timeout)
        self._client = client

    def __repr__(self) -> str:
        return f"<AnthropicBackend model={self.model!r}>"

    @property
    def client(self) -> Any:
        """The ``anthropic.Anthropic`` client requests go through (the harness sends batches with it)."""
        return self._client

    def answer_batch(
        self,
        requests: Mapping[str, Request],
        *,
        state_dir: Path,
        poll_seconds: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> Iterator[tuple[str, Reply | None, str | None]]:
        """Answer single-turn ``requests`` through the Message Batches API at half price (see ``batches``)."""
        from skillpack.backends.anthropic import batches

        return batches.answer(
            self._client, self.model, requests, state_dir=state_dir, poll_seconds=poll_seconds, sleep=sleep
        )

    @classmethod
    def prompt(cls, request: Request) -> Prompt:
        """Return what the first turn of ``request`` sends (see the module's ``prompt``); needs no key."""
        return prompt(request)

    def generate(self, request: Request) -> Reply:
        """Answer ``request``, running the ``load_skill`` loop to its end within ``request.max_turns``."""
        if request.max_turns < 1:
            raise BackendError(f"max_turns must be at least 1 (got {request.max_turns})")
        model = request.model or self.model
        started = time.monotonic()
        loadable = {skill.name: skill for skill in request.loadable}
        remaining = list(loadable)
        loaded: list[str] = []
        notes: list[str] = []
        usage = Usage()
        shared = request_params(request, model)
        messages: list[dict[str, Any]] = [{"role": "user", "content": request.task}]
        served = model
        for turn in range(1, request.max_turns + 1):
            params = {**shared, "messages": messages}
            if loadable and not remaining:
                # Every skill is loaded: the tool stays defined, byte for byte, but is disabled. A
                # tool_choice change leaves the cached tools and system prefix intact.
                params["tool_choice"] = {"type": "none"}
            response = self._create(params, model)
            served = str(getattr(response, "model", None) or model)
            usage = usage + usage_from(response.usage)
            tool_uses = [block for block in response.content if block.type == "tool_use"]
            if response.stop_reason != "tool_use" or not tool_uses:
                text = "".join(block.text for block in response.content if block.type == "text").strip()
                notes.extend(_stop_notes(str(response.stop_reason), request.max_tokens))
                if not text:
                    raise BackendError(
                        f"anthropic: {served} returned no text (stop reason {response.stop_reason!r}) — "
                        "retry, or rephrase the task"
                    )
                price = price_for(served)
                if price is None:
                    notes.append(
                        f"no price for model {served!r} in skillpack's table (prices as of {PRICES_AS_OF});"
                        " cost not reported"
                    )
                total = Usage(
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_read_tokens,
                    usage.cache_write_tokens,
                    cost_usd(served, usage),
                )
                return Reply(
                    text=text,
                    model=served,
                    backend=self.name,
                    usage=total,
                    loaded_skills=tuple(loaded),
                    turns=turn,
                    stop_reason=str(response.stop_reason),
                    latency_s=time.monotonic() - started,
                    notes=tuple(notes),
                )
            messages.append({"role": "assistant", "content": [block.to_dict() for block in response.content]})
            in_context = set(request.in_context) | set(loaded)
            results = [
                self._run_tool(block, loadable, remaining, in_context, loaded, notes) for block in tool_uses
            ]
            messages.append({"role": "user", "content": results})
        raise BackendError(
            f"anthropic: the model was still calling {TOOL_NAME} after max_turns={request.max_turns} turns"
            f" (loaded: {', '.join(loaded) or 'nothing'}) — raise `max_turns`, or select more"
            " skills up front (`k`)"
        )

    def _run_tool(
        self,
        block: Any,
        loadable: dict[str, Skill],
        remaining: list[str],
        in_context: set[str],
        loaded: list[str],
        notes: list[str],
    ) -> dict[str, Any]:
        """Answer one ``tool_use`` block; refusals are ``is_error`` results and are noted.

        ``in_context`` holds the skills already in the conversation: the router's and those loaded on
        earlier turns (``loaded`` grows as this turn's blocks are answered).
        """
        requested = block.input.get("name") if isinstance(block.input, dict) else None

        def refuse(message: str) -> dict[str, Any]:
            notes.append(f"refused a {block.name} request: {message}")
            return {"type": "tool_result", "tool_use_id": block.id, "content": message, "is_error": True}

        if block.name != TOOL_NAME:
            return refuse(f"there is no tool named {block.name!r}; the only tool is {TOOL_NAME}")
        if not isinstance(requested, str):
            return refuse(f"{TOOL_NAME} needs a skill name in the 'name' field")
        if requested in in_context or requested in loaded:
            return refuse(f"already loaded: {requested} is in the context above")
        if requested not in remaining:
            left = ", ".join(remaining) or "none"
            return refuse(f"there is no loadable skill named {requested!r}; loadable skills: {left}")
        skill = loadable[requested]
        try:
            from skillpack.context import render_block

            text = render_block(skill, "xml")
        except SkillContentError as exc:
            remaining.remove(requested)
            return refuse(f"skill {requested!r} cannot be read: {exc}")
        remaining.remove(requested)
        loaded.append(requested)
        return {"type": "tool_result", "tool_use_id": block.id, "content": text}

    def _create(self, params: dict[str, Any], model: str) -> Any:
        import anthropic

        try:
            raw = self._client.messages.with_raw_response.create(**params)
        except anthropic.APIStatusError as exc:
            raise BackendError(status_message(exc, model)) from exc
        except anthropic.APITimeoutError as exc:
            raise BackendError(
                f"anthropic: the request timed out after {self.timeout:g}s (and the SDK's retries) —"
                " try again, or use a smaller context (`budget`)"
            ) from exc
        except anthropic.APIConnectionError as exc:
            raise BackendError(
                f"anthropic: cannot reach the API ({exc.__cause__ or exc}) — check the network, or use"
                " `backend` local"
            ) from exc
        except anthropic.AnthropicError as exc:
            raise BackendError(f"anthropic: {type(exc).__name__}: {exc}") from exc
        try:
            response = raw.parse()
        except ValueError as exc:  # JSONDecodeError: the body of a 2xx answer is not JSON
            raise BackendError(_not_json(raw.http_response)) from exc
        if not hasattr(response, "content"):  # a body served as another content type comes back as text
            raise BackendError(_not_json(raw.http_response))
        return response


def _build_client(key: str, *, max_retries: int, timeout: float) -> Any:
    try:
        import anthropic
    except ImportError as exc:
        raise BackendError(
            "the anthropic backend needs the anthropic package; install it with: pip install anthropic"
        ) from exc
    return anthropic.Anthropic(api_key=key, max_retries=max_retries, timeout=timeout)


def _not_json(http: Any) -> str:
    """Return one line for an answer whose body is not Messages API JSON (often a proxy's page)."""
    kind = http.headers.get("content-type", "no content type")
    start = " ".join(http.text[:60].split())
    return (
        f"anthropic: the API answered with a body that is not JSON (HTTP {http.status_code}, {kind}, from"
        f" {http.url}; it starts {start!r}) — retry; if it persists, check proxies and ANTHROPIC_BASE_URL"
    )


def system_blocks(system: str, catalog_text: str) -> list[dict[str, Any]]:
    """Return the system prompt as text blocks; the last one carries the prompt-cache breakpoint.

    The skills and the catalog do not change during a run, so the prefix up to the breakpoint is stable
    and a repeated task reads it from the cache instead of paying for it again.
    """
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": text} for text in (system.strip(), catalog_text.strip()) if text
    ]
    if blocks:
        blocks[-1]["cache_control"] = {"type": "ephemeral"}
    return blocks


def usage_from(usage: Any) -> Usage:
    """Return the ``Usage`` of an API ``usage`` object (input, output, cache read and write tokens)."""
    return Usage(
        input_tokens=int(usage.input_tokens or 0),
        output_tokens=int(usage.output_tokens or 0),
        cache_read_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
        cache_write_tokens=int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
    )


def _stop_notes(stop_reason: str, max_tokens: int) -> list[str]:
    if stop_reason == "max_tokens":
        return [f"the answer was cut at max_tokens={max_tokens}; raise `max_tokens` for the rest"]
    if stop_reason == "model_context_window_exceeded":
        return ["the answer was cut: the context window is full; lower `budget` or `k`"]
    if stop_reason == "refusal":
        return ["the model declined to answer"]
    return []


def status_message(exc: Any, model: str) -> str:
    """Return one line for an API error: the status, the API's own message, and what to do."""
    status = int(exc.status_code)
    detail = _api_detail(exc)
    if status == 401:
        return f"anthropic: the API key was rejected (401 {detail}) — check ANTHROPIC_API_KEY"
    if status == 403:
        return f"anthropic: permission denied (403 {detail}) — check the key's workspace and model access"
    if status == 404:
        return (
            f"anthropic: unknown model {model!r} (404 {detail}) — pass a current model id as `model`,"
            f" e.g. {DEFAULT_MODEL}"
        )
    if status == 429:
        return f"anthropic: rate limited (429 {detail}) after retrying — wait a minute and run again"
    if status == 529:
        return f"anthropic: the API is overloaded (529 {detail}) after retrying — try again later"
    if status >= 500:
        return f"anthropic: server error ({status} {detail}) after retrying — try again later"
    return f"anthropic: the API refused the request ({status} {detail})"


def _api_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            kind = error.get("type", "")
            message = " ".join(str(error.get("message", "")).split())
            return f"{kind}: {message}" if kind and message else kind or message or "no details"
    return " ".join(str(getattr(exc, "message", "") or "no details").split())


# The names the harness used before these became public.
_system_blocks = system_blocks
_usage = usage_from
_status_message = status_message
