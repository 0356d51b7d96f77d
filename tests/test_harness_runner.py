"""The sweep runner, driven end to end by the fake backend with a known answer.

The fake answers right only when the gold skill's block ends within the first 570 tokens of the system
text. Each skill block is about 100 tokens after a short preamble, so with ``all`` the gold skill at
index i passes exactly when i <= 4: sizes 1, 2 and 4 pass at every position; at N=8 the gold sits at
0, 3 and 7 (start, middle, end) and passes twice in three; at N=12 at 0, 5 and 11, once in three.
"""

from __future__ import annotations

import concurrent.futures
import errno
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.harness import UNKNOWN, tiny_document, within_first, write_suite

from skillpack.backends.base import Reply, Request
from skillpack.backends.fake import FakeBackend
from skillpack.bundled import load_schema
from skillpack.context import render, render_block
from skillpack.errors import BackendError, SkillpackError, UsageError
from skillpack.harness import SweepConfig, load_suite, run_sweep, wilson
from skillpack.harness.plan import plan
from skillpack.harness.runner import RunResult
from skillpack.harness.trials import TrialLog, read_trials
from skillpack.tokens import count_tokens

LIMIT = 570
SIZES = (1, 2, 4, 8, 12)


def sweep(settings: SweepConfig, out: Path, **options: Any) -> RunResult:
    return run_sweep(settings, out, draw=False, **options)


def config(suite: Path, **changes: Any) -> SweepConfig:
    options: dict[str, Any] = {
        "suite": str(suite),
        "backend": "fake",
        "strategies": ("none", "oracle", "all", "routed", "catalog"),
        "sizes": SIZES,
        "k": 3,
    }
    options.update(changes)
    return SweepConfig(**options)


def cells(out: Path) -> dict[tuple[str, int], dict[str, str]]:
    import csv

    with open(out / "summary.csv", encoding="utf-8") as handle:
        return {(row["strategy"], int(row["size"])): row for row in csv.DictReader(handle)}


def test_block_sizes_make_the_expected_curve_exact(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path))
    blocks = [count_tokens(render_block(s, "xml")) for s in suite.skills]
    preamble = count_tokens(render([suite.skills[0]], "xml")) - blocks[0]
    # The arithmetic in the module docstring holds when blocks are 90-110 tokens and the preamble small.
    assert all(90 <= b <= 110 for b in blocks), blocks
    assert preamble <= 40
    for i in range(12):
        end = preamble + (i + 1) * max(blocks) if i <= 4 else preamble + (i + 1) * min(blocks)
        assert (end <= LIMIT) == (i <= 4)


