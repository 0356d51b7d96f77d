"""Problem: one finding about a skill, printed as one line with file, location and fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: A suggestion is advice that ``lint`` offers, not a defect: it neither fails nor counts as a warning.
Severity = Literal["error", "warning", "suggestion"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a skill: where it is, what it is, and how to fix it.

    ``file`` is shown as given (callers pass a short, relative form such as ``claude-api/SKILL.md``);
    ``location`` is a JSON path into the manifest (``$.description``) or a position in the file
    (``line 3``); ``fatal`` problems make a lenient load skip the skill.
    """

    file: str
    location: str
    message: str
    fix: str
    severity: Severity = "error"
    code: str = "invalid"
    fatal: bool = False

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.message} — {self.fix}"

    def as_warning(self) -> Problem:
        """Return the same problem, downgraded to a warning (lenient mode)."""
        return Problem(self.file, self.location, self.message, self.fix, "warning", self.code, self.fatal)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping, for ``--format json``."""
        return {
            "file": self.file,
            "location": self.location,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
            "text": str(self),
        }
