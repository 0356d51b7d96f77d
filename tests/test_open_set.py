"""benchmarks/open_set.py: the open-set data sets (held-out tools, off-topic requests, bundled examples)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from support.scripts import load_benchmark

from skillpack import SkillPack
from skillpack.bundled import skills_dir
from skillpack.evaluation import read_queries


@pytest.fixture
def metatool(tmp_path: Path) -> Path:
    """A small folder shaped like MetaTool's: 12 tools, 5 queries each, no two-tool queries."""
    source = tmp_path / "metatool"
    source.mkdir()
    tools = {f"Tool{n}Finder": f"Finds things of kind {n} for the user." for n in range(12)}
    (source / "plugin_des.json").write_text(json.dumps(tools), encoding="utf-8")
    with open(source / "all_clean_data.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Query", "Tool"])
        for tool in tools:
            for q in range(5):
                writer.writerow([f"please find kind {tool} item number {q}", tool])
    (source / "multi_tool_query_golden.json").write_text("[]", encoding="utf-8")
    return source


def test_the_three_data_sets_are_written_with_dev_and_test_splits(metatool: Path, tmp_path: Path) -> None:
    script = load_benchmark("open_set")
    out = tmp_path / "open-set"
    counts = script.write_all(metatool, out, limit=7)
    held = [tool for tool in json.loads((metatool / "plugin_des.json").read_text()) if script.held_out(tool)]
    assert held, "the fixture needs at least one held-out tool"
    library = SkillPack.from_paths([out / "metatool" / "library"])
    assert len(library) == 12 - len(held) == counts["metatool"]["skills"]
    for split in ("dev", "test"):
        queries = read_queries(out / "metatool" / f"{split}.jsonl", known=set(library.names))
        out_of_scope = [q for q in queries if not q.skills]
        assert len(out_of_scope) == counts["metatool"][f"{split}_out_of_scope"]
        assert all(any(t in q.query for t in held) for q in out_of_scope)
        assert all(script.is_dev(q.query) == (split == "dev") for q in queries)
        off = read_queries(out / "off-topic" / f"{split}.jsonl")
        assert len(off) <= 7 and all(q.skills == () for q in off)
        bundled = SkillPack.from_paths([out / "bundled" / f"library-{split}"])
        examples = read_queries(out / "bundled" / f"{split}.jsonl", known=set(bundled.names))
        # No example is scored against a library that holds it.
        assert not {q.query for q in examples} & {e for skill in bundled for e in skill.examples}
        assert all(
            q.query in SkillPack.from_paths([skills_dir()]).get(q.skills[0]).examples for q in examples
        )


def test_the_curve_abstains_more_as_the_bar_rises(metatool: Path, tmp_path: Path) -> None:
    script = load_benchmark("open_set")
    out = tmp_path / "open-set"
    script.write_all(metatool, out, limit=5)
    rows = script.curve(
        "lexical", out / "metatool" / "library", out / "metatool" / "test.jsonl", [0.0, 0.5, 1.0]
    )
    *bars, separation = rows
    assert [row["min_confidence"] for row in bars] == [0.0, 0.5, 1.0]
    abstained = [row["oos_abstain"] for row in bars]
    assert abstained == sorted(abstained) and bars[-1]["in_abstain"] >= bars[0]["in_abstain"]
    assert set(separation) == {"roc_auc_confidence", "roc_auc_score", "in_scope", "out_of_scope"}
    assert 0.0 <= separation["roc_auc_confidence"] <= 1.0 and separation["out_of_scope"] > 0


def test_the_roc_auc_counts_pairs_ranked_right_and_ties_half() -> None:
    roc_auc = load_benchmark("open_set").roc_auc
    assert roc_auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert roc_auc([0.1, 0.2, 0.9, 0.8], [True, True, False, False]) == 0.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
    # Positives 0.9 and 0.3 against negatives 0.5 and 0.3: 2 wins, 1 tie, 1 loss of 4 pairs.
    assert roc_auc([0.9, 0.3, 0.5, 0.3], [True, True, False, False]) == 0.625


def test_a_folder_that_is_not_metatool_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load_benchmark("open_set").main([str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "not a MetaTool folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
