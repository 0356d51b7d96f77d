"""The fake backend: canned replies, a responder, a default that says it is not a model, and history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from skillpack.backends.base import Backend, Request
from skillpack.backends.fake import BANNER, FakeBackend, describe
from skillpack.errors import BackendError
from skillpack.registry import SkillPack
from skillpack.tokens import count_tokens


def test_canned_replies_are_served_in_order_and_requests_kept() -> None:
    fake = FakeBackend(responses=["first", "second"])
    one = fake.generate(Request(system="ctx", task="a"))
    two = fake.generate(Request(system="ctx", task="b", model="m2"))
    assert (one.text, two.text) == ("first", "second")
    assert [r.task for r in fake.history] == ["a", "b"]
    assert (one.model, two.model, one.backend) == ("fake", "m2", "fake")
    assert one.usage.input_tokens == count_tokens("ctx") + count_tokens("a")
    assert one.usage.output_tokens == count_tokens("first") and one.usage.cost_usd == 0.0
    assert isinstance(fake, Backend)


def test_an_exhausted_queue_falls_back_to_the_responder_then_the_default() -> None:
    fake = FakeBackend(responses=["canned"], responder=lambda request: request.task.upper())
    fake.queue("queued later")
    assert [fake.generate(Request(system="", task="x")).text for _ in range(3)] == [
        "canned",
        "queued later",
        "X",
    ]
    plain = FakeBackend()
    assert plain.generate(Request(system="", task="hello")).text.startswith(BANNER)


def test_a_queued_exception_is_a_backend_failing_mid_run() -> None:
    fake = FakeBackend(responses=["ok", ConnectionResetError("peer went away"), BackendError("scripted")])
    fake.generate(Request(system="", task="1"))
    with pytest.raises(
        BackendError, match="fake: the scripted reply failed: ConnectionResetError: peer went away"
    ):
        fake.generate(Request(system="", task="2"))
    with pytest.raises(BackendError, match=r"^scripted$"):
        fake.generate(Request(system="", task="3"))
    assert len(fake.history) == 3


def test_a_failing_or_wrong_responder_is_a_backend_error() -> None:
    def broken(request: Request) -> str:
        raise KeyError("nope")

    with pytest.raises(BackendError, match="fake: the responder failed: KeyError"):
        FakeBackend(responder=broken).generate(Request(system="", task="t"))
    with pytest.raises(BackendError, match="returned int, not str"):
        FakeBackend(responder=lambda r: 42).generate(Request(system="", task="t"))  # type: ignore[arg-type,return-value]


def test_the_default_answer_describes_the_request_plainly(
    tmp_path: Path, make_skill: Callable[..., Path]
) -> None:
    make_skill(tmp_path, "alpha")
    make_skill(tmp_path, "beta")
    pack = SkillPack.from_paths([tmp_path])
    system = '<skills>\n<skill name="alpha">\nSteps.\n</skill>\n</skills>\n'
    answer = describe(Request(system=system, task="do it", loadable=(pack.get("beta"),)))
    assert answer == (
        f"{BANNER} It received the task 'do it' with {count_tokens(system)} tokens of context."
        " Skills in the context: alpha. Skills offered on demand: beta."
        " Use `backend` anthropic or local for a real answer."
    )
    assert "not a model" in answer


def test_the_default_reply_counts_context_tokens_in_words_that_agree() -> None:
    assert "with 1 token of context" in describe(Request(system="ctx", task="a"))
    assert "with 0 tokens of context" in describe(Request(system="", task="a"))
