"""A third-party backend and router, registered through the real hooks, get exactly what built-ins get.

Each declares every capability; ``run``, ``run --dry-run``, ``route`` and ``bench`` (every strategy) must
act on the declaration alone, never on a name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result
from support.harness import LIMIT_EXAMPLE, within_first, write_suite

from skillpack import plugins
from skillpack.backends.base import Backend, Prompt, Reply, Request
from skillpack.cli.main import cli
from skillpack.errors import UsageError
from skillpack.harness.strategies import STRATEGIES
from skillpack.hookspecs import Register, hookimpl
from skillpack.registry import SkillPack
from skillpack.routing.base import Match, Ranking, Router

TASK = "write a git commit message for this change"
KEY = "THIRD_PARTY_KEY"


class Keyed(Backend):
    """A small model behind a key: no tool loop, a 4,096-token window, threads, no batches."""

    name = "keyed"
    loads_skills = False
    supports_threads = True
    supports_batches = False
    built: ClassVar[list[dict[str, Any]]] = []
    answer: ClassVar[Callable[[Request], str]] = staticmethod(lambda request: "keyed answer")

    def __init__(self, *, model: str | None = None, threads: int | None = None) -> None:
        import os

        if not os.environ.get(KEY):
            raise RuntimeError(f"set {KEY}")  # a plugin's own error, not a skillpack one
        self.model = model or "keyed-1"
        Keyed.built.append({"model": model, "threads": threads})

    @property
    def context_window(self) -> int:
        return 4096

    @classmethod
    def prompt(cls, request: Request) -> Prompt:
        return Prompt(system="KEYED PROMPT\n" + request.system, task=request.task)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, request: Request) -> Reply:
        return Reply(text=type(self).answer(request), model=self.model, backend=self.name)


class Asker(Router):
    """A router that asks a model: it declares ``needs_backend`` and takes ``backend=`` and ``model=``."""

    name = "asker"
    needs_backend = True
    given: ClassVar[list[object]] = []

    def __init__(self, *, backend: Backend | str | None = None, model: str | None = None) -> None:
        self.backend = backend
        Asker.given.append(backend)

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        return Ranking(self.name, tuple(Match(skill, 1.0) for skill in list(pack)[:1]))


class ThirdParty:
    @hookimpl
    def skillpack_register_backends(self, register: Register) -> None:
        register("keyed", Keyed)

    @hookimpl
    def skillpack_register_routers(self, register: Register) -> None:
        register("asker", Asker)


@pytest.fixture(autouse=True)
def third_party(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(KEY, raising=False)
    Keyed.built, Asker.given = [], []
    plugins.reset()
    plugins.manager().add(ThirdParty(), name="third-party")
    yield
    plugins.reset()


@pytest.fixture
def invoke(tmp_path: Path, make_skill: Callable[..., Path], skill_home: Path) -> Callable[..., Result]:
    library = tmp_path / "library"
    make_skill(library, "commit-messages", description="Writes git commit messages. Use for commits.")
    make_skill(library, "changelog", description="Keeps a CHANGELOG.md. Use when releasing.")

    def call(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--path", str(library), *args])

    return call


def test_a_dry_run_renders_with_the_class_when_the_constructor_wants_a_key(
    invoke: Callable[..., Result],
) -> None:
    result = invoke("run", "--backend", "keyed", "--dry-run", "--format", "json", TASK)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["prompt"]["system"].startswith("KEYED PROMPT\n")
    assert report["loadable_skills"] == []  # loads_skills = False: nothing is offered on demand
    assert Keyed.built == []


def test_run_reads_the_declared_capabilities(
    invoke: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY, "k")
    result = invoke("run", "--backend", "keyed", "--format", "json", TASK)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["answer"], report["backend"], report["loadable_skills"]) == ("keyed answer", "keyed", [])
    dry = json.loads(invoke("run", "--backend", "keyed", "--dry-run", "--format", "json", TASK).stdout)
    assert dry["prompt"]["system"].startswith("KEYED PROMPT\n")


def test_a_router_that_needs_a_backend_gets_the_runs_own(
    invoke: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY, "k")
    result = invoke("run", "--backend", "keyed", "--router", "asker", "--format", "json", TASK)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["selection"]["router"] == "asker"
    assert len(Asker.given) == 1 and isinstance(Asker.given[0], Keyed)


def test_route_gives_a_router_that_needs_a_backend_the_one_named(invoke: Callable[..., Result]) -> None:
    result = invoke("route", "--router", "asker", "--backend", "keyed", "--model", "m", TASK)
    assert result.exit_code == 0, result.output
    assert Asker.given == ["keyed"]
    refused = invoke("route", "--router", "lexical", "--backend", "keyed", TASK)
    assert refused.exit_code == 2 and "the lexical router uses none" in refused.output


def test_bench_runs_every_strategy_on_the_declared_capabilities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY, "k")
    monkeypatch.setattr(Keyed, "answer", staticmethod(within_first(LIMIT_EXAMPLE)))
    suite = write_suite(tmp_path)
    out = tmp_path / "out"
    args = ["bench", str(suite), "--backend", "keyed", "--strategies", ",".join(STRATEGIES), "--sizes", "1,4"]
    result = CliRunner().invoke(
        cli, [*args, "--positions", "end", "--threads", "2", "--no-plot", "--no-progress", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert Keyed.built == [{"model": None, "threads": 2}]  # threads reach a backend that declares them
    trials = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    assert {t["strategy"] for t in trials} == set(STRATEGIES)
    assert {t["status"] for t in trials} == {"ok"}
    # loads_skills = False: the catalog goes through the plain-text protocol, counted in the backend's tokens
    catalog = [t for t in trials if t["strategy"] == "catalog"]
    assert catalog and all(t["injected_tokens"] > 0 for t in catalog)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["context_window"] == 4096
    batch = CliRunner().invoke(cli, [*args, "--batch", "--out", str(tmp_path / "b")])
    assert batch.exit_code == 2 and "the keyed backend does not" in batch.output


def test_a_backend_that_takes_no_threads_refuses_them(tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            str(suite),
            "--backend",
            "fake",
            "--sizes",
            "1",
            "--threads",
            "2",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 2 and "the fake backend does not take --threads" in result.output


def test_a_factory_registered_as_a_backend_is_refused_with_how_to_fix() -> None:
    class OldStyle:
        @hookimpl
        def skillpack_register_backends(self, register: Register) -> None:
            register("old", lambda **options: Keyed(**options))

    plugins.manager().add(OldStyle(), name="old-style")
    with pytest.raises(
        Exception, match=r"not a subclass of skillpack\.backends\.Backend — register the class"
    ):
        plugins.backends()


def test_a_factory_registered_as_a_router_is_refused_with_how_to_fix() -> None:
    class OldStyle:
        @hookimpl
        def skillpack_register_routers(self, register: Register) -> None:
            register("old", lambda **options: Asker(**options))

    plugins.manager().add(OldStyle(), name="old-style")
    with pytest.raises(Exception, match=r"not a subclass of skillpack\.routing\.Router — register the class"):
        plugins.routers()


def test_an_option_a_component_does_not_take_is_one_usage_line() -> None:
    with pytest.raises(UsageError, match=r"^the 'lexical' router takes persist, settings; got colour$"):
        plugins.get_router("lexical", colour="red")
    with pytest.raises(
        UsageError, match=r"^the 'fake' backend takes model, responses, responder; got colour$"
    ):
        plugins.get_backend("fake", colour="red")


def test_hooks_are_called_through_pluggy_once_per_manager() -> None:
    pm = plugins.build_manager(entry_points=False)
    pm.add(ThirdParty(), name="third-party")
    calls: list[tuple[str, str]] = []

    def before(hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
        calls.extend((hook_name, impl.plugin_name) for impl in impls)

    def after(outcome: Any, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
        pass

    undo = pm.add_hookcall_monitoring(before, after)
    try:
        assert set(plugins.routers(pm)) >= {"lexical", "llm", "asker"}
        assert set(plugins.routers(pm)) >= {"lexical", "llm", "asker"}  # answered from the manager
        assert plugins.backends(pm)["keyed"] is Keyed
    finally:
        undo()
    assert calls.count(("skillpack_register_routers", "third-party")) == 1
    assert calls.count(("skillpack_register_routers", "skillpack.routing.builtin")) == 1
    assert calls.count(("skillpack_register_backends", "third-party")) == 1
    pm.unregister(name="third-party")  # the plugin set changed: the next question calls the hooks again
    assert "asker" not in plugins.routers(pm)
