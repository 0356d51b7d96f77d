"""The ways of loading skills the bench compares, each turning installed skills into a model request.

- ``none``: closed book, no skills at all;
- ``oracle``: only the task's gold skills (the ceiling routing aims for);
- ``all``: every installed skill injected, in installed order (what context rot punishes);
- ``routed``: skillpack's router picks the top k under the token budget;
- ``catalog``: names and descriptions only, with the ``load_skill`` tool to pull a skill on demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from skillpack.errors import UsageError
from skillpack.routing.base import Router
from skillpack.skill import Skill

STRATEGIES = ("none", "oracle", "all", "routed", "catalog")


@dataclass(frozen=True, slots=True)
class Prompt:
    """What one strategy puts in front of the model: the system text and the skills offered on demand."""

    system: str
    injected: tuple[str, ...]
    loadable: tuple[Skill, ...] = ()
    catalog: str = ""


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
) -> Prompt:
    """Return the prompt ``strategy`` builds for ``task`` over the ``installed`` skills."""
    from skillpack.context import render

    if strategy == "none":
        return Prompt("", ())
    if strategy == "oracle":
        return Prompt(render(list(gold), "xml"), tuple(s.name for s in gold))
    if strategy == "all":
        return Prompt(render(list(installed), "xml"), tuple(s.name for s in installed))
    if strategy == "routed":
        from skillpack.registry import SkillPack
        from skillpack.selection import select

        selection = select(SkillPack(installed), task, k=k, budget=budget, router=router, format="xml")
        return Prompt(selection.render("xml"), tuple(s.name for s in selection.skills))
    if strategy == "catalog":
        # The backend renders the catalog from ``loadable``; its text is kept here only to count tokens.
        from skillpack.backends.base import catalog

        return Prompt("", (), tuple(installed), catalog(tuple(installed)))
    raise UsageError(f"unknown strategy {strategy!r}; choose from: {', '.join(STRATEGIES)}")
