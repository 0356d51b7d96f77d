"""Problem: one line with file, location, message and fix."""

from __future__ import annotations

import dataclasses
import json

import pytest

from skillpack.problems import Problem


def test_one_line_form() -> None:
    problem = Problem(
        "claude-api/SKILL.md", "$.description", "1068 characters; the limit is 1024", "shorten it"
    )
    assert (
        str(problem) == "claude-api/SKILL.md: $.description: 1068 characters; the limit is 1024 — shorten it"
    )
    assert (problem.severity, problem.code, problem.fatal) == ("error", "invalid", False)


def test_as_warning_keeps_everything_else() -> None:
    problem = Problem("a/skill.yaml", "$.x", "m", "f", code="unknown-field", fatal=True)
    warning = problem.as_warning()
    assert warning.severity == "warning"
    assert dataclasses.replace(warning, severity="error") == problem


def test_to_dict_is_json_ready() -> None:
    problem = Problem("a/skill.yaml", "$.x", "m", "f", "warning", "code")
    data = problem.to_dict()
    assert json.loads(json.dumps(data)) == {
        "file": "a/skill.yaml",
        "location": "$.x",
        "severity": "warning",
        "code": "code",
        "message": "m",
        "fix": "f",
        "text": "a/skill.yaml: $.x: m — f",
    }


def test_problems_are_frozen_values() -> None:
    problem = Problem("a", "b", "c", "d")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.file = "x"  # type: ignore[misc]
    assert {problem, Problem("a", "b", "c", "d")} == {problem}
