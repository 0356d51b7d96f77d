"""Time the bench's routing work end to end: ``bench --router-only`` and a routed sweep with the fake backend.

Usage::

    python benchmarks/sweep_packs.py [--suite office-facts] [--sizes 1,10,100,300] [--repeats 3]
                                     [--out benchmarks/out/sweep-packs]

Each run is a whole ``skillpack bench`` command in a new process with an empty cache folder
(``SKILLPACK_CACHE`` pointing at a fresh folder), so every router index and calibration is built,
none is read from a previous run. Two commands are timed:

- ``router_only``: ``skillpack bench SUITE --router-only --sizes SIZES``;
- ``fake_sweep``: ``skillpack bench SUITE --backend fake --strategies routed --sizes SIZES --no-plot``
  (all three gold positions, so each task and size routes three orderings of one library).

Reported per command, as the median over ``--repeats`` runs: wall-clock seconds and the child process's
CPU seconds (user + system; on a shared machine the wall clock also counts waiting for a core). The
load average before and after is printed with the JSON result.
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
import tempfile
import time
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "sweep-packs"


def commands(suite: str, sizes: str, out: Path) -> dict[str, list[str]]:
    """Return the two timed commands, each writing under its own folder in ``out``."""
    cli = [sys.executable, "-c", "from skillpack.cli.main import main; main()", "bench", suite]
    return {
        "router_only": [*cli, "--router-only", "--sizes", sizes, "--out", str(out / "router-only")],
        "fake_sweep": [
            *cli,
            "--backend",
            "fake",
            "--strategies",
            "routed",
            "--sizes",
            sizes,
            "--no-plot",
            "--no-progress",
            "--out",
            str(out / "fake-sweep"),
        ],
    }


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` once; return its wall-clock and CPU seconds (it must exit 0)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="office-facts")
    parser.add_argument("--sizes", default="1,10,100,300")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    load_before = os.getloadavg()
    results: dict[str, dict[str, float]] = {}
    for name in ("router_only", "fake_sweep"):
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(args.repeats):
            # A fresh out folder (a sweep would resume) and a fresh cache (nothing built before).
            shutil.rmtree(args.out, ignore_errors=True)
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "SKILLPACK_CACHE": cache}
                wall, cpu = timed(commands(args.suite, args.sizes, args.out)[name], env)
            walls.append(wall)
            cpus.append(cpu)
        results[name] = {
            "median_wall_s": round(statistics.median(walls), 2),
            "median_cpu_s": round(statistics.median(cpus), 2),
            "runs": args.repeats,
        }
    print(
        json.dumps(
            {
                "suite": args.suite,
                "sizes": args.sizes,
                "results": results,
                "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in os.getloadavg()],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
