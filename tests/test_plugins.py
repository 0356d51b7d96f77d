"""The plugin manager: built-ins and test-registered plugins, entry points, listings, and mistakes."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

from skillpack import plugins
from skillpack.backends.base import Backend, Reply, Request
from skillpack.errors import SkillpackError, UnknownComponentError
from skillpack.hookspecs import Register, RegisterCheck, RegisterSource, hookimpl
from skillpack.registry import SkillPack
from skillpack.routing.base import Ranking, Router


class EchoBackend(Backend):
    name = "echo"

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model or "echo-1"

    def generate(self, request: Request) -> Reply:
        return Reply(text=request.task, model=self.model, backend=self.name)


class NoRouter(Router):
    name = "never"

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        return Ranking(self.name, ())


def nonempty(output: str, spec: dict[str, Any]) -> bool:
    return bool(output.strip()) == spec.get("expected", True)


class EverythingPlugin:
    """A plugin written in the test: one of each kind."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder

    @hookimpl
    def skillpack_register_routers(self, register: Register) -> None:
        register("never", NoRouter)

    @hookimpl
    def skillpack_register_backends(self, register: Register) -> None:
        register("echo", EchoBackend)

    @hookimpl
    def skillpack_register_sources(self, register: RegisterSource) -> None:
        folder = self.folder
        register("team", lambda cwd: [folder] if folder else [])

    @hookimpl
    def skillpack_register_checks(self, register: RegisterCheck) -> None:
        register("nonempty", nonempty)


@pytest.fixture
def pm() -> plugins.Manager:
    return plugins.build_manager(entry_points=False)


@pytest.fixture
def global_plugin(tmp_path: Path, make_skill: Callable[..., Path]) -> Iterator[EverythingPlugin]:
    """Register EverythingPlugin on the process-wide manager for one test, with one skill in its source."""
    make_skill(tmp_path / "team", "team-only-skill")
    plugin = EverythingPlugin(tmp_path / "team")
    plugins.reset()
    plugins.manager().add(plugin, name="everything")
    yield plugin
    plugins.reset()


def test_builtins_register_like_any_plugin(pm: plugins.Manager) -> None:
    pm.check_pending()
    assert {"anthropic", "local", "fake"} <= set(plugins.backends(pm))
    assert {"lexical", "llm"} <= set(plugins.routers(pm))
    listed = {info.name: info for info in plugins.plugins(pm)}
    backends = listed["skillpack.backends.builtin"]
    assert backends.origin == "built-in" and backends.module == "skillpack.backends.builtin"
    assert backends.provides == {"backend": ("anthropic", "local", "fake")}
    assert any("llm" in info.provides.get("router", ()) for info in listed.values())


def test_a_plugin_registered_from_the_test_provides_every_kind(pm: plugins.Manager, tmp_path: Path) -> None:
    pm.add(EverythingPlugin(tmp_path), name="everything")
    pm.check_pending()
    assert plugins.backends(pm)["echo"] is EchoBackend
    assert plugins.routers(pm)["never"] is NoRouter
    assert plugins.checks(pm)["nonempty"] is nonempty
    assert plugins.source_folders(tmp_path, pm) == [(tmp_path, "team")]
    (info,) = [i for i in plugins.plugins(pm) if i.name == "everything"]
    assert info.origin == "registered at run time"
    assert info.module == __name__
    assert info.provides == {
        "router": ("never",),
        "backend": ("echo",),
        "source": ("team",),
        "check": ("nonempty",),
    }
    assert info.to_dict()["provides"] == {
        "router": ["never"],
        "backend": ["echo"],
        "source": ["team"],
        "check": ["nonempty"],
    }


def test_check_pending_catches_a_misspelt_hook(pm: plugins.Manager) -> None:
    class Misspelt:
        @hookimpl
        def skillpack_register_backend(self, register: Register) -> None:  # missing the final "s"
            register("x", EchoBackend)

    pm.add(Misspelt(), name="misspelt")
    with pytest.raises(pluggy.PluginValidationError, match="skillpack_register_backend"):
        pm.check_pending()


def test_two_plugins_registering_one_name_is_an_error_naming_both(pm: plugins.Manager) -> None:
    class Clash:
        @hookimpl
        def skillpack_register_backends(self, register: Register) -> None:
            register("fake", EchoBackend)

    pm.add(Clash(), name="clash")
    with pytest.raises(
        SkillpackError, match=r"registers 'fake', which 'skillpack.backends.builtin' already registered"
    ):
        plugins.backends(pm)


