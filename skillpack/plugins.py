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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from skillpack import hookspecs
from skillpack.errors import SkillpackError, UnknownComponentError, UsageError

if TYPE_CHECKING:
    from skillpack.backends.base import Backend
    from skillpack.routing.base import Router

T = TypeVar("T")

ENTRY_POINT_GROUP = "skillpack"

#: Modules of skillpack itself that implement hooks, registered exactly like third-party plugins.
BUILTIN_PLUGINS = ("skillpack.routing.builtin", "skillpack.backends.builtin", "skillpack.checks")

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
    """A pluggy manager that remembers where each plugin came from and which ones failed to load.

    What the registration hooks return is collected once per manager and kept until a plugin is
    registered or unregistered, so building a router does not call every plugin again.
    """

    def __init__(self) -> None:
        super().__init__("skillpack")
        self.origins: dict[str, str] = {}
        self.failures: dict[str, str] = {}
        self._registered: dict[str, dict[str, tuple[Any, str]]] = {}
        self._registered_lock = threading.RLock()

    def add(self, plugin: object, *, name: str, origin: str = "registered at run time") -> None:
        """Register ``plugin`` as ``name`` and remember ``origin`` for ``skillpack plugins``."""
        self.register(plugin, name=name)
        self.origins[name] = origin

    def register(self, plugin: object, name: str | None = None) -> str | None:
        with self._registered_lock:
            self._registered.clear()
            return super().register(plugin, name=name)

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        with self._registered_lock:
            self._registered.clear()
            return super().unregister(plugin, name=name)

    def registered(self, hook_name: str) -> dict[str, tuple[Any, str]]:
        """Return ``{name: (thing, plugin name)}`` for ``hook_name``, calling the hook once per manager."""
        with self._registered_lock:
            if hook_name not in self._registered:
                self._registered[hook_name] = _collect(self, hook_name)
            return self._registered[hook_name]


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
    """Call ``hook_name`` through ``pm.hook``, plugin by plugin; return ``{name: (thing, plugin name)}``.

    Each plugin is called through a subset of the hook (``subset_hook_caller``), so pluggy's tracing and
    ``add_hookcall_monitoring`` see every call, and each registration is attributed to its plugin.
    """
    found: dict[str, tuple[Any, str]] = {}
    hook = getattr(pm.hook, hook_name)
    plugin_names = [impl.plugin_name for impl in hook.get_hookimpls()]
    for plugin_name in plugin_names:
        others = [pm.get_plugin(name) for name in plugin_names if name != plugin_name]

        def register(name: str, thing: Any, _plugin: str = plugin_name) -> None:
            if not isinstance(name, str) or not name:
                raise SkillpackError(f"plugin {_plugin!r} registered a {hook_name} entry without a name")
            if name in found:
                raise SkillpackError(
                    f"plugin {_plugin!r} registers {name!r}, which {found[name][1]!r} already registered;"
                    " uninstall one of the two plugins"
                )
            _check_kind(hook_name, name, thing, _plugin)
            found[name] = (thing, _plugin)

        try:
            pm.subset_hook_caller(hook_name, remove_plugins=others)(register=register)
        except SkillpackError:
            raise
        except Exception as exc:
            raise SkillpackError(
                f"plugin {plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
                " — fix or uninstall that plugin"
            ) from exc
    return found


def _check_kind(hook_name: str, name: str, thing: Any, plugin: str) -> None:
    """Refuse a backend or router that is not its base class's subclass: capabilities are read from it."""
    from skillpack.backends.base import Backend
    from skillpack.routing.base import Router

    bases: dict[str, tuple[str, type]] = {
        HOOKS["backend"]: ("backend", Backend),
        HOOKS["router"]: ("router", Router),
    }
    if hook_name not in bases:
        return
    kind, base = bases[hook_name]
    if not (isinstance(thing, type) and issubclass(thing, base)):
        raise SkillpackError(
            f"plugin {plugin!r} registers {kind} {name!r} as {thing!r}, not a subclass of"
            f" {base.__module__.rsplit('.', 1)[0]}.{base.__name__} — register the class (see docs/PLUGINS.md)"
        )


def _things(pm: Manager | None, kind: str) -> dict[str, Any]:
    return {name: thing for name, (thing, _) in (pm or manager()).registered(HOOKS[kind]).items()}


def routers(pm: Manager | None = None) -> dict[str, type[Router]]:
    """Return ``{name: Router subclass}`` for every registered router."""
    return _things(pm, "router")


def router_class(name: str) -> type[Router]:
    """Return the router class registered as ``name``; ``UnknownComponentError`` lists the known ones."""
    found = routers()
    if name not in found:
        raise UnknownComponentError("router", name, list(found))
    return found[name]


def get_router(name: str, **options: Any) -> Router:
    """Build the router registered as ``name`` with ``options`` (``backend=``/``model=`` only for a router
    that declares ``needs_backend``)."""
    return _build("router", name, router_class(name), options)


def backends(pm: Manager | None = None) -> dict[str, type[Backend]]:
    """Return ``{name: Backend subclass}`` for every registered model backend."""
    return _things(pm, "backend")


def backend_class(name: str) -> type[Backend]:
    """Return the backend class registered as ``name``; ``UnknownComponentError`` lists the known ones."""
    found = backends()
    if name not in found:
        raise UnknownComponentError("backend", name, list(found))
    return found[name]


def get_backend(name: str, **options: Any) -> Backend:
    """Build the backend registered as ``name`` with ``options`` (e.g. ``model=``; ``threads=`` only for a
    backend that declares ``supports_threads``)."""
    return _build("backend", name, backend_class(name), options)


def _build(kind: str, name: str, cls: type[T], options: dict[str, Any]) -> T:
    """Construct a registered component, refusing options its constructor does not take in one line."""
    import inspect

    try:
        inspect.signature(cls).bind(**options)
    except TypeError as exc:
        accepted = [
            p.name
            for p in inspect.signature(cls).parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        unknown = sorted(set(options) - set(accepted))
        takes = f"takes {', '.join(accepted)}" if accepted else "takes no options"
        raise UsageError(f"the {name!r} {kind} {takes}; got {', '.join(unknown) or 'a bad option'}") from exc
    return cls(**options)


def sources(pm: Manager | None = None) -> dict[str, hookspecs.Source]:
    """Return ``{name: source}`` for every registered skill source."""
    return _things(pm, "source")


def source_folders(cwd: Path, pm: Manager | None = None) -> list[tuple[Path, str]]:
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


def checks(pm: Manager | None = None) -> dict[str, hookspecs.Check]:
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
        for name, (_, plugin_name) in pm.registered(hook_name).items():
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
