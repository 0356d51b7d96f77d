"""The model-backend protocol: send an assembled context and a task to a model, get an answer."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from skillpack.context import catalog_entry as context_catalog_entry
from skillpack.context import catalog_frame, render_catalog

if TYPE_CHECKING:
    from pathlib import Path

    from skillpack.skill import Skill

#: The tool through which a model pulls a skill listed in the catalog of ``Request.loadable``.
LOAD_TOOL = "load_skill"


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

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping; ``cost_usd`` is None when the price is unknown."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost_usd": self.cost_usd,
        }


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
    #: Names of the skills already in ``system`` (the router's choice), so a model asking to load one
    #: of them is told it is in the context rather than that no such skill exists.
    in_context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """A model's final answer and what it took to get it.

    ``loaded_skills`` are the skills the model pulled through ``load_skill``, in order; ``notes`` are
    things the caller should know (a refused tool request, an answer cut at ``max_tokens``, an unknown
    price).
    """

    text: str
    model: str
    backend: str
    usage: Usage = field(default_factory=Usage)
    loaded_skills: tuple[str, ...] = ()
    turns: int = 1
    stop_reason: str = ""
    latency_s: float = 0.0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping (the answer, model, usage, cost and notes)."""
        return {
            "text": self.text,
            "model": self.model,
            "backend": self.backend,
            "usage": self.usage.to_dict(),
            "loaded_skills": list(self.loaded_skills),
            "turns": self.turns,
            "stop_reason": self.stop_reason,
            "latency_s": round(self.latency_s, 3),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a backend sends a model for a request's first turn: the system text, tools and task.

    Dry runs ask the backend's class (``Backend.prompt``), so what they show is what the backend builds.
    """

    system: str
    task: str
    tools: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping: the system text, the tools (as sent) and the task."""
        return {"system": self.system, "tools": list(self.tools), "task": self.task}


def plain_prompt(request: Request) -> Prompt:
    """Return the prompt of a backend that sends the assembled skills as they are and offers no tool."""
    return Prompt(system=request.system, task=request.task)


class Backend(abc.ABC):
    """A model behind one method; what it can do is declared as class attributes, never guessed.

    Subclass it, set ``name`` and the capabilities that differ from the defaults, and implement
    ``generate``. Plugins register the class itself (see ``skillpack.hookspecs``), so skillpack can read
    the capabilities and render a dry run's prompt without building the backend (no key, no extra):

    - ``loads_skills``: runs the ``load_skill`` tool loop over ``Request.loadable`` itself; when False,
      skills on demand go through the plain-text protocol of ``skillpack.backends.textload``.
    - ``context_window``: tokens the model holds (None: far more than any skill library); the skills
      are fitted into it. An instance may know it only once built (a local model reads it from the file).
    - ``supports_batches``: answers single-turn requests through a batch API (``answer_batch``).
    - ``supports_threads``: its constructor takes ``threads=`` (CPU threads of a model run here).

    Raise ``BackendError`` (skillpack.errors) with a clear message on failure.
    """

    name: ClassVar[str]
    #: The model answering by default (shown in reports); "" when the backend has no such notion.
    model: str = ""
    loads_skills: ClassVar[bool] = True
    supports_batches: ClassVar[bool] = False
    supports_threads: ClassVar[bool] = False

    @property
    def context_window(self) -> int | None:
        """Tokens the model holds; None when it is far larger than any skill library."""
        return None

    @classmethod
    def prompt(cls, request: Request) -> Prompt:
        """Return what the first turn of ``request`` sends; works on the class, without credentials.

        The default sends the assembled skills as they are and offers no tool (``plain_prompt``).
        """
        return plain_prompt(request)

    def count_tokens(self, text: str) -> int:
        """Return how many of the model's tokens ``text`` takes (default: tiktoken's cl100k_base)."""
        from skillpack.tokens import count_tokens

        return count_tokens(text)

    def answer_batch(
        self,
        requests: Mapping[str, Request],
        *,
        state_dir: Path,
        poll_seconds: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> Iterator[tuple[str, Reply | None, str | None]]:
        """Answer single-turn ``requests`` (by key) through a batch API: yield ``(key, reply, error)``.

        Only a backend that declares ``supports_batches`` implements it; it keeps what it submitted in
        ``state_dir`` so a run killed while waiting collects the same batches instead of paying twice.
        """
        raise NotImplementedError(f"the {self.name} backend does not declare supports_batches")

    @abc.abstractmethod
    def generate(self, request: Request) -> Reply:
        """Answer ``request``, running any tool loop to its end within ``request.max_turns``."""


#: The line a ``load_skill`` catalog opens with: how the model gets a skill it needs.
TOOL_CATALOG_INTRO = (
    "These skills are not loaded. When the task needs one of them, call the"
    f" {LOAD_TOOL} tool with its name to read its instructions; each skill can be loaded once.\n"
)


def catalog(skills: Sequence[Skill]) -> str:
    """Return the catalog of ``skills`` a model may load on demand: names and descriptions only.

    Backends that offer the ``load_skill`` tool put this text in the prompt; "" when nothing is loadable.
    """
    return render_catalog(skills, form="tool", intro=TOOL_CATALOG_INTRO)[0]


def catalog_head() -> str:
    """Return the text before the entries of a ``load_skill`` catalog (its cost is counted once)."""
    return catalog_frame(TOOL_CATALOG_INTRO)[0]


def catalog_tail() -> str:
    """Return the text after the entries of a ``load_skill`` catalog."""
    return catalog_frame(TOOL_CATALOG_INTRO)[1]


def catalog_entry(skill: Skill) -> str:
    """Return one skill's entry in a ``load_skill`` catalog."""
    return context_catalog_entry(skill, "tool")
