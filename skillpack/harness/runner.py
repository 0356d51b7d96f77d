"""Run a sweep: every task x strategy x N x position x repeat, one model call per trial, resumably.

The out folder holds ``manifest.json`` (the configuration and its hash, seeds, versions),
``trials.jsonl`` (one line per trial, fsynced as it ends), ``cache/`` (model replies by content) and
``batches.json`` under ``--batch``. Running the same command again skips finished trials, answers
repeated calls from the cache and retries trials that errored. A trial whose context would not fit the
model's window is recorded as ``does_not_fit`` without calling the model, never dropped.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from skillpack.backends.base import Backend, Reply, Request
from skillpack.errors import BackendError, SkillpackError, UsageError
from skillpack.harness.cache import ReplyCache, request_key
from skillpack.harness.distractors import installed
from skillpack.harness.plan import Finish, Prepared, SweepConfig, TrialSpec, config_hash, plan
from skillpack.harness.report import Report, write_manifest, write_report
from skillpack.harness.strategies import Packs, build_prompt
from skillpack.harness.suite import Suite, load_suite
from skillpack.harness.trials import FINISHED, TrialLog, read_trials
from skillpack.plugins import get_router
from skillpack.routing.base import Router
from skillpack.tokens import count_tokens

#: Progress callback: ``progress(done, total, calls_done, calls_total)`` after every trial. Trials
#: finished earlier count as done from the start; ``calls_total`` (distinct model calls this run makes)
#: is 0 until every trial is prepared, then fixed, so the time left can be estimated from calls alone.
Progress = Callable[[int, int, int, int], None]


@dataclass
class RunResult:
    """What a run did: how many trials were planned, already done, run now, and how they ended."""

    out: Path
    planned: int
    skipped: int
    counts: dict[str, int] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    all_records: list[dict[str, Any]] = field(default_factory=list)
    report: Report | None = None


def prepare(
    suite: Suite,
    spec: TrialSpec,
    config: SweepConfig,
    backend_name: str,
    *,
    tools: bool = True,
    router: Router | None = None,
    packs: Packs | None = None,
) -> Prepared:
    """Build the trial's prompt and request and count its context tokens.

    ``tools=False``: the backend gets skills on demand as plain text, so that catalog is counted.
    ``router`` is the sweep's router, built once (default: built from ``config.router`` for this trial);
    ``packs`` the sweep's libraries, so a library installed again is routed over the same pack.
    """
    skills = installed(
        suite, spec.task, size=spec.size, position=spec.position, seed=config.seed + spec.repeat
    )
    gold = [suite.skill(name) for name in spec.task.gold]
    prompt = build_prompt(
        spec.strategy,
        task=spec.task.prompt,
        installed=skills,
        gold=gold,
        k=config.k,
        budget=config.budget,
        router=router or config.router,
        packs=packs,
    )
    if prompt.loadable and not tools:
        from dataclasses import replace

        from skillpack.backends import textload

        prompt = replace(prompt, catalog=textload.catalog(prompt.loadable))
    request = Request(
        system=prompt.system,
        task=spec.task.prompt,
        model=config.model,
        max_tokens=spec.task.max_tokens or config.max_tokens,
        temperature=0.0,
        loadable=prompt.loadable,
        max_turns=config.max_turns,
    )
    injected = count_tokens(prompt.system) + count_tokens(prompt.catalog)
    return Prepared(
        spec=spec,
        prompt=prompt,
        request=request,
        key=request_key(backend_name, config.model, request),
        context_tokens=injected + count_tokens(spec.task.prompt),
        injected_tokens=injected,
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def model_window(backend: Backend, configured: int | None) -> int | None:
    """Return the context window to check prompts against: ``--context-window``, else the backend's own."""
    if configured is not None:
        return configured
    window = backend.context_window
    return window if window is not None and window > 0 else None


def fits(prepared: Prepared, counter: Callable[[str], int], window: int | None) -> bool:
    """Return False when the prompt plus the longest answer cannot fit ``window`` tokens."""
    if window is None:
        return True
    text = "\n".join(
        p for p in (prepared.request.system, prepared.prompt.catalog, prepared.request.task) if p
    )
    return counter(text) + prepared.request.max_tokens <= window


