"""skillpack's own model backends, registered through the same hook as any third-party plugin.

Each factory imports its backend module only when that backend is built, so listing backends (or
``import skillpack``) never imports an SDK or llama.cpp.
"""

from __future__ import annotations

from typing import Any

from skillpack.hookspecs import Register, hookimpl


def anthropic(**options: Any) -> Any:
    """Build the ``anthropic`` backend (Claude through the official SDK)."""
    from skillpack.backends.anthropic import AnthropicBackend

    return AnthropicBackend(**options)


def local(**options: Any) -> Any:
    """Build the ``local`` backend (a GGUF model on the CPU; extra ``skillpack[local]``)."""
    from skillpack.backends.local import LocalBackend

    return LocalBackend(**options)


def fake(**options: Any) -> Any:
    """Build the ``fake`` backend (scripted answers; says plainly it is not a model)."""
    from skillpack.backends.fake import FakeBackend

    return FakeBackend(**options)


@hookimpl
def skillpack_register_backends(register: Register) -> None:
    register("anthropic", anthropic)
    register("local", local)
    register("fake", fake)
