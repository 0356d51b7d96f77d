"""``skillpack eval``: metrics printed as text or JSON, and every bad input as one line with the right exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.skills import MakeSkill

from skillpack.cli.main import cli
from skillpack.evaluation import METRICS


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_skill: MakeSkill) -> tuple[Path, Path]:
    root = tmp_path / "skills"
    make_skill(root, "conventional-commits", description="Writes git commit messages.")
    make_skill(root, "sql-style", description="Formats SQL queries and table names.")
    make_skill(root, "keep-a-changelog", description="Keeps a CHANGELOG and drafts release notes.")
    queries = tmp_path / "queries.jsonl"
    lines = [
        {"query": "write a commit message", "skills": ["conventional-commits"]},
        {"query": "format this sql query", "skills": ["sql-style"]},
        {
            "query": "draft the release notes and the commit",
            "skills": ["keep-a-changelog", "conventional-commits"],
        },
    ]
    queries.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return root, queries


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["eval", *args])


def test_json_has_exactly_the_metric_keys(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    result = run(str(root), str(queries), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == list(METRICS)
    assert data["recall@5"] == 1.0 and data["complete@5"] == 1.0 and data["mrr"] == 1.0
    assert data["n_queries"] == 3 and data["n_skills"] == 3


def test_text_output_lists_every_metric(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    result = run(str(root), str(queries), "--router", "none", "-k", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("router none, k=3")
    assert [line.split()[0] for line in lines[1:]] == list(METRICS)
    assert any(line.split() == ["recall@5", "0.0000"] for line in lines)
    assert any(line.split() == ["oos_abstain", "-"] for line in lines)  # no out-of-scope query


def test_the_old_spellings_still_work_with_one_deprecation_line(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    result = run(str(root), str(queries), "--router", "none", "--k", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("router none, k=3,")
    assert (
        result.stderr
        == "skillpack: warning: --k is deprecated and will be removed in the next release; use -k\n"
    )
    result = run(str(root), str(queries), "--json")
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)) == list(METRICS)
    assert result.stderr == (
        "skillpack: warning: --json is deprecated and will be removed in the next release; use --format json\n"
    )


def test_the_old_spellings_are_hidden_from_help() -> None:
    result = CliRunner().invoke(cli, ["eval", "--help"])
    assert result.exit_code == 0, result.output
    assert "--json" not in result.output and "--k " not in result.output
    assert "-k INTEGER" in result.output and "--format [text|json]" in result.output


def test_all_baseline_has_full_recall(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    result = run(str(root), str(queries), "--router", "all", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recall@5"] == 1.0


def test_a_non_json_line_is_one_line_exit_1(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    with open(queries, "a", encoding="utf-8") as handle:
        handle.write("this is not json\n")
    result = run(str(root), str(queries))
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"skillpack: error: {queries}:4: not JSON (Expecting value at column 1) — "
        'each line must be {"query": "...", "skills": ["skill-name", ...]}\n'
    )


def test_unknown_skill_names_exit_1_with_line_numbers(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    with open(queries, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"query": "x", "skills": ["ghost"]}) + "\n")
    result = run(str(root), str(queries))
    assert result.exit_code == 1, result.output
    assert "1 unknown skill name — line 4: 'ghost'" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_router_exits_2_listing_the_known(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    result = run(str(root), str(queries), "--router", "bm99")
    assert result.exit_code == 2, result.output
    assert (
        "unknown router 'bm99'; choose one of: all, dense, embedding, hybrid, hybrid-dense, lexical"
        in result.output
    )


@pytest.mark.parametrize("k", ["0", "-4"])
def test_k_below_one_exits_2(setup: tuple[Path, Path], k: str) -> None:
    root, queries = setup
    result = run(str(root), str(queries), "-k", k)
    assert result.exit_code == 2, result.output
    assert "k must be a whole number of at least 1" in result.output


def test_a_missing_queries_file_exits_2(setup: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = setup
    result = run(str(root), str(tmp_path / "absent.jsonl"))
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.output


def test_limit_scores_only_the_first_queries(setup: tuple[Path, Path]) -> None:
    root, queries = setup
    result = run(str(root), str(queries), "--limit", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["n_queries"] == 2


def test_a_router_that_asks_a_model_gets_the_backend_from_the_command_line(
    setup: tuple[Path, Path],
) -> None:
    root, queries = setup
    # The fake backend's reply names no skill: the llm router falls back to its base ranking.
    result = run(str(root), str(queries), "--router", "llm", "--backend", "fake", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recall@5"] == 1.0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--backend", "fake"], "the lexical router uses none"),
        (["--limit", "0"], "--limit"),
    ],
)
def test_backend_for_a_router_without_a_model_and_a_zero_limit_are_usage_errors(
    setup: tuple[Path, Path], args: list[str], expected: str
) -> None:
    root, queries = setup
    result = run(str(root), str(queries), *args)
    assert result.exit_code == 2
    assert expected in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
