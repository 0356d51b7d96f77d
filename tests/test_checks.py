"""The built-in answer checks, and their registration through the plugin hook."""

from __future__ import annotations

import pytest

from skillpack import plugins
from skillpack.checks import BUILTIN_CHECKS, contains, exact, json_field, regex


def test_builtins_are_registered_through_the_hook() -> None:
    found = plugins.checks()
    for name, check in BUILTIN_CHECKS.items():
        assert found[name] is check
    owner = {p.name: p.provides for p in plugins.plugins()}["skillpack.checks"]
    assert sorted(owner["check"]) == ["contains", "exact", "json_field", "regex"]


@pytest.mark.parametrize(
    ("output", "spec", "passed"),
    [
        ("The ID is KES-2025-0042.", {"value": "KES-2025-0042"}, True),
        ("kes-2025-0042", {"value": "KES-2025-0042"}, False),
        ("kes-2025-0042", {"value": "KES-2025-0042", "ignore_case": True}, True),
        ("code AP-265", {"value": "AP-26"}, True),
        ("code AP-265", {"value": "AP-26", "whole_word": True}, False),
        ("code `AP-26`.", {"value": "AP-26", "whole_word": True}, True),
        ("code ap-26", {"value": "AP-26", "whole_word": True, "ignore_case": True}, True),
    ],
)
def test_contains(output: str, spec: dict[str, object], passed: bool) -> None:
    assert contains(output, {"check": "contains", **spec}) is passed


def test_exact_strips_white_space_and_backquotes() -> None:
    assert exact("  `QX-1`\n", {"check": "exact", "value": "QX-1"}) is True
    assert exact("QX-1 is the code", {"check": "exact", "value": "QX-1"}) is False


def test_regex() -> None:
    spec = {"check": "regex", "pattern": r"\bfeat/[A-Z]{3}-\d+\b"}
    assert regex("git switch -c feat/ABC-12", spec) is True
    assert regex("feat/abc-12", spec) is False
    with pytest.raises(ValueError, match="'pattern' is not a valid regular expression"):
        regex("x", {"check": "regex", "pattern": "(unclosed"})


def test_json_field_reads_the_first_json_value_in_prose() -> None:
    spec = {"check": "json_field", "path": "$.order.items.1.sku", "value": "B-2"}
    answer = 'Here you go:\n```json\n{"order": {"items": [{"sku": "A-1"}, {"sku": "B-2"}]}}\n```'
    assert json_field(answer, spec) is True
    assert json_field(answer.replace("B-2", "B-3"), spec) is False
    assert json_field("no json here {oops", spec) is False
    assert json_field('{"order": 1}', spec) is False


@pytest.mark.parametrize(
    ("check", "spec", "message"),
    [
        (contains, {}, "'value' must be a non-empty string"),
        (exact, {"value": 3}, "'value' must be a non-empty string"),
        (regex, {}, "'pattern' must be a non-empty string"),
        (json_field, {"path": "a"}, "'value' is missing"),
    ],
)
def test_specs_that_cannot_be_evaluated_raise_value_error(
    check: object, spec: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check("answer", spec)  # type: ignore[operator]
