"""Confidence: a library's own texts as probes, and a match's share of the null it beats."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.skills import MakeSkill

from skillpack import SkillPack
from skillpack.bundled import skills_dir
from skillpack.routing import confidence
from skillpack.routing.confidence import Calibration, Probe, crowd, crowd_rank, probes
from skillpack.routing.lexical import LexicalRouter
from skillpack.selection import select


def test_probes_are_each_skills_own_text_then_its_examples(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path, "alpha", description="Alpha things.", examples=["first alpha", "second alpha"])
    make_skill(tmp_path, "beta", description="Beta things.", examples=["one beta"])
    pack = SkillPack.from_paths([tmp_path])
    found = probes(pack.skills)
    assert [(p.owner, p.example) for p in found] == [(0, -1), (1, -1), (0, 0), (0, 1), (1, 2)]
    assert found[0].text.startswith("Alpha things.") and found[4].text == "one beta"


def test_probes_are_capped_deterministically(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_skill: MakeSkill
) -> None:
    for n in range(6):
        make_skill(tmp_path, f"skill-{n}", description=f"Skill {n}.", examples=[f"example {n}"])
    pack = SkillPack.from_paths([tmp_path])
    monkeypatch.setattr(confidence, "MAX_PROBES", 8)
    first, again = probes(pack.skills), probes(pack.skills)
    assert first == again and len(first) == 8
    assert sum(p.example < 0 for p in first) == 6  # every skill's own text before any example


def test_confidence_is_the_share_of_the_null_below_the_score() -> None:
    # Four probes over three skills; each keeps its best other score above the crowd (the last other skill).
    owners = [0, 1, 2, 3]
    rows = [[9.0, 0.25, 0.5], [0.75, 9.0, 0.25], [1.0, 0.5, 9.0], [1.0, 0.25, 0.25]]
    calibration = Calibration.from_scores(owners, rows)
    assert calibration.null == (0.25, 0.5, 0.5, 0.75)
    assert calibration.confidence(0.1) == 0.0
    assert calibration.confidence(0.6) == 0.75
    assert calibration.confidence(0.5) == 0.5  # ties count half
    assert calibration.confidence(9.0) == 1.0


def test_the_crowd_is_the_fifth_best_score_or_the_last_of_a_small_library() -> None:
    assert crowd([9.0, 8.0, 7.0, 6.0, 5.0, 4.0], rank=crowd_rank(6), size=6) == 5.0
    assert crowd_rank(3) == 3 and crowd_rank(1) == 2 and crowd_rank(500) == 5
    # Unlisted skills score 0: a sparse list of two scores in a library of ten has a crowd of 0.
    assert crowd([3.0, 1.0], rank=crowd_rank(10), size=10) == 0.0
    assert crowd([3.0], rank=crowd_rank(1), size=1) == 0.0
    assert crowd([3.0, 1.0], rank=crowd_rank(2), size=2) == 1.0  # two skills: the crowd is the other one


def test_a_small_library_leans_on_the_prior() -> None:
    alone = Calibration((0.5,), ())
    shrunk = Calibration((0.5,), (0.1, 0.2, 0.3, 0.9))
    assert alone.confidence(0.6) == 1.0
    # One probe against a prior worth PRIOR_WEIGHT probes: mostly the prior's 3 of 4 below 0.6.
    assert shrunk.confidence(0.6) == pytest.approx(
        (1 + 0.75 * confidence.PRIOR_WEIGHT) / (1 + confidence.PRIOR_WEIGHT), abs=1e-4
    )
    assert Calibration((), ()).confidence(0.0) == 0.0 and Calibration((), ()).confidence(0.2) == 1.0


def test_probe_value_is_frozen() -> None:
    probe = Probe(0, -1, "text")
    with pytest.raises(AttributeError):
        probe.owner = 1  # type: ignore[misc]


@pytest.fixture
def bundled() -> SkillPack:
    return SkillPack.from_paths([skills_dir()])


@pytest.mark.parametrize("task", ["how do I make pancakes", "plan a picnic in Central Park tomorrow"])
def test_off_topic_requests_load_nothing_from_the_bundled_library(bundled: SkillPack, task: str) -> None:
    selection = select(bundled, task, router=LexicalRouter(persist=False))
    assert selection.chosen == ()
    assert selection.abstain_reason.startswith("no skill ")


def test_a_task_that_names_its_skill_gets_it_alone(bundled: SkillPack) -> None:
    selection = select(
        bundled, "bump the version after a breaking change", router=LexicalRouter(persist=False)
    )
    assert [c.skill.name for c in selection.chosen] == ["semver-bump"]
    assert selection.chosen[0].confidence >= 0.9
    ranked = {m.skill.name: m.confidence for m in selection.ranking.matches}
    assert all(0.0 <= value <= 1.0 for value in ranked.values())


def test_a_calibration_round_trips_and_refuses_anything_else() -> None:
    calibration = Calibration((0.1, 0.3), (0.2,))
    assert Calibration.decode(calibration.encode()) == calibration
    for payload in (
        b"[]",
        b'{"format": 1, "null": [0.1], "prior": ["x"]}',
        b'{"format": 99, "null": [], "prior": []}',
    ):
        with pytest.raises(ValueError):
            Calibration.decode(payload)
    with pytest.raises(ValueError):
        Calibration.decode(b'{"format": 1, "null": [NaN], "prior": []}')


def test_the_calibration_is_persisted_and_read_back_by_a_new_process(
    tmp_path: Path, cache: Path, make_skill: MakeSkill, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "skills"
    make_skill(root, "semver", description="Decide the next semantic version number. Use when releasing.")
    make_skill(root, "sql", description="Format SQL queries for readability. Use when writing SQL.")
    first = LexicalRouter().rank("which version number comes next", SkillPack.from_paths([root]))
    (saved,) = (cache / "index").glob("calibration-lexical-*.idx")

    def no_probes(*args: object) -> None:
        raise AssertionError("the persisted calibration should have been read")

    with monkeypatch.context() as patch:  # undoing only this patch keeps the isolated environment
        patch.setattr("skillpack.routing.confidence.probes", no_probes)
        again = LexicalRouter().rank("which version number comes next", SkillPack.from_paths([root]))
    assert [m.confidence for m in again.matches] == [m.confidence for m in first.matches]
    saved.write_bytes(b"garbage")  # a corrupt file is rebuilt, never trusted
    rebuilt = LexicalRouter().rank("which version number comes next", SkillPack.from_paths([root]))
    assert [m.confidence for m in rebuilt.matches] == [m.confidence for m in first.matches]


def test_the_runner_up_null_is_each_probes_best_other_above_its_second() -> None:
    owners = [0, 1, 2]
    rows = [[9.0, 0.75, 0.25], [0.5, 9.0, 0.5], [1.0, 0.0, 9.0]]
    calibration = Calibration.from_scores(owners, rows)
    assert calibration.runner_up == (0.0, 0.5, 1.0)
    # The conjunction: the smaller of best-over-second and second-over-crowd; with two others the
    # second is the crowd, so it is 0.
    assert calibration.conjunction == (0.0, 0.0, 0.0)
    wide = Calibration.from_scores([0], [[9.0, 3.0, 2.0, 0.5, 0.5, 0.5]])
    assert wide.runner_up == (1.0,) and wide.conjunction == (1.0,)
    # Counted over n + 1: a lead above every probe reaches 3/4, never 1, on three probes.
    assert confidence._share(calibration.runner_up, 2.0) == 0.75
    assert confidence._share(calibration.runner_up, 0.5) == 0.375  # ties count half
    # Two skills: a probe's only other skill has no runner-up, so there is no runner-up null.
    assert Calibration.from_scores([0, 1], [[9.0, 1.0], [1.0, 9.0]]).runner_up == ()


def _offices(root: Path, make_skill: MakeSkill, offices: list[str], attributes: list[str]) -> SkillPack:
    for office in offices:
        for attribute in attributes:
            make_skill(
                root,
                f"{office}-{attribute.replace(' ', '-')}",
                description=f"The {attribute} of the {office.title()} office. Use when the {attribute} of the"
                f" {office.title()} office is needed.",
            )
    return SkillPack.from_paths([root])


def test_an_entity_library_chooses_the_named_skill_and_not_an_attribute_it_lacks(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    # Many offices, one look-alike family each attribute; every office has every attribute.
    offices = ["amber", "birch", "cobalt", "dune", "ember", "fjord", "garnet", "heron", "iris", "jade"]
    pack = _offices(tmp_path, make_skill, offices, ["door code", "pager handle", "mail stop"])
    router = LexicalRouter(persist=False)
    named = select(pack, "What is the door code of the Birch office?", router=router)
    assert [c.skill.name for c in named.chosen] == ["birch-door-code"]
    # The office alone, with an attribute no skill has, names no skill: its three skills tie far above
    # the crowd, and a tie leaves them no more confident than their lead over each other.
    office_only = select(pack, "What is the fax number of the Birch office?", router=router)
    assert office_only.chosen == ()
    assert office_only.abstain_reason.startswith("no skill is confident enough")


def test_a_calibration_from_an_older_format_is_refused() -> None:
    old = b'{"format": 2, "null": [0.1], "prior": [0.2]}'
    with pytest.raises(ValueError):
        Calibration.decode(old)
    again = Calibration((0.1,), (0.2,), (0.0, 0.3), (0.0, 0.1))
    assert Calibration.decode(again.encode()) == again


def test_a_two_skill_library_chooses_the_look_alike_the_task_names(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    # Left out of a two-skill library, a probe's owner leaves one skill and no crowd: such probes say
    # nothing about leads, so the library is calibrated by the router's prior alone.
    pack = _offices(tmp_path, make_skill, ["albatross", "cascade"], ["guest wifi password"])
    calibration = LexicalRouter(persist=False).calibration(pack)
    assert calibration.null == () and calibration.runner_up == ()
    task = "What is the guest wifi password of the Albatross office? Answer with the password only."
    selection = select(pack, task, router=LexicalRouter(persist=False))
    assert [c.skill.name for c in selection.chosen] == ["albatross-guest-wifi-password"]


def test_a_group_tied_far_above_the_crowd_is_only_as_confident_as_its_lead_over_each_other() -> None:
    calibration = Calibration((0.1, 0.2, 0.3), (), (0.0, 0.5, 1.0), (0.0, 0.0, 0.5))
    # Three skills at 2.0 (a tie), the crowd at 0: the crowd lead alone would be confident.
    confident = calibration.for_task([2.0, 2.0, 2.0, 0.0, 0.0, 0.0], size=6)
    assert calibration.confidence(2.0) == 1.0
    # The better of its two looks: a conjunction of 0 ties two probes of three (half each), over 4.
    assert confident(2.0) == 0.25
    apart = calibration.for_task([2.0, 1.0, 0.0, 0.0, 0.0, 0.0], size=6)
    assert apart(2.0) == 1.0 and apart(1.0) == 1.0  # a clear best keeps its crowd confidence


def test_the_complete_look_is_calibrated_on_probes_whose_best_other_covers_them() -> None:
    # Two probes' best other skill covers every term they share with the library; one's does not.
    owners = [0, 1, 2]
    rows = [[9.0, 3.0, 1.0, 0.5, 0.5], [0.5, 9.0, 0.5, 0.5, 0.5], [4.0, 1.0, 9.0, 0.5, 0.5]]
    calibration = Calibration.from_scores(owners, rows, complete=[True, True, False])
    # Each probe's best other minus its second best other, complete probes only.
    assert calibration.complete == (0.0, 2.0)
    # And the smaller of that and the second best other's lead over the crowd (1.0 - 0.5 for probe 0).
    assert calibration.complete_conjunction == (0.0, 0.5)
    assert Calibration.from_scores(owners, rows).complete == ()
    assert Calibration.from_scores(owners, rows).complete_conjunction == ()


def test_a_best_match_covering_every_known_term_is_confident_by_its_lead_over_the_runner_up() -> None:
    # Every crowd-lead probe stands out more than this task's best match, but the complete ones do not.
    calibration = Calibration((5.0, 6.0, 7.0), (), (), (), (0.0, 0.0, 0.0, 0.5))
    scores = [3.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert calibration.for_task(scores, size=6)(3.0) == 0.0
    whole = calibration.for_task(scores, size=6, complete=True)
    assert whole(3.0) == 0.8  # above the four complete probes' leads, over n + 1
    assert whole(1.0) == 0.0  # the look is the best match's alone


def test_a_complete_best_match_that_adds_a_second_named_thing_beats_an_entity_alone() -> None:
    # One complete probe names an office whose only other skill covers it with a large lead over the
    # runner-up (its attribute words are its owner's alone); the others tie. A task naming office and
    # attribute leads its runner-up (the office's sibling) by less, so on the lead alone it stays at
    # 3 / 5 = 0.6; but its runner-up stands above the crowd too, which that probe's does not.
    calibration = Calibration((5.0, 6.0, 7.0), (), (), (), (0.0, 0.0, 0.0, 4.0), (0.0, 0.0, 0.0, 0.0))
    scores = [3.0, 1.0, 0.0, 0.0, 0.0, 0.0]  # best over runner-up 2.0, runner-up over the crowd 1.0
    whole = calibration.for_task(scores, size=6, complete=True)
    assert whole(3.0) == 0.8  # the conjunction, 1.0, beats all four complete probes' (over n + 1)
    assert calibration.for_task(scores, size=6, complete=False)(3.0) == 0.0
    alone = calibration.for_task([3.0, 0.0, 0.0, 0.0, 0.0, 0.0], size=6, complete=True)
    assert alone(3.0) == 0.6  # no second named thing: the lead alone, 3.0, is below the probe's 4.0


def test_an_entity_without_look_alike_siblings_is_chosen_despite_words_no_skill_uses(tmp_path: Path) -> None:
    # office-facts at 64 skills: the gold skill's whole family (32 offices) and 32 others, so many
    # offices have a sibling skill and this one has none. Half of this task's weight is a word no skill
    # uses ("answer"), while a probe naming an office matches its sibling in the library's own words: the
    # crowd lead alone left the named skill at confidence 0.65 and abstained.
    from skillpack.harness.distractors import installed
    from skillpack.harness.suite import load_suite, suite_path

    suite = load_suite(suite_path("office-facts"), skills_dir=tmp_path / "skills")
    task = next(t for t in suite.tasks if t.id == "wifi-password-1")
    pack = SkillPack(installed(suite, task, size=64, position="middle", seed=0))
    assert not any(s.name.startswith("albatross-") for s in pack.skills if s.name not in task.gold)
    selection = select(pack, task.prompt, router=LexicalRouter(persist=False))
    assert [c.skill.name for c in selection.chosen] == list(task.gold)


@pytest.mark.parametrize("task_id", ["cost-centre-1", "meeting-room-1"])
def test_a_task_naming_office_and_attribute_is_chosen_beside_a_complete_probe_naming_the_office(
    tmp_path: Path, task_id: str
) -> None:
    # office-facts at 64 skills: one of the library's few complete probes names an office whose other
    # skill covers it with a larger lead over the runner-up than these tasks' best match has over the
    # office's sibling, so on that lead alone they stayed at 0.82 and abstained. What the task has and
    # the probe lacks is a runner-up above the crowd: two named things, and only the best has both.
    from skillpack.harness.distractors import installed
    from skillpack.harness.suite import load_suite, suite_path

    suite = load_suite(suite_path("office-facts"), skills_dir=tmp_path / "skills")
    task = next(t for t in suite.tasks if t.id == task_id)
    pack = SkillPack(installed(suite, task, size=64, position="middle", seed=0))
    selection = select(pack, task.prompt, router=LexicalRouter(persist=False))
    assert [c.skill.name for c in selection.chosen] == list(task.gold)


def test_word_order_tells_an_office_from_the_composed_offices_that_contain_its_name(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    # Composed office names in both orders ("Birch Yarrow", "Yarrow Birch"): "the door code of the Birch
    # office" matches the door codes of "Birch Yarrow" and "Yarrow Birch" as completely as its own, a
    # lead of a few percent (field length). Only its own has "Birch office" in that order; a probe for a
    # composed office gains no such pair over its twin, so the null of word-pair leads stays low.
    singles = ["amber", "birch", "cobalt", "dune", "ember", "fjord", "garnet", "heron", "iris", "yarrow"]
    offices = singles + [f"{a} {b}" for a, b in zip(singles, singles[1:] + singles[:1], strict=True)]
    offices += [f"{b} {a}" for a, b in zip(singles, singles[1:] + singles[:1], strict=True)]
    for office in offices:
        for attribute in ("door code", "pager handle", "mail stop"):
            make_skill(
                tmp_path,
                f"{office.replace(' ', '-')}-{attribute.replace(' ', '-')}",
                description=f"The {attribute} of the {office.title()} office. Use when the {attribute} of the"
                f" {office.title()} office is needed.",
            )
    pack = SkillPack.from_paths([tmp_path])
    router = LexicalRouter(persist=False)
    task = "What is the door code of the Birch office? Answer with the door code only."
    ranking = router.rank(task, pack, k=3)
    twins = {
        "birch-yarrow-door-code",
        "yarrow-birch-door-code",
        "amber-birch-door-code",
        "birch-amber-door-code",
    }
    assert ranking.matches[0].skill.name == "birch-door-code"
    assert {m.skill.name for m in ranking.matches[1:]} <= twins
    selection = select(pack, task, router=router)
    assert [c.skill.name for c in selection.chosen] == ["birch-door-code"]
    assert router.calibration(pack).complete_pairs  # probes whose two best others both cover them


def test_the_word_pair_look_is_calibrated_on_probes_whose_two_best_others_cover_them() -> None:
    owners = [0, 1, 2]
    rows = [[9.0, 3.0, 1.0, 0.5, 0.5], [0.5, 9.0, 0.5, 0.5, 0.5], [4.0, 1.0, 9.0, 0.5, 0.5]]
    # Probe 0 is complete with a pair lead; probe 1 is complete but its runner-up does not cover it (None).
    calibration = Calibration.from_scores(
        owners, rows, complete=[True, True, False], pair_leads=[0.2, None, 0.9]
    )
    assert calibration.complete_pairs == (0.2,)
    assert Calibration.decode(calibration.encode()) == calibration
    # A complete task whose pair lead beats every probe's is confident by it; without one it is not.
    calibration = Calibration((5.0, 6.0, 7.0), (), (), (), (1.0, 1.0, 1.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.2))
    scores = [3.0, 2.9, 0.0, 0.0, 0.0, 0.0]  # a lead of 0.1 over the runner-up, beyond a tie
    assert calibration.for_task(scores, size=6, complete=True, pair_lead=0.3)(3.0) == 0.75  # 3 of 3, over 4
    assert calibration.for_task(scores, size=6, complete=True, pair_lead=None)(3.0) == 0.0
    assert calibration.for_task(scores, size=6, complete=False, pair_lead=0.3)(3.0) == 0.0