def evaluate(spec: TrialSpec, output: str) -> tuple[bool | None, str | None]:
    """Return ``(passed, None)``, or ``(None, error)`` when the check itself fails."""
    from skillpack.plugins import get_check

    expect = spec.task.expect
    try:
        outcome = get_check(str(expect["check"]))(output, dict(expect))
    except Exception as exc:
        return None, f"check {expect['check']!r} failed on this answer: {type(exc).__name__}: {exc}"
    if not isinstance(outcome, bool):
        return None, f"check {expect['check']!r} returned {type(outcome).__name__}, not True or False"
    return outcome, None


def record(
    run_id: str,
    suite: Suite,
    prepared: Prepared,
    *,
    backend: str,
    model: str,
    reply: Reply | None = None,
    error: str | None = None,
    status: str = "ok",
    cache_hit: bool = False,
) -> dict[str, Any]:
    """Return the trial's ``trials.jsonl`` line (see schemas/trial.schema.json)."""
    spec = prepared.spec
    passed: bool | None = None
    if reply is not None and error is None:
        passed, check_error = evaluate(spec, reply.text)
        if check_error:
            status, error = "error", check_error
    seen = set(prepared.prompt.injected) | set(reply.loaded_skills if reply else ())
    recall = (
        None
        if status in ("does_not_fit", "unsupported") or not spec.task.gold
        else sum(g in seen for g in spec.task.gold) / len(spec.task.gold)
    )
    usage = reply.usage if reply else None
    return {
        "run_id": run_id,
        "trial_id": spec.trial_id,
        "suite": suite.name,
        "task": spec.task.id,
        "backend": backend,
        "model": model,
        "strategy": spec.strategy,
        "size": spec.size,
        "position": spec.position,
        "repeat": spec.repeat,
        "status": status,
        "passed": passed if status == "ok" else None,
        "error": error,
        "output": reply.text if reply else None,
        "context_tokens": prepared.context_tokens,
        "injected_tokens": prepared.injected_tokens,
        "request_key": prepared.key,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cache_read_tokens": usage.cache_read_tokens if usage else None,
        "skills_installed": spec.size,
        "skills_injected": list(prepared.prompt.injected),
        "skills_loaded": list(reply.loaded_skills) if reply else [],
        "gold": list(spec.task.gold),
        "recall": recall,
        "latency_s": round(reply.latency_s, 4) if reply else None,
        "cost_usd": usage.cost_usd if usage else None,
        "cache_hit": cache_hit,
        "started_at": prepared.started_at,
    }


def call(backend: Backend, request: Request) -> Reply:
    """Call the backend, timing the call when the backend does not.

    Skills on demand (``catalog``) go through the backend's own ``load_skill`` loop when it declares
    one (``loads_skills``), else through the plain-text protocol of ``skillpack.backends.textload``.
    """
    started = time.monotonic()
    if request.loadable and not backend.loads_skills:
        from skillpack.backends import textload

        reply = textload.generate(backend, request)
    else:
        reply = backend.generate(request)
    if reply.latency_s <= 0:
        reply = _with_latency(reply, time.monotonic() - started)
    return reply


def _with_latency(reply: Reply, latency: float) -> Reply:
    from dataclasses import replace

    return replace(reply, latency_s=latency)


def bind_out(out: Path, setup: dict[str, Any]) -> None:
    """Refuse an out folder that holds a run of another setup (other suite, model, k, budget ...)."""
    manifest = out / "manifest.json"
    if not manifest.is_file():
        return
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8")).get("setup")
    except (OSError, ValueError):
        return
    if previous is not None and previous != setup:
        changed = sorted(k for k in set(previous) | set(setup) if previous.get(k) != setup.get(k))
        raise UsageError(
            f"{out} holds a run with another setup (differs in: {', '.join(changed)}); its trials would not be"
            " comparable — give another `out` folder, or the same options as before"
        )


def open_backend(config: SweepConfig) -> Backend:
    """Build the configured backend through the plugin registry; threads go to one that declares them."""
    from skillpack.plugins import backend_class, get_backend

    if config.threads is None:
        return get_backend(config.backend, model=config.model)
    if not backend_class(config.backend).supports_threads:
        raise UsageError(
            f"the {config.backend} backend does not take `threads` (it runs no model on this CPU) — drop `threads`"
        )
    return get_backend(config.backend, model=config.model, threads=config.threads)


