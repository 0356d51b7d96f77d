"""Evaluation: metrics on known rankings, reading QUERIES.jsonl with line-numbered errors, the MetaTool converter."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from support.scripts import load_benchmark
from support.skills import MakeSkill

from skillpack import SkillPack, SkillpackError
from skillpack.evaluation import METRICS, LabelledQuery, evaluate, percentile, read_queries, score
from skillpack.routing.base import Match, Ranking, Router


class ScriptedRouter(Router):
    """Returns a fixed ranking per task, and records whether it was prepared."""

    name = "scripted"

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.prepared: list[bool] = []

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        self.prepared.append(rebuild)
        return ()

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        return Ranking(self.name, tuple(Match(pack.get(n), 1.0) for n in self.answers[task][:k]))


def test_score_of_one_ranking() -> None:
    assert score(["a", "b", "c"], ["a"]) == {
        "recall@1": 1.0,
        "recall@3": 1.0,
        "recall@5": 1.0,
        "mrr": 1.0,
        "ndcg@10": 1.0,
        "complete@5": 1.0,
    }
    two = score(["x", "a", "y", "z", "w", "b"], ["a", "b"])
    assert two["recall@1"] == 0.0 and two["recall@3"] == 0.5 and two["recall@5"] == 0.5
    assert two["mrr"] == 0.5 and two["complete@5"] == 0.0
    ideal = 1 + 1 / math.log2(3)
    assert two["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(7)) / ideal)
    assert score([], ["a"]) == dict.fromkeys(
        ("recall@1", "recall@3", "recall@5", "mrr", "ndcg@10", "complete@5"), 0.0
    )


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 95) == 95.0 and percentile([], 50) == 0.0


def test_evaluate_averages_and_reports_exactly_the_keys(tmp_path: Path, make_skill: MakeSkill) -> None:
    for name in ("a", "b", "c"):
        make_skill(tmp_path / "lib", name)
    pack = SkillPack.from_paths([tmp_path / "lib"])
    router = ScriptedRouter({"q1": ["a", "b"], "q2": ["c", "a"], "q3": []})
    queries = [LabelledQuery(1, "q1", ("a",)), LabelledQuery(2, "q2", ("a",)), LabelledQuery(3, "q3", ("b",))]
    result = evaluate(pack, queries, router, k=10)
    assert tuple(result) == METRICS
    assert result["recall@1"] == round(1 / 3, 4) and result["recall@3"] == round(2 / 3, 4)
    assert result["mrr"] == 0.5 and result["n_queries"] == 3 and result["n_skills"] == 3
    assert result["p95_ms"] >= result["p50_ms"] >= 0 and result["build_s"] >= 0
    assert router.prepared == [True]  # the index is built from scratch, not loaded


def write_lines(path: Path, *lines: str | bytes) -> Path:
    path.write_bytes(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n")
    return path


GOOD = json.dumps({"query": "write a commit message", "skills": ["a"]})


def test_read_queries_skips_blank_lines_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "q.jsonl", GOOD, "", json.dumps({"query": "q", "skills": ["b", "b", "a"]}))
    queries = read_queries(path, known={"a", "b"})
    assert queries == [LabelledQuery(1, "write a commit message", ("a",)), LabelledQuery(3, "q", ("b", "a"))]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((GOOD, "not json"), r"q.jsonl:2: not JSON \(Expecting value at column 1\) — each line must be"),
        (
            (GOOD, b'{"query": "caf\xe9", "skills": ["a"]}'),
            r"q.jsonl:2: not UTF-8 text \(byte 0xe9 at column 15\)",
        ),
        (("[1, 2]",), r"q.jsonl:1: expected a JSON object, got list"),
        (('{"skills": ["a"]}',), r"q.jsonl:1: \$.query must be a non-empty string"),
        (('{"query": "x", "skills": "a"}',), r"q.jsonl:1: \$.skills must be a list of skill names"),
        (("", "  "), r"q.jsonl: no queries"),
    ],
)
def test_bad_queries_files_name_the_line(
    tmp_path: Path, lines: tuple[str | bytes, ...], message: str
) -> None:
    with pytest.raises(SkillpackError, match=message):
        read_queries(write_lines(tmp_path / "q.jsonl", *lines))


def test_unknown_skill_names_are_listed_with_line_numbers(tmp_path: Path) -> None:
    lines = [json.dumps({"query": f"q{n}", "skills": ["a", f"ghost-{n}"]}) for n in range(7)]
    with pytest.raises(SkillpackError) as caught:
        read_queries(write_lines(tmp_path / "q.jsonl", *lines), known={"a"})
    message = str(caught.value)
    assert "7 unknown skill names — line 1: 'ghost-0'; line 2: 'ghost-1'" in message
    assert "line 5: 'ghost-4' (and 2 more)" in message


def test_a_missing_queries_file(tmp_path: Path) -> None:
    with pytest.raises(SkillpackError, match="cannot read the queries file"):
        read_queries(tmp_path / "absent.jsonl")


def test_metatool_conversion_follows_the_protocol(shared_dir: Path, tmp_path: Path) -> None:
    source = shared_dir / "benchmarks" / "metatool"
    if not source.is_dir():
        pytest.skip(f"{source} is absent: this test needs the MetaTool data beside the repository")
    converter = load_benchmark("metatool_convert")
    assert converter.skill_name("ResearchFinder") == "research-finder"
    assert (
        converter.skill_name("Creaticode_Extension_of_MIT_Scratch") == "creaticode-extension-of-mit-scratch"
    )
    out = tmp_path / "metatool"
    counts = converter.convert(source, out, examples_per_skill=3)
    assert counts["skills"] == 199 and counts["dev"] + counts["test"] == 20_563  # 20,614 minus duplicates
    assert counts["examples_max"] == 3
    zero_shot = SkillPack.from_paths([out / "zero-shot"])
    assert len(zero_shot) == 199 and all(not skill.examples for skill in zero_shot)
    assert all(len(s.examples) <= 3 for s in SkillPack.from_paths([out / "with-examples"]))
    for split in ("dev", "test", "multi-dev", "multi-test", "dev-heldout"):
        queries = read_queries(out / f"{split}.jsonl", known=set(zero_shot.names))
        assert queries, split
    test_queries = {q.query for q in read_queries(out / "test.jsonl")}
    examples = {e for s in SkillPack.from_paths([out / "with-examples"]) for e in s.examples}
    assert not {" ".join(q.split()) for q in test_queries} & examples  # no test query leaks into examples


class CalibratedRouter(Router):
    """Returns a fixed ranking per task with a confidence per skill, and declares a bar of 0.5."""

    name = "calibrated"
    min_confidence = 0.5

    def __init__(self, answers: dict[str, list[tuple[str, float]]]) -> None:
        self.answers = answers

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        return Ranking(self.name, tuple(Match(pack.get(n), 1.0, (), c) for n, c in self.answers[task][:k]))


def test_out_of_scope_queries_score_the_selection(tmp_path: Path, make_skill: MakeSkill) -> None:
    for name in ("a", "b", "c"):
        make_skill(tmp_path / "skills", name)
    pack = SkillPack.from_paths([tmp_path / "skills"])
    router = CalibratedRouter(
        {
            "in-1": [("a", 0.9), ("b", 0.6)],  # gold a chosen, b too
            "in-2": [("c", 0.3)],  # gold b missed, nothing chosen
            "out-1": [("a", 0.2)],  # abstained: right
            "out-2": [("c", 0.8)],  # injected c: wrong
        }
    )
    queries = [
        LabelledQuery(1, "in-1", ("a",)),
        LabelledQuery(2, "in-2", ("b",)),
        LabelledQuery(3, "out-1", ()),
        LabelledQuery(4, "out-2", ()),
    ]
    result = evaluate(pack, queries, router, k=10)
    assert list(result) == list(METRICS)
    assert (result["n_in_scope"], result["n_out_of_scope"]) == (2, 2)
    assert result["recall@1"] == 0.5  # ranking metrics count the in-scope queries only
    assert result["oos_abstain"] == 0.5 and result["in_abstain"] == 0.5
    assert result["recall_selected"] == 0.5 and result["precision"] == 0.5
    assert result["selected_mean"] == 1.0 and result["selected_oos_mean"] == 0.5
    assert result["tokens_mean"] > 0 and result["tokens_oos_mean"] > 0
    lenient = evaluate(pack, queries, router, min_confidence=0.0)
    assert lenient["oos_abstain"] == 0.0 and lenient["recall_selected"] == 0.5


def test_a_queries_file_may_mark_queries_out_of_scope(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "make pancakes", "skills": []}\n', encoding="utf-8")
    (query,) = read_queries(path, known={"a"})
    assert query.skills == ()
