"""skillpack's own model backends, registered through the same hook as any third-party plugin.

Each factory imports its backend module only when that backend is built (or its prompt rendered), so
listing backends (or ``import skillpack``) never imports an SDK or llama.cpp.
"""

from __future__ import annotations

import importlib
from typing import Any

from skillpack.backends.base import Prompt, Request, plain_prompt
from skillpack.hookspecs import Register, hookimpl


class Factory:
    """Build one of skillpack's backends, importing its module only then.

    ``prompt(request)`` renders what the backend would send without building it, so a dry run needs
    no API key and no extra; ``loads_skills`` says whether the backend offers the ``load_skill`` tool.
    """

    def __init__(self, module: str, class_name: str, *, loads_skills: bool, doc: str) -> None:
        self.module = module
        self.class_name = class_name
        self.loads_skills = loads_skills
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"<Factory {self.module}.{self.class_name}>"

    def __call__(self, **options: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.class_name)(**options)

    def prompt(self, request: Request) -> Prompt:
        """Return the prompt the backend's module builds (``prompt(request)``), else the plain one."""
        render = getattr(importlib.import_module(self.module), "prompt", None)
        built: Prompt = render(request) if callable(render) else plain_prompt(request)
        return built


anthropic = Factory(
    "skillpack.backends.anthropic",
    "AnthropicBackend",
    loads_skills=True,
    doc="Build the ``anthropic`` backend (Claude through the official SDK).",
)
local = Factory(
    "skillpack.backends.local",
    "LocalBackend",
    loads_skills=False,
    doc="Build the ``local`` backend (a GGUF model on the CPU; extra ``skillpack[local]``).",
)
fake = Factory(
    "skillpack.backends.fake",
    "FakeBackend",
    loads_skills=True,
    doc="Build the ``fake`` backend (scripted answers; says plainly it is not a model).",
)


@hookimpl
def skillpack_register_backends(register: Register) -> None:
    register("anthropic", anthropic)
    register("local", local)
    register("fake", fake)
