"""The ``fake`` backend: deterministic answers without a model, for tests and for trying the CLI.

Three ways to drive it, checked in this order:

* ``responses``: a queue of canned replies consumed one per request; an ``Exception`` in the queue is
  raised instead (a backend failing mid-run), a ``BackendError`` as is;
* ``responder``: ``responder(request) -> str`` computes each answer (the harness scripts it);
* neither: a plain description of what it received, which says it is not a model.

Every request received is appended to ``history``. Token counts are exact cl100k_base counts of the
system prompt plus task (input) and of the answer (output); the cost is zero.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

from skillpack.backends.base import Backend, Reply, Request, Usage
from skillpack.errors import BackendError
from skillpack.plurals import plural
from skillpack.tokens import count_tokens

Responder = Callable[[Request], str]

#: The first words of every default answer, so nobody mistakes it for a model's.
BANNER = "[fake backend: this is not a model's answer]"


class FakeBackend(Backend):
    """A scripted stand-in for a model; safe to share between threads."""

    name = "fake"

    def __init__(
        self,
        *,
        model: str | None = None,
        responses: Iterable[str | BaseException] = (),
        responder: Responder | None = None,
    ) -> None:
        self.model = model or "fake"
        self.responder = responder
        self.history: list[Request] = []
        self._queue: deque[str | BaseException] = deque(responses)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<FakeBackend model={self.model!r} queued={len(self._queue)}>"

    def queue(self, *responses: str | BaseException) -> None:
        """Append canned replies (or exceptions to raise) to the queue."""
        with self._lock:
            self._queue.extend(responses)

    def generate(self, request: Request) -> Reply:
        """Answer ``request`` from the queue, the responder, or the default description."""
        with self._lock:
            self.history.append(request)
            scripted = self._queue.popleft() if self._queue else None
        if isinstance(scripted, BackendError):
            raise scripted
        if isinstance(scripted, BaseException):
            raise BackendError(
                f"fake: the scripted reply failed: {type(scripted).__name__}: {scripted}"
            ) from scripted
        if scripted is not None:
            text = scripted
        elif self.responder is not None:
            try:
                text = self.responder(request)
            except BackendError:
                raise
            except Exception as exc:
                raise BackendError(f"fake: the responder failed: {type(exc).__name__}: {exc}") from exc
            if not isinstance(text, str):
                raise BackendError(f"fake: the responder returned {type(text).__name__}, not str")
        else:
            text = describe(request)
        usage = Usage(
            input_tokens=count_tokens(request.system) + count_tokens(request.task),
            output_tokens=count_tokens(text),
            cost_usd=0.0,
        )
        return Reply(
            text=text,
            model=request.model or self.model,
            backend=self.name,
            usage=usage,
            stop_reason="end_turn",
        )


def describe(request: Request) -> str:
    """Return the default fake answer: what a model would have received, said plainly."""
    import re

    loaded = re.findall(r'<skill name="([^"]+)"', request.system)
    skills = ", ".join(loaded) if loaded else "none"
    offered = ", ".join(s.name for s in request.loadable) or "none"
    return (
        f"{BANNER} It received the task {request.task!r} with {plural(count_tokens(request.system), 'token')} of"
        f" context. Skills in the context: {skills}. Skills offered on demand: {offered}."
        " Use `backend` anthropic or local for a real answer."
    )
