"""What a run writes besides its trials: summary.csv, summary.md, the plot and manifest.json."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from support.harness import LIMIT_EXAMPLE, tiny_document, within_first, write_suite

from skillpack.backends.fake import FakeBackend
from skillpack.harness import SweepConfig, run_sweep
from skillpack.harness.report import plot, series_style, summary_markdown
from skillpack.harness.scoring import summarize


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
    assert lines[0] == "# fake on tiny, n = 3 distinct requests per point"
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
    (session,) = manifest["sessions"]
    assert session["wall_s"] >= 0 and session["trials_run"] == 27 and session["model_calls"] == 9
    assert session["started_at"] <= session["finished_at"]


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


def test_a_run_over_several_positions_gets_a_table_by_position(tmp_path: Path) -> None:
    config = SweepConfig(
        suite=str(write_suite(tmp_path)),
        backend="fake",
        strategies=("oracle", "all"),
        sizes=(1, 12),
        positions=("start", "end"),
    )
    backend = FakeBackend(responder=within_first(LIMIT_EXAMPLE))
    run_sweep(config, tmp_path / "out", backend=backend, draw=False)
    text = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    table = text.split("By the gold skill's position among the installed ones:", 1)[1]
    # At N = 12 the gold block first passes, last fails; oracle and N = 1 are one request per task.
    assert "| fake:fake | all | 12 | start | 3 | 3 | 1.000 [0.439, 1.000] |" in table
    assert "| fake:fake | all | 12 | end | 3 | 3 | 0.000 [0.000, 0.561] |" in table
    assert "| oracle |" not in table and "| all | 1 |" not in table
    assert "| fake:fake | all | 12 | 6 | 6 | 0.500 [0.188, 0.812] |" in text


def test_the_plot_has_a_title_a_does_not_fit_strip_and_distinct_series(out: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot needs the optional extra skillpack[plot]")
    records = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    cells = summarize(records, ("none", "oracle", "all"))
    assert plot(cells, out / "titled.svg", title="fake on tiny, n = 3 per point") is True
    svg = (out / "titled.svg").read_text(encoding="utf-8")
    assert "fake on tiny, n = 3 per point" in svg and "does not fit" in svg
    # Series that coincide stay distinguishable: neighbours differ in colour, marker and line style.
    styles = [series_style(index) for index in range(5)]
    for key in ("color", "marker", "linestyle"):
        assert all(a[key] != b[key] for a, b in itertools.pairwise(styles)), key


def test_a_missing_matplotlib_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillpack.harness import report

    monkeypatch.setattr(report, "plot", lambda *args, **kwargs: False)
    config = SweepConfig(suite=str(write_suite(tmp_path)), backend="fake", strategies=("none",), sizes=(1,))
    result = run_sweep(config, tmp_path / "out", backend=FakeBackend())
    assert result.report is not None and result.report.notes == (report.NO_MATPLOTLIB,)
    assert result.report.files == ("summary.csv", "summary.md")


def test_a_resumed_run_keeps_every_session_in_the_manifest(out: Path) -> None:
    config = SweepConfig(
        suite=str(out.parent / "suite.json"),
        backend="fake",
        strategies=("none", "oracle", "all"),
        sizes=(1, 4, 12),
        positions=("end",),
        context_window=1000,
    )
    run_sweep(config, out, backend=FakeBackend(), draw=False)
    first, second = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sessions"]
    assert first["trials_run"] == 27 and (second["trials_run"], second["model_calls"]) == (0, 0)


def test_the_title_names_model_suite_and_n_only_when_measured() -> None:
    from skillpack.harness.report import report_title
    from skillpack.harness.scoring import Cell

    def cell(n: int, scope: str = "gold") -> Cell:
        return Cell(
            "fake", "m", "all", 4, n, 0, n, 0, 0, 0, None, None, None, None, None, None, None, scope=scope
        )

    assert report_title([cell(48), cell(48)], "s") == "m on s, n = 48 distinct requests per point"
    assert report_title([cell(12), cell(48)], "s") == "m on s, n = 12–48 distinct requests per point"
    assert report_title([cell(0), cell(12, "no-skill")], "s") == "m on s"
    assert report_title([], "s") == "no model on s"


def test_a_run_of_no_skill_tasks_only_has_no_empty_gold_table(tmp_path: Path) -> None:
    document = tiny_document(tasks=0, no_skill_task=True)
    config = SweepConfig(
        suite=str(write_suite(tmp_path, document)), backend="fake", strategies=("none",), sizes=(1,)
    )
    run_sweep(config, tmp_path / "out", backend=FakeBackend(responder=lambda request: "56"), draw=False)
    lines = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == [
        "# fake on tiny",
        "",
        "Tasks that need no skill (what each strategy injects when nothing is needed):",
    ]
    assert (
        "| fake:fake | none | 1 | 3 | 1 | 1.000 [0.207, 1.000] | 0.0 | 0 |" in lines
    )  # 3 positions, 1 request
