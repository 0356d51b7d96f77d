"""The registry: search path and precedence, shadowing, lookups, progressive disclosure, threads."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.bad_cases import GOOD_NEIGHBOUR, BadCase, bad_cases
from support.hang import within
from support.skills import MakeSkill, make_skill

from skillpack.bundled import skills_dir
from skillpack.errors import SkillContentError, SkillNotFoundError, UsageError
from skillpack.registry import SkillPack, SkillRoot, search_path, user_home

# -- the search path --------------------------------------------------------------------------------


def test_search_path_order(skill_home: Path, tmp_path: Path) -> None:
    project = Path.cwd()
    # Installed packages and plugins may add roots between the user's home and the bundled skills.
    roots = [
        r for r in search_path([tmp_path / "a", "b"]) if r.source in {"path", "project", "user", "bundled"}
    ]
    assert [(r.path, r.source, r.explicit) for r in roots] == [
        (tmp_path / "a", "path", True),
        (Path("b"), "path", True),
        (project / ".skillpack/skills", "project", False),
        (project / ".agents/skills", "project", False),
        (project / ".claude/skills", "project", False),
        (skill_home, "user", False),
        (skills_dir(), "bundled", False),
    ]
    assert search_path(["x"], include_defaults=False) == [SkillRoot(Path("x"), "path", explicit=True)]
    assert search_path(cwd=tmp_path)[0].path == tmp_path / ".skillpack/skills"


def test_user_home_defaults_to_dot_skillpack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SKILLPACK_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_home() == tmp_path / ".skillpack" / "skills"
    monkeypatch.setenv("SKILLPACK_HOME", "~/elsewhere")
    assert user_home() == tmp_path / "elsewhere"


PLACES = ["explicit", ".skillpack/skills", ".agents/skills", ".claude/skills", "home"]


@pytest.mark.parametrize("winner", range(len(PLACES)))
def test_earlier_place_wins_and_later_ones_are_shadowed(
    skill_home: Path, tmp_path: Path, winner: int
) -> None:
    folders = {
        "explicit": tmp_path / "explicit",
        "home": skill_home,
        **{place: Path.cwd() / place for place in PLACES[1:4]},
    }
    for place in PLACES[winner:]:
        make_skill(folders[place], "same", description=f"from {place}")
    explicit = [folders["explicit"]] if winner == 0 else []
    pack = SkillPack.discover(explicit)
    assert pack.get("same").description == f"from {PLACES[winner]}"
    assert pack.get("same").source == ("path", "project", "project", "project", "user")[winner]
    hidden = [s.skill.description for s in pack.shadowed if s.skill.name == "same"]
    assert hidden == [f"from {place}" for place in PLACES[winner + 1 :]]
    assert all(s.by is pack.get("same") for s in pack.shadowed)


def test_user_skill_shadows_a_bundled_one(skill_home: Path) -> None:
    bundled = SkillPack.from_paths([skills_dir()])
    assert len(bundled) > 0
    name = bundled.names[0]
    make_skill(skill_home, name, description="my own version")
    pack = SkillPack.discover()
    assert pack.get(name).source == "user"
    assert [(s.skill.source, s.skill.name) for s in pack.shadowed] == [("bundled", name)]
    assert {s.source for s in pack if s.name != name} == {"bundled"}
    assert len(pack) == len(bundled)


def test_the_same_folder_twice_does_not_shadow_itself(skill_home: Path, tmp_path: Path) -> None:
    make_skill(tmp_path / "lib", "once")
    pack = SkillPack.from_paths([tmp_path / "lib", tmp_path / "lib" / "once", tmp_path / "lib"])
    assert pack.names == ("once",) and pack.shadowed == ()
    bundled = SkillPack.discover([skills_dir()])
    assert bundled.shadowed == ()
    assert {s.source for s in bundled} == {"path"}


def test_project_places_are_relative_to_cwd(skill_home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    make_skill(other / ".claude" / "skills", "elsewhere")
    assert "elsewhere" not in SkillPack.discover()
    assert SkillPack.discover(cwd=other).get("elsewhere").source == "project"


def test_from_paths_ignores_the_default_places(skill_home: Path, tmp_path: Path) -> None:
    make_skill(skill_home, "home-skill")
    make_skill(tmp_path / "lib", "mine")
    assert SkillPack.from_paths([tmp_path / "lib"]).names == ("mine",)
    assert "home-skill" in SkillPack.discover()


# -- what a path may be -----------------------------------------------------------------------------


def test_a_path_may_be_a_skill_a_library_or_a_manifest_file(tmp_path: Path) -> None:
    one = make_skill(tmp_path / "lib", "one")
    make_skill(tmp_path / "lib", "two", form="agent-skills")
    assert SkillPack.from_paths([tmp_path / "lib"]).names == ("one", "two")
    assert SkillPack.from_paths([one]).names == ("one",)
    assert SkillPack.from_paths([one / "skill.yaml"]).names == ("one",)
    assert SkillPack.from_paths([str(tmp_path / "lib" / "two" / "SKILL.md")]).names == ("two",)


def test_hidden_and_underscore_folders_are_not_scanned(tmp_path: Path) -> None:
    make_skill(tmp_path / "lib", "seen")
    make_skill(tmp_path / "lib", ".git")
    make_skill(tmp_path / "lib", "_drafts")
    (tmp_path / "lib" / "README.md").write_text("not a skill\n", encoding="utf-8")
    pack = SkillPack.from_paths([tmp_path / "lib"])
    assert pack.names == ("seen",) and pack.problems == ()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such folder — give a skill folder or a folder of skills"),
        (
            lambda p: p.write_text("x", encoding="utf-8"),
            "not a folder — give a skill folder or a folder of skills",
        ),
    ],
)
def test_an_unusable_explicit_path_is_a_usage_error(tmp_path: Path, make: Any, message: str) -> None:
    target = tmp_path / "nowhere"
    make(target)
    with pytest.raises(UsageError) as caught:
        SkillPack.from_paths([target])
    assert str(caught.value) == f"{target}: {message}"
    assert caught.value.exit_code == 2


def test_missing_default_places_are_fine(skill_home: Path) -> None:
    pack = SkillPack.discover()
    assert pack.problems == ()
    assert {s.source for s in pack} <= {"bundled"}


def test_bad_skills_are_skipped_and_reported_and_the_rest_loads(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    make_skill(lib, "good")
    make_skill(lib, "warned", fields={"bogus": 1})
    (lib / "empty").mkdir()
    (lib / "broken").mkdir()
    (lib / "broken" / "SKILL.md").write_text("---\nname: broken\n", encoding="utf-8")
    pack = SkillPack.from_paths([lib])
    assert pack.names == ("good", "warned")
    assert sorted(p.code for p in pack.problems) == ["no-manifest", "unterminated-front-matter"]
    assert all(p.fatal for p in pack.problems)


# -- unreadable folders ------------------------------------------------------------------------------


UNREADABLE = (
    "locked/: folder: cannot be read: Permission denied"
    " — check the folder's permissions (it needs read and execute for this user)"
)


def test_unreadable_skill_folder_in_a_library(tmp_path: Path, deny_inside: list[Path]) -> None:
    lib = tmp_path / "lib"
    make_skill(lib, "good")
    deny_inside.append(make_skill(lib, "locked"))
    pack = SkillPack.from_paths([lib])
    assert pack.names == ("good",)
    assert [str(p) for p in pack.problems] == [UNREADABLE]


def test_unreadable_explicit_skill_folder(tmp_path: Path, deny_inside: list[Path]) -> None:
    deny_inside.append(make_skill(tmp_path, "locked"))
    pack = SkillPack.from_paths([tmp_path / "locked"])
    assert len(pack) == 0
    assert [str(p) for p in pack.problems] == [UNREADABLE]


def test_unreadable_library(tmp_path: Path, deny_inside: list[Path]) -> None:
    make_skill(tmp_path / "locked", "inner")
    make_skill(tmp_path / "open", "fine")
    deny_inside.append(tmp_path / "locked")
    pack = SkillPack.from_paths([tmp_path / "locked", tmp_path / "open"])
    assert pack.names == ("fine",)
    assert [str(p) for p in pack.problems] == [UNREADABLE]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need os.mkfifo")
def test_a_named_pipe_manifest_skips_that_skill_only(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    make_skill(lib, "good")
    (lib / "t1").mkdir()
    os.mkfifo(lib / "t1" / "SKILL.md")
    pack = within(10, lambda: SkillPack.from_paths([lib]))
    assert pack.names == ("good",)
    assert [str(p) for p in pack.problems] == [
        "t1/SKILL.md: file: the manifest is a named pipe (FIFO), not a regular file"
        " — replace SKILL.md with a UTF-8 text file"
    ]
    assert pack.problems[0].fatal
    alone = within(10, lambda: SkillPack.from_paths([lib / "t1"]))  # the folder itself, as a skill folder
    assert [p.code for p in alone.problems] == ["not-a-file"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads folders of mode 000")
def test_really_unreadable_folders(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    make_skill(lib, "good")
    locked = make_skill(lib, "locked")
    locked.chmod(0)
    try:
        pack = SkillPack.from_paths([lib])
        assert pack.names == ("good",)
        assert [str(p) for p in pack.problems] == [UNREADABLE]
        alone = SkillPack.from_paths([locked])
        assert [str(p) for p in alone.problems] == [UNREADABLE]
    finally:
        locked.chmod(0o755)


# -- every bad input in tests/data/bad ----------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("case", bad_cases(), ids=lambda case: case.name)
def test_bad_input_gives_its_line_and_the_rest_loads(
    case: BadCase, strict: bool, bad_library: Callable[[BadCase], Path]
) -> None:
    library = bad_library(case)
    pack = within(10, lambda: SkillPack.from_paths([library], strict=strict))
    lines = [str(p) for p in pack.problems] + [str(p) for skill in pack for p in skill.problems]
    for line in case.expected:
        assert line in lines
    assert pack.get(GOOD_NEIGHBOUR).problems == ()
    assert sorted(set(pack.names) - {GOOD_NEIGHBOUR}) == sorted(case.loads)
    assert {p.file.split("/")[0] for p in pack.problems} == set(case.skills) - set(case.loads)


def _everything(pack: SkillPack) -> list[object]:
    return [
        [str(p) for p in pack.problems],
        [(s.name, s.description, s.form, s.manifest_sha256, dict(s.manifest), s.problems) for s in pack],
    ]


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("case", bad_cases(), ids=lambda case: case.name)
def test_the_manifest_store_changes_nothing_that_is_reported(
    case: BadCase,
    strict: bool,
    bad_library: Callable[[BadCase], Path],
    cache: Path,
) -> None:
    library = bad_library(case)
    plain = _everything(SkillPack.from_paths([library], strict=strict))
    assert _everything(SkillPack.from_paths([library], strict=strict, cache=True)) == plain  # fills it
    assert list((cache / "manifests").iterdir())
    assert _everything(SkillPack.from_paths([library], strict=strict, cache=True)) == plain  # reads it


def test_the_manifest_store_follows_edits_and_ignores_damage(tmp_path: Path, cache: Path) -> None:
    library = tmp_path / "lib"
    make_skill(library, "one", description="First version.")
    assert SkillPack.from_paths([library], cache=True).get("one").description == "First version."
    make_skill(library, "one", description="Second version.")  # same size, maybe the same mtime
    assert SkillPack.from_paths([library], cache=True).get("one").description == "Second version."
    (store,) = (cache / "manifests").iterdir()
    store.write_bytes(store.read_bytes().replace(b"Second version.", b"Forged version."))
    assert SkillPack.from_paths([library], cache=True).get("one").description == "Second version."
    (library / "one" / "instructions.md").unlink()  # checked on every load, never taken from the store
    assert [p.code for p in SkillPack.from_paths([library], cache=True).get("one").problems] == [
        "missing-file"
    ]


def test_the_bundled_skills_load_the_same_from_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _everything(SkillPack.from_paths([skills_dir()]))
    SkillPack.from_paths([skills_dir()], cache=True)

    def no_parsing(*args: Any) -> None:
        raise AssertionError("a stored manifest was parsed again")

    monkeypatch.setattr("skillpack.manifest._parse_yaml", no_parsing)
    monkeypatch.setattr("skillpack.validation._schema_problems", no_parsing)
    assert _everything(SkillPack.from_paths([skills_dir()], cache=True)) == plain


@pytest.mark.parametrize(
    "case", [c for c in bad_cases() if c.loads and c.config.get("refuses", True)], ids=lambda case: case.name
)
def test_what_a_bad_skill_must_not_read_stays_unread(
    case: BadCase, bad_library: Callable[[BadCase], Path]
) -> None:
    pack = SkillPack.from_paths([bad_library(case)])
    refusals = []
    for name in case.loads:
        skill = pack.get(name)
        for relative in skill.manifest.get("resources", []):
            with pytest.raises(SkillContentError) as caught:
                skill.read_resource(relative)
            refusals.append(str(caught.value))
        try:
            skill.instructions()
        except SkillContentError as exc:
            refusals.append(str(exc))
    assert refusals
    for line in refusals:
        assert "\n" not in line
        assert line.split("/")[0].split(":")[0] in case.loads
        assert "refusing to read" in line or "over 1,048,576 bytes (1 MiB)" in line


# -- lookups ------------------------------------------------------------------------------------------


def test_get_unknown_name_suggests_close_matches(tmp_path: Path) -> None:
    for name in ("semver-bump", "sql-style", "semver-check"):
        make_skill(tmp_path / "lib", name)
    pack = SkillPack.from_paths([tmp_path / "lib"])
    with pytest.raises(SkillNotFoundError) as caught:
        pack.get("semver-bmp")
    assert str(caught.value) == "no skill named 'semver-bmp'; did you mean semver-bump, semver-check?"
    assert caught.value.close == ["semver-bump", "semver-check"]
    assert isinstance(caught.value, LookupError) and caught.value.exit_code == 2
    with pytest.raises(SkillNotFoundError, match="run `skillpack list` to see what is installed"):
        pack.get("zzzz")


def test_pack_access(tmp_path: Path) -> None:
    make_skill(tmp_path / "lib", "b")
    make_skill(tmp_path / "lib", "a")
    pack = SkillPack.from_paths([tmp_path / "lib"])
    assert [s.name for s in pack] == ["a", "b"] == list(pack.names)
    assert pack.skills == tuple(pack)
    assert len(pack) == 2 and "a" in pack and "c" not in pack
    assert repr(pack) == "<SkillPack 2 skills>"
    assert [r.path for r in pack.roots] == [tmp_path / "lib"]


# -- progressive disclosure ---------------------------------------------------------------------------

_opened: list[str] = []
_recording = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _recording.is_set() and isinstance(args[0], (str, bytes, os.PathLike)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def opened_during(action: Any) -> list[str]:
    _opened.clear()
    _recording.set()
    try:
        action()
    finally:
        _recording.clear()
    # Importing a codec or module on first use is the interpreter's business, not a skill read.
    return [path for path in _opened if not path.endswith((".py", ".pyc", ".so"))]


def files_opened_during(action: Any) -> list[str]:
    # One open can raise two events (builtins.open, then os.open in a custom opener): each file once.
    return list(dict.fromkeys(opened_during(action)))


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lib = tmp_path_factory.mktemp("thousand")
    for index in range(1000):
        folder = make_skill(lib, f"skill-{index:04d}", form="agent-skills" if index % 2 else "native")
        if index % 10 == 0:
            (folder / "reference.md").write_text("details\n", encoding="utf-8")
    # A body no parser could read: listing must stop at the front matter.
    make_skill(lib, "skill-binary-body", form="agent-skills", body=b"\x00\xff" * 1_000_000)
    return lib


def test_listing_a_thousand_skills_reads_manifests_only(thousand: Path) -> None:
    packs: list[SkillPack] = []
    opened = opened_during(lambda: packs.append(SkillPack.from_paths([thousand])))
    pack = packs[0]
    assert len(pack) == 1001 and pack.problems == ()
    # Each manifest is opened relative to its folder (skillpack.paths.open_beneath): the folder is opened too.
    inside = [Path(p) for p in opened if Path(p).is_relative_to(thousand) and not Path(p).is_dir()]
    assert {p.name for p in inside} == {"skill.yaml", "SKILL.md"}
    assert len(inside) == len(set(inside)) == 1001
    assert not [p for p in opened if p.endswith(("instructions.md", "reference.md"))]
    assert pack.get("skill-binary-body").description.startswith("Does skill-binary-body")


def test_instructions_and_resources_are_read_only_when_asked(thousand: Path) -> None:
    pack = SkillPack.from_paths([thousand])
    native, standard = pack.get("skill-0010"), pack.get("skill-0011")
    # Files are opened relative to their skill folder (see skillpack.paths.open_beneath): the folder, then
    # the name inside it.
    assert files_opened_during(lambda: native.instructions()) == [
        str(thousand / "skill-0010"),
        "instructions.md",
    ]
    assert files_opened_during(lambda: standard.instructions()) == [str(thousand / "skill-0011"), "SKILL.md"]
    assert files_opened_during(lambda: native.instructions()) == []
    assert files_opened_during(native.resources) == []
    assert native.resources() == ("reference.md",)
    assert files_opened_during(lambda: native.read_resource("reference.md")) == [
        str(thousand / "skill-0010"),
        "reference.md",
    ]


# -- threads --------------------------------------------------------------------------------------------


def test_concurrent_readers_see_the_same_pack(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    for index in range(40):
        folder = make_skill(
            lib, f"s-{index:02d}", form="agent-skills" if index % 2 else "native", body=f"# {index}\n"
        )
        (folder / "r.md").write_text(f"r{index}\n", encoding="utf-8")
    pack = SkillPack.from_paths([lib])
    builds: list[int] = []
    expected = {f"s-{i:02d}": (f"# {i}\n", f"r{i}\n") for i in range(40)}
    failures: list[str] = []
    barrier = threading.Barrier(8)

    def reader(offset: int) -> None:
        barrier.wait()
        for round_ in range(5):
            names = [skill.name for skill in pack]
            if names != sorted(expected):
                failures.append(f"iteration saw {names[:3]}...")
            for index in range(40):
                name = f"s-{(index + offset + round_) % 40:02d}"
                skill = pack.get(name)
                got = (skill.instructions(), skill.read_resource("r.md"))
                if got != expected[name]:
                    failures.append(f"{name}: {got}")
            index_ = pack.cache("index", lambda: builds.append(1) or tuple(pack.names))
            if index_ != tuple(sorted(expected)):
                failures.append("cache")

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert builds == [1]


def test_pack_is_built_from_skills_in_order(tmp_path: Path, make_skill: MakeSkill) -> None:
    first = make_skill(tmp_path / "one", "dup", description="first")
    second = make_skill(tmp_path / "two", "dup", description="second")
    from skillpack.skill import Skill

    pack = SkillPack([Skill.load(first), Skill.load(second)])
    assert pack.get("dup").description == "first"
    assert [s.skill.description for s in pack.shadowed] == ["second"]


def test_explicit_symlink_loop_is_a_usage_error(tmp_path: Path) -> None:
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    with pytest.raises(UsageError, match="no such folder"):
        SkillPack.from_paths([tmp_path / "loop"])
