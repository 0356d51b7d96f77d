"""The lexical router: BM25F ranking, evidence, when_not_to_use, abstaining, bad input, persistence."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from support.hang import within
from support.skills import MakeSkill

from skillpack import SkillPack, UsageError
from skillpack.authoring.triggers import without_example
from skillpack.routing.base import Router
from skillpack.routing.lexical import (
    LexicalIndex,
    LexicalRouter,
    LexicalSettings,
    build_index,
    clear_term_cache,
    incremental,
)
from skillpack.routing.lexical.index import build_plain
from skillpack.skill import Skill


@pytest.fixture
def library(tmp_path: Path, make_skill: MakeSkill) -> Path:
    root = tmp_path / "skills"
    make_skill(
        root,
        "conventional-commits",
        description="Writes git commit messages in the Conventional Commits format.",
        when_to_use="A commit needs a message.",
        when_not_to_use="Not for release notes or changelogs.",
        tags=["git", "commits"],
        examples=["reword my last commit"],
    )
    make_skill(
        root,
        "keep-a-changelog",
        description="Keeps CHANGELOG.md in the Keep a Changelog format and drafts release notes.",
        tags=["changelog", "release"],
    )
    make_skill(
        root, "dockerfile-hygiene", description="Reviews Dockerfiles: small images, pinned bases, no secrets."
    )
    make_skill(root, "sql-style", description="Formats SQL queries and names tables consistently.")
    return root


def test_ranks_the_skill_whose_fields_match_with_evidence(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    router = LexicalRouter()
    assert isinstance(router, Router)
    ranking = router.rank("write a commit message for my staged changes", pack, k=3)
    assert ranking.matches[0].skill.name == "conventional-commits"
    evidence = ranking.matches[0].evidence
    assert "description: write, commit, messag" in evidence
    assert "tags: commit" in evidence
    assert "examples: commit" in evidence
    assert len(ranking.matches) <= 3
    scores = [m.score for m in ranking.matches]
    assert scores == sorted(scores, reverse=True)


def test_names_split_on_hyphens_and_examples_are_indexed(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    ranking = LexicalRouter().rank("hygiene", pack)
    assert [m.skill.name for m in ranking.matches] == ["dockerfile-hygiene"]
    assert ranking.matches[0].evidence[0] == "name: hygien"
    assert LexicalRouter().rank("reword", pack).matches[0].evidence == ("examples: reword",)


def test_when_not_to_use_counts_against_a_skill(tmp_path: Path, make_skill: MakeSkill) -> None:
    root = tmp_path / "twins"
    make_skill(
        root, "notes-a", description="Write notes about changes.", when_not_to_use="Not for a release."
    )
    make_skill(root, "notes-b", description="Write notes about changes.")
    for filler in ("dns", "fonts", "queues"):
        make_skill(root, filler, description=f"Configure {filler}.")
    ranking = LexicalRouter().rank("write release notes", SkillPack.from_paths([root]))
    assert [m.skill.name for m in ranking.matches] == ["notes-b", "notes-a"]
    assert ranking.matches[0].score > ranking.matches[1].score
    assert "against (when_not_to_use): releas" in ranking.matches[1].evidence


def test_one_word_names_are_split_into_the_library_s_words(tmp_path: Path, make_skill: MakeSkill) -> None:
    root = tmp_path / "lib"
    make_skill(root, "weatherforecast", description="Tells you whether to take an umbrella.")
    make_skill(root, "travel", description="Plans trips around the weather forecast.")
    skills = SkillPack.from_paths([root]).skills
    index = build_index(skills, LexicalSettings())
    assert index.splits["weatherforecast"] == ["weatherforecast", "weather", "forecast"]


def test_camel_case_names_are_split(tmp_path: Path, make_skill: MakeSkill) -> None:
    root = tmp_path / "lib"
    make_skill(root, "ResearchFinder", description="Tool for papers.")  # lenient load: a warning only
    ranking = LexicalRouter().rank("research", SkillPack.from_paths([root]))
    assert ranking.matches[0].evidence == ("name: research",)


def test_an_unknown_word_matches_indexed_words_it_begins(tmp_path: Path, make_skill: MakeSkill) -> None:
    root = tmp_path / "lib"
    make_skill(root, "photos", description="Edit a photo.")
    make_skill(root, "maps", description="Draw a map.")
    ranking = LexicalRouter().rank("photographs", SkillPack.from_paths([root]))
    assert [m.skill.name for m in ranking.matches] == ["photos"]


def test_abstains_when_no_term_matches(library: Path) -> None:
    ranking = LexicalRouter().rank("bake sourdough bread", SkillPack.from_paths([library]))
    assert ranking.abstained
    assert ranking.notes[-1] == "no task term occurs in any skill; abstained"


def test_abstains_when_the_best_match_is_too_weak(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    task = "format the sql for my sourdough bread bakery wedding playlist with violins"
    assert not LexicalRouter().rank(task, pack).abstained
    strict = LexicalRouter(settings=LexicalSettings(min_confidence=0.9)).rank(task, pack)
    assert strict.abstained
    assert "best match too weak" in strict.notes[-1]


@pytest.mark.parametrize("task", ["", "   \n\t"])
def test_an_empty_task_is_a_usage_error(library: Path, task: str) -> None:
    with pytest.raises(UsageError, match="the task is empty"):
        LexicalRouter().rank(task, SkillPack.from_paths([library]))


@pytest.mark.parametrize("k", [0, -1])
def test_k_below_one_is_a_usage_error(library: Path, k: int) -> None:
    with pytest.raises(UsageError, match="k must be a whole number of at least 1"):
        LexicalRouter().rank("commit", SkillPack.from_paths([library]), k=k)


def test_bytes_are_refused_and_undecodable_text_still_routes(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    with pytest.raises(UsageError, match="must be text, not bytes"):
        LexicalRouter().rank(b"commit message", pack)  # type: ignore[arg-type]
    task = os.fsdecode(b"\xff\xfe commit message")  # what argv holds for non-UTF-8 bytes
    assert LexicalRouter().rank(task, pack).matches[0].skill.name == "conventional-commits"


def test_a_one_megabyte_task_is_capped_quickly_and_says_so(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    task = "commit message " + "lorem ipsum dolor sit amet " * 40_000
    assert len(task) > 1_000_000
    ranking = within(10, lambda: LexicalRouter().rank(task, pack))
    assert ranking.matches[0].skill.name == "conventional-commits"
    assert any("only its first 20,000 were used" in note for note in ranking.notes)


def test_the_index_is_reused_across_packs_and_rebuilt_when_a_manifest_changes(
    library: Path, cache: Path
) -> None:
    first = LexicalRouter().prepare(SkillPack.from_paths([library]))
    assert first and first[0].startswith("no persisted lexical index for these skills yet")
    assert LexicalRouter().prepare(SkillPack.from_paths([library])) == ()  # a new process would see this
    manifest = library / "sql-style" / "skill.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "tags: [database]\n", encoding="utf-8")
    changed = SkillPack.from_paths([library])
    assert LexicalRouter().prepare(changed)[0].startswith("no persisted lexical index")
    assert LexicalRouter().rank("database", changed).matches[0].skill.name == "sql-style"
    assert len(list((cache / "index").glob("lexical-*.idx"))) == 2


def test_persist_false_writes_nothing(library: Path, cache: Path) -> None:
    ranking = LexicalRouter(persist=False).rank("commit", SkillPack.from_paths([library]))
    assert ranking.matches and ranking.notes == ()
    assert not cache.exists()


def test_an_empty_pack_abstains(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert LexicalRouter().rank("commit", SkillPack.from_paths([empty])).abstained


def _postings(index: LexicalIndex) -> list[object]:
    return [
        index.names,
        index.idf,
        index.unseen_idf,
        index.splits,
        sorted(index.prefixes.items()),
        {term: (list(docs), list(impacts)) for term, (docs, impacts) in index.postings.items()},
        {term: (list(docs), list(impacts)) for term, (docs, impacts) in index.negative.items()},
    ]


def test_held_out_rebuilds_are_derived_and_match_a_cold_build(
    library: Path, make_skill: MakeSkill, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_skill(
        library,
        "sql-style",
        description="Formats SQL queries and names tables consistently.",
        examples=["format this query", "indent my joins", "reword my select"],
    )
    pack = SkillPack.from_paths([library])
    commits, sql = pack.get("conventional-commits"), pack.get("sql-style")
    clear_term_cache()
    full = build_index(pack.skills, LexicalSettings())  # keeps nothing but the skills' keys
    assert _postings(full) == _postings(build_plain(pack.skills, LexicalSettings()))
    build_index(without_example(pack, sql, 0).skills, LexicalSettings())  # a near-repeat: kept
    analysed: list[str] = []
    full_builds: list[int] = []
    original, reference = incremental.skill_fields, incremental._reference

    def counting(skill: Skill, **options: Any) -> dict[str, list[str]]:
        analysed.append(skill.name)
        return original(skill, **options)

    def counting_builds(*args: Any) -> Any:
        full_builds.append(1)
        return reference(*args)

    monkeypatch.setattr(incremental, "skill_fields", counting)
    monkeypatch.setattr(incremental, "_reference", counting_builds)
    for held_out in (
        without_example(pack, sql, 1),
        without_example(pack, sql, 2),
        without_example(pack, commits, 0),  # its only example: the term "reword" stays (in sql-style)
        without_example(without_example(pack, sql, 2), commits, 0),
    ):
        derived = build_index(held_out.skills, LexicalSettings())
        monkeypatch.setattr(incremental, "skill_fields", original)
        assert _postings(derived) == _postings(build_plain(held_out.skills, LexicalSettings()))
        monkeypatch.setattr(incremental, "skill_fields", counting)
    assert full_builds == []  # every one derived from the kept build
    assert sorted(set(analysed)) == ["conventional-commits", "sql-style"]  # only the changed skills


def test_unrelated_libraries_keep_nothing(library: Path, make_skill: MakeSkill) -> None:
    clear_term_cache()
    first = SkillPack.from_paths([library])
    build_index(first.skills, LexicalSettings())
    build_index(first.skills, LexicalSettings())  # the same library again is no near-repeat
    make_skill(library.parent / "other", "solo", description="Something else entirely.")
    build_index(SkillPack.from_paths([library.parent / "other"]).skills, LexicalSettings())
    assert incremental._CACHE.references == [] and incremental._CACHE.analysed == {}


def test_settings_and_library_lengths_key_the_kept_builds(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    clear_term_cache()
    heavier = LexicalSettings(weights={**LexicalSettings().weights, "name": 9.0})
    skills = list(pack.skills)
    fewer = [s for s in skills if s.name != "sql-style"] + [skills[-1]]  # same length, one skill differs
    for settings in (LexicalSettings(), heavier, LexicalSettings(), heavier):
        for library_skills in (skills, fewer, skills):
            built = build_index(library_skills, settings)
            assert _postings(built) == _postings(build_plain(library_skills, settings))
    assert _postings(build_index(skills, heavier)) != _postings(build_index(skills, LexicalSettings()))


def test_deriving_never_changes_the_kept_build(library: Path, make_skill: MakeSkill) -> None:
    make_skill(
        library, "sql-style", description="Formats SQL queries.", examples=["format this query", "indent"]
    )
    pack = SkillPack.from_paths([library])
    sql = pack.get("sql-style")
    clear_term_cache()
    build_index(pack.skills, LexicalSettings())
    build_index(without_example(pack, sql, 0).skills, LexicalSettings())  # a near-repeat: kept
    (reference,) = incremental._CACHE.references
    before = {averages: _postings(variant.index) for averages, variant in reference.variants.items()}
    dfs = {averages: dict(variant.df) for averages, variant in reference.variants.items()}
    build_index(without_example(pack, sql, 1).skills, LexicalSettings())  # derived from the kept build
    commits = pack.get("conventional-commits")
    build_index(without_example(pack, commits, 0).skills, LexicalSettings())
    assert {averages: _postings(reference.variants[averages].index) for averages in before} == before
    assert {averages: dict(reference.variants[averages].df) for averages in dfs} == dfs


def test_builds_from_several_threads_each_match_a_cold_build(library: Path, make_skill: MakeSkill) -> None:
    from concurrent.futures import ThreadPoolExecutor

    make_skill(
        library, "sql-style", description="Formats SQL queries.", examples=["format it", "indent", "join"]
    )
    pack = SkillPack.from_paths([library])
    sql = pack.get("sql-style")
    libraries = [pack, *(without_example(pack, sql, i) for i in range(3))] * 3
    clear_term_cache()
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = list(pool.map(lambda lib: build_index(lib.skills, LexicalSettings()), libraries))
    for lib, index in zip(libraries, built, strict=True):
        assert _postings(index) == _postings(build_plain(lib.skills, LexicalSettings()))


def test_covers_asks_for_every_task_term_some_skill_uses(library: Path) -> None:
    pack = SkillPack.from_paths([library])
    index = build_plain(pack.skills, LexicalSettings())
    commits = index.names.index("conventional-commits")
    changelog = index.names.index("keep-a-changelog")
    # "commit" and "git" are conventional-commits' words; "zebra" is nobody's and does not count.
    assert index.covers(commits, ["commit", "git", "zebra"])
    assert not index.covers(changelog, ["commit", "changelog"])  # "commit" is another skill's word
    # With the owner left out, a word only the owner uses does not count either.
    assert index.covers(changelog, ["commit", "changelog"], owner=commits)
    docker = index.names.index("dockerfile-hygiene")
    assert not index.covers(docker, ["commit", "changelog"], owner=commits)  # "changelog" is still known


@pytest.mark.parametrize("task", ["what is 2+2", "x", "2 x 4"])
def test_numbers_and_single_letters_alone_name_no_topic(task: str) -> None:
    from skillpack.bundled import skills_dir

    pack = SkillPack.from_paths([skills_dir()])
    ranking = LexicalRouter(persist=False).rank(task, pack)
    assert ranking.matches == ()
    assert ranking.notes[-1] == "only numbers or single letters in the task occur in any skill; abstained"


def test_a_single_letter_beside_a_real_word_still_ranks() -> None:
    from skillpack.bundled import skills_dir

    pack = SkillPack.from_paths([skills_dir()])
    ranking = LexicalRouter(persist=False).rank("bump the version to 2.x", pack)
    assert ranking.matches and ranking.matches[0].skill.name == "semver-bump"


def test_a_pair_scores_where_its_terms_stand_together_in_that_order(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    make_skill(tmp_path, "birch", description="The door code of the Birch office.")
    make_skill(tmp_path, "birch-yarrow", description="The door code of the Birch Yarrow office.")
    make_skill(tmp_path, "other", description="Other things.", examples=["office of Birch"])
    pack = SkillPack.from_paths([tmp_path])
    index = LexicalRouter(persist=False)._index(pack)[0]
    pairs = [("birch", "offic"), ("door", "code")]
    query = {"birch": 2.0, "offic": 0.5, "door": 1.0, "code": 1.5}
    # Each pair found adds its heavier term's weight; "office of Birch" has the words, not the order.
    assert index.pair_score(pack.get("birch"), pairs, query) == 2.0 + 1.5
    assert index.pair_score(pack.get("birch-yarrow"), pairs, query) == 1.5
    assert index.pair_score(pack.get("other"), pairs, query) == 0.0
