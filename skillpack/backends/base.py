"""The model-backend protocol: send an assembled context and a task to a model, get an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from skillpack.skill import Skill


@dataclass(frozen=True, slots=True)
class Usage:
    """What one or more model calls consumed. ``cost_usd`` is None when the price is unknown."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None

    def __add__(self, other: Usage) -> Usage:
        cost = (
            None
            if self.cost_usd is None and other.cost_usd is None
            else (self.cost_usd or 0) + (other.cost_usd or 0)
        )
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            cost,
        )


@dataclass(frozen=True, slots=True)
class Request:
    """One task for a model.

    ``system`` holds the assembled skills (a stable prefix, so prompt caches hit); ``loadable`` are the
    skills the model may still pull on demand through a ``load_skill`` tool (empty: no tool offered).
    """

    system: str
    task: str
    model: str | None = None
    max_tokens: int = 1024
    temperature: float = 0.0
    loadable: tuple[Skill, ...] = ()
    max_turns: int = 4


@dataclass(frozen=True, slots=True)
class Reply:
    """A model's final answer and what it took to get it."""

    text: str
    model: str
    backend: str
    usage: Usage = field(default_factory=Usage)
    loaded_skills: tuple[str, ...] = ()
    turns: int = 1
    stop_reason: str = ""
    latency_s: float = 0.0


@runtime_checkable
class Backend(Protocol):
    """A model behind one method. Raise ``BackendError`` (skillpack.errors) with a clear message on failure."""

    name: str

    def generate(self, request: Request) -> Reply:
        """Answer ``request``, running any tool loop to its end within ``request.max_turns``."""
        ...