def run_sweep(
    config: SweepConfig,
    out: Path,
    *,
    backend: Backend | None = None,
    progress: Progress | None = None,
    argv: list[str] | None = None,
    draw: bool = True,
) -> RunResult:
    """Run (or resume) the sweep into ``out``; return what was run. See the module docstring.

    ``backend`` overrides the configured one (tests pass a scripted fake); ``draw=False`` skips the plot.
    """
    suite = load_suite(config.suite)
    specs = plan(suite, config)
    setup = config.setup(suite.sha256)
    bind_out(out, setup)
    backend = backend if backend is not None else open_backend(config)
    if config.batch and not backend.supports_batches:
        # Refused before anything is written.
        raise UsageError(
            f"`batch` needs a backend that declares supports_batches; the {config.backend} backend does not"
            " — use `backend` anthropic"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SkillpackError(f"{out}: cannot create the out folder: {exc.strerror or exc}") from exc
    # Trials carry the registered name the user chose, which may differ from ``backend.name``.
    backend_name = config.backend
    model = str(config.model or backend.model or backend_name)
    window = model_window(backend, config.context_window)
    counter = backend.count_tokens
    tools = backend.loads_skills
    # One router for the whole sweep: it is built (and its settings read) once, not once per trial.
    router = get_router(config.router) if "routed" in config.strategies else None
    packs = Packs()
    run_id = config_hash(setup)[:12]
    started = time.monotonic()
    session = {
        "id": secrets.token_hex(4),
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    # The manifest is written when the run starts and again when it ends; only its status and session change.
    manifest = functools.partial(
        write_manifest, out, config, suite, setup, run_id=run_id, model=model, window=window, argv=argv
    )
    manifest(status="running", session=session)
    trials_path = out / "trials.jsonl"
    previous = read_trials(trials_path)
    pending = [s for s in specs if previous.get(s.trial_id, {}).get("status") not in FINISHED]
    result = RunResult(out=out, planned=len(specs), skipped=len(specs) - len(pending))
    cache = ReplyCache(out / "cache")
    done = result.skipped
    calls = [0, 0]  # done, total
    if progress:
        progress(done, len(specs), 0, 0)
    with TrialLog(trials_path) as log:

        def finish(line: dict[str, Any]) -> None:
            nonlocal done
            log.append(line)
            result.records.append(line)
            result.counts[line["status"]] = result.counts.get(line["status"], 0) + 1
            done += 1
            if progress:
                progress(done, len(specs), calls[0], calls[1])

        def outcome(item: Prepared, reply: Reply | None, error: str | None, cache_hit: bool) -> None:
            if not cache_hit:
                calls[0] += 1
            status = "error" if error else "ok"
            line = record(
                run_id,
                suite,
                item,
                backend=backend_name,
                model=model,
                reply=reply,
                error=error,
                status=status,
                cache_hit=cache_hit,
            )
            finish(line)

        to_call: list[Prepared] = []
        for spec in pending:
            prepared = prepare(suite, spec, config, backend_name, tools=tools, router=router, packs=packs)
            if not fits(prepared, counter, window):
                finish(
                    record(run_id, suite, prepared, backend=backend_name, model=model, status="does_not_fit")
                )
            elif (cached := cache.get(prepared.key)) is not None:
                outcome(prepared, cached, None, True)
            else:
                to_call.append(prepared)
        calls[1] = len({item.key for item in to_call})
        if progress:
            progress(done, len(specs), 0, calls[1])
        if config.batch:
            to_call = _call_batches(out, to_call, backend, cache, outcome)
        _call_all(to_call, backend, config, cache, outcome)
    all_records = read_trials(trials_path)
    current = [all_records[s.trial_id] for s in specs if s.trial_id in all_records]
    result.all_records = current
    result.report = write_report(out, current, config, suite=suite.name, draw=draw)
    incomplete = sum(r["status"] not in FINISHED for r in current) + (len(specs) - len(current))
    manifest(
        status="complete" if not incomplete else "incomplete",
        session={
            **session,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "wall_s": round(time.monotonic() - started, 1),
            "trials_run": sum(result.counts.values()),
            "model_calls": calls[0],
        },
    )
    return result


def _call_all(
    prepared: list[Prepared],
    backend: Any,
    config: SweepConfig,
    cache: ReplyCache,
    finish: Finish,
) -> None:
    """Call the model for every prepared trial, ``config.jobs`` at a time; same requests run once.

    Calls go task by task, N ascending: consecutive requests then share long prefixes (at the start
    and end positions a larger N extends a smaller one), which a local model's prompt cache and an
    API's prompt caching reuse. The order changes no request, only how fast they are answered.
    """
    by_key: dict[str, list[Prepared]] = {}
    for item in sorted(prepared, key=_call_order):
        by_key.setdefault(item.key, []).append(item)
    failures_in_a_row = 0
    last_error: str | None = None
    stop: list[bool] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, config.jobs)) as pool:
        for key, reply, error in _results(pool, by_key, backend, max(1, config.jobs), stop):
            if reply is not None:
                cache.put(key, reply)
                failures_in_a_row = 0
            else:
                failures_in_a_row += 1
                last_error = error
            for index, item in enumerate(by_key[key]):
                finish(item, reply, error, index > 0 and reply is not None)
            if config.stop_after_errors and failures_in_a_row >= config.stop_after_errors:
                stop.append(True)  # submit nothing more; calls already running are still recorded
    if stop:
        raise BackendError(
            f"stopped after {config.stop_after_errors} model calls in a row failed; the last: {last_error} — fix"
            " the cause and run the same command again (finished trials are kept, failed ones retried)"
        )


