"""``skillpack bench`` through click's CliRunner: results, resumption and every kind of bad input."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support.harness import LIMIT_EXAMPLE, tiny_document, within_first, write_suite

from skillpack import plugins
from skillpack.backends.base import Reply, Request
from skillpack.backends.fake import FakeBackend
from skillpack.cli.main import cli
from skillpack.errors import BackendError
from skillpack.harness.trials import TrialLog, read_trials
from skillpack.hookspecs import hookimpl


class KnownAnswer(FakeBackend):
    """Answers every task of the suite within its first words, as a good model would."""

    def __init__(self, *, model: str | None = None) -> None:
        super().__init__(model=model, responder=within_first(LIMIT_EXAMPLE))


class Flaky(KnownAnswer):
    """Fails while ``failing`` is set, as an API outage or an unknown model would."""

    failing = ""

    def generate(self, request: Request) -> Reply:
        if Flaky.failing:
            raise BackendError(Flaky.failing)
        return super().generate(request)


class ExtraBackendsPlugin:
    """A plugin registering backends for these tests, exactly as a third-party package would."""

    @staticmethod
    @hookimpl
    def skillpack_register_backends(register: Any) -> None:
        register("known-answer", KnownAnswer)
        register("flaky", Flaky)


@pytest.fixture(autouse=True)
def extra_backends_registered() -> Iterator[None]:
    manager = plugins.manager()
    manager.add(ExtraBackendsPlugin, name="test-backends")
    yield
    manager.unregister(name="test-backends")
    Flaky.failing = ""


def bench(*args: str, plot: bool = False) -> Result:
    return CliRunner().invoke(cli, ["bench", *args, *(() if plot else ("--no-plot",))])


def test_a_sweep_prints_the_table_and_writes_every_file(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    out = tmp_path / "out"
    result = bench(
        str(suite),
        "--backend",
        "known-answer",
        "--strategies",
        "none,oracle,all",
        "--sizes",
        "1,8",
        "--out",
        str(out),
        plot=True,
    )
    assert result.exit_code == 0, result.output
    assert "| known-answer:fake | all | 8 | 9 | 9 | 0.667 [0.354, 0.879] |" in result.stdout, result.stdout
    assert "54 trials planned, 0 already done, 54 run now, 54 ok" in result.stdout
    assert "bench: 54/54 trials (100%)" in result.stderr and "ETA" in result.stderr
    files = ["trials.jsonl", "summary.csv", "summary.md", "manifest.json"]
    try:
        import matplotlib  # noqa: F401

        files.append("accuracy.svg")
    except ImportError:
        pass
    for name in files:
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"][:2] == ["skillpack", "bench"] or manifest["command"][0] == "skillpack"
    again = bench(
        str(suite),
        "--backend",
        "known-answer",
        "--strategies",
        "none,oracle,all",
        "--sizes",
        "1,8",
        "--out",
        str(out),
        "--no-progress",
    )
    assert again.exit_code == 0, again.output
    assert "54 trials planned, 54 already done, 0 run now" in again.stdout and again.stderr == ""


def test_errors_exit_1_and_a_rerun_retries_them(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    args = [
        str(suite),
        "--backend",
        "flaky",
        "--strategies",
        "oracle,all",
        "--sizes",
        "4",
        "--out",
        str(tmp_path / "o"),
    ]
    Flaky.failing = "flaky: 503 overloaded — try again later"
    result = bench(*args)
    assert result.exit_code == 1, result.output
    assert "stopped after 5 model calls in a row failed; the last: flaky: 503 overloaded" in result.stderr
    assert "Traceback" not in result.output
    Flaky.failing = ""
    retried = bench(*args)
    assert retried.exit_code == 0, retried.output
    assert all(r["status"] == "ok" for r in read_trials(tmp_path / "o" / "trials.jsonl").values())


def test_some_errors_exit_1_with_how_to_retry(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, tiny_document(tasks=1))

    calls: list[int] = []

    def sometimes(request: Request) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise BackendError("fake: timeout")
        return "QX"

    class Sometimes(FakeBackend):
        def __init__(self, *, model: str | None = None) -> None:
            super().__init__(model=model, responder=sometimes)

    class Once:
        @staticmethod
        @hookimpl
        def skillpack_register_backends(register: Any) -> None:
            register("sometimes", Sometimes)

    plugins.manager().add(Once, name="test-sometimes")
    try:
        result = bench(
            str(suite),
            "--backend",
            "sometimes",
            "--strategies",
            "oracle,all",
            "--sizes",
            "4",
            "--positions",
            "start",
            "--out",
            str(tmp_path / "o"),
        )
    finally:
        plugins.manager().unregister(name="test-sometimes")
    assert result.exit_code == 1, result.output
    assert "1 trial failed (see the error field in" in result.stderr
    assert "run the same command again to retry them" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--backend", "nope", "--sizes", "1"],
            "unknown backend 'nope'; choose one of: anthropic, fake, flaky, known-answer, local",
        ),
        (
            ["--backend", "fake", "--sizes", "1,13"],
            "size 13 is larger than the suite's pool: tiny has 12 skills",
        ),
        (["--backend", "fake", "--sizes", "1,x"], "--sizes: 'x' is not a whole number"),
        (["--backend", "fake", "--strategies", "all,rag"], "unknown strategy 'rag'"),
        (["--backend", "fake", "--positions", "top"], "unknown position 'top'"),
        (
            ["--backend", "fake", "--sizes", "1", "--batch"],
            "--batch needs a backend that declares supports_batches; the fake backend does not — use --backend anthropic",
        ),
        (["--backend", "fake", "--jobs", "0"], "--jobs must be at least 1"),
        (["--backend", "fake", "--tasks", "t9"], "no task 't9'"),
        (
            ["--sizes", "1"],
            "--backend is required (anthropic, local, fake, or a plugin's), unless --router-only",
        ),
        (["--backend", "fake", "--router-only"], "--router-only runs no model; drop --backend"),
        (["--router-only", "--sizes", "13"], "size 13 is larger than the suite's pool: tiny has 12 skills"),
        (["--backend", "fake", "--sizes", "1", "--threads", "2"], "the fake backend does not take --threads"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = bench(str(write_suite(tmp_path)), *args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_suite_failing_its_schema_exits_2_with_file_and_path(tmp_path: Path) -> None:
    document = tiny_document()
    document["tasks"][1]["expect"] = {"check": "regex"}
    suite = write_suite(tmp_path, document)
    result = bench(str(suite), "--backend", "fake", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"skillpack: error: {suite}: $.tasks[1].expect: 'pattern' is a required property — see"
        " schemas/suite.schema.json for the suite format\n"
    )


def test_a_check_that_cannot_be_evaluated_exits_2(tmp_path: Path) -> None:
    document = tiny_document()
    document["tasks"][0]["expect"] = {"check": "regex", "pattern": "[QX"}
    result = bench(str(write_suite(tmp_path, document)), "--backend", "fake", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert (
        "$.tasks[0].expect: the 'regex' check cannot be evaluated: 'pattern' is not a valid regular"
        in result.stderr
    )


def test_an_unknown_model_stops_the_run_with_the_backends_message(tmp_path: Path) -> None:
    Flaky.failing = "anthropic: unknown model 'claude-nope' (404 not_found_error: model: claude-nope) — pass a current model id"
    result = bench(
        str(write_suite(tmp_path)),
        "--backend",
        "flaky",
        "--model",
        "claude-nope",
        "--sizes",
        "4",
        "--out",
        str(tmp_path / "o"),
    )
    assert result.exit_code == 1, result.output
    assert "unknown model 'claude-nope'" in result.stderr and "run the same command again" in result.stderr


def test_a_full_disk_exits_1_and_the_rerun_finishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = write_suite(tmp_path)
    args = [
        str(suite),
        "--backend",
        "known-answer",
        "--sizes",
        "1,4",
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
    ]
    real = TrialLog._write
    count: list[int] = []

    def fills(self: TrialLog, data: bytes) -> None:
        count.append(1)
        if len(count) > 20:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, data)

    monkeypatch.setattr(TrialLog, "_write", fills)
    result = bench(*args)
    assert result.exit_code == 1, result.output
    assert (
        "trials.jsonl: cannot write: No space left on device — free disk space and run the same command"
        in result.stderr
    )
    monkeypatch.setattr(TrialLog, "_write", real)
    resumed = bench(*args)
    assert resumed.exit_code == 0, resumed.output
    assert "90 trials planned, 20 already done, 70 run now" in resumed.stdout


def test_the_default_suite_is_the_bundled_one(tmp_path: Path) -> None:
    result = bench(
        "--backend",
        "fake",
        "--strategies",
        "oracle",
        "--sizes",
        "1",
        "--positions",
        "start",
        "--limit",
        "2",
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    assert {r["suite"] for r in read_trials(tmp_path / "o" / "trials.jsonl").values()} == {"house-rules"}


def test_the_time_left_is_estimated_from_model_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from skillpack.cli import bench as bench_module

    clock = iter([0.0, 2.0, 3.0, 32.0, 70.0])
    monkeypatch.setattr(bench_module.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    progress = bench_module.ProgressLine(stream, every=30.0)
    progress(10, 100, 0, 0)  # earlier trials and cache hits: no estimate yet
    progress(40, 100, 0, 20)  # every trial prepared: 20 model calls to make
    progress(41, 100, 1, 20)  # quiet: less than 30 s since the last line
    progress(45, 100, 5, 20)  # 5 calls in 30 s: 15 left take 90 s
    progress(100, 100, 20, 20)
    assert stream.getvalue().splitlines() == [
        "bench: 10/100 trials (10%)",
        "bench: 40/100 trials (40%), model calls 0/20, ETA --",
        "bench: 45/100 trials (45%), model calls 5/20, ETA 1m30s",
        "bench: 100/100 trials (100%), model calls 20/20, ETA 0m00s",
    ]


def test_router_only_reports_recall_tokens_and_time_per_size_without_a_model(tmp_path: Path) -> None:
    document = tiny_document(no_skill_task=True)
    out = tmp_path / "out"
    result = bench(
        str(write_suite(tmp_path, document)), "--router-only", "--sizes", "1,4,12", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "router.json").read_text(encoding="utf-8"))
    points = {p["size"]: p for p in report["points"]}
    assert sorted(points) == [1, 4, 12] and report["router"] == "lexical" and report["k"] == 3
    assert points[1]["recall"] == 1.0 and points[1]["mean_skills_injected"] == 1.0  # only the gold installed
    for point in points.values():
        assert point["tasks"] == 3 and point["no_skill_tasks"] == 1
        assert 0 <= point["recall"] <= 1 and point["median_route_s"] >= 0 and point["median_build_s"] >= 0
        assert 1 <= point["mean_skills_injected"] <= 3 and point["mean_injected_tokens"] > 50
    assert report["suite"]["skills"] == 12 and report["versions"]["skillpack"]
    table = (out / "router.md").read_text(encoding="utf-8")
    assert table.startswith("# router lexical (k=3, budget none) on tiny: 12 skills in the pool")
    assert "| 12 | 3 |" in table and table in result.stdout
    assert f"wrote in {out}/: router.md, router.json" in result.stdout


def test_json_format_of_a_sweep_and_of_router_only(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    out = tmp_path / "out"
    args = ["--backend", "known-answer", "--strategies", "none,all", "--sizes", "1", "--no-progress"]
    result = bench(str(suite), *args, "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"out", "planned", "skipped", "ran", "counts", "errors", "files", "notes", "cells"}
    assert data["out"] == str(out) and data["planned"] == data["ran"] == data["counts"]["ok"]
    assert data["skipped"] == 0 and data["errors"] == 0
    assert data["files"][0] == "trials.jsonl" and "manifest.json" in data["files"]
    assert {cell["strategy"] for cell in data["cells"]} == {"none", "all"}
    routed = bench(
        str(suite), "--router-only", "--sizes", "1", "--out", str(tmp_path / "r"), "--format", "json"
    )
    assert routed.exit_code == 0, routed.output
    document = json.loads(routed.stdout)
    assert document["files"] == ["router.md", "router.json"] and document["router"] == "lexical"
    stored = json.loads((tmp_path / "r" / "router.json").read_text(encoding="utf-8"))
    assert {key: document[key] for key in stored if key != "wall_s"} == {
        key: value for key, value in stored.items() if key != "wall_s"
    }
