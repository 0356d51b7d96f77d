"""The hook specifications plugins implement. Every hook is named ``skillpack_*``.

Plugins arrive through the ``skillpack`` entry-point group; skillpack's own routers and backends are
registered through these same hooks. Hooks are called with keyword arguments only.

Every hook here is a *registration* hook: skillpack calls it once per plugin with a ``register``
callback, and the plugin calls ``register(name, thing)`` once per thing it provides. All plugins are
asked (none of these hooks is ``firstresult``), because every plugin may contribute. A name must be
unique across plugins within one kind; registering a name twice is an error that names both plugins.
See docs/PLUGINS.md for a worked example.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("skillpack")
hookimpl = pluggy.HookimplMarker("skillpack")

#: ``register(name, cls)``: ``cls(**options)`` builds the component; its capabilities are class attributes.
Register = Callable[[str, Callable[..., Any]], None]

#: A skill source: given the working directory, return folders to search (each a skill folder or a
#: folder of skills). They join the search path after the user's skill home, before the bundled skills.
Source = Callable[[Path], Iterable["str | os.PathLike[str]"]]

#: An answer check: ``check(output, spec)`` is True when the model's ``output`` passes; ``spec`` is the
#: check's entry from a harness suite (for example ``{"check": "contains", "value": "feat:"}``).
Check = Callable[[str, dict[str, Any]], bool]

RegisterSource = Callable[[str, Source], None]
RegisterCheck = Callable[[str, Check], None]


@hookspec
def skillpack_register_routers(register: Register) -> None:
    """Register routers: call ``register(name, router_class)`` once per router.

    ``router_class`` is a subclass of ``skillpack.routing.Router`` (anything else is refused); its class
    attributes declare what it can do — a router that asks a model declares ``needs_backend = True`` and
    takes ``backend=`` and ``model=``. Names are unique across plugins;
    registering a name twice is an error that names both plugins.
    """


@hookspec
def skillpack_register_backends(register: Register) -> None:
    """Register model backends: call ``register(name, BackendClass)`` once per backend.

    ``BackendClass`` must subclass ``skillpack.backends.Backend``; its capabilities (``loads_skills``,
    ``context_window``, ``supports_batches``, ``supports_threads``) and ``prompt`` are read from it, so a
    dry run needs no instance. Options skillpack passes: ``model`` (``str | None``, the backend's default
    when None), and ``threads`` only when it declares ``supports_threads``. A constructor that cannot
    work here (missing key, missing extra) raises ``BackendError`` or ``MissingExtraError`` with a
    one-line fix. Names are unique across plugins.
    """


@hookspec
def skillpack_register_sources(register: RegisterSource) -> None:
    """Register skill sources: call ``register(name, source)`` once per source.

    ``source(cwd)`` returns the folders to search (each a skill folder or a folder of skills); ``cwd``
    is the directory discovery runs from. Folders that do not exist are skipped silently. The folders
    join the default search path after ``$SKILLPACK_HOME`` and before the bundled skills, and the
    skills found there report ``name`` as their source. Names are unique across plugins.
    """


@hookspec
def skillpack_register_checks(register: RegisterCheck) -> None:
    """Register answer checks for the harness: call ``register(name, check)`` once per check.

    ``check(output, spec)`` returns True when the model's ``output`` passes; ``spec`` is the check's
    mapping in the suite file, whose ``check`` key names it. A check must be deterministic and must
    not call a model. Names are unique across plugins.
    """
