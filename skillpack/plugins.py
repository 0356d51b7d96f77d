"""The plugin manager: built-in components and third-party plugins register through the same hooks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pluggy

from skillpack import hookspecs
from skillpack.errors import SkillpackError, UnknownComponentError

ENTRY_POINT_GROUP = "skillpack"

#: Modules of skillpack itself that implement hooks, registered exactly like third-party plugins.
BUILTIN_PLUGINS = ("skillpack.routing.builtin",)

_lock = threading.Lock()
_manager: pluggy.PluginManager | None = None


def manager() -> pluggy.PluginManager:
    """Return the process-wide plugin manager, built on first use (never at import time)."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = build_manager()
        return _manager


def build_manager(*, entry_points: bool = True) -> pluggy.PluginManager:
    """Return a new plugin manager holding the built-ins and, unless disabled, installed plugins."""
    import importlib

    pm = pluggy.PluginManager("skillpack")
    pm.add_hookspecs(hookspecs)
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm


def reset() -> None:
    """Forget the process-wide manager (tests use this after registering plugins)."""
    global _manager
    with _lock:
        _manager = None


def _collect(pm: pluggy.PluginManager, hook_name: str) -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    owners: dict[str, str] = {}
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        plugin_name = impl.plugin_name

        def register(name: str, factory: Callable[..., Any], _plugin: str = plugin_name) -> None:
            if name in found:
                raise SkillpackError(
                    f"plugin {_plugin!r} registers {name!r}, which {owners[name]!r} already registered;"
                    " uninstall one of the two plugins"
                )
            found[name] = factory
            owners[name] = _plugin

        impl.function(register=register)
    return found


def routers(pm: pluggy.PluginManager | None = None) -> dict[str, Callable[..., Any]]:
    """Return ``{name: factory}`` for every registered router."""
    return _collect(pm or manager(), "skillpack_register_routers")


def get_router(name: str, **options: Any) -> Any:
    """Build the router registered as ``name``; ``UnknownComponentError`` lists the known ones."""
    found = routers()
    if name not in found:
        raise UnknownComponentError("router", name, list(found))
    return found[name](**options)