def test_a_plugin_that_fails_in_its_hook_is_named(pm: plugins.Manager) -> None:
    class Broken:
        @hookimpl
        def skillpack_register_checks(self, register: RegisterCheck) -> None:
            raise RuntimeError("config file missing")

    pm.add(Broken(), name="broken")
    with pytest.raises(SkillpackError) as caught:
        plugins.checks(pm)
    assert str(caught.value) == (
        "plugin 'broken' failed in skillpack_register_checks: RuntimeError: config file missing"
        " — fix or uninstall that plugin"
    )


def test_a_skill_source_that_fails_is_named(pm: plugins.Manager, tmp_path: Path) -> None:
    class BadSource:
        @hookimpl
        def skillpack_register_sources(self, register: RegisterSource) -> None:
            register("remote", lambda cwd: 1 / 0)  # type: ignore[arg-type,return-value]

    pm.add(BadSource(), name="bad-source")
    with pytest.raises(SkillpackError, match="skill source 'remote' failed: ZeroDivisionError"):
        plugins.source_folders(tmp_path, pm)


def test_unknown_names_list_the_known_ones(global_plugin: EverythingPlugin) -> None:
    with pytest.raises(UnknownComponentError) as caught:
        plugins.get_backend("gpt-9")
    assert str(caught.value).startswith(
        "unknown backend 'gpt-9'; choose one of: anthropic, echo, fake, local"
    )
    assert caught.value.exit_code == 2
    with pytest.raises(UnknownComponentError) as unknown_check:
        plugins.get_check("regexp")
    assert str(unknown_check.value).startswith("unknown check 'regexp'; choose one of: ")
    assert "nonempty" in unknown_check.value.known
    assert plugins.get_check("nonempty")("yes", {}) is True
    assert plugins.get_backend("echo", model="m").model == "m"
    assert isinstance(plugins.get_router("never"), NoRouter)


def test_a_plugin_source_adds_skills_to_discovery(global_plugin: EverythingPlugin, skill_home: Path) -> None:
    pack = SkillPack.discover()
    skill = pack.get("team-only-skill")
    assert skill.source == "team"
    sources = [root.source for root in pack.roots]
    assert sources.index("user") < sources.index("team") == sources.index("bundled") - 1


class FakeDistribution:
    """Just enough of importlib.metadata.Distribution for entry-point loading."""

    def __init__(self, name: str, *entry_points: importlib.metadata.EntryPoint) -> None:
        self.metadata = {"Name": name}
        self.version = "1.2.3"
        self.entry_points = list(entry_points)


def test_entry_point_plugins_are_loaded_and_a_broken_one_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "skillpack_test_shout.py").write_text(
        textwrap.dedent(
            """
            from skillpack.hookspecs import hookimpl

            @hookimpl
            def skillpack_register_checks(register):
                register("shouted", lambda output, spec: output.isupper())
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    good = importlib.metadata.EntryPoint("shout", "skillpack_test_shout", plugins.ENTRY_POINT_GROUP)
    other_group = importlib.metadata.EntryPoint("shout-cli", "skillpack_test_shout", "console_scripts")
    broken = importlib.metadata.EntryPoint(
        "broken", "skillpack_test_no_such_module", plugins.ENTRY_POINT_GROUP
    )
    dists = [
        FakeDistribution("skillpack-shout", good, other_group),
        FakeDistribution("skillpack-broken", broken),
    ]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)

    pm = plugins.build_manager()
    pm.check_pending()
    assert plugins.checks(pm)["shouted"]("LOUD", {}) is True
    (info,) = [i for i in plugins.plugins(pm) if i.name == "shout"]
    assert info.origin == "skillpack-shout 1.2.3 (entry point shout = skillpack_test_shout)"
    assert info.provides == {"check": ("shouted",)}
    assert list(pm.failures) == ["broken"]
    assert "ModuleNotFoundError" in pm.failures["broken"]


def test_the_manager_is_built_once_and_reset_forgets_it() -> None:
    plugins.reset()
    first = plugins.manager()
    assert plugins.manager() is first
    plugins.reset()
    assert plugins.manager() is not first


def test_listing_backends_imports_no_sdk() -> None:
    code = (
        "import sys; from skillpack import plugins; plugins.backends(); plugins.plugins();"
        "print(sorted(m for m in ('anthropic', 'llama_cpp', 'httpx', 'httpx2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
