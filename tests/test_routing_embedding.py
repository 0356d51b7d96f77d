"""The embedding router: offline WordLlama model, examples, abstaining, persistence, missing extra."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from skillpack import MissingExtraError, SkillPack, UsageError
from skillpack.routing import embedding
from skillpack.routing.embedding import EmbeddingRouter, EmbeddingSettings
from tests.conftest import MakeSkill, within

needs_wordllama = pytest.mark.skipif(
    importlib.util.find_spec("wordllama") is None,
    reason="the embed extra is not installed (pip install 'skillpack[embed]')",
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
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access attempted")

    embedding.load_model.cache_clear()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    try:
        assert embedding.embed(["hello"], {}, 1.0).shape == (1, embedding.DIM)
    finally:
        embedding.load_model.cache_clear()


@needs_wordllama
def test_ranks_by_meaning_not_shared_words(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    ranking = EmbeddingRouter().rank("I'm hungry, find me a place to eat tonight", pack, k=2)
    assert ranking.matches[0].skill.name == "restaurant-booking"
    assert ranking.matches[0].evidence[0].startswith("description: cosine 0.")
    assert len(ranking.matches) <= 2
    assert all(m.score >= EmbeddingSettings().min_similarity for m in ranking.matches)


@needs_wordllama
def test_examples_count_and_are_named_in_the_evidence(library: Path) -> None:
    ranking = EmbeddingRouter().rank("will it rain in Rome tomorrow?", SkillPack.from_paths([library]))
    assert ranking.matches[0].skill.name == "weather"
    assert ranking.matches[0].evidence[0].startswith("examples: cosine")


@needs_wordllama
def test_abstains_below_the_similarity_threshold(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    ranking = EmbeddingRouter(settings=EmbeddingSettings(min_similarity=0.99)).rank("book a table", pack)
    assert ranking.abstained
    assert "is too low; abstained" in ranking.notes[-1]


@needs_wordllama
def test_bad_input(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    router = EmbeddingRouter()
    with pytest.raises(UsageError, match="the task is empty"):
        router.rank(" ", pack)
    with pytest.raises(UsageError, match="k must be"):
        router.rank("weather", pack, k=0)
    big = within(20, lambda: router.rank("weather " * 200_000, pack))
    assert big.matches[0].skill.name == "weather"
    assert any("only its first 20,000 were embedded" in note for note in big.notes)


@needs_wordllama
def test_matrices_are_persisted_and_reused(library: Path, cache: Path) -> None:
    first = EmbeddingRouter().prepare(SkillPack.from_paths([library]))
    assert first[0].startswith("no persisted embedding index for these skills yet")
    assert EmbeddingRouter().prepare(SkillPack.from_paths([library])) == ()
    (path,) = (cache / "index").glob("embedding-*.idx")
    path.write_bytes(path.read_bytes()[:100])
    ranking = EmbeddingRouter().rank("umbrella", SkillPack.from_paths([library]))
    assert ranking.matches[0].skill.name == "weather"
    assert "is corrupt (checksum mismatch); rebuilt it" in ranking.notes[0]
