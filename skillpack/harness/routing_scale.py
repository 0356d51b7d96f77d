"""Router-only scale curve: does selection hold at thousands of installed skills? No model needed.

For each size N and task, the N skills the bench would install are installed (the gold skills in
the middle of their look-alikes first, then the rest of the pool, drawn per task and seed: see
``skillpack.harness.distractors``) and the task is routed exactly as the bench's ``routed`` strategy
does (``select`` with ``k``, ``budget`` and the router, over one pack per distinct library: see
``skillpack.harness.strategies.Packs``). Measured per N: the share of gold skills in the selection
(recall), skills and tokens injected per task, the median time of a first route on a library not routed
before (it builds the router's index) and the median time of a route once the index is built. Tasks
without a gold skill are reported apart: the share of them for which nothing is injected, and what is
injected on average. A size smaller than a task's gold skills is taken as the gold skills alone.

Grow the pool with the suite's generator (``python benchmarks/make_facts_suite.py --entities 834``
gives 10,008 skills) to take N to 10,000.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from skillpack.errors import UsageError
from skillpack.harness.distractors import installed
from skillpack.harness.scoring import mean
from skillpack.harness.strategies import Packs
from skillpack.harness.suite import Suite, Task
from skillpack.tokens import count_tokens


@dataclass(frozen=True, slots=True)
class ScalePoint:
    """What the router did at one library size N."""

    size: int
    tasks: int
    recall: float | None
    mean_skills_injected: float | None
    mean_injected_tokens: float | None
    median_build_s: float | None
    median_route_s: float | None
    no_skill_tasks: int = 0
    no_skill_abstained: float | None = None
    no_skill_injected_tokens: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def measure(
    suite: Suite,
    tasks: Sequence[Task],
    sizes: Sequence[int],
    *,
    k: int,
    budget: int | None,
    router: str,
    seed: int = 0,
) -> list[ScalePoint]:
    """Route every task at every size; return one point per size (see the module docstring)."""
    from skillpack.selection import select

    packs = Packs()
    points = []
    for size in sorted(set(sizes)):
        if size > len(suite.skills):
            raise UsageError(
                f"size {size} is larger than the suite's pool: {suite.name} has {len(suite.skills)} skills — grow"
                " the pool with the suite's generator (e.g. benchmarks/make_facts_suite.py --entities 834)"
            )
        recalls: list[float] = []
        injected: list[float] = []
        tokens: list[float] = []
        abstained: list[float] = []
        open_tokens: list[float] = []
        times: list[float] = []
        builds: list[float] = []
        for task in tasks:
            built = packs.built
            pack = packs.pack(
                installed(suite, task, size=max(size, len(task.gold)), position="middle", seed=seed)
            )
            # The first route on a new pack builds the index, the second reuses it; a pack routed
            # before (a size below the task's gold count gives the same library) has nothing to build.
            for timings in (builds if packs.built > built else times, times):
                started = time.perf_counter()
                selection = select(pack, task.prompt, k=k, budget=budget, router=router, format="xml")
                timings.append(time.perf_counter() - started)
            names = {s.name for s in selection.skills}
            injected_tokens = float(count_tokens(selection.render("xml")))
            if task.gold:
                recalls.append(sum(g in names for g in task.gold) / len(task.gold))
                injected.append(float(len(names)))
                tokens.append(injected_tokens)
            else:
                abstained.append(float(not names))
                open_tokens.append(injected_tokens)
        points.append(
            ScalePoint(
                size=size,
                tasks=len(recalls),
                recall=mean(recalls),
                mean_skills_injected=mean(injected),
                mean_injected_tokens=mean(tokens),
                median_build_s=statistics.median(builds) if builds else None,
                median_route_s=statistics.median(times) if times else None,
                no_skill_tasks=len(abstained),
                no_skill_abstained=mean(abstained),
                no_skill_injected_tokens=mean(open_tokens),
            )
        )
    return points


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def markdown(points: Sequence[ScalePoint], *, title: str) -> str:
    """Return the scale curve as a Markdown table under ``title``."""
    lines = [
        f"# {title}",
        "",
        "| N installed | tasks | recall of gold | skills injected | tokens injected | first route s (builds the index)"
        " | median s per route | no-skill tasks | abstained | tokens injected (no-skill) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        lines.append(
            f"| {p.size:,} | {p.tasks} | {_number(p.recall, 3)} | {_number(p.mean_skills_injected, 2)} |"
            f" {_number(p.mean_injected_tokens, 0)} | {_number(p.median_build_s, 3)} | {_number(p.median_route_s, 4)} |"
            f" {p.no_skill_tasks} | {_number(p.no_skill_abstained, 2)} | {_number(p.no_skill_injected_tokens, 0)} |"
        )
    return "\n".join(lines) + "\n"
