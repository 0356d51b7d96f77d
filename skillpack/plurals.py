"""Counts in messages: "1 skill", "2 skills", never "1 skills" or "skill(s)"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """Return ``count`` (with thousands separators) and ``noun``, in the plural unless it is 1.

    ``many`` is the plural when adding "s" is wrong ("entry", "entries").
    """
    word = noun if count == 1 else (many if many is not None else f"{noun}s")
    return f"{count:,} {word}"