def _call_batches(
    out: Path, prepared: list[Prepared], backend: Backend, cache: ReplyCache, finish: Finish
) -> list[Prepared]:
    """Answer every single-turn trial through the backend's batch API; return the trials left to call.

    Trials that offer skills on demand need a tool loop, which one batch entry cannot run. Replies are
    cached by content key exactly as synchronous calls are, so a rerun answers them from the cache.
    """
    synchronous = [p for p in prepared if p.request.loadable]
    by_key: dict[str, list[Prepared]] = {}
    for item in prepared:
        if not item.request.loadable:
            by_key.setdefault(item.key, []).append(item)
    requests = {key: items[0].request for key, items in by_key.items()}
    for key, reply, error in backend.answer_batch(requests, state_dir=out):
        if reply is not None:
            cache.put(key, reply)
        for index, item in enumerate(by_key.get(key, ())):
            finish(item, reply, error, index > 0 and reply is not None)
    return synchronous


def _call_order(item: Prepared) -> tuple[int, str, str, int]:
    spec = item.spec
    return spec.repeat, spec.task.id, spec.position, spec.size


def _results(
    pool: concurrent.futures.ThreadPoolExecutor,
    by_key: dict[str, list[Prepared]],
    backend: Any,
    window: int,
    stop: list[bool],
) -> Iterator[tuple[str, Reply | None, str | None]]:
    """Yield ``(key, reply, error)`` as calls finish, keeping at most ``2 * window`` in flight.

    Once ``stop`` is non-empty no new call starts; the running ones are still yielded. An interrupt
    (Ctrl-C, or a ``KeyboardInterrupt`` raised inside a call) stops new calls too, and is raised only
    after every reply that arrives from the calls already running has been yielded (and so cached):
    the pool waits for those calls anyway, and a reply paid for must never be paid for twice.
    """
    keys = iter(by_key)
    running: dict[concurrent.futures.Future[Reply], str] = {}
    interrupted: BaseException | None = None

    def submit_next() -> None:
        key = None if stop else next(keys, None)
        if key is not None:
            running[pool.submit(call, backend, by_key[key][0].request)] = key

    for _ in range(2 * window):
        submit_next()
    while running:
        try:
            finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
        except BaseException as exc:  # Ctrl-C while waiting; a second one stops the wait itself
            if interrupted is not None:
                raise
            interrupted = exc
            stop.append(True)
            continue
        for future in finished:
            key = running.pop(future)
            error = future.exception()
            if error is None:
                yield key, future.result(), None
            elif isinstance(error, SkillpackError):
                yield key, None, str(error)
            elif isinstance(error, Exception):  # a backend bug must not lose the trials already run
                yield key, None, f"{type(error).__name__}: {error}"
            elif interrupted is None:
                interrupted = error
                stop.append(True)
            submit_next()
    if interrupted is not None:
        raise interrupted
