"""The ways of loading skills the bench compares, each turning installed skills into a model request.

- ``none``: closed book, no skills at all;
- ``oracle``: only the task's gold skills (the ceiling routing aims for);
- ``all``: every installed skill injected, in installed order (what context rot punishes);
- ``routed``: skillpack's router picks the top k under the token budget;
- ``catalog``: names and descriptions only, with the ``load_skill`` tool to pull a skill on demand.

Whoever runs a sweep keeps one ``Packs``: trials that install the same skills in the same order route
over one ``SkillPack``, so the router's index and calibration (kept in the pack) are built once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillpack.errors import UsageError
from skillpack.routing.base import Router
from skillpack.skill import Skill

if TYPE_CHECKING:
    from skillpack.registry import SkillPack

STRATEGIES = ("none", "oracle", "all", "routed", "catalog")
#: How many libraries a ``Packs`` keeps. Trials that install the same skills are planned next to each
#: other (``plan``: repeat, size, task, position, strategy), so a few recent ones catch every repeat,
#: and memory stays bounded although each pack holds its router's index.
KEPT_PACKS = 16


@dataclass(frozen=True, slots=True)
class Prompt:
    """What one strategy puts in front of the model: the system text and the skills offered on demand."""

    system: str
    injected: tuple[str, ...]
    loadable: tuple[Skill, ...] = ()
    catalog: str = ""


class Packs:
    """The libraries of one sweep: one ``SkillPack`` per installed list of skills, kept while recent.

    The key is the installed skills themselves, in order (a pack's order can break a router's ties), so
    a shared pack routes exactly as a new one would. Safe to share between threads.
    """

    def __init__(self, *, keep: int = KEPT_PACKS) -> None:
        self.keep = keep
        #: How many packs were built (each one a library no kept pack holds).
        self.built = 0
        self._packs: OrderedDict[tuple[Skill, ...], SkillPack] = OrderedDict()
        self._lock = threading.Lock()

    def pack(self, installed: Sequence[Skill]) -> SkillPack:
        """Return the pack of ``installed``, the one built before when the same skills were installed."""
        from skillpack.registry import SkillPack

        key = tuple(installed)
        with self._lock:
            found = self._packs.get(key)
            if found is None:
                found = self._packs[key] = SkillPack(key)
                self.built += 1
                if len(self._packs) > self.keep:
                    self._packs.popitem(last=False)
            else:
                self._packs.move_to_end(key)
            return found


def check_strategies(names: Sequence[str]) -> tuple[str, ...]:
    """Return ``names`` if every one is a strategy; otherwise raise ``UsageError`` listing them."""
    for name in names:
        if name not in STRATEGIES:
            raise UsageError(f"unknown strategy {name!r}; choose from: {', '.join(STRATEGIES)}")
    if not names:
        raise UsageError(f"no strategy given; choose from: {', '.join(STRATEGIES)}")
    return tuple(names)


def build_prompt(
    strategy: str,
    *,
    task: str,
    installed: Sequence[Skill],
    gold: Sequence[Skill],
    k: int,
    budget: int | None,
    router: Router | str,
    packs: Packs | None = None,
) -> Prompt:
    """Return the prompt ``strategy`` builds for ``task`` over the ``installed`` skills.

    ``packs``: the sweep's libraries, to route over a pack built before (default: a new pack).
    """
    from skillpack.context import render

    if strategy == "none":
        return Prompt("", ())
    if strategy == "oracle":
        return Prompt(render(list(gold), "xml"), tuple(s.name for s in gold))
    if strategy == "all":
        return Prompt(render(list(installed), "xml"), tuple(s.name for s in installed))
    if strategy == "routed":
        from skillpack.selection import select

        pack = (packs or Packs()).pack(installed)
        selection = select(pack, task, k=k, budget=budget, router=router, format="xml")
        return Prompt(selection.render("xml"), tuple(s.name for s in selection.skills))
    if strategy == "catalog":
        # The backend renders the catalog from ``loadable``; its text is kept here only to count tokens.
        from skillpack.backends.base import catalog

        return Prompt("", (), tuple(installed), catalog(tuple(installed)))
    raise UsageError(f"unknown strategy {strategy!r}; choose from: {', '.join(STRATEGIES)}")
