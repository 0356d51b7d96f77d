"""skillpack's own model backends, registered through the same hook as any third-party plugin.

Registering imports the backend modules, which import no SDK and no llama.cpp: those come only when a
backend is built, so listing backends (or a dry run's prompt, rendered by the class) costs nothing.
"""

from __future__ import annotations

from skillpack.backends.anthropic import AnthropicBackend
from skillpack.backends.fake import FakeBackend
from skillpack.backends.local import LocalBackend
from skillpack.hookspecs import Register, hookimpl


@hookimpl
def skillpack_register_backends(register: Register) -> None:
    register("anthropic", AnthropicBackend)
    register("local", LocalBackend)
    register("fake", FakeBackend)