def test_known_accuracy_curve_and_statistics(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    backend = FakeBackend(responder=within_first(LIMIT))
    result = sweep(config(suite), tmp_path / "out", backend=backend)
    assert result.planned == 3 * len(SIZES) * 3 * 5
    assert result.counts == {"ok": result.planned}
    table = cells(tmp_path / "out")
    # n counts distinct requests: at N = 1 the three positions send one request per task, at N = 2
    # start and middle coincide (the gold skill first); from N = 4 on every position is its own.
    expected_all = {1: (3, 3), 2: (6, 6), 4: (9, 9), 8: (6, 9), 12: (3, 9)}
    for size, (passed, n) in expected_all.items():
        row = table[("all", size)]
        assert (int(row["passed"]), int(row["n"]), int(row["trials"])) == (passed, n, 9), (size, row)
        low, high = wilson(passed, n)
        assert (float(row["ci_low"]), float(row["ci_high"])) == (round(low, 4), round(high, 4))
    assert (table[("all", 8)]["ci_low"], table[("all", 8)]["ci_high"]) == ("0.3542", "0.8794")
    for size in SIZES:
        # none and oracle send the same request at every N and position: 3 observations, 9 trials.
        assert (table[("none", size)]["n"], table[("none", size)]["trials"]) == ("3", "9")
        assert table[("oracle", size)]["ci_high"] == "1.0000" and table[("oracle", size)]["n"] == "3"
        assert table[("oracle", size)]["accuracy"] == "1.0000"
        assert table[("none", size)]["accuracy"] == "0.0000"
        assert table[("catalog", size)]["accuracy"] == "0.0000"  # the fake never loads a skill
    records = read_trials(tmp_path / "out" / "trials.jsonl").values()
    for line in records:
        if line["strategy"] == "routed":
            # At most k=3 blocks: within the limit whenever the router found the gold skill.
            assert line["passed"] == (line["recall"] == 1.0), line
        if line["strategy"] == "all":
            assert (
                line["skills_injected"].index(line["gold"][0])
                == {
                    "start": 0,
                    "middle": (line["size"] - 1) // 2,
                    "end": line["size"] - 1,
                }[line["position"]]
            )


def test_every_trial_line_matches_the_schema(tmp_path: Path) -> None:
    sweep(config(write_suite(tmp_path), sizes=(1, 4)), tmp_path / "out", backend=FakeBackend())
    validator = jsonschema.Draft202012Validator(load_schema("trial"))
    lines = (tmp_path / "out" / "trials.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 * 2 * 3 * 5
    for line in lines:
        validator.validate(json.loads(line))


def test_context_tokens_grow_with_n_for_all_only(tmp_path: Path) -> None:
    sweep(config(write_suite(tmp_path)), tmp_path / "out", backend=FakeBackend(responder=within_first(LIMIT)))
    table = cells(tmp_path / "out")
    tokens = [float(table[("all", n)]["mean_context_tokens"]) for n in SIZES]
    assert tokens == sorted(tokens) and tokens[-1] > 8 * tokens[0]
    assert len({table[("oracle", n)]["mean_context_tokens"] for n in SIZES}) == 1
    assert len({table[("none", n)]["mean_context_tokens"] for n in SIZES}) == 1


def test_identical_requests_are_called_once_and_cached(tmp_path: Path) -> None:
    backend = FakeBackend(responder=within_first(LIMIT))
    sweep(config(write_suite(tmp_path), strategies=("none", "oracle")), tmp_path / "out", backend=backend)
    # none and oracle do not depend on N or position: one call per task and strategy.
    assert len(backend.history) == 3 * 2
    records = read_trials(tmp_path / "out" / "trials.jsonl").values()
    assert sum(not r["cache_hit"] for r in records) == 6


def test_rerun_skips_finished_trials(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    sweep(config(suite), tmp_path / "out", backend=FakeBackend(responder=within_first(LIMIT)))
    again = FakeBackend(responder=within_first(LIMIT))
    result = sweep(config(suite), tmp_path / "out", backend=again)
    assert again.history == []
    assert result.skipped == result.planned and result.counts == {}


@pytest.mark.parametrize("order", ["as-they-come", "interrupt-first"])
def test_killed_run_resumes_without_losing_or_repeating_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    # With two calls in flight, the reply that finished just before the interrupt was cached or not
    # depending on the order the runner looked at them: "interrupt-first" forces the order that lost it.
    real_wait = concurrent.futures.wait

    def interrupt_first(futures: Any, timeout: Any = None, return_when: Any = None) -> Any:
        done, pending = real_wait(futures, timeout, concurrent.futures.ALL_COMPLETED)
        return sorted(done, key=lambda f: f.exception() is None), pending

    suite = write_suite(tmp_path)
    calls: list[str] = []

    class Dying(FakeBackend):
        def generate(self, request: Request) -> Reply:
            # jobs=1: one worker, so the 10th call starts only after the 9th has returned (and the
            # patched wait hands both to the runner at once, the interrupted one first).
            if len(calls) >= 9:
                raise KeyboardInterrupt  # what Ctrl-C or a kill looks like to the running code
            calls.append(request.task)
            return super().generate(request)

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        if order == "interrupt-first":
            patch.setattr(concurrent.futures, "wait", interrupt_first)
        sweep(config(suite, jobs=1), tmp_path / "out", backend=Dying(responder=within_first(LIMIT)))
    written = read_trials(tmp_path / "out" / "trials.jsonl")
    assert len(written) >= 9
    resumed = FakeBackend(responder=within_first(LIMIT))
    result = sweep(config(suite), tmp_path / "out", backend=resumed)
    assert result.skipped == len(written)
    fresh = FakeBackend(responder=within_first(LIMIT))
    sweep(config(suite), tmp_path / "fresh", backend=fresh)
    # Every call made before the kill was cached: the resumed run made only the rest.
    assert len(calls) == 9
    assert len(resumed.history) == len(fresh.history) - 9
    resumed_cells, fresh_cells = cells(tmp_path / "out"), cells(tmp_path / "fresh")
    assert {c: r["passed"] for c, r in resumed_cells.items()} == {
        c: r["passed"] for c, r in fresh_cells.items()
    }


def test_torn_last_line_is_rerun_and_the_file_repaired(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    sweep(config(suite, sizes=(1,)), tmp_path / "out", backend=FakeBackend())
    path = tmp_path / "out" / "trials.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:25])  # killed mid-line
    result = sweep(config(suite, sizes=(1,)), tmp_path / "out", backend=FakeBackend())
    assert sum(result.counts.values()) == 1
    for line in path.read_text(encoding="utf-8").splitlines()[:-2] + path.read_text().splitlines()[-1:]:
        json.loads(line)
    assert len(read_trials(path)) == result.planned


def test_errored_trials_are_kept_apart_and_retried(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    flaky = FakeBackend(responses=[BackendError("fake: 500 server error"), BackendError("fake: timeout")])
    result = sweep(
        config(suite, strategies=("oracle",), sizes=(1,), positions=("start",)),
        tmp_path / "out",
        backend=flaky,
    )
    assert result.counts == {"error": 2, "ok": 1}
    errors = [r for r in read_trials(tmp_path / "out" / "trials.jsonl").values() if r["status"] == "error"]
    assert {r["error"] for r in errors} == {"fake: 500 server error", "fake: timeout"}
    assert all(r["passed"] is None for r in errors)
    assert cells(tmp_path / "out")[("oracle", 1)]["n"] == "1"  # errors are not wrong answers
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    retry = FakeBackend(responder=within_first(LIMIT))
    again = sweep(
        config(suite, strategies=("oracle",), sizes=(1,), positions=("start",)),
        tmp_path / "out",
        backend=retry,
    )
    assert again.counts == {"ok": 2} and len(retry.history) == 2
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "complete"


def test_a_backend_that_always_fails_stops_the_run(tmp_path: Path) -> None:
    calls: list[Request] = []

    class Unknown(FakeBackend):
        def generate(self, request: Request) -> Reply:
            calls.append(request)
            raise BackendError(
                "anthropic: unknown model 'claude-nope' (404 not_found_error: model: claude-nope)"
            )

    with pytest.raises(
        BackendError, match=r"stopped after 5 model calls in a row failed; the last: .*unknown model"
    ):
        sweep(config(write_suite(tmp_path), strategies=("all",)), tmp_path / "out", backend=Unknown())
    assert 5 <= len(calls) <= 6  # the call already running when the fifth failed is recorded too
    written = read_trials(tmp_path / "out" / "trials.jsonl").values()
    assert written and all(r["status"] == "error" and "unknown model" in r["error"] for r in written)


def test_full_disk_is_one_clear_error_and_the_rerun_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = write_suite(tmp_path)
    real_write = TrialLog._write
    written: list[bytes] = []

    def fills_up(self: TrialLog, data: bytes) -> None:
        if len(written) == 7:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(data)
        real_write(self, data)

    monkeypatch.setattr(TrialLog, "_write", fills_up)
    with pytest.raises(
        SkillpackError, match=r"trials.jsonl: cannot write: No space left on device — free disk"
    ):
        sweep(config(suite), tmp_path / "out", backend=FakeBackend(responder=within_first(LIMIT)))
    assert len(read_trials(tmp_path / "out" / "trials.jsonl")) == 7
    monkeypatch.setattr(TrialLog, "_write", real_write)
    result = sweep(config(suite), tmp_path / "out", backend=FakeBackend(responder=within_first(LIMIT)))
    assert result.skipped == 7 and len(read_trials(tmp_path / "out" / "trials.jsonl")) == result.planned


def test_context_beyond_the_window_is_recorded_as_does_not_fit(tmp_path: Path) -> None:
    backend = FakeBackend(responder=within_first(LIMIT))
    sweep(config(write_suite(tmp_path), context_window=700), tmp_path / "out", backend=backend)
    table = cells(tmp_path / "out")
    assert table[("all", 12)]["status"] == "does not fit" and table[("all", 12)]["n"] == "0"
    assert (
        table[("all", 12)]["does_not_fit"] == "9" and float(table[("all", 12)]["mean_context_tokens"]) > 700
    )
    assert table[("all", 4)]["status"] == "measured"
    assert all(len(r.system) < 4000 for r in backend.history)  # never sent


def test_a_backend_without_tools_gets_catalog_through_the_plain_text_protocol(tmp_path: Path) -> None:
    document = tiny_document()
    answers = {t["prompt"]: (t["gold"][0], t["expect"]["value"]) for t in document["tasks"]}

    class NoTools(FakeBackend):
        loads_skills = False

    def responder(request: Request) -> str:
        assert not request.loadable  # the backend sees plain text only
        gold, answer = answers[request.task]
        if f'<skill name="{gold}">' in request.system:
            return answer
        return f"LOAD: {gold}" if f"- {gold}: " in request.system else UNKNOWN

    backend = NoTools(responder=responder)
    result = sweep(
        config(write_suite(tmp_path, document), strategies=("catalog",), sizes=(4,), positions=("end",)),
        tmp_path / "out",
        backend=backend,
    )
    assert cells(tmp_path / "out")[("catalog", 4)]["accuracy"] == "1.0000"
    assert all(r["skills_loaded"] == r["gold"] and r["recall"] == 1.0 for r in result.all_records)
    assert len(backend.history) == 2 * 3  # the catalog turn, then the turn with the skill loaded
    catalog_tokens = {r["injected_tokens"] for r in result.all_records}
    assert min(catalog_tokens) > 4 * 15  # the plain-text catalog is counted as injected text


def test_an_out_folder_is_bound_to_one_setup(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    sweep(config(suite, sizes=(1,)), tmp_path / "out", backend=FakeBackend())
    with pytest.raises(UsageError, match=r"holds a run with another setup \(differs in: k\)"):
        sweep(config(suite, sizes=(1,), k=5), tmp_path / "out", backend=FakeBackend())
    # The swept axes may change: more sizes extend the same run.
    result = sweep(config(suite, sizes=(1, 2)), tmp_path / "out", backend=FakeBackend())
    assert result.skipped == 3 * 3 * 5


def test_plan_refuses_sizes_beyond_the_pool(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path))
    with pytest.raises(UsageError, match=r"size 13 is larger than the suite's pool: tiny has 12 skills"):
        plan(suite, config(tmp_path / "suite.json", sizes=(4, 13)))


def test_plan_order_and_size(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, tiny_document(tasks=2)))
    specs = plan(suite, config(tmp_path / "suite.json", repeats=2, positions=("start", "end")))
    assert len(specs) == 2 * len(SIZES) * 2 * 2 * 5
    assert len({s.trial_id for s in specs}) == len(specs)
    assert [s.size for s in specs[:20]] == [1] * 20


def test_parallel_jobs_give_the_same_results(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    sweep(config(suite), tmp_path / "one", backend=FakeBackend(responder=within_first(LIMIT)))
    sweep(config(suite, jobs=4), tmp_path / "four", backend=FakeBackend(responder=within_first(LIMIT)))
    one, four = cells(tmp_path / "one"), cells(tmp_path / "four")
    assert one.keys() == four.keys()
    assert all((one[c]["n"], one[c]["passed"]) == (four[c]["n"], four[c]["passed"]) for c in one)


def test_the_fake_never_answers_when_nothing_is_in_context(tmp_path: Path) -> None:
    assert within_first(LIMIT)(Request(system="", task=tiny_document()["tasks"][0]["prompt"])) == UNKNOWN


def test_a_task_without_gold_skills_is_summarised_apart_with_what_each_strategy_injects(
    tmp_path: Path,
) -> None:
    document = tiny_document(no_skill_task=True)
    backend = FakeBackend(responder=lambda request: "56" if "7 times 8" in request.task else UNKNOWN)
    result = sweep(
        config(write_suite(tmp_path, document), strategies=("none", "oracle", "all"), sizes=(1, 4)),
        tmp_path / "out",
        backend=backend,
    )
    lines = [r for r in result.all_records if r["task"] == "sum"]
    assert lines and all(r["recall"] is None and r["gold"] == [] and r["passed"] for r in lines)
    assert {r["injected_tokens"] for r in lines if r["strategy"] != "all"} == {0}
    # Positions do not matter without a gold skill: one request per strategy and N.
    assert len({r["request_key"] for r in lines if r["strategy"] == "all" and r["size"] == 4}) == 1
    assert result.report is not None
    no_skill = {(c.strategy, c.size): c for c in result.report.cells if c.scope == "no-skill"}
    assert (no_skill[("all", 4)].n, no_skill[("all", 4)].trials) == (1, 3)
    assert no_skill[("all", 4)].mean_skills_injected == 4 and no_skill[("none", 4)].mean_injected_tokens == 0
    assert (no_skill[("all", 4)].mean_injected_tokens or 0) > 300
    gold = {(c.strategy, c.size): c for c in result.report.cells if c.scope == "gold"}
    assert gold[("none", 1)].n == 3  # the no-skill task is not mixed into the curve
    text = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert (
        "Tasks that need no skill" in text
        and "| fake:fake | all | 4 | 3 | 1 | 1.000 [0.207, 1.000] | 4.0 |" in text
    )


def test_identical_requests_are_one_observation_even_across_runs(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    backend = FakeBackend(responder=within_first(LIMIT))
    sweep(config(suite, strategies=("none",), sizes=(1, 2), repeats=2), tmp_path / "out", backend=backend)
    table = cells(tmp_path / "out")
    # 3 tasks x 3 positions x 2 repeats = 18 trials, but only 3 distinct requests were ever made.
    assert (table[("none", 2)]["trials"], table[("none", 2)]["n"]) == ("18", "3")
    assert len(backend.history) == 3


def test_threads_reach_the_backend_and_a_backend_without_them_is_told(tmp_path: Path) -> None:
    from skillpack.harness.runner import open_backend

    with pytest.raises(UsageError, match=r"the fake backend does not take `threads`"):
        open_backend(config(write_suite(tmp_path), threads=2))
    assert "threads" not in config(write_suite(tmp_path), threads=2).setup("x")


def test_the_routed_strategy_builds_its_router_once_per_sweep(tmp_path: Path) -> None:
    from skillpack import plugins
    from skillpack.hookspecs import Register, hookimpl
    from skillpack.routing.lexical import LexicalRouter

    built: list[object] = []

    class Counted(LexicalRouter):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            built.append(self)

    class CountedPlugin:
        @hookimpl
        def skillpack_register_routers(self, register: Register) -> None:
            register("counted", Counted)

    plugins.manager().add(CountedPlugin(), name="counted-plugin")
    try:
        result = sweep(
            config(
                write_suite(tmp_path), strategies=("routed",), router="counted", positions=("start", "end")
            ),
            tmp_path / "out",
            backend=FakeBackend(),
        )
    finally:
        plugins.manager().unregister(name="counted-plugin")
    assert result.planned > 1 and set(result.counts) == {"ok"}
    assert len(built) == 1
