"""The ``llm`` router: a model picks from a lexical shortlist, seeing only names and descriptions.

A base router (lexical by default) proposes a shortlist; the model is asked which of those skills the
task needs and answers with their names, one per line, or ``NONE``. The answer is parsed strictly: every
line must be a name from the shortlist (bullets, numbering and backticks aside). Anything else is a
malformed answer, and the router falls back to the base ranking with a warning in ``Ranking.notes``.
Each chosen skill keeps the confidence its base router gave it, and the router declares the base's
``min_confidence``: the model can say NONE or drop a skill, but cannot lift one the evidence does not carry.
What the routing call cost is reported in ``Ranking.routing_tokens`` and ``Ranking.extra``.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from skillpack.backends.base import Backend, Request
from skillpack.routing.base import Match, Ranking, Router

if TYPE_CHECKING:
    from skillpack.registry import SkillPack

#: How many skills the base router proposes, at least (more when ``k`` is larger).
DEFAULT_SHORTLIST = 10

SYSTEM = (
    "You route a task to the skills it needs. You are given the task and a numbered list of skills, each"
    " with its name and description. Reply with the names of the skills the task needs, most relevant"
    " first, one name per line, at most {k}, and nothing else. Use names exactly as listed. If no skill"
    " applies, reply with the single word NONE."
)

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])?\s*")


class LLMRouter(Router):
    """Ask a model to choose from a shortlist; fall back to the shortlist's own order on a bad answer.

    ``backend`` is a ``Backend`` or a registered backend name; None picks the default backend when the
    router first ranks (anthropic with a key, else local when installed). ``base`` is the router that
    builds the shortlist.
    """

    name = "llm"
    #: Routing asks a model: ``run`` passes its own backend, ``route`` the one on its command line.
    needs_backend = True

    def __init__(
        self,
        *,
        backend: Backend | str | None = None,
        model: str | None = None,
        shortlist: int = DEFAULT_SHORTLIST,
        base: Router | str = "lexical",
        max_tokens: int = 200,
    ) -> None:
        if shortlist < 1:
            from skillpack.errors import UsageError

            raise UsageError(f"the llm router's shortlist must hold at least 1 skill (got {shortlist})")
        self._backend = backend
        self.model = model
        self.shortlist = shortlist
        self._base = base
        self.max_tokens = max_tokens
        self._lock = threading.Lock()

    @property
    def min_confidence(self) -> float:  # type: ignore[override]
        """The base router's bar: the model chooses among skills, their confidence stays the base's."""
        return self.base().min_confidence

    def backend(self) -> Backend:
        """Return the backend, building it on first use."""
        with self._lock:
            if not isinstance(self._backend, Backend):
                self._backend = _build_backend(self._backend, self.model)
            return self._backend

    def base(self) -> Router:
        with self._lock:
            if isinstance(self._base, str):
                from skillpack.plugins import get_router

                built: Router = get_router(self._base)
                self._base = built
                return built
            return self._base

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        """Return the model's choice from the base router's shortlist, best first, at most ``k``."""
        base = self.base().rank(task, pack, k=max(self.shortlist, k))
        candidates = base.matches[: max(self.shortlist, k)]
        if not candidates:
            return Ranking(self.name, (), notes=(*base.notes, "llm: the shortlist was empty; no model call"))
        backend = self.backend()
        request = Request(
            system=SYSTEM.format(k=k),
            task=shortlist_prompt(task, candidates),
            model=self.model,
            max_tokens=self.max_tokens,
        )
        reply = backend.generate(request)
        usage = reply.usage
        spent = usage.input_tokens + usage.output_tokens + usage.cache_read_tokens + usage.cache_write_tokens
        extra: dict[str, object] = {
            "backend": reply.backend,
            "model": reply.model,
            "answer": reply.text,
            "shortlist": [m.skill.name for m in candidates],
            "usage": usage.to_dict(),
        }
        names, problem = parse_choice(reply.text, [m.skill.name for m in candidates])
        if problem:
            note = f"llm: {problem}; fell back to the {base.router} ranking"
            return Ranking(self.name, base.matches[:k], (*base.notes, note), spent, extra)
        by_name = {m.skill.name: (position, m) for position, m in enumerate(candidates, 1)}
        matches = []
        for order, name in enumerate(names[:k]):
            position, match = by_name[name]
            evidence = (
                f"chosen by {reply.model} from a {base.router} shortlist of {len(candidates)} (#{position})",
            )
            # The model can only take skills away: each keeps its base router's calibrated confidence.
            matches.append(
                Match(
                    match.skill,
                    round(1.0 - order / (len(names) + 1), 4),
                    evidence + match.evidence,
                    match.confidence,
                    match.matched,
                )
            )
        return Ranking(self.name, tuple(matches), base.notes, spent, extra)


def shortlist_prompt(task: str, candidates: tuple[Match, ...]) -> str:
    """Return the user message: the task, then the numbered shortlist (names and descriptions only)."""
    lines = [f"Task: {' '.join(task.split())}", "", "Skills:"]
    lines += [
        f"{i}. {m.skill.name}: {' '.join(m.skill.description.split())}" for i, m in enumerate(candidates, 1)
    ]
    return "\n".join(lines)


def parse_choice(answer: str, known: list[str]) -> tuple[list[str], str]:
    """Return the names the answer chose (in order, each once) and "" — or ``[]`` and what was wrong.

    ``NONE`` alone means no skill applies. Every other non-empty line must be one known name, optionally
    after a bullet or a number and inside backticks.
    """
    lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        return [], "the model's answer was empty"
    if len(lines) == 1 and lines[0].strip("`.").upper() == "NONE":
        return [], ""
    chosen: list[str] = []
    allowed = set(known)
    for line in lines:
        name = _BULLET.sub("", line).strip().strip("`").strip()
        if name not in allowed:
            return [], f"the model's answer has {line[:60]!r}, which is not a skill on the shortlist"
        if name not in chosen:
            chosen.append(name)
    return chosen, ""


def _build_backend(name: str | None, model: str | None) -> Backend:
    from skillpack.plugins import get_backend

    if name is None:
        from skillpack.backends.default import default_backend_name

        name = default_backend_name()
        if name is None:
            from skillpack.errors import UsageError

            raise UsageError(
                "the llm router needs a model and none is available: export ANTHROPIC_API_KEY=..., or"
                " pip install 'skillpack[local]', or choose one with `backend` (and `model`), e.g."
                " `backend` fake to try it"
            )
    built: Backend = get_backend(name, model=model)
    return built
