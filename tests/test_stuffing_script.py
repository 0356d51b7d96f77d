"""benchmarks/stuffing.py: how often a keyword-list skill added to a library wins tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.scripts import load_benchmark

from skillpack.bundled import skills_dir


def write_queries(path: Path, rows: list[tuple[str, list[str]]]) -> Path:
    path.write_text("".join(json.dumps({"query": q, "skills": s}) + "\n" for q, s in rows), encoding="utf-8")
    return path


def test_a_keyword_list_skill_wins_no_unrelated_task_and_displaces_no_named_skill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Everyday requests share one of its popular words each ("flights", "recipes", "stocks"…), which
    # once made such a skill the best match for about half of them; the crowd lead keeps it out.
    off_topic = write_queries(
        tmp_path / "off.jsonl",
        [
            ("Find me cheap flights to Lisbon next month.", []),
            ("Any good recipes for a vegetarian lasagna?", []),
            ("How are tech stocks doing today?", []),
            ("Recommend some music for a long drive.", []),
            ("What hotels are near the train station in Kyoto?", []),
        ],
    )
    in_scope = write_queries(
        tmp_path / "in.jsonl",
        [
            ("Write a commit message for this bug fix.", ["conventional-commits"]),
            ("Convert 5 miles to kilometres.", ["unit-conversion"]),
            ("Is this Dockerfile pinned properly?", ["dockerfile-hygiene"]),
        ],
    )
    script = load_benchmark("stuffing")
    assert script.main([str(off_topic), str(in_scope), "--routers", "lexical"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    result = json.loads(line)
    assert result["router"] == "lexical" and result["skills"] == len(list(skills_dir().iterdir())) + 1
    assert (result["off_topic"], result["in_scope"]) == (5, 3)
    assert result["off_topic_ranked_first"] >= 1  # ranked first for some: the ranking alone would inject it
    assert result["off_topic_selected"] == 0 and result["in_scope_selected"] == 0
    assert result["in_scope_displaced"] == 0


def test_a_missing_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load_benchmark("stuffing").main([str(tmp_path / "none.jsonl"), str(tmp_path / "none.jsonl")]) == 2
    assert capsys.readouterr().err.strip() == f"stuffing.py: error: {tmp_path / 'none.jsonl'} does not exist"
