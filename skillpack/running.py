"""Run a task end to end: route, assemble the context, ask a model, and account for it.

``run(pack, task, backend=...)`` (also ``SkillPack.run``) returns a ``RunResult``: the answer, the
selection report (what was chosen and why), the model's usage and cost, and the skills the model
loaded on demand. With ``dry_run=True``, or when no backend is available, nothing is sent and the
result holds what would have been: ``RunResult.prompt`` is built by the backend's own ``prompt``
method (for anthropic: the skills, the catalog of loadable skills and the ``load_skill`` tool), so a
dry run shows exactly what a real run sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from skillpack.backends.base import (
    Backend,
    Prompt,
    Reply,
    Request,
    Usage,
    catalog,
    catalog_entry,
    catalog_head,
    catalog_tail,
    plain_prompt,
)
from skillpack.backends.default import default_backend_name
from skillpack.errors import BackendError, SkillpackError, UsageError
from skillpack.plurals import plural
from skillpack.tokens import count_tokens

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.routing.base import Router
    from skillpack.selection import Selection
    from skillpack.skill import Skill

T = TypeVar("T")

#: Tokens the catalog of skills loadable on demand may take, by default.
DEFAULT_CATALOG_BUDGET = 1000

#: The longest answer, in tokens, by default. Generous because current Claude models think before they
#: answer and the thinking counts against it; only the tokens produced are paid for.
DEFAULT_MAX_TOKENS = 4096

NO_BACKEND = (
    "no model backend is available (export ANTHROPIC_API_KEY=... for Claude, or"
    " pip install 'skillpack[local]' for a local model); showing the context that would be sent"
)


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run: the answer (empty for a dry run) and everything that led to it.

    ``context`` is the assembled skills; ``prompt`` is what the backend sends on the first turn (the
    system text with any catalog, the tools and the task), the text a dry run prints.
    """

    task: str
    selection: Selection
    context: str
    loadable: tuple[str, ...]
    backend: str | None
    reply: Reply | None
    dry_run_reason: str = ""
    run_notes: tuple[str, ...] = ()
    prompt: Prompt | None = None

    @property
    def dry_run(self) -> bool:
        return self.reply is None

    @property
    def answer(self) -> str:
        return self.reply.text if self.reply else ""

    @property
    def usage(self) -> Usage:
        """What answering cost (routing with a model is in ``selection.ranking.routing_tokens``)."""
        return self.reply.usage if self.reply else Usage()

    @property
    def notes(self) -> tuple[str, ...]:
        """What the caller should know: how the run was fitted, then the backend's own notes."""
        return self.run_notes + (self.reply.notes if self.reply else ())

    def report(self, *, include_context: bool = False) -> dict[str, Any]:
        """Return a JSON-ready mapping: answer, backend, model, usage, selection report, notes."""
        data: dict[str, Any] = {
            "task": self.task,
            "answer": self.answer,
            "dry_run": self.dry_run,
            "backend": self.backend,
            "model": self.reply.model if self.reply else None,
            "usage": self.usage.to_dict(),
            "loaded_skills": list(self.reply.loaded_skills) if self.reply else [],
            "loadable_skills": list(self.loadable),
            "turns": self.reply.turns if self.reply else 0,
            "stop_reason": self.reply.stop_reason if self.reply else "",
            "latency_s": round(self.reply.latency_s, 3) if self.reply else 0.0,
            "notes": list(self.notes),
            "selection": self.selection.report(),
        }
        if self.dry_run_reason:
            data["dry_run_reason"] = self.dry_run_reason
        if include_context or self.dry_run:
            data["context"] = self.context
            data["prompt"] = (self.prompt or Prompt(self.context, self.task)).to_dict()
        return data


def run(
    pack: SkillPack,
    task: str,
    *,
    backend: Backend | str | None = None,
    model: str | None = None,
    router: Router | str = "lexical",
    k: int = 5,
    budget: int | None = None,
    min_confidence: float | None = None,
    load_on_demand: bool = True,
    catalog_budget: int = DEFAULT_CATALOG_BUDGET,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    max_turns: int = 4,
    dry_run: bool = False,
) -> RunResult:
    """Route ``task``, assemble the chosen skills, and ask ``backend`` (a name or a ``Backend``).

    ``backend=None`` picks anthropic when ``ANTHROPIC_API_KEY`` is set, else the local model when its
    extra is installed, else makes a dry run (``RunResult.dry_run_reason`` says why). Skills not chosen
    are offered for on-demand loading, as a catalog of at most ``catalog_budget`` tokens, unless
    ``load_on_demand`` is False. ``min_confidence`` overrides the router's confidence bar (see
    ``skillpack.selection.select``); the notes say when ``k`` or the budget cut a skill that passed it. Raises ``BackendError`` when the model call fails; nothing is returned
    half-done.
    """
    if not task.strip():
        raise UsageError("the task is empty — give the task as an argument or on standard input")
    if max_turns < 1:
        raise UsageError(f"max_turns must be at least 1 (got {max_turns})")
    if max_tokens < 1:
        raise UsageError(f"max_tokens must be at least 1 (got {max_tokens})")
    if catalog_budget < 0:
        raise UsageError(f"the catalog budget must be 0 or more tokens (got {catalog_budget})")
    reason = "asked for a dry run" if dry_run else ""
    if backend is None:
        backend = default_backend_name()
        if backend is None and not dry_run:
            reason = NO_BACKEND
    built: Backend | None = None
    # What renders the prompt and declares the capabilities: the backend, or its class when a dry run
    # cannot build it (no key, no extra).
    renderer: Backend | type[Backend] | None = None
    if dry_run and backend is not None:
        built, renderer = _build_for_dry_run(backend, model)
    elif backend is not None:
        built = renderer = _build(backend, model)
    chooser = _router(router, built, model)
    fitted = _fit_budget(built, budget, task, max_tokens)
    selection = pack.select(task, k=k, budget=fitted, router=chooser, min_confidence=min_confidence)
    notes: tuple[str, ...] = selection.cut_notes
    if fitted != budget and any(r.reason.startswith("over budget") for r in selection.rejected):
        window = built.context_window if built is not None else "?"
        owner = built.name if built is not None else "the backend"
        notes = (
            f"the skills' budget is {plural(fitted or 0, 'token')}, to fit the {window}-token context of {owner}",
            *notes,
        )
    context = selection.render()
    loads = load_on_demand and (renderer is None or renderer.loads_skills)
    loadable = _loadable(selection, catalog_budget) if loads else ()
    names = tuple(s.name for s in loadable)
    request = Request(
        system=context,
        task=task,
        model=model,
        max_tokens=max_tokens,
        loadable=loadable,
        max_turns=max_turns,
        in_context=tuple(s.name for s in selection.skills),
    )
    prompt = _guarded(renderer, "prompt", lambda: _prompt(renderer, request))
    if built is None or dry_run:
        return RunResult(task, selection, context, names, None, None, reason, notes, prompt)
    answering = built
    reply = _guarded(built, "answer", lambda: answering.generate(request))
    return RunResult(task, selection, context, names, built.name, reply, run_notes=notes, prompt=prompt)


