"""Measure the lexical router's speed and memory on generated libraries of 200, 1,000 and 10,000 skills.

Usage::

    python benchmarks/routing_speed.py [--out benchmarks/out/speed] [--repeats 5] [--sizes 200,1000,10000]

The libraries are generated deterministically (a fixed seed; words drawn with a Zipf-like distribution
from a fixed synthetic vocabulary, so posting lists have realistic lengths) and written as skill folders
under ``--out``. For each size it reports, as the median over ``--repeats`` runs:

- ``build_s``: building the lexical index in memory from the loaded skills (nothing read from disk);
- ``p50_ms`` / ``p95_ms``: per-query routing time over 200 generated tasks (k=10, index already built);
- ``index_mb``: memory the built index holds (tracemalloc, allocations still live after the build);

Each time is given twice: wall clock, and the process's CPU time (``*_cpu``). On a shared machine the
wall clock also counts time spent waiting for a core; the CPU time is what the work itself costs.

and, for 1,000 skills, ``route_s``: wall time of the whole ``skillpack --only -p LIB route TASK`` command
(process start, imports, discovery, loading the persisted index, routing, counting tokens, printing),
a different task each run, after one warm-up run (``route_first_s``, with an empty cache) that
persists the index, the parsed manifests and the token counts. Results are printed as JSON, with
the load average before and after.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import yaml

from skillpack.registry import SkillPack
from skillpack.routing.lexical import LexicalRouter, LexicalSettings, build_index

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "speed"
SEED = 20261128
SYLLABLES = (
    "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro"
)


def vocabulary(size: int = 6000) -> list[str]:
    rng = random.Random(SEED)
    parts = SYLLABLES.split()
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(parts) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


def sampler(words: list[str], rng: random.Random) -> list[str]:
    weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(words))]
    return rng.choices(words, weights=weights, k=100_000)


def generate(folder: Path, count: int) -> None:
    """Write ``count`` skill folders under ``folder`` (deterministic for a given count)."""
    rng = random.Random(SEED + count)
    words = vocabulary()
    stream = iter(sampler(words, rng) * 100)

    def sentence(n: int) -> str:
        return " ".join(next(stream) for _ in range(n)).capitalize() + "."

    folder.mkdir(parents=True)
    for number in range(count):
        name = f"{rng.choice(words)}-{rng.choice(words)}-{number}"
        manifest = {
            "name": name,
            "description": sentence(rng.randint(15, 35)),
            "when_to_use": sentence(rng.randint(8, 20)),
            "when_not_to_use": sentence(rng.randint(5, 12)),
            "tags": list(dict.fromkeys(rng.choice(words[:400]) for _ in range(3))),
            "examples": [sentence(rng.randint(6, 14)) for _ in range(3)],
        }
        (folder / name).mkdir()
        (folder / name / "skill.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        (folder / name / "instructions.md").write_text(f"# {name}\n\n{sentence(40)}\n", encoding="utf-8")


def tasks(count: int = 200) -> list[str]:
    rng = random.Random(SEED - 1)
    words = vocabulary()
    stream = sampler(words, rng)
    return [" ".join(stream[i * 15 : i * 15 + rng.randint(6, 15)]) for i in range(count)]


def measure_library(library: Path, repeats: int) -> dict[str, float]:
    pack = SkillPack.from_paths([library])
    skills = pack.skills
    settings = LexicalSettings()
    builds, builds_cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        build_index(skills, settings)
        builds.append(time.perf_counter() - start)
        builds_cpu.append(time.process_time() - start_cpu)
    gc.collect()
    tracemalloc.start()
    index = build_index(skills, settings)
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index
    router = LexicalRouter(persist=False)
    router.prepare(pack)
    queries = tasks()
    p50s, p95s, p50s_cpu = [], [], []
    for _ in range(repeats):
        times, times_cpu = [], []
        for task in queries:
            start, start_cpu = time.perf_counter(), time.process_time()
            router.rank(task, pack, k=10)
            times.append((time.perf_counter() - start) * 1000)
            times_cpu.append((time.process_time() - start_cpu) * 1000)
        times.sort()
        p50s.append(statistics.median(times))
        p95s.append(times[int(0.95 * len(times)) - 1])
        p50s_cpu.append(statistics.median(times_cpu))
    return {
        "skills": len(pack),
        "build_s": round(statistics.median(builds), 4),
        "build_s_cpu": round(statistics.median(builds_cpu), 4),
        "p50_ms": round(statistics.median(p50s), 3),
        "p50_ms_cpu": round(statistics.median(p50s_cpu), 3),
        "p95_ms": round(statistics.median(p95s), 3),
        "index_mb": round(held / 2**20, 1),
    }


def measure_route(library: Path, cache: Path, repeats: int) -> dict[str, float]:
    """Time ``skillpack route`` in new processes: once cold (empty cache), then ``repeats`` times warm.

    Every warm run routes a different task, so nothing task-specific can come from a cache: what is
    reused is what any later call reuses (the persisted index, parsed manifests, token counts).
    """
    env = {**os.environ, "SKILLPACK_CACHE": str(cache)}
    queries = tasks(repeats + 1)

    def launcher(task: str) -> list[str]:
        arguments = ["--only", "-p", str(library), "route", task]
        return [sys.executable, "-c", "from skillpack.cli.main import main; main()", *arguments]

    start = time.perf_counter()
    warm = subprocess.run(launcher(queries[0]), env=env, capture_output=True, text=True)  # fills the cache
    first = time.perf_counter() - start
    if warm.returncode != 0:
        raise SystemExit(f"skillpack route failed ({warm.returncode}): {warm.stderr.strip()}")
    walls, cpus = [], []
    for task in queries[1:]:
        before = os.times()
        start = time.perf_counter()
        subprocess.run(launcher(task), env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            after.children_user + after.children_system - before.children_user - before.children_system
        )
    return {
        "route_first_s": round(first, 3),
        "route_s": round(statistics.median(walls), 3),
        "route_s_cpu": round(statistics.median(cpus), 3),
        "route_runs": repeats,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="200,1000,10000")
    args = parser.parse_args(argv)
    load_before = [round(x, 2) for x in os.getloadavg()]
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        library = args.out / f"lib-{size}"
        if not library.is_dir():
            staging = args.out / f".lib-{size}-partial"
            shutil.rmtree(staging, ignore_errors=True)
            generate(staging, size)
            os.replace(staging, library)
        row = measure_library(library, args.repeats)
        if size == 1000:
            cache = args.out / "cache"
            shutil.rmtree(cache, ignore_errors=True)
            row.update(measure_route(library, cache, args.repeats))
        results.append(row)
        print(json.dumps(row), flush=True)
    summary = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
