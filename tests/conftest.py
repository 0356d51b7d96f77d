"""Fixtures only: an isolated environment, a skill-folder builder, bad inputs, the shared corpora.

Helpers that tests import by name live in tests/support/ (``from support.skills import make_skill``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.bad_cases import BadCase, build_bad_library, deny_access
from support.environment import isolate
from support.skills import SHARED, MakeSkill, make_skill


@pytest.fixture(name="make_skill")
def make_skill_fixture() -> MakeSkill:
    """Return the ``make_skill(root, name, form=..., **fields)`` helper."""
    return make_skill


@pytest.fixture(autouse=True, scope="session")
def isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Isolate what runs outside any one test too (a module's fixtures, such as a wheel built once)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield isolate(monkeypatch, tmp_path_factory.mktemp("session-env"))


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, the XDG folders and skillpack's own variables at a fresh folder, for every test.

    No test may read or write the real user's home or cache, whatever the machine's environment says.
    The folder is outside ``tmp_path`` so that a test listing ``tmp_path`` as a library sees only its
    own files. Returns the folder; ``$SKILLPACK_CACHE`` is its ``cache/`` (see the ``cache`` fixture).
    ``$SKILLPACK_DEBUG`` is unset, so a developer's own setting cannot add tracebacks to checked output.
    """
    monkeypatch.delenv("SKILLPACK_DEBUG", raising=False)
    return isolate(monkeypatch, tmp_path_factory.mktemp("env"))


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


@pytest.fixture
def deny_inside(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Return a list; folders appended to it behave as unreadable (see ``deny_access``)."""
    denied: list[Path] = []
    deny_access(monkeypatch, denied)
    return denied


# -- bad inputs kept as data ---------------------------------------------------------------------------


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
