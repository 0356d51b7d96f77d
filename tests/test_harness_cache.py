"""Model replies cached by content."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from support.harness import write_suite

from skillpack.backends.base import Reply, Request, Usage
from skillpack.errors import SkillpackError
from skillpack.harness import load_suite
from skillpack.harness.cache import ReplyCache, request_key


def test_key_changes_with_everything_that_decides_the_answer(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path))
    base = Request(system="S", task="T", max_tokens=64)
    key = request_key("fake", "m", base)
    assert key == request_key("fake", "m", Request(system="S", task="T", max_tokens=64))
    variants = [
        request_key("local", "m", base),
        request_key("fake", "other", base),
        request_key("fake", "m", Request(system="S2", task="T", max_tokens=64)),
        request_key("fake", "m", Request(system="S", task="T2", max_tokens=64)),
        request_key("fake", "m", Request(system="S", task="T", max_tokens=65)),
        request_key("fake", "m", Request(system="S", task="T", max_tokens=64, loadable=suite.skills[:2])),
    ]
    assert len({key, *variants}) == 7


def test_round_trip_and_corrupt_entries(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "cache")
    reply = Reply("QX-1", "m", "fake", Usage(10, 2, 3, 0, 0.5), ("a",), 2, "end_turn", 1.25, ("note",))
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, reply)
    assert cache.get("ab" * 32) == reply
    (tmp_path / "cache" / "ab" / f"{'ab' * 32}.json").write_text("{torn", encoding="utf-8")
    assert cache.get("ab" * 32) is None


def test_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import skillpack.cache

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(skillpack.cache, "write_atomic", full)
    with pytest.raises(
        SkillpackError, match="cannot write the reply cache: No space left on device — free disk"
    ):
        ReplyCache(tmp_path).put("cd" * 32, Reply("x", "m", "fake"))
