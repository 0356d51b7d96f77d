"""skillpack: load skills into an LLM's context on demand.

Skills are folders (a YAML manifest plus instructions). ``SkillPack`` finds them on a search path,
reading manifests only; a router picks the few a task needs, and only those enter the context.
Importing this package is cheap: no click, tiktoken or model SDK, and no disk scanning.
"""

from __future__ import annotations

from skillpack.backends.base import Backend, Reply, Request, Usage
from skillpack.errors import (
    BackendError,
    ManifestError,
    MissingExtraError,
    SkillContentError,
    SkillNotFoundError,
    SkillpackError,
    TokenizerError,
    UnknownComponentError,
    UsageError,
)
from skillpack.hookspecs import hookimpl
from skillpack.problems import Problem
from skillpack.registry import Shadowed, SkillPack, SkillRoot, search_path, user_home
from skillpack.routing.base import Match, Ranking, Router
from skillpack.running import RunResult
from skillpack.selection import Chosen, Rejected, Selection
from skillpack.skill import Requirement, Skill
from skillpack.validation import validate_pack

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "BackendError",
    "Chosen",
    "ManifestError",
    "Match",
    "MissingExtraError",
    "Problem",
    "Ranking",
    "Rejected",
    "Reply",
    "Request",
    "Requirement",
    "Router",
    "RunResult",
    "Selection",
    "Shadowed",
    "Skill",
    "SkillContentError",
    "SkillNotFoundError",
    "SkillPack",
    "SkillRoot",
    "SkillpackError",
    "TokenizerError",
    "UnknownComponentError",
    "Usage",
    "UsageError",
    "__version__",
    "hookimpl",
    "search_path",
    "user_home",
    "validate_pack",
]
