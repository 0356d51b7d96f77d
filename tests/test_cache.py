"""The cache folder's stores: checked files (a damaged one is ignored), token counts, parsed manifests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.hang import within
from support.skills import MakeSkill

from skillpack.cache import (
    CountStore,
    ManifestStore,
    is_plain_json,
    read_checked,
    write_atomic,
    write_checked,
)
from skillpack.problems import Problem

PROBLEM = Problem("a/skill.yaml", "$.name", "is wrong", "fix it", "warning", code="x", fatal=False)


def test_a_checked_file_reads_back_only_with_its_salt(tmp_path: Path) -> None:
    path = tmp_path / "c" / "data.json"
    write_checked(path, {"a": [1, "two", None]}, "salt-1")
    assert read_checked(path, "salt-1") == {"a": [1, "two", None]}
    assert read_checked(path, "salt-2") is None
    assert read_checked(tmp_path / "missing.json", "salt-1") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-3],  # truncated
        lambda data: data.replace(b'"two"', b'"tw0"'),  # one byte changed, still valid JSON
        lambda data: b"",
        lambda data: b"\x00\xff" + data,
        lambda data: data.split(b"\n", 1)[1],  # header lost
    ],
)
def test_a_damaged_checked_file_is_ignored(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "data.json"
    write_checked(path, {"a": [1, "two"]}, "s")
    write_atomic(path, damage(path.read_bytes()))  # type: ignore[operator]
    assert read_checked(path, "s") is None


def test_count_store_round_trip_and_damage(tmp_path: Path) -> None:
    path = tmp_path / "counts.json"
    store = CountStore(path)
    assert store.get("k") is None
    store.put("k", 12)
    store.save()
    assert CountStore(path).get("k") == 12
    path.write_text(json.dumps({"k": 13}), encoding="utf-8")  # an unchecked (old or forged) file
    assert CountStore(path).get("k") is None


def test_manifest_store_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    store = ManifestStore(path, salt="s")
    store.put("key", {"name": "a", "tags": ["x"], "n": 1.5, "ok": True, "none": None}, (PROBLEM,))
    store.save()
    again = ManifestStore(path, salt="s")
    assert again.get("key") == ({"name": "a", "tags": ["x"], "n": 1.5, "ok": True, "none": None}, (PROBLEM,))
    assert again.get("other") is None
    assert ManifestStore(path, salt="another skillpack").get("key") is None


def test_manifest_store_keeps_only_entries_used_since_opening(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    first = ManifestStore(path, salt="s")
    first.put("old", {"name": "old"}, ())
    first.save()
    second = ManifestStore(path, salt="s")
    second.put("new", {"name": "new"}, ())
    second.save()
    third = ManifestStore(path, salt="s")
    assert third.get("old") is None
    assert third.get("new") == ({"name": "new"}, ())


def test_manifest_store_refuses_values_json_would_change(tmp_path: Path) -> None:
    store = ManifestStore(tmp_path / "m.json", salt="s")
    for data in ({"when": {1: "a"}}, {"tags": ("a",)}, {"set": {"a"}}, {"x": float("nan")}, {"b": b"x"}):
        store.put("key", data, ())
        assert store.get("key") is None, data


def test_a_malformed_manifest_entry_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    write_checked(
        path,
        {
            "no-data": {"problems": []},
            "bad-problem": {"data": {}, "problems": [["a", "b", "c", "d", "fatal-ish", "x", False]]},
            "short-problem": {"data": {}, "problems": [["a"]]},
            "good": {"data": {"name": "g"}, "problems": [["a", "b", "c", "d", "error", "x", True]]},
        },
        "s",
    )
    store = ManifestStore(path, salt="s")
    assert [store.get(key) for key in ("no-data", "bad-problem", "short-problem")] == [None, None, None]
    assert store.get("good") == ({"name": "g"}, (Problem("a", "b", "c", "d", "error", "x", True),))


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"a": [1, 2.5, "x", None, True, {"b": []}]}, True),
        ({"a": {2: "x"}}, False),
        ({"a": (1,)}, False),
        ({"a": float("inf")}, False),
        ({"a": {"b"}}, False),
    ],
)
def test_is_plain_json(value: object, plain: bool) -> None:
    assert is_plain_json(value) is plain


def test_write_atomic_gives_ordinary_permissions_and_leaves_nothing_beside(tmp_path: Path) -> None:
    import os

    umask = os.umask(0)
    os.umask(umask)
    path = tmp_path / "out" / "report.md"
    write_atomic(path, b"shared with the team\n")
    assert path.read_bytes() == b"shared with the team\n"
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.md"]


# -- hostile cache files: ignored (and rewritten), never a hang or a crash --------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "symlink-to-good", "deep-json", "huge-integer"])
def test_a_hostile_checked_file_reads_as_missing(tmp_path: Path, kind: str) -> None:
    import hashlib

    path = tmp_path / "store.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "symlink-to-good":
        write_checked(tmp_path / "good.json", {"a": 1}, "salt")
        path.symlink_to("good.json")
    else:
        payload = b"[" * 100_000 + b"]" * 100_000 if kind == "deep-json" else b"1" * 5000
        # A forged header: anyone can compute the checksum, so it proves nothing about the payload.
        digest = hashlib.sha256(b"salt\0" + payload).hexdigest().encode("ascii")
        path.write_bytes(b"skillpack-cache 1 " + digest + b"\n" + payload)
    assert within(10, lambda: read_checked(path, "salt")) is None
    store = within(10, lambda: CountStore(path, salt="salt"))
    store.put("k", 1)
    store.save()  # replaces whatever was there with a real store
    assert not path.is_symlink() and read_checked(path, "salt") == {"k": 1}


def test_data_json_cannot_hold_is_skipped_not_raised(tmp_path: Path) -> None:
    write_checked(tmp_path / "a.json", {"a": {1, 2}})
    write_checked(tmp_path / "b.json", {"a": float("nan")})
    assert not (tmp_path / "a.json").exists() and not (tmp_path / "b.json").exists()


def test_count_store_ignores_counts_no_counter_can_have_written(tmp_path: Path) -> None:
    write_checked(tmp_path / "c.json", {"ok": 3, "huge": 10**100, "negative": -1, "text": "3"})
    assert CountStore(tmp_path / "c.json").get("ok") == 3
    assert [CountStore(tmp_path / "c.json").get(k) for k in ("huge", "negative", "text")] == [None] * 3


def test_commands_finish_with_pipes_and_devices_in_place_of_every_cache_file(
    tmp_path: Path, cache: Path, make_skill: MakeSkill
) -> None:
    from click.testing import CliRunner

    from skillpack.cli.main import cli

    library = tmp_path / "lib"
    make_skill(library, "commit-writer", description="Writes commit messages.")
    args = ["--path", str(library), "--only"]
    assert CliRunner().invoke(cli, [*args, "route", "commit"]).exit_code == 0
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert len(files) >= 3  # manifests, token counts, the lexical index
    for number, path in enumerate(files):
        path.unlink()
        if number % 2:
            os.mkfifo(path)
        else:
            path.symlink_to("/dev/zero")
    for command in (["list"], ["route", "commit"], ["validate", str(library)]):
        result = within(30, lambda: CliRunner().invoke(cli, [*args, *command]))  # noqa: B023
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output


def test_a_forged_manifest_store_cannot_make_an_unusable_skill_load(
    tmp_path: Path, cache: Path, make_skill: MakeSkill
) -> None:
    from skillpack import SkillPack
    from skillpack.validation import cache_salt

    library = tmp_path / "lib"
    make_skill(library, "fine")
    make_skill(library, "forged")
    SkillPack.from_paths([library], cache=True)
    (store,) = (cache / "manifests").iterdir()
    salt = cache_salt()
    assert salt is not None
    entries = read_checked(store, salt)
    for key, entry in entries.items():
        if "forged" in key:  # the checksum is recomputed, as anyone who can write the folder can do
            entry["data"] = {"name": "forged\x1b]0;x\x07", "tags": "x"}
            entry["problems"] = []
    write_checked(store, entries, salt)
    pack = SkillPack.from_paths([library], cache=True)
    assert list(pack.names) == ["fine"]
    assert [p.code for p in pack.problems] == ["no-description"]


def test_every_test_runs_with_the_user_folders_pointed_at_its_own(isolated_environment: Path) -> None:
    # The suite wrote into ~/.cache/skillpack, and failed when XDG_CACHE_HOME was set (issue 11, 14-15).
    from support.environment import ISOLATED_VARIABLES

    from skillpack.cache import cache_dir
    from skillpack.registry import user_home

    for variable in ISOLATED_VARIABLES:
        assert Path(os.environ[variable]).is_relative_to(isolated_environment), variable
    for folder in (Path.home(), cache_dir(), user_home()):
        assert folder.is_relative_to(isolated_environment)
