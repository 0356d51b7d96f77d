"""The hook specifications plugins implement. Every hook is named ``skillpack_*``.

Plugins arrive through the ``skillpack`` entry-point group; skillpack's own routers and backends are
registered through these same hooks. Hooks are called with keyword arguments only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("skillpack")
hookimpl = pluggy.HookimplMarker("skillpack")

#: ``register(name, factory)``: ``factory(**options)`` returns an object implementing the protocol.
Register = Callable[[str, Callable[..., Any]], None]


@hookspec
def skillpack_register_routers(register: Register) -> None:
    """Register routers: call ``register(name, factory)`` once per router.

    ``factory(**options)`` must return a ``skillpack.routing.Router``. Names are unique across plugins;
    registering a name twice is an error that names both plugins.
    """
