"""What the vector routers' tests (embedding, dense) share: a cache, a small library, the same checks.

Fixtures are bound into a test module by assignment (``library = routers.library``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillpack import SkillPack, UsageError
from skillpack.routing.vectors import VectorRouter
from support.hang import within
from support.skills import make_skill


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Return a library of three skills; only ``weather`` has examples."""
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


def refuse_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every attempt to open a connection fail."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def check_ranks_by_meaning_and_names_examples(router: VectorRouter, library: Path) -> None:
    pack = SkillPack.from_paths([library])
    ranking = router.rank("I'm hungry, find me a place to eat tonight", pack, k=2)
    assert ranking.matches[0].skill.name == "restaurant-booking"
    assert ranking.matches[0].evidence[0].startswith("description: cosine 0.")
    assert len(ranking.matches) <= 2
    assert all(match.score >= router.settings.min_similarity for match in ranking.matches)
    umbrella = router.rank("will it rain in Rome tomorrow?", pack)
    assert umbrella.matches[0].skill.name == "weather"
    assert umbrella.matches[0].evidence[0].startswith("examples: cosine")


def check_abstains_and_refuses_bad_input(
    router: VectorRouter, strict: VectorRouter, library: Path, *, repeats: int
) -> None:
    """``strict`` has ``min_similarity`` 0.99; ``repeats`` times "weather " must be cut, not hang."""
    pack = SkillPack.from_paths([library])
    ranking = strict.rank("book a table", pack)
    assert ranking.abstained
    assert "is too low; abstained" in ranking.notes[-1]
    with pytest.raises(UsageError, match="the task is empty"):
        router.rank(" ", pack)
    with pytest.raises(UsageError, match="k must be"):
        router.rank("weather", pack, k=0)
    big = within(20, lambda: router.rank("weather " * repeats, pack))
    assert big.matches[0].skill.name == "weather"
    assert any("only its first 20,000 were embedded" in note for note in big.notes)


def check_persisted_and_reused(make_router: Callable[[], VectorRouter], library: Path, cache: Path) -> None:
    name = make_router().name
    first = make_router().prepare(SkillPack.from_paths([library]))
    assert first[0].startswith(f"no persisted {name} index for these skills yet")
    assert make_router().prepare(SkillPack.from_paths([library])) == ()
    (path,) = (cache / "index").glob(f"{name}-*.idx")
    path.write_bytes(path.read_bytes()[:100])
    ranking = make_router().rank("umbrella", SkillPack.from_paths([library]))
    assert ranking.matches[0].skill.name == "weather"
    assert "is corrupt (checksum mismatch); rebuilt it" in ranking.notes[0]
