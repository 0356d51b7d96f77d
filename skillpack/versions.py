"""Skill versions and version ranges: one grammar, PEP 440, for validate, route and install alike.

A skill's ``version`` and the ranges in other skills' ``requires`` are compared with each other, so
they must be read by the same rules: a version that ``validate --strict`` accepts is one that routing
and installing can compare. PEP 440 (through ``packaging``) is that grammar; it takes the usual
SemVer forms too (``1.2.0``, ``1.2.0-rc.1``, ``1.2.0+build.5``), but not every SemVer pre-release
(``1.0.0-alpha.beta``), which is refused when validating rather than failing later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

VERSION_FIX = "write a PEP 440 version such as 1.2.0 or 1.2.0rc1 (SemVer's 1.2.0-rc.1 is accepted too)"
RANGE_FIX = "write a PEP 440 range of comparisons joined by commas, e.g. '>=1.0,<2'"


def parse_version(text: str) -> Version | None:
    """Return ``text`` as a version, or None when it is not one (PEP 440)."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


def parse_range(text: str) -> SpecifierSet | None:
    """Return ``text`` as a version range (``'>=1.0,<2'``), or None when it is not one (PEP 440)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def in_range(version: Version, wanted: SpecifierSet) -> bool:
    """Return True when ``version`` satisfies ``wanted``; a pre-release counts as what it declares."""
    return wanted.contains(version, prereleases=True)
