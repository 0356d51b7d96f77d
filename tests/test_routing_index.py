"""Persisted router indexes: content keys, reuse, corrupt or missing files, unwritable caches."""

from __future__ import annotations

import hashlib
import marshal
import math
import os
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.hang import within
from support.skills import MakeSkill

from skillpack import SkillPack
from skillpack.routing import index as routing_index
from skillpack.routing.index import KEEP_PER_KIND, MAGIC, cache_dir, content_key, load_or_build
from skillpack.routing.lexical import LexicalRouter
from skillpack.routing.vectors import VectorIndex


def build_counter() -> tuple[list[int], dict[str, object]]:
    calls: list[int] = []

    def build() -> bytes:
        calls.append(1)
        return b"payload-%d" % len(calls)

    options: dict[str, object] = {"build": build, "encode": lambda v: v, "decode": lambda b: b}
    return calls, options


def test_cache_dir_follows_skillpack_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLPACK_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "c" / "index"
    monkeypatch.delenv("SKILLPACK_CACHE")
    assert cache_dir() == tmp_path / "xdg" / "skillpack" / "index"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "skillpack" / "index"


def test_content_key_depends_on_manifests_and_settings(tmp_path: Path, make_skill: MakeSkill) -> None:
    make_skill(tmp_path / "lib", "alpha")
    make_skill(tmp_path / "lib", "beta")
    skills = SkillPack.from_paths([tmp_path / "lib"]).skills
    key = content_key("lexical", "s1", skills)
    assert key == content_key("lexical", "s1", tuple(reversed(skills)))  # order does not matter
    assert key != content_key("lexical", "s2", skills)
    assert key != content_key("embedding", "s1", skills)
    make_skill(tmp_path / "lib", "beta", description="Changed.")
    assert key != content_key("lexical", "s1", SkillPack.from_paths([tmp_path / "lib"]).skills)


