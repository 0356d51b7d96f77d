"""What a sweep is: its configuration, the trials it plans, and a trial made ready for the model.

``SweepConfig`` defines a sweep (``setup()`` is what an out folder is bound to, ``config_hash`` names
it), ``plan`` lists its trials in run order, and ``Prepared`` is one trial with its request built; the
runner, the report and the batch path all speak these types.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from skillpack.backends.base import Reply, Request
from skillpack.errors import UsageError
from skillpack.harness.distractors import POSITIONS
from skillpack.harness.strategies import STRATEGIES, Prompt, check_strategies
from skillpack.harness.suite import Suite, Task

DEFAULT_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class SweepConfig:
    """Everything that defines a sweep. ``setup()`` is the part an out folder is bound to."""

    suite: str
    backend: str
    model: str | None = None
    strategies: tuple[str, ...] = STRATEGIES
    sizes: tuple[int, ...] = DEFAULT_SIZES
    positions: tuple[str, ...] = POSITIONS
    repeats: int = 1
    seed: int = 0
    k: int = 3
    budget: int | None = None
    router: str = "lexical"
    max_tokens: int = 64
    max_turns: int = 4
    context_window: int | None = None
    tasks: tuple[str, ...] = ()
    limit: int | None = None
    jobs: int = 1
    batch: bool = False
    stop_after_errors: int = 5
    #: CPU threads of a local backend (prompt and generation); None: the backend's default. Not part
    #: of ``setup()``: it changes the speed, not the answers.
    threads: int | None = None

    def setup(self, suite_sha256: str) -> dict[str, Any]:
        """Return what every trial in one out folder must share (not the swept axes)."""
        return {
            "suite_sha256": suite_sha256,
            "backend": self.backend,
            "model": self.model,
            "seed": self.seed,
            "k": self.k,
            "budget": self.budget,
            "router": self.router,
            "max_tokens": self.max_tokens,
            "max_turns": self.max_turns,
            "context_window": self.context_window,
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data


def config_hash(data: dict[str, Any]) -> str:
    """Return the SHA-256 of ``data`` as canonical JSON."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TrialSpec:
    """One planned trial."""

    task: Task
    strategy: str
    size: int
    position: str
    repeat: int

    @property
    def trial_id(self) -> str:
        return f"{self.task.id}|{self.strategy}|n{self.size}|{self.position}|r{self.repeat}"


@dataclass
class Prepared:
    """A trial ready to run: its request, cache key and what was measured before calling the model."""

    spec: TrialSpec
    prompt: Prompt
    request: Request
    key: str
    context_tokens: int
    injected_tokens: int
    started_at: str


def plan(suite: Suite, config: SweepConfig) -> list[TrialSpec]:
    """Return the trials of the sweep in run order (repeat, size, task, position, strategy)."""
    check_strategies(config.strategies)
    if config.repeats < 1:
        raise UsageError(f"repeats must be at least 1 (got {config.repeats})")
    for position in config.positions:
        if position not in POSITIONS:
            raise UsageError(f"unknown position {position!r}; choose from: {', '.join(POSITIONS)}")
    tasks = [suite.task(task_id) for task_id in config.tasks] if config.tasks else list(suite.tasks)
    if config.limit is not None:
        tasks = tasks[: config.limit]
    largest_gold = max(len(t.gold) for t in tasks)
    for size in config.sizes:
        if size > len(suite.skills):
            raise UsageError(
                f"size {size} is larger than the suite's pool: {suite.name} has {len(suite.skills)} skills"
                f" — use sizes up to {len(suite.skills)}"
            )
        if size < largest_gold:
            raise UsageError(
                f"size {size} cannot hold a task's {largest_gold} gold skills — use sizes >= {largest_gold}"
            )
    return [
        TrialSpec(task, strategy, size, position, repeat)
        for repeat in range(config.repeats)
        for size in sorted(set(config.sizes))
        for task in tasks
        for position in config.positions
        for strategy in config.strategies
    ]


#: ``finish(prepared, reply, error, cache_hit)`` records one trial's outcome.
Finish = Callable[[Prepared, "Reply | None", "str | None", bool], None]
