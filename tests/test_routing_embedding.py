"""The embedding router: offline WordLlama model, examples, abstaining, persistence, missing extra."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from support import routers

from skillpack import MissingExtraError
from skillpack.routing import embedding
from skillpack.routing.embedding import EmbeddingRouter, EmbeddingSettings

library = routers.library

needs_wordllama = pytest.mark.skipif(
    importlib.util.find_spec("wordllama") is None,
    reason="the embed extra is not installed (pip install 'skillpack[embed]')",
)


def test_missing_extra_says_which_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    embedding.load_model.cache_clear()
    monkeypatch.setitem(sys.modules, "wordllama", None)  # makes `import wordllama` raise ImportError
    try:
        with pytest.raises(MissingExtraError, match=r"pip install 'skillpack\[embed\]'"):
            EmbeddingRouter()
    finally:
        embedding.load_model.cache_clear()


@needs_wordllama
def test_the_model_loads_with_the_network_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    embedding.load_model.cache_clear()
    routers.refuse_network(monkeypatch)
    try:
        assert embedding.embed(["hello"], {}, 1.0).shape == (1, embedding.DIM)
    finally:
        embedding.load_model.cache_clear()


@needs_wordllama
def test_ranks_by_meaning_not_shared_words_and_names_examples(library: Path) -> None:
    routers.check_ranks_by_meaning_and_names_examples(EmbeddingRouter(), library)


@needs_wordllama
def test_abstains_below_the_similarity_threshold_and_refuses_bad_input(library: Path) -> None:
    strict = EmbeddingRouter(settings=EmbeddingSettings(min_similarity=0.99))
    routers.check_abstains_and_refuses_bad_input(EmbeddingRouter(), strict, library, repeats=200_000)


@needs_wordllama
def test_matrices_are_persisted_and_reused(library: Path, cache: Path) -> None:
    routers.check_persisted_and_reused(EmbeddingRouter, library, cache)