def test_built_once_then_reused(tmp_path: Path) -> None:
    calls, options = build_counter()
    first = load_or_build("kind", "ab" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    assert not first.reused and first.notes[0].startswith("no persisted kind index for these skills yet")
    second = load_or_build("kind", "ab" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    assert second.reused and second.value == b"payload-1" and second.notes == ()
    assert len(calls) == 1
    # No temporary files left; the build lock stays, one per router, for the next build.
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"kind-{'ab' * 16}.idx", "kind.lock"]


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data[:-3], "checksum mismatch"),
        (lambda data: data[:5], "bad header"),
        (lambda data: b"garbage" + data, "bad header"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]), "checksum mismatch"),
    ],
)
def test_a_corrupt_file_is_rebuilt_with_a_warning(tmp_path: Path, damage: object, why: str) -> None:
    _calls, options = build_counter()
    load_or_build("kind", "cd" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    (path,) = tmp_path.glob("*.idx")
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    again = load_or_build("kind", "cd" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    assert not again.reused and again.value == b"payload-2"
    assert again.notes == (f"the persisted kind index {path} is corrupt ({why}); rebuilt it",)
    assert path.read_bytes().startswith(MAGIC)
    assert load_or_build("kind", "cd" * 32, directory=tmp_path, **options).reused  # type: ignore[arg-type]


def test_a_payload_that_cannot_be_decoded_is_rebuilt(tmp_path: Path) -> None:
    _calls, options = build_counter()
    load_or_build("kind", "ef" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]

    def refuse(payload: bytes) -> bytes:
        raise ValueError("index format 0, expected 1")

    options["decode"] = refuse
    again = load_or_build("kind", "ef" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    assert "cannot be decoded (ValueError: index format 0, expected 1); rebuilt it" in again.notes[0]


def test_an_unwritable_cache_still_routes_and_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    _calls, options = build_counter()
    loaded = load_or_build("kind", "01" * 32, directory=blocker / "index", **options)  # type: ignore[arg-type]
    assert loaded.value == b"payload-1"
    assert "could not be saved" in loaded.notes[0] and "rebuilt next time" in loaded.notes[0]


def test_rebuild_ignores_the_persisted_copy_and_persist_false_touches_nothing(tmp_path: Path) -> None:
    calls, options = build_counter()
    load_or_build("kind", "23" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    rebuilt = load_or_build("kind", "23" * 32, directory=tmp_path, rebuild=True, **options)  # type: ignore[arg-type]
    assert not rebuilt.reused and rebuilt.notes == () and len(calls) == 2
    memory = load_or_build("kind", "45" * 32, directory=tmp_path / "x", persist=False, **options)  # type: ignore[arg-type]
    assert memory.value == b"payload-3" and not (tmp_path / "x").exists()


def test_router_rebuilds_a_corrupt_lexical_index_with_a_note(
    tmp_path: Path, cache: Path, make_skill: MakeSkill
) -> None:
    make_skill(tmp_path / "lib", "commit-writer", description="Writes commit messages.")
    LexicalRouter().prepare(SkillPack.from_paths([tmp_path / "lib"]))
    (path,) = (cache / "index").glob("lexical-*.idx")
    path.write_bytes(b"\x00" * 10)
    ranking = LexicalRouter().rank("commit", SkillPack.from_paths([tmp_path / "lib"]))
    assert ranking.matches[0].skill.name == "commit-writer"
    assert ranking.notes == (f"the persisted lexical index {path} is corrupt (bad header); rebuilt it",)
    path.unlink()
    missing = LexicalRouter().rank("commit", SkillPack.from_paths([tmp_path / "lib"]))
    assert missing.notes[0].startswith("no persisted lexical index for these skills yet; built it")
    assert path.is_file()


def test_old_indexes_are_pruned(tmp_path: Path) -> None:
    _calls, options = build_counter()
    for number in range(KEEP_PER_KIND + 4):
        load_or_build("kind", f"{number:032x}" + "0" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    load_or_build("other", "ff" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    kept = sorted(p.name for p in tmp_path.glob("kind-*.idx"))
    assert len(kept) == KEEP_PER_KIND
    assert f"kind-{KEEP_PER_KIND + 3:032x}.idx" in kept  # the newest stays
    assert (tmp_path / f"other-{'ff' * 16}.idx").is_file()  # other kinds are left alone


# -- forged and hostile index files: always "rebuild", never a crash or a hang ----------------------


def _signed(payload: bytes) -> bytes:
    return MAGIC + hashlib.sha256(payload).digest() + payload


def _lexical_fields(path: Path) -> list[object]:
    data = path.read_bytes()
    return list(marshal.loads(data[len(MAGIC) + 32 :]))


def _docs(*numbers: int) -> bytes:
    return array("i", numbers).tobytes()


def _weights(*values: float) -> bytes:
    return array("d", values).tobytes()


FORGERIES: dict[str, Callable[[list[Any]], object]] = {
    "not-a-tuple": lambda f: [1, 2, 3],
    "short-tuple": lambda f: tuple(f[:3]),
    "other-names": lambda f: (f[0], ["intruder", *f[1][1:]], *f[2:]),
    "names-twice": lambda f: (f[0], [f[1][0], f[1][0]], *f[2:]),
    "names-not-text": lambda f: (f[0], [1, 2], *f[2:]),
    "doc-out-of-range": lambda f: (*f[:4], {"commit": (_docs(99), _weights(1.0))}, *f[5:]),
    "negative-doc": lambda f: (*f[:4], {"commit": (_docs(-1), _weights(1.0))}, *f[5:]),
    "unequal-lengths": lambda f: (*f[:4], {"commit": (_docs(0, 1), _weights(1.0))}, *f[5:]),
    "torn-array": lambda f: (*f[:4], {"commit": (b"\x00\x00\x00", _weights(1.0))}, *f[5:]),
    "nan-weight": lambda f: (*f[:5], {"commit": (_docs(0), _weights(math.nan))}, f[6]),
    "idf-text": lambda f: (f[0], f[1], {"commit": "x"}, *f[3:]),
    "unseen-idf-huge": lambda f: (*f[:3], 10**400, *f[4:]),
    "postings-list": lambda f: (*f[:4], [], *f[5:]),
    "splits-numbers": lambda f: (*f[:6], {"a": [1]}),
    "format-text": lambda f: ("x" * 10_000, *f[1:]),
}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_a_forged_lexical_index_with_a_valid_checksum_is_rebuilt(
    forgery: str, cache: Path, make_skill: MakeSkill, tmp_path: Path
) -> None:
    # Each of these crashed routing (IndexError, KeyError, ValueError from zip(strict=True), ...).
    make_skill(tmp_path / "lib", "commit-writer", description="Writes commit messages.")
    make_skill(tmp_path / "lib", "haiku", description="Writes haiku poems.")
    LexicalRouter().prepare(SkillPack.from_paths([tmp_path / "lib"]))
    (path,) = (cache / "index").glob("lexical-*.idx")
    path.write_bytes(_signed(marshal.dumps(FORGERIES[forgery](_lexical_fields(path)))))
    ranking = LexicalRouter().rank("commit", SkillPack.from_paths([tmp_path / "lib"]))
    assert ranking.matches[0].skill.name == "commit-writer"
    (note,) = ranking.notes
    assert note.startswith(f"the persisted lexical index {path} cannot be decoded (") and len(note) < 400
    assert note.endswith("; rebuilt it")
    assert LexicalRouter().rank("commit", SkillPack.from_paths([tmp_path / "lib"])).notes == ()  # rewritten


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "symlink-to-index", "folder"])
def test_something_else_in_place_of_an_index_file_is_replaced_without_hanging(
    kind: str, cache: Path, make_skill: MakeSkill, tmp_path: Path
) -> None:
    make_skill(tmp_path / "lib", "commit-writer", description="Writes commit messages.")
    LexicalRouter().prepare(SkillPack.from_paths([tmp_path / "lib"]))
    (path,) = (cache / "index").glob("lexical-*.idx")
    saved = tmp_path / "saved.idx"
    path.rename(saved)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "symlink-to-index":
        path.symlink_to(saved)  # even a good index is not read through a link someone else may point
    else:
        path.mkdir()
    ranking = within(20, lambda: LexicalRouter().rank("commit", SkillPack.from_paths([tmp_path / "lib"])))
    assert ranking.matches[0].skill.name == "commit-writer"
    assert ranking.notes[0].startswith(f"the persisted lexical index {path} cannot be read (")
    if kind != "folder":  # a folder cannot be replaced by a file: rebuilt every time, said every time
        assert path.is_file() and not path.is_symlink()


def test_the_vector_index_decoder_refuses_what_encode_cannot_have_written() -> None:
    import numpy as np

    good = VectorIndex(
        ["a", "b"],
        np.ones((2, 4), dtype=np.float32),
        np.ones((1, 4), dtype=np.float32),
        np.array([1], dtype=np.int32),
        {7: 0.5},
    )

    def decode(payload: bytes, *, state_ok: Callable[[Any], bool] = lambda s: s == {7: 0.5}) -> VectorIndex:
        return VectorIndex.decode(payload, 3, 4, names=["b", "a"], state_ok=state_ok)

    assert decode(good.encode(3)).names == ["a", "b"]
    fields = list(marshal.loads(good.encode(3)))
    forged = {
        "format": (2, *fields[1:]),
        "names": (3, ["a", "c"], *fields[2:]),
        "skill rows": (3, fields[1], fields[2][:-4], *fields[3:]),
        "not finite": (3, fields[1], np.full((2, 4), np.inf, dtype=np.float32).tobytes(), *fields[3:]),
        "owner": (3, *fields[1:4], np.array([2], dtype=np.int32).tobytes(), fields[5]),
        "owner count": (3, *fields[1:4], np.array([0, 1], dtype=np.int32).tobytes(), fields[5]),
        "state": (3, *fields[1:5], {7: "x"}),
        "not bytes": (3, fields[1], [1.0] * 8, *fields[3:]),
    }
    for what, payload in forged.items():
        with pytest.raises(ValueError):
            decode(marshal.dumps(payload))
        assert what
    with pytest.raises(ValueError, match="state"):
        decode(good.encode(3), state_ok=lambda state: state is None)


def test_a_build_lock_held_elsewhere_costs_a_second_build_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    monkeypatch.setattr(routing_index, "LOCK_WAIT", 0.0)
    calls, options = build_counter()
    with FileLock(tmp_path / "kind.lock"):  # another process is building an index of this router
        first = load_or_build("kind", "ab" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    assert first.value == b"payload-1" and not first.reused
    second = load_or_build("kind", "ab" * 32, directory=tmp_path, **options)  # type: ignore[arg-type]
    assert second.reused and len(calls) == 1  # what it built without the lock was saved all the same


def test_a_symlink_in_place_of_the_build_lock_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "kind.lock").symlink_to(victim)
    _, options = build_counter()
    loaded = load_or_build("kind", "ab" * 32, directory=cache, **options)  # type: ignore[arg-type]
    assert loaded.value == b"payload-1" and victim.read_text() == "keep me"
