"""Every exception skillpack raises.

The hierarchy::

    SkillpackError                 base of everything below; the CLI prints its message as one line, exit 1
    ├── UsageError                 the caller asked for something impossible (bad option value); CLI exit 2
    │   ├── SkillNotFoundError     no skill of that name; the message names close matches
    │   └── UnknownComponentError  no router, backend or format of that name
    ├── ManifestError              a skill's manifest cannot be used (carries the Problem that says why)
    ├── SkillContentError          a skill's instructions or resource cannot be read safely (carries a Problem)
    ├── TokenizerError             the exact tokenizer is unavailable (never silently approximated)
    ├── BackendError               a model backend failed (API error, bad answer, endless tool loop)
    └── MissingExtraError          an optional extra is not installed; says which ``pip install`` fixes it

Library code raises these and never imports click; ``skillpack.cli`` turns them into one clear line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillpack.problems import Problem


class SkillpackError(Exception):
    """Base class: something went wrong, and the message says what, where and how to fix it."""

    exit_code = 1


class UsageError(SkillpackError):
    """The caller asked for something that cannot be done as asked."""

    exit_code = 2


class SkillNotFoundError(UsageError, LookupError):
    """No skill has the requested name."""

    def __init__(self, name: str, close: list[str]) -> None:
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else "; run `skillpack list` to see what is installed"
        )
        super().__init__(f"no skill named {name!r}{hint}")
        self.name = name
        self.close = close


class UnknownComponentError(UsageError, LookupError):
    """No router, backend or output format is registered under that name."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        super().__init__(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(known))}")
        self.kind = kind
        self.name = name
        self.known = known


class ManifestError(SkillpackError):
    """A manifest cannot be used; ``problem`` holds the file, location and fix."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class SkillContentError(SkillpackError):
    """A skill's instructions or one of its resources cannot be read safely; ``problem`` says where and why.

    The message leaves out the location when it is the whole file (``file``), and the fix when there
    is none to give.
    """

    def __init__(self, problem: Problem) -> None:
        where = "" if problem.location == "file" else f"{problem.location}: "
        fix = f" — {problem.fix}" if problem.fix else ""
        super().__init__(f"{problem.file}: {where}{problem.message}{fix}")
        self.problem = problem


class TokenizerError(SkillpackError):
    """The exact tokenizer could not be loaded."""


class BackendError(SkillpackError):
    """A model backend failed; the message says which call, why, and what to do."""


class MissingExtraError(SkillpackError):
    """A feature needs an optional extra that is not installed."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional module {module!r};"
            f" install it with: pip install 'skillpack[{extra}]'"
        )
        self.feature = feature
        self.extra = extra
        self.module = module
