"""Counts in messages read right: "1 skill", "2 skills"."""

from __future__ import annotations

import pytest

from skillpack.plurals import plural


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 skills"), (1, "1 skill"), (2, "2 skills"), (1500, "1,500 skills")],
)
def test_plural_agrees_with_the_count(count: int, expected: str) -> None:
    assert plural(count, "skill") == expected


def test_an_irregular_plural_is_given() -> None:
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"


def test_no_message_writes_a_count_with_an_optional_s() -> None:
    import re
    from pathlib import Path

    import skillpack

    in_a_string = re.compile(r'"[^"]*\b[a-z]+\(s\)[^"]*"')
    root = Path(skillpack.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if in_a_string.search(line) and '"""' not in line
    ]
    assert offenders == []
