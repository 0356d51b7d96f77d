"""Check skills' ``requires`` against the skills that would be visible after an install or uninstall.

A requirement names a skill and, optionally, a PEP 440 version range (``skillpack.versions``); each
unmet one is reported as one line, so an install refuses with all of them at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillpack.skill import Skill


def requirement_problems(skills: Sequence[Skill], visible: dict[str, Skill]) -> list[str]:
    """Return one line per unmet ``requires`` of ``skills``, judged against ``visible`` skills."""
    from skillpack.versions import in_range, parse_range, parse_version  # packaging: only when checking

    problems: list[str] = []
    for skill in skills:
        for requirement in skill.requires:
            found = visible.get(requirement.name)
            if found is None:
                problems.append(
                    f"{skill.name} requires {requirement}, which is not installed — install it first, or both"
                    " together from one folder"
                )
                continue
            if not requirement.specifier:
                continue
            wanted = parse_range(requirement.specifier)
            if wanted is None:
                problems.append(f"{skill.name} requires {requirement}: not a valid version range (PEP 440)")
                continue
            version = parse_version(found.version)
            if version is None:
                problems.append(
                    f"{skill.name} requires {requirement}, but {found.name} declares version"
                    f" {found.version or '(none)'!s}, which cannot be compared"
                )
                continue
            if not in_range(version, wanted):
                problems.append(
                    f"{skill.name} requires {requirement}, but {found.name} {found.version} is what would be"
                    f" installed ({found.folder})"
                )
    return problems


def unmet_requirements(staged: Sequence[Skill], visible: dict[str, Skill]) -> list[str]:
    """Return the unmet ``requires`` of the ``staged`` skills and of the ``visible`` ones that need them.

    Replacing a skill can break the skills that depend on it, so their needs are judged again too.
    """
    return requirement_problems([*staged, *dependants(visible, {skill.name for skill in staged})], visible)


def dependants(visible: dict[str, Skill], names: set[str]) -> list[Skill]:
    """Return the ``visible`` skills, other than ``names``, that require one of ``names``."""
    return [
        skill
        for skill in visible.values()
        if skill.name not in names and any(r.name in names for r in skill.requires)
    ]
