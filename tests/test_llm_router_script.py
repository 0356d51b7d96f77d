"""benchmarks/llm_router.py: how an llm router's replies were read, beside its base router's selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.scripts import load_benchmark
from support.skills import MakeSkill

from skillpack.routing.base import Ranking


def test_each_reply_is_read_as_chosen_none_fell_back_or_no_call() -> None:
    outcome = load_benchmark("llm_router").outcome
    assert outcome(Ranking("llm", ())) == "no_call"
    assert outcome(Ranking("llm", (), extra={"answer": "NONE"})) == "none"
    fell = Ranking(
        "llm", (), ("llm: the reply named no skill; fell back to the lexical ranking",), 0, {"answer": "?"}
    )
    assert outcome(fell) == "fell_back"


def test_a_run_with_the_fake_backend_counts_every_reply_as_a_fall_back(
    tmp_path: Path, make_skill: MakeSkill, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "skills"
    make_skill(root, "sql-style", description="Formats SQL queries and table names.")
    make_skill(root, "conventional-commits", description="Writes git commit messages.")
    queries = tmp_path / "queries.jsonl"
    rows = [
        {"query": "format this sql query", "skills": ["sql-style"]},
        {"query": "bake a cake", "skills": []},
        {"query": "write a commit message", "skills": ["conventional-commits"]},
    ]
    queries.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert (
        load_benchmark("llm_router").main([str(root), str(queries), "--backend", "fake", "--limit", "2"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["n_queries"] == 2 and result["n_in_scope"] == 1
    # The fake backend's reply is not a list of names; "bake a cake" matches no skill, so no call.
    assert result["answers"] == {"chosen": 0, "none": 0, "fell_back": 1, "no_call": 1}
    assert result["llm"] == result["base"]  # a fall back is the base ranking
    assert result["replies"][0]["read_as"] == "fell_back"
