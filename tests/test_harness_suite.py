"""Loading suites: the bundled one, its generator, and every way a suite file can be wrong."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.harness import tiny_document, write_suite
from support.scripts import load_benchmark

from skillpack.errors import UsageError
from skillpack.harness import BUNDLED_SUITE, load_suite
from skillpack.harness.suite import BUNDLED_SUITES, suite_path


def test_bundled_suite_has_enough_tasks_and_look_alike_distractors() -> None:
    suite = load_suite(BUNDLED_SUITE)
    assert len(suite.tasks) >= 40
    gold = {name for task in suite.tasks for name in task.gold}
    assert len(suite.skills) - len(gold) >= 250
    families = Counter(suite.families.values())
    assert len(families) >= 10 and min(families.values()) >= 20
    for task in suite.tasks:
        family = suite.families[task.gold[0]]
        # Every task's gold skill has look-alikes: same kind of rule, other values.
        assert families[family] > 1
        # The check's value appears in no look-alike's instructions verbatim as a whole code.
        assert task.expect["check"] == "contains" and task.expect["whole_word"] is True


def test_bundled_answers_cannot_be_known_without_the_gold_skill() -> None:
    from skillpack.checks import contains

    suite = load_suite(BUNDLED_SUITE)
    for task in suite.tasks:
        # The task's own wording never passes its check (closed book gets nothing for free).
        assert not contains(task.prompt, task.expect), task.id


def test_generator_is_deterministic_and_the_committed_file_is_current() -> None:
    generator = load_benchmark("make_suite")
    assert generator.render(generator.build(7)) == generator.render(generator.build(7))
    assert generator.render(generator.build(7)) != generator.render(generator.build(8))
    assert BUNDLED_SUITE.read_text(encoding="utf-8") == generator.render(generator.build(generator.SEED))
    assert generator.main(["--check", "--out", str(BUNDLED_SUITE)]) == 0


def test_inline_skills_become_skill_folders(tmp_path: Path, cache: Path) -> None:
    suite = load_suite(write_suite(tmp_path))
    assert len(suite.skills) == 12
    skill = suite.skill("team00-ticket-codes")
    assert skill.manifest_path.name == "SKILL.md" and str(cache) in str(skill.manifest_path)
    assert "QX-00-TICKET" in skill.instructions()
    assert suite.families["team07-invoice-codes"] == "invoice"
    # Loading again leaves identical files alone.
    stamp = skill.manifest_path.stat().st_mtime_ns
    load_suite(tmp_path / "suite.json")
    assert skill.manifest_path.stat().st_mtime_ns == stamp


def test_skill_paths_are_resolved_next_to_the_suite(tmp_path: Path, make_skill: Any) -> None:
    make_skill(tmp_path / "lib", "alpha-rules", form="agent-skills", body="Alpha code is AL-1.\n")
    document = {
        "suite": "paths",
        "skill_paths": ["lib"],
        "tasks": [
            {
                "id": "a",
                "prompt": "alpha code?",
                "gold": ["alpha-rules"],
                "expect": {"check": "exact", "value": "AL-1"},
            }
        ],
    }
    suite = load_suite(write_suite(tmp_path, document))
    assert [s.name for s in suite.skills] == ["alpha-rules"]


def _broken(tmp_path: Path, change: Any) -> Path:
    document = tiny_document()
    change(document)
    return write_suite(tmp_path, document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["tasks"][1].pop("expect"),
            r"suite.json: \$.tasks\[1\]: 'expect' is a required property",
        ),
        (
            lambda d: d["tasks"][0]["expect"].pop("value"),
            r"suite.json: \$.tasks\[0\].expect: 'value' is a required",
        ),
        (
            lambda d: d["tasks"][2].update(gold=["a", "a"]),
            r"suite.json: \$.tasks\[2\].gold: \['a', 'a'\] has non-unique elements",
        ),
        (lambda d: d["skills"][3].update(name="Bad Name"), r"\$.skills\[3\].name: 'Bad Name' does not match"),
        (lambda d: d.update(tasks=[]), r"\$.tasks: \[\] should be non-empty"),
        (lambda d: d.pop("skills"), r"suite.json: \$: .* is not valid under any of the given schemas"),
    ],
)
def test_schema_failures_name_the_file_and_json_path(tmp_path: Path, change: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        load_suite(_broken(tmp_path, change))
    assert "see schemas/suite.schema.json" in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["tasks"][0].update(expect={"check": "regex", "pattern": "QX-(00"}),
            r"\$.tasks\[0\].expect: the 'regex' check cannot be evaluated: 'pattern' is not a valid regular"
            r" expression: missing \), unterminated subpattern",
        ),
        (
            lambda d: d["tasks"][1].update(expect={"check": "sounds-right", "value": "x"}),
            r"\$.tasks\[1\].expect.check: unknown check 'sounds-right'; choose one of: contains, exact,"
            r" json_field, regex",
        ),
        (
            lambda d: d["tasks"][2].update(gold=["no-such-skill"]),
            r"\$.tasks\[2\].gold\[0\]: no skill named 'no-such-skill' in the suite",
        ),
        (lambda d: d["tasks"][1].update(id="t0"), r"\$.tasks\[1\].id: task id 't0' is used twice"),
        (
            lambda d: d["skills"][5].update(name=d["skills"][0]["name"]),
            r"\$.skills\[5\].name: 'team00-ticket-codes' is also the name of skill 0",
        ),
    ],
)
def test_semantic_failures_name_the_place_and_the_fix(tmp_path: Path, change: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_suite(_broken(tmp_path, change))


def test_a_plugin_check_that_cannot_evaluate_is_refused(tmp_path: Path) -> None:
    from skillpack import plugins
    from skillpack.hookspecs import hookimpl

    class Plugin:
        @staticmethod
        @hookimpl
        def skillpack_register_checks(register: Any) -> None:
            register(
                "needs-words",
                lambda output, spec: len(spec["words"]) > 0 and all(w in output for w in spec["words"]),
            )

    manager = plugins.manager()
    manager.add(Plugin, name="test-needs-words")
    try:
        path = _broken(tmp_path, lambda d: d["tasks"][0].update(expect={"check": "needs-words"}))
        with pytest.raises(
            UsageError, match=r"\$.tasks\[0\].expect: the 'needs-words' check cannot be evaluated: 'words'"
        ):
            load_suite(path)
        good = _broken(
            tmp_path, lambda d: d["tasks"][0].update(expect={"check": "needs-words", "words": ["QX"]})
        )
        assert load_suite(good).tasks[0].expect["check"] == "needs-words"
    finally:
        manager.unregister(name="test-needs-words")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"suite": "x",', r"suite.json: line 1 column 15: not valid JSON"),
        (b"\xff\xfe{}", r"suite.json: file: not UTF-8 text"),
    ],
)
def test_unreadable_suite_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "suite.json"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        load_suite(path)


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope.json: no such suite file"):
        load_suite(tmp_path / "nope.json")


def test_suite_json_is_canonical(tmp_path: Path) -> None:
    document = json.loads(BUNDLED_SUITE.read_text(encoding="utf-8"))
    assert document["generator"]["script"] == "benchmarks/make_suite.py"
    assert [s["name"] for s in document["skills"]] == sorted(s["name"] for s in document["skills"])


# -- office-facts: one value per skill ----------------------------------------------------------------

FACTS = BUNDLED_SUITES["office-facts"]
CONTROL = BUNDLED_SUITES["office-facts-random"]


def test_office_facts_has_look_alikes_and_the_same_office_in_every_family() -> None:
    suite = load_suite(FACTS)
    gold_tasks = [t for t in suite.tasks if t.gold]
    assert len(gold_tasks) >= 48 and len(suite.skills) >= 256 + 48
    families = Counter(suite.families.values())
    assert len(families) == 12 and min(families.values()) == 32
    for task in gold_tasks:
        (gold,) = task.gold
        office = gold[: -len(suite.families[gold]) - 1]
        same_office = [s for s in suite.skills if s.name.startswith(office + "-") and s.name != gold]
        # Eleven other facts of the same office, each naming it: what trips a lexical router.
        assert len(same_office) == 11 and all(
            office.split("-")[0].title() in s.description for s in same_office
        )
        # The answer is in the gold skill only, and the prompt never contains it.
        value = task.expect["value"]
        holders = [s.name for s in suite.skills if value in s.instructions()]
        assert holders == [gold] and value not in task.prompt


def test_office_facts_tasks_without_a_gold_skill_are_checkable() -> None:
    from skillpack.checks import contains

    suite = load_suite(FACTS)
    no_skill = [t for t in suite.tasks if not t.gold]
    assert len(no_skill) == 12 and suite.tasks[-12:] == tuple(no_skill)  # --limit 48: gold tasks only
    for task in no_skill:
        assert contains(f"The answer is {task.expect['value']}.", task.expect)
        assert not contains("I do not know.", task.expect)


def test_office_facts_control_has_the_same_skills_and_tasks_without_families() -> None:
    facts, control = load_suite(FACTS), load_suite(CONTROL)
    assert control.name == "office-facts-random" and control.families == {}
    assert [s.name for s in control.skills] == [s.name for s in facts.skills]
    assert [(t.prompt, t.expect) for t in control.tasks] == [(t.prompt, t.expect) for t in facts.tasks]


def test_facts_generator_is_deterministic_and_the_committed_files_are_current(tmp_path: Path) -> None:
    generator = load_benchmark("make_facts_suite")
    assert generator.render(generator.build(7)) == generator.render(generator.build(7))
    assert generator.render(generator.build(7)) != generator.render(generator.build(8))
    assert FACTS.read_text(encoding="utf-8") == generator.render(generator.build())
    assert CONTROL.read_text(encoding="utf-8") == generator.render(generator.build(families=False))
    assert generator.main(["--check"]) == 0 and generator.main(["--check", "--no-families"]) == 0
    stale = tmp_path / "stale.json"
    stale.write_text("{}", encoding="utf-8")
    assert generator.main(["--check", "--out", str(stale)]) == 1


def test_facts_generator_grows_the_pool() -> None:
    generator = load_benchmark("make_facts_suite")
    grown = generator.build(entities=100)
    names = [s["name"] for s in grown["skills"]]
    assert len(names) == len(set(names)) == 1200
    values = [s["instructions"].split(" is ", 1)[1].split(".\n", 1)[0] for s in grown["skills"]]
    assert len(set(values)) == len(values)  # every value unique, so a wrong answer names its source


def test_a_bundled_suite_is_found_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert suite_path(None) == BUNDLED_SUITE
    assert suite_path("office-facts") == FACTS
    monkeypatch.chdir(tmp_path)
    (tmp_path / "office-facts").write_text("{}", encoding="utf-8")
    assert suite_path("office-facts") == Path("office-facts")  # a file of that name wins
    assert suite_path("mine.json") == Path("mine.json")


def test_wrong_answers_are_traced_to_the_skill_whose_value_they_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    errors = load_benchmark("facts_errors")
    document = json.loads(FACTS.read_text(encoding="utf-8"))
    task = document["tasks"][0]  # door-code-1
    gold = task["gold"][0]
    office = gold[: -len("-door-code")]
    values = {
        s["name"]: s["instructions"].split(" office is ", 1)[1].split(".\n", 1)[0] for s in document["skills"]
    }
    look_alike = next(n for n in values if n.endswith("-door-code") and n != gold)
    same_office = next(n for n in values if n.startswith(office + "-") and n != gold)

    def trial(size: int, output: str, key: str) -> str:
        line = {"strategy": "all", "size": size, "status": "ok", "passed": False, "gold": [gold]}
        return json.dumps({**line, "output": output, "request_key": key})

    lines = [
        trial(4, f"It is {values[look_alike]}.", "a"),
        trial(4, f"It is {values[look_alike]}.", "a"),  # the same request: one observation
        trial(8, f"It is {values[same_office]}.", "b"),
        trial(8, "I do not know.", "c"),
    ]
    (tmp_path / "trials.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert errors.main([str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "| all | 4 | 1 | 1 | 0 | 0 | 0 |" in table
    assert "| all | 8 | 2 | 0 | 1 | 0 | 1 |" in table
