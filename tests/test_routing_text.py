"""Turning text into index terms: words, names, stop words, stems, task checks and caps."""

from __future__ import annotations

import pytest

from skillpack import UsageError
from skillpack.routing import text


def test_words_split_camel_case_and_snake_case() -> None:
    assert text.words("ResearchFinder AI2sql C3_Glide HTTPServer") == [
        "research",
        "finder",
        "ai2sql",
        "c3",
        "glide",
        "http",
        "server",
    ]


def test_terms_drop_stop_words_and_stem() -> None:
    assert text.terms("Could you please write the commit messages?") == ["write", "commit", "messag"]
    assert text.name_terms("semver-bump") == ["semver", "bump"]


def test_check_task_and_k() -> None:
    assert text.check_task("x") == "x"
    with pytest.raises(UsageError, match="the task is empty"):
        text.check_task(" \n")
    with pytest.raises(UsageError, match="not bytes"):
        text.check_task(b"x")
    with pytest.raises(UsageError, match="must be text, got int"):
        text.check_task(3)
    assert text.check_k(1) == 1
    for bad in (0, -1, True, 2.5):
        with pytest.raises(UsageError, match="k must be a whole number of at least 1"):
            text.check_k(bad)


def test_task_terms_are_capped_with_notes() -> None:
    found, notes = text.task_terms("commit " * 10)
    assert found == ["commit"] * 10 and notes == []
    many = " ".join(f"word{n}" for n in range(text.MAX_TASK_TERMS + 50))
    found, notes = text.task_terms(many)
    assert len(set(found)) == text.MAX_TASK_TERMS
    assert notes == [
        f"the task has {text.MAX_TASK_TERMS + 50:,} distinct terms; only the first 512 were scored"
    ]
    _, notes = text.task_terms("a" * (text.MAX_TASK_CHARS + 1))
    assert notes[0].startswith("the task is 20,001 characters; only its first 20,000 were used")


def test_adjacent_pairs_are_neighbouring_terms_in_order() -> None:
    found = text.terms("the door code of the Birch Yarrow office")
    assert text.adjacent_pairs(found) == {
        ("door", "code"),
        ("code", "birch"),
        ("birch", "yarrow"),
        ("yarrow", "offic"),
    }
    assert text.adjacent_pairs(["code", "code"]) == frozenset() and text.adjacent_pairs([]) == frozenset()
