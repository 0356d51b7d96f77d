"""Measure ``skillpack serve`` over stdio and ``skillpack hook claude-code``, as an agent host feels them.

Usage::

    python benchmarks/mcp_latency.py [--out benchmarks/out/mcp] [--sizes 200,4000] [--calls 200]

For each library size (generated deterministically by ``routing_speed.generate``, written under
``--out``), with a cache folder of its own:

- ``start_s``: spawning ``skillpack --only -p LIB serve`` until the SDK's stdio client has finished the
  protocol handshake (median of ``--starts`` fresh processes; the first one, with an empty cache, is
  reported apart as ``start_first_s``);
- ``first_call_ms``: the first ``find_skills`` round trip of a server (it builds or loads the index);
- ``p50_ms`` / ``p95_ms``: ``find_skills`` round trips over stdio once warm, ``--calls`` different
  generated tasks, one call in flight at a time, timed in the client around ``call_tool``;
- ``hook_p50_ms`` / ``hook_p95_ms``: wall time of one ``skillpack --only -p LIB hook claude-code``
  process per prompt (start, imports, routing, printing), ``--prompts`` different prompts, after one
  warm-up run; ``hook_p50_ms_cpu`` is the median CPU time (user + system) of those processes, which on a
  shared machine shows the cost apart from the wait for a core.

Results are printed as JSON with the load average before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_speed import generate, tasks

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "mcp"
CLI = [sys.executable, "-c", "from skillpack.cli.main import main; main()"]


def environment(cache: Path, home: Path) -> dict[str, str]:
    keep = {key: value for key, value in os.environ.items() if key in ("PATH", "LANG", "LC_ALL")}
    return {**keep, "HOME": str(home), "SKILLPACK_CACHE": str(cache), "SKILLPACK_HOME": str(home / "skills")}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(fraction * len(ordered)) - 1)]


async def serve_once(library: Path, env: dict[str, str], queries: list[str]) -> dict[str, Any]:
    """Start one server, time the handshake, the first call and then each warm call."""
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=CLI[0], args=[*CLI[1:], "--only", "-p", str(library), "serve"], env=env
    )
    started = time.perf_counter()
    async with Client(params, read_timeout_seconds=600) as client:
        start_s = time.perf_counter() - started
        if not queries:
            return {"start_s": start_s}
        begin = time.perf_counter()
        first = await client.call_tool("find_skills", {"task": queries[0]})
        first_ms = (time.perf_counter() - begin) * 1000
        assert not first.is_error, first
        times = []
        for task in queries[1:]:
            begin = time.perf_counter()
            result = await client.call_tool("find_skills", {"task": task})
            times.append((time.perf_counter() - begin) * 1000)
            assert not result.is_error, result
    return {"start_s": start_s, "first_call_ms": first_ms, "times": times}


def hook_times(library: Path, env: dict[str, str], prompts: list[str]) -> tuple[list[float], list[float]]:
    """Run the hook once per prompt (after one warm-up); return each process's wall and CPU time in ms."""
    times, cpu = [], []
    for number, prompt in enumerate(prompts):
        payload = json.dumps(
            {
                "session_id": f"bench-{number}",
                "transcript_path": "/tmp/bench.jsonl",
                "cwd": str(library),
                "permission_mode": "default",
                "hook_event_name": "UserPromptSubmit",
                "prompt": prompt,
            }
        ).encode()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        begin = time.perf_counter()
        done = subprocess.run(
            [*CLI, "--only", "-p", str(library), "hook", "claude-code"],
            input=payload,
            capture_output=True,
            env=env,
            timeout=600,
            check=True,
        )
        elapsed = (time.perf_counter() - begin) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
        if number:  # the first run is the warm-up
            times.append(elapsed)
            cpu.append(used)
        assert done.stdout == b"" or json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    return times, cpu


def measure(out: Path, size: int, calls: int, starts: int, prompts: int) -> dict[str, Any]:
    import anyio

    library = out / f"lib-{size}"
    if not library.is_dir():
        generate(library, size)
    cache, home = out / f"cache-{size}", out / "home"
    shutil.rmtree(cache, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    env = environment(cache, home)
    queries = tasks(calls + 1)
    warm = anyio.run(serve_once, library, env, queries)
    first_start = warm["start_s"]
    start_times = [anyio.run(serve_once, library, env, [])["start_s"] for _ in range(starts)]
    hooks, hooks_cpu = hook_times(library, env, tasks(prompts + 1))
    return {
        "skills": size,
        "start_first_s": round(first_start, 3),
        "start_s": round(statistics.median(start_times), 3),
        "first_call_ms": round(warm["first_call_ms"], 1),
        "p50_ms": round(statistics.median(warm["times"]), 2),
        "p95_ms": round(percentile(warm["times"], 0.95), 2),
        "calls": len(warm["times"]),
        "hook_p50_ms": round(statistics.median(hooks), 1),
        "hook_p95_ms": round(percentile(hooks, 0.95), 1),
        "hook_p50_ms_cpu": round(statistics.median(hooks_cpu), 1),
        "hook_prompts": len(hooks),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--sizes", default="200,4000")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--prompts", type=int, default=20)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    results = [
        measure(args.out, int(size), args.calls, args.starts, args.prompts) for size in args.sizes.split(",")
    ]
    report = {"load_before": load_before, "load_after": os.getloadavg(), "results": results}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
