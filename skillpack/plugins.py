"""The plugin manager: built-in components and third-party plugins register through the same hooks.

Four kinds of things are registered, each through its own ``skillpack_register_*`` hook (see
``skillpack.hookspecs``): routers, model backends, skill sources and answer checks. skillpack's own
routers and backends are plugins listed in ``BUILTIN_PLUGINS``; other plugins arrive through the
``skillpack`` entry-point group. The manager is built on first use, never at import time.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from skillpack import hookspecs
from skillpack.errors import SkillpackError, UnknownComponentError

ENTRY_POINT_GROUP = "skillpack"

#: Modules of skillpack itself that implement hooks, registered exactly like third-party plugins.
BUILTIN_PLUGINS = ("skillpack.routing.builtin", "skillpack.backends.builtin", "skillpack.harness.checks")

#: What each kind of component is registered through.
HOOKS = {
    "router": "skillpack_register_routers",
    "backend": "skillpack_register_backends",
    "source": "skillpack_register_sources",
    "check": "skillpack_register_checks",
}

_lock = threading.Lock()
_manager: Manager | None = None


class Manager(pluggy.PluginManager):
    """A pluggy manager that remembers where each plugin came from and which ones failed to load."""

    def __init__(self) -> None:
        super().__init__("skillpack")
        self.origins: dict[str, str] = {}
        self.failures: dict[str, str] = {}

    def add(self, plugin: object, *, name: str, origin: str = "registered at run time") -> None:
        """Register ``plugin`` as ``name`` and remember ``origin`` for ``skillpack plugins``."""
        self.register(plugin, name=name)
        self.origins[name] = origin


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One loaded plugin: its name, its module, where it came from, and what it registers, by kind."""

    name: str
    module: str
    origin: str
    provides: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "module": self.module,
            "origin": self.origin,
            "provides": {kind: list(names) for kind, names in self.provides.items()},
        }


def manager() -> Manager:
    """Return the process-wide plugin manager, built on first use (never at import time)."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = build_manager()
        return _manager


def build_manager(*, entry_points: bool = True) -> Manager:
    """Return a new plugin manager holding the built-ins and, unless disabled, installed plugins.

    A third-party plugin that fails to import is skipped and kept in ``failures`` (``skillpack plugins``
    shows it), so one broken package does not break every command.
    """
    pm = Manager()
    pm.add_hookspecs(hookspecs)
    for module_name in BUILTIN_PLUGINS:
        pm.add(importlib.import_module(module_name), name=module_name, origin="built-in")
    if entry_points:
        _load_entry_points(pm)
    return pm


def _load_entry_points(pm: Manager) -> None:
    import importlib.metadata

    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP or pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            origin = f"{dist.metadata['Name']} {dist.version} (entry point {ep.name} = {ep.value})"
            try:
                pm.add(ep.load(), name=ep.name, origin=origin)
            except Exception as exc:  # a broken third-party package must not break skillpack itself
                pm.failures[ep.name] = f"{origin}: {type(exc).__name__}: {exc}"


def reset() -> None:
    """Forget the process-wide manager (tests use this after registering plugins)."""
    global _manager
    with _lock:
        _manager = None


def _collect(pm: pluggy.PluginManager, hook_name: str) -> dict[str, tuple[Any, str]]:
    """Call ``hook_name`` on every plugin; return ``{name: (thing, plugin name)}``."""
    found: dict[str, tuple[Any, str]] = {}
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        plugin_name = impl.plugin_name

        def register(name: str, thing: Any, _plugin: str = plugin_name) -> None:
            if not isinstance(name, str) or not name:
                raise SkillpackError(f"plugin {_plugin!r} registered a {hook_name} entry without a name")
            if name in found:
                raise SkillpackError(
                    f"plugin {_plugin!r} registers {name!r}, which {found[name][1]!r} already registered;"
                    " uninstall one of the two plugins"
                )
            found[name] = (thing, _plugin)

        try:
            impl.function(register=register)
        except SkillpackError:
            raise
        except Exception as exc:
            raise SkillpackError(
                f"plugin {plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
                " — fix or uninstall that plugin"
            ) from exc
    return found


def _things(pm: pluggy.PluginManager | None, kind: str) -> dict[str, Any]:
    return {name: thing for name, (thing, _) in _collect(pm or manager(), HOOKS[kind]).items()}


def routers(pm: pluggy.PluginManager | None = None) -> dict[str, Callable[..., Any]]:
    """Return ``{name: factory}`` for every registered router."""
    return _things(pm, "router")


def get_router(name: str, **options: Any) -> Any:
    """Build the router registered as ``name``; ``UnknownComponentError`` lists the known ones."""
    found = routers()
    if name not in found:
        raise UnknownComponentError("router", name, list(found))
    return found[name](**options)


def backends(pm: pluggy.PluginManager | None = None) -> dict[str, Callable[..., Any]]:
    """Return ``{name: factory}`` for every registered model backend."""
    return _things(pm, "backend")


def get_backend(name: str, **options: Any) -> Any:
    """Build the backend registered as ``name`` with ``options`` (e.g. ``model=``)."""
    found = backends()
    if name not in found:
        raise UnknownComponentError("backend", name, list(found))
    return found[name](**options)


def sources(pm: pluggy.PluginManager | None = None) -> dict[str, hookspecs.Source]:
    """Return ``{name: source}`` for every registered skill source."""
    return _things(pm, "source")


def source_folders(cwd: Path, pm: pluggy.PluginManager | None = None) -> list[tuple[Path, str]]:
    """Return ``(folder, source name)`` for every folder the registered sources offer, in order."""
    folders: list[tuple[Path, str]] = []
    for name, source in sources(pm).items():
        try:
            offered = list(source(cwd))
        except Exception as exc:
            raise SkillpackError(
                f"skill source {name!r} failed: {type(exc).__name__}: {exc} — fix or uninstall its plugin"
            ) from exc
        folders.extend((Path(os.fspath(folder)).expanduser(), name) for folder in offered)
    return folders


def checks(pm: pluggy.PluginManager | None = None) -> dict[str, hookspecs.Check]:
    """Return ``{name: check}`` for every registered answer check."""
    return _things(pm, "check")


def get_check(name: str) -> hookspecs.Check:
    """Return the answer check registered as ``name``; ``UnknownComponentError`` lists the known ones."""
    found = checks()
    if name not in found:
        raise UnknownComponentError("check", name, list(found))
    return found[name]


def plugins(pm: Manager | None = None) -> list[PluginInfo]:
    """Return every loaded plugin, in registration order, with what it registers and where it came from."""
    pm = pm or manager()
    provides: dict[str, dict[str, list[str]]] = {}
    for kind, hook_name in HOOKS.items():
        for name, (_, plugin_name) in _collect(pm, hook_name).items():
            provides.setdefault(plugin_name, {}).setdefault(kind, []).append(name)
    found = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        module = getattr(plugin, "__name__", None) or type(plugin).__module__
        origin = pm.origins.get(name, "registered at run time")
        kinds = {kind: tuple(names) for kind, names in provides.get(name, {}).items()}
        found.append(PluginInfo(name=name, module=str(module), origin=origin, provides=kinds))
    return found
