"""What a run writes besides its trials: summary.csv, summary.md, the plot and manifest.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from harness_support import LIMIT_EXAMPLE, isolated_cache, within_first, write_suite

from skillpack.backends.fake import FakeBackend
from skillpack.harness import SweepConfig, run_sweep
from skillpack.harness.report import plot, summary_markdown
from skillpack.harness.scoring import summarize

__all__ = ["isolated_cache"]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    config = SweepConfig(
        suite=str(write_suite(tmp_path)),
        backend="fake",
        strategies=("none", "oracle", "all"),
        sizes=(1, 4, 12),
        positions=("end",),
        context_window=1000,
    )
    run_sweep(
        config,
        tmp_path / "out",
        backend=FakeBackend(responder=within_first(LIMIT_EXAMPLE)),
        argv=["skillpack", "bench", "..."],
        draw=False,
    )
    return tmp_path / "out"


def test_summary_csv_rows(out: Path) -> None:
    with open(out / "summary.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["strategy"], r["size"]) for r in rows] == [
        ("none", "1"),
        ("none", "4"),
        ("none", "12"),
        ("oracle", "1"),
        ("oracle", "4"),
        ("oracle", "12"),
        ("all", "1"),
        ("all", "4"),
        ("all", "12"),
    ]
    by = {(r["strategy"], r["size"]): r for r in rows}
    assert by[("all", "4")]["accuracy"] == "1.0000" and by[("all", "4")]["n"] == "3"
    assert by[("all", "12")]["status"] == "does not fit" and by[("all", "12")]["accuracy"] == ""
    assert by[("none", "1")]["ci_high"] == "0.5615"  # Wilson 0/3


def test_markdown_table(out: Path) -> None:
    text = (out / "summary.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# fake on tiny, n = 3 per point"
    assert lines[2].startswith("| model | strategy | N | trials | n | accuracy [95% CI] | recall |")
    assert "| fake:fake | all | 4 | 3 | 3 | 1.000 [0.439, 1.000] | 1.00 | 4.0 |" in text
    assert "| fake:fake | all | 12 | 0 | 0 | does not fit |" in text


def test_manifest(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete" and manifest["command"] == ["skillpack", "bench", "..."]
    assert manifest["config"]["sizes"] == [1, 4, 12] and len(manifest["config_sha256"]) == 64
    assert (
        manifest["setup"]["backend"] == "fake"
        and manifest["run_id"] == json.loads((out / "trials.jsonl").read_text().splitlines()[0])["run_id"]
    )
    assert manifest["seeds"] == [0] and manifest["model"] == "fake" and manifest["context_window"] == 1000
    assert manifest["versions"]["skillpack"] and manifest["versions"]["python"]
    assert manifest["suite"]["skills"] == 12 and len(manifest["suite"]["sha256"]) == 64


def test_plot_is_an_svg_with_one_line_per_strategy(out: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot needs the optional extra skillpack[plot]")
    records = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    cells = summarize(records, ("none", "oracle", "all"))
    assert plot(cells, out / "accuracy.svg") is True
    svg = (out / "accuracy.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("none", "oracle", "all: does not fit", "log scale"):
        assert label in svg


def test_plot_without_matplotlib_writes_nothing(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert plot([], out / "none.svg") is False
    assert not (out / "none.svg").exists()


def test_markdown_of_no_cells() -> None:
    assert summary_markdown([]).count("\n") == 2
