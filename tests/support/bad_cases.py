"""Bad inputs kept as data (tests/data/bad): the cases, building a case's library, and unreadable folders."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.skills import DATA, make_skill


def deny_access(monkeypatch: pytest.MonkeyPatch, denied: list[Path]) -> None:
    """Make each folder in ``denied`` behave as if it had mode 000 for a non-root user.

    Root reads such folders anyway, so the suite simulates it: listing the folder (os.listdir,
    os.scandir, Path.iterdir) or looking up anything inside it (os.stat) raises PermissionError.
    Folders may be appended to ``denied`` after this call.
    """

    def blocked(path: Any, *, inside_only: bool) -> bool:
        if isinstance(path, int):
            return False
        target = Path(os.fsdecode(path)).absolute()
        return any(d in target.parents or (target == d and not inside_only) for d in denied)

    def error(path: Any) -> PermissionError:
        return PermissionError(13, "Permission denied", os.fsdecode(path))

    real_listdir, real_scandir, real_stat, real_iterdir = os.listdir, os.scandir, os.stat, Path.iterdir

    def listdir(path: Any = ".") -> list[str]:
        if blocked(path, inside_only=False):
            raise error(path)
        return real_listdir(path)

    def scandir(path: Any = ".") -> Any:
        if blocked(path, inside_only=False):
            raise error(path)
        return real_scandir(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if blocked(path, inside_only=True):
            raise error(path)
        return real_stat(path, *args, **kwargs)

    def iterdir(self: Path) -> Iterator[Path]:
        if blocked(self, inside_only=False):
            raise error(self)
        return real_iterdir(self)

    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(Path, "iterdir", iterdir)


BAD = DATA / "bad"
GOOD_NEIGHBOUR = "good-neighbour"


@dataclass(frozen=True)
class BadCase:
    """One folder of tests/data/bad: skill folders, the lines they must produce, and a recipe.

    ``case.json`` (optional) holds the recipe for what is not committed (``append`` text to grow a
    file past a limit, ``symlink``, ``unreadable`` folders), ``lenient_exit`` (default 1) and
    ``loads``: the bad skills that lenient loading keeps (default none).
    """

    name: str
    expected: tuple[str, ...]
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def skills(self) -> list[str]:
        return sorted(p.name for p in (BAD / self.name).iterdir() if p.is_dir())

    @property
    def loads(self) -> list[str]:
        return list(self.config.get("loads", []))

    @property
    def lenient_exit(self) -> int:
        return int(self.config.get("lenient_exit", 1))


def bad_cases() -> list[BadCase]:
    cases = []
    for folder in sorted(p for p in BAD.iterdir() if p.is_dir()):
        expected = tuple(
            line for line in (folder / "expected.txt").read_text(encoding="utf-8").splitlines() if line
        )
        config_file = folder / "case.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
        cases.append(BadCase(folder.name, expected, config))
    return cases


def build_bad_library(case: BadCase, dest: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copy ``case`` to ``dest``, apply its recipe, add a good skill beside it, and return ``dest``."""
    shutil.copytree(BAD / case.name, dest, ignore=shutil.ignore_patterns("expected.txt", "case.json"))
    for step in case.config.get("append", []):
        with open(dest / step["file"], "a", encoding="utf-8") as handle:
            handle.write(step["text"] * step["times"])
    for link in case.config.get("symlink", []):
        os.symlink(link["target"], dest / link["link"])
    make_skill(dest, GOOD_NEIGHBOUR)
    unreadable = [dest / name for name in case.config.get("unreadable", [])]
    if unreadable and (not hasattr(os, "geteuid") or os.geteuid() == 0):
        deny_access(monkeypatch, unreadable)
    else:
        for folder in unreadable:
            folder.chmod(0)
    return dest