def _prompt(renderer: Backend | type[Backend] | None, request: Request) -> Prompt:
    """Return what ``renderer`` (a backend or its class) sends for ``request``; plain without a backend."""
    if renderer is None:
        return plain_prompt(request)
    built = renderer.prompt(request)
    if not isinstance(built, Prompt):
        raise BackendError(
            f"backend {renderer.name!r}: prompt() returned {type(built).__name__},"
            " not a skillpack.backends.base.Prompt — fix the backend's plugin"
        )
    return built


def _guarded(backend: Backend | type[Backend] | None, action: str, call: Callable[[], T]) -> T:
    """Run ``call``; a third-party backend's own exception becomes one ``BackendError`` line."""
    try:
        return call()
    except SkillpackError:
        raise
    except Exception as exc:  # not a traceback: one line naming the backend
        name = backend.name if backend is not None else None
        what = "failed" if action == "answer" else f"failed to build its {action}"
        raise BackendError(f"backend {name!r} {what}: {type(exc).__name__}: {exc}") from exc


def _build_for_dry_run(
    backend: Backend | str, model: str | None
) -> tuple[Backend | None, Backend | type[Backend]]:
    """Return the backend and what renders its prompt; a dry run needs no API key and no extra.

    When the named backend cannot be built here (no key, an extra missing, or a plugin's constructor
    failing for want of its own credentials), its registered class renders the prompt instead
    (``Backend.prompt`` is a class method) and nothing is fitted to a context window.
    """
    if not isinstance(backend, str):
        built = _build(backend, model)
        return built, built
    from skillpack.plugins import backend_class

    cls = backend_class(backend)
    try:
        built = _build(backend, model)
    except UsageError:
        raise
    except Exception:  # a dry run sends nothing, so it needs nothing the constructor wanted
        return None, cls
    return built, built


def _fit_budget(backend: Backend | None, budget: int | None, task: str, max_tokens: int) -> int | None:
    """Return the skills' budget, shrunk to fit a backend that declares a small ``context_window``.

    The room left for the skills is the window minus the task, a quarter of the window kept for the
    answer (at most ``max_tokens``), and 64 tokens for the chat template. Backends without a
    ``context_window`` (Claude's is far larger than any skill library) are left alone.
    """
    window = backend.context_window if backend is not None else None
    if window is None:
        return budget
    room = window - count_tokens(task) - min(max_tokens, window // 4) - 64
    if room < 1:
        raise UsageError(
            f"the task alone needs about {plural(count_tokens(task), 'token')}, more than the model's {window}-token context"
            " holds with room for an answer — shorten it"
        )
    return room if budget is None else min(budget, room)


def _build(backend: Backend | str, model: str | None) -> Backend:
    if isinstance(backend, Backend):
        return backend
    if not isinstance(backend, str):
        raise UsageError(
            f"the backend {backend!r} is not a skillpack.backends.Backend — subclass it, so that what the"
            " backend can do is declared (see docs/PLUGINS.md)"
        )
    from skillpack.plugins import get_backend

    built: Backend = get_backend(backend, model=model)
    return built


def _router(router: Router | str, backend: Backend | None, model: str | None) -> Router | str:
    """Give a router that declares ``needs_backend`` the run's own backend: routing and answering share it."""
    if isinstance(router, str) and backend is not None:
        from skillpack.plugins import get_router, router_class

        if router_class(router).needs_backend:
            return get_router(router, backend=backend, model=model)
    return router


def _loadable(selection: Selection, budget: int) -> tuple[Skill, ...]:
    """Return the skills to offer on demand: ranked-but-left-out first, then the rest, within ``budget``."""
    if budget == 0:
        return ()
    chosen = {s.name for s in selection.skills}
    ranked = [m.skill for m in selection.ranking.matches if m.skill.name not in chosen]
    seen = {s.name for s in ranked}
    candidates = ranked + [s for s in selection.unselected if s.name not in seen]
    kept: list[Skill] = []
    used = count_tokens(catalog_head() + catalog_tail())
    for skill in candidates:
        cost = count_tokens(catalog_entry(skill))
        if used + cost <= budget:
            kept.append(skill)
            used += cost
    # Entries are counted one by one; the whole text is counted exactly, and trimmed if it is over.
    while kept and count_tokens(catalog(kept)) > budget:
        kept.pop()
    return tuple(kept)
