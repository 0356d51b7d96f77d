"""Shared fixtures: an isolated search path, a skill-folder builder, and the shared corpora."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = Path(__file__).resolve().parent / "data"

#: Pass as a field value to leave that field out of the manifest (e.g. ``description=OMIT``).
OMIT: Any = object()

DEFAULT_BODY = "# Steps\n\n1. Do the thing.\n2. Check the thing.\n"

MakeSkill = Callable[..., Path]


def make_skill(
    root: Path,
    name: str,
    *,
    form: str = "native",
    body: str | bytes = DEFAULT_BODY,
    fields: dict[str, Any] | None = None,
    **named: Any,
) -> Path:
    """Write the skill folder ``root/name`` and return it.

    ``form`` is ``native`` (skill.yaml + instructions.md) or ``agent-skills`` (SKILL.md). The manifest
    holds ``name`` and a description unless overridden; ``named`` and ``fields`` (for keys that are
    not Python identifiers, such as ``allowed-tools``) add or replace fields, and ``OMIT`` drops one.
    """
    manifest: dict[str, Any] = {
        "name": name,
        "description": f"Does {name} things. Use when a task needs {name}.",
    }
    manifest.update(named)
    manifest.update(fields or {})
    manifest = {key: value for key, value in manifest.items() if value is not OMIT}
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    raw_body = body.encode("utf-8") if isinstance(body, str) else body
    if form == "native":
        (folder / "skill.yaml").write_text(text, encoding="utf-8")
        instructions = folder / str(manifest.get("instructions", "instructions.md"))
        instructions.parent.mkdir(parents=True, exist_ok=True)
        instructions.write_bytes(raw_body)
    elif form == "agent-skills":
        (folder / "SKILL.md").write_bytes(f"---\n{text}---\n\n".encode() + raw_body)
    else:
        raise ValueError(f"unknown form {form!r}")
    return folder


@pytest.fixture(name="make_skill")
def make_skill_fixture() -> MakeSkill:
    """Return the ``make_skill(root, name, form=..., **fields)`` helper."""
    return make_skill


#: The environment variables that lead to the user's files; ``isolated_environment`` points each at tmp.
ISOLATED_VARIABLES = (
    "HOME",
    "SKILLPACK_HOME",
    "SKILLPACK_CACHE",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
)


def _isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Point every variable of ``ISOLATED_VARIABLES`` into ``root``; ``$SKILLPACK_CACHE`` is ``root/cache``."""
    (root / "home").mkdir()
    for variable in ISOLATED_VARIABLES:
        name = "cache" if variable == "SKILLPACK_CACHE" else variable.lower().replace("_", "-")
        monkeypatch.setenv(variable, str(root / name))
    return root


@pytest.fixture(autouse=True, scope="session")
def isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Isolate what runs outside any one test too (a module's fixtures, such as a wheel built once)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield _isolate(monkeypatch, tmp_path_factory.mktemp("session-env"))


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, the XDG folders and skillpack's own variables at a fresh folder, for every test.

    No test may read or write the real user's home or cache, whatever the machine's environment says.
    The folder is outside ``tmp_path`` so that a test listing ``tmp_path`` as a library sees only its
    own files. Returns the folder; ``$SKILLPACK_CACHE`` is its ``cache/`` (see the ``cache`` fixture).
    ``$SKILLPACK_DEBUG`` is unset, so a developer's own setting cannot add tracebacks to checked output.
    """
    monkeypatch.delenv("SKILLPACK_DEBUG", raising=False)
    return _isolate(monkeypatch, tmp_path_factory.mktemp("env"))


@pytest.fixture
def cache(isolated_environment: Path) -> Path:
    """Return the test's skillpack cache folder (``$SKILLPACK_CACHE``); it may not exist yet."""
    return isolated_environment / "cache"


@pytest.fixture
def skill_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point ``$SKILLPACK_HOME`` at an empty folder and chdir into an empty project, so the default
    search path holds nothing but the bundled skills. Yields the skill home."""
    home = tmp_path / "home" / "skills"
    home.mkdir(parents=True)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("SKILLPACK_HOME", str(home))
    monkeypatch.chdir(project)
    yield home


@pytest.fixture
def shared_dir() -> Path:
    """Return ../shared (the repository's sibling), or skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: this test needs the shared corpora beside the repository")
    return SHARED


# -- unreadable folders -------------------------------------------------------------------------------


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


@pytest.fixture
def deny_inside(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Return a list; folders appended to it behave as unreadable (see ``deny_access``)."""
    denied: list[Path] = []
    deny_access(monkeypatch, denied)
    return denied


# -- bad inputs kept as data ---------------------------------------------------------------------------

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


@pytest.fixture
def bad_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[BadCase], Path]]:
    """Return ``build(case)``: the case's library in tmp_path, with a good skill beside the bad ones."""
    built: list[Path] = []

    def build(case: BadCase) -> Path:
        library = build_bad_library(case, tmp_path / "lib", monkeypatch)
        built.append(library)
        return library

    yield build
    for library in built:
        for name in (case_dir.name for case_dir in library.iterdir() if case_dir.is_dir()):
            (library / name).chmod(0o755)


def within(seconds: float, action: Callable[[], Any]) -> Any:
    """Return ``action()``, failing the test if it runs longer than ``seconds`` (a hang guard)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # re-raised in the test's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds} s: a bad input must never hang")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
