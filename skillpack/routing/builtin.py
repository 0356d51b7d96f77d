"""skillpack's own routers, registered through the same hook as any third-party plugin.

Each is registered as its class, which declares what it can do (``skillpack.routing.base.Router``).
Their modules import no model: the embedding and MiniLM weights load when a router first ranks.
"""

from __future__ import annotations

from skillpack.hookspecs import Register, hookimpl
from skillpack.routing.baselines import AllRouter, NoneRouter
from skillpack.routing.dense import DenseRouter
from skillpack.routing.embedding import EmbeddingRouter
from skillpack.routing.hybrid import HybridDenseRouter, HybridRouter
from skillpack.routing.lexical import LexicalRouter
from skillpack.routing.llm import LLMRouter


@hookimpl
def skillpack_register_routers(register: Register) -> None:
    register("lexical", LexicalRouter)
    register("embedding", EmbeddingRouter)
    register("hybrid", HybridRouter)
    register("dense", DenseRouter)
    register("hybrid-dense", HybridDenseRouter)
    register("all", AllRouter)
    register("none", NoneRouter)
    register("llm", LLMRouter)
