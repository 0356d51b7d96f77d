"""What the server's tools do, apart from the protocol: find skills for a task, load one, read its files.

``SkillTools`` answers ``find_skills``, ``load_skill``, ``read_skill_resource`` and ``reload_skills`` with
plain values and raises ``SkillpackError`` subclasses for bad input, so ``server`` only adapts it to MCP.
Every call, failed ones included, is one record in the event log.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from skillpack.errors import SkillContentError, SkillpackError, UsageError
from skillpack.eventlog import EventLog, text_digest
from skillpack.mcp.library import Library, check_text, skill_uri
from skillpack.routing.base import Router
from skillpack.selection import DEFAULT_K, Chosen, Selection, select

#: The longest task ``find_skills`` routes: a task is a request, not a document to search through.
MAX_TASK_BYTES = 64 * 1024
#: The most skills one ``find_skills`` call may ask for.
MAX_K = 20
#: The largest token budget one ``find_skills`` call may give.
MAX_BUDGET = 1_000_000
#: How many sessions' loaded skills are remembered (HTTP clients come and go).
MAX_SESSIONS = 1000
#: Evidence is cut to one line of at most this many characters.
EVIDENCE_CHARS = 200

T = TypeVar("T")


class SkillTools:
    """The tools over one library, remembering per session which skills were loaded."""

    def __init__(self, library: Library, *, router: Router, log: EventLog | None = None) -> None:
        self.library = library
        self.router = router
        self.log = log or EventLog(None)
        # A session's key -> the skills it loaded, with their manifest hash, so a skill changed by a
        # reload counts as new. Only the latest MAX_SESSIONS sessions are remembered.
        self._loaded: OrderedDict[str, set[tuple[str, str]]] = OrderedDict()
        self._sessions_lock = threading.Lock()

    # -- find_skills ---------------------------------------------------------------------------------

    def find_skills(self, task: object, *, k: object = None, budget: object = None) -> dict[str, Any]:
        """Route ``task`` and return the chosen skills (score, tokens, evidence) or an explicit abstention."""
        started = time.perf_counter()
        fields: dict[str, Any] = {}

        def run() -> dict[str, Any]:
            text = _task(task)
            fields["task_sha256"] = text_digest(text)
            wanted_k = DEFAULT_K if k is None else _bounded_int(k, "k", 1, MAX_K)
            wanted_budget = None if budget is None else _bounded_int(budget, "budget", 1, MAX_BUDGET)
            selection = select(self.library.pack, text, k=wanted_k, budget=wanted_budget, router=self.router)
            answer = find_result(selection)
            fields.update(
                chosen=[entry["name"] for entry in answer["skills"]],
                abstained=answer["abstained"],
                tokens=answer["context_tokens"],
                k=wanted_k,
                budget=wanted_budget,
            )
            return answer

        return self._logged("find_skills", run, fields, started)

    # -- load_skill ----------------------------------------------------------------------------------

    def load_skill(self, name: object, *, session: str | None) -> str:
        """Return the skill's instructions and its list of files; a repeat in a session says so instead.

        ``session`` names the client's session; ``None`` (a transport without sessions) remembers nothing.
        """
        started = time.perf_counter()
        fields: dict[str, Any] = {}

        def run() -> str:
            skill = self.library.get(name)
            fields["skill"] = skill.name
            loaded = self._session(session)
            key = (skill.name, skill.manifest_sha256)
            if key in loaded:
                fields["already_loaded"] = True
                return (
                    f"Skill {skill.name!r} is already loaded in this session: its instructions are in an"
                    " earlier load_skill result. Read its files with read_skill_resource."
                )
            instructions = skill.instructions()
            files = [f for f in self.library.files(skill) if f.path != "SKILL.md"]
            lines = [f"# Skill: {skill.name} ({skill_uri(skill.name)})", "", instructions.rstrip(), ""]
            if files:
                lines += [
                    "## Files of this skill",
                    "",
                    f'Read one with read_skill_resource(name="{skill.name}", path=PATH), or as the resource'
                    " at its URI:",
                    "",
                ]
                lines += [f"- {f.path} ({f.mime_type}, {f.size:,} bytes) {f.uri}" for f in files]
            else:
                lines.append("This skill has no other files.")
            loaded.add(key)
            fields.update(already_loaded=False, tokens=self._tokens(instructions))
            return "\n".join(lines) + "\n"

        return self._logged("load_skill", run, fields, started)

    # -- read_skill_resource -------------------------------------------------------------------------

    def read_skill_resource(self, name: object, path: object) -> str:
        """Return one file of a skill as text, path-checked and bounded by the skill itself."""
        started = time.perf_counter()
        fields: dict[str, Any] = {}

        def run() -> str:
            skill = self.library.get(name)
            relative = check_text(path, "the file path")
            fields.update(skill=skill.name, path=relative)
            skill.resource_path(relative)  # outside the folder or missing: the skill's own error
            try:
                text = skill.read_resource(relative)
            except SkillContentError as exc:
                hint = (
                    f"(a file that is not text can be read as the resource {skill_uri(skill.name, relative)})"
                )
                problem = exc.problem
                raise SkillContentError(replace(problem, fix=f"{problem.fix} {hint}".strip())) from exc
            fields["tokens"] = self._tokens(text)
            return text

        return self._logged("read_skill_resource", run, fields, started)

    # -- reload_skills -------------------------------------------------------------------------------

    def reload_skills(self) -> dict[str, Any]:
        """Read the library again and say how many skills it now holds."""
        started = time.perf_counter()
        fields: dict[str, Any] = {}

        def run() -> dict[str, Any]:
            pack = self.library.reload()
            fields["skills"] = len(pack)
            return {"skills": len(pack), "problems": [str(p) for p in pack.problems]}

        return self._logged("reload_skills", run, fields, started)

    # -- shared --------------------------------------------------------------------------------------

    def _logged(self, tool: str, run: Callable[[], T], fields: dict[str, Any], started: float) -> T:
        try:
            result = run()
        except SkillpackError as exc:
            self.log.write("tool_call", tool=tool, error=str(exc), **_elapsed(started), **fields)
            raise
        self.log.write("tool_call", tool=tool, **_elapsed(started), **fields)
        return result

    def _session(self, session: str | None) -> set[tuple[str, str]]:
        if session is None:
            return set()
        with self._sessions_lock:
            loaded = self._loaded.setdefault(session, set())
            self._loaded.move_to_end(session)
            while len(self._loaded) > MAX_SESSIONS:
                self._loaded.popitem(last=False)
            return loaded

    @staticmethod
    def _tokens(text: str) -> int:
        from skillpack.tokens import TokenCounter

        counter = TokenCounter.cached()
        return counter.count(text)


def find_result(selection: Selection) -> dict[str, Any]:
    """Return ``find_skills``' answer for a selection: JSON values, one entry per chosen skill."""
    skills = [chosen_entry(chosen) for chosen in selection.chosen]
    answer: dict[str, Any] = {
        "task_sha256": text_digest(selection.task),
        "router": selection.ranking.router,
        "abstained": not skills,
        "skills": skills,
        # Exact tokens of the chosen skills' instructions as one rendered context, wrapper included.
        "context_tokens": selection.context_tokens if skills else 0,
        "skills_installed": len(selection.pack),
    }
    if skills:
        answer["next"] = "Call load_skill with a name above to get that skill's instructions."
    else:
        answer["reason"] = selection.abstain_reason
    return answer


def chosen_entry(chosen: Chosen) -> dict[str, Any]:
    """Return one chosen skill as ``find_skills`` reports it, with the router's calibrated confidence."""
    evidence = " ".join("; ".join(chosen.evidence).split())
    if len(evidence) > EVIDENCE_CHARS:
        evidence = evidence[: EVIDENCE_CHARS - 1] + "…"
    return {
        "name": chosen.skill.name,
        "description": chosen.skill.description,
        "uri": skill_uri(chosen.skill.name),
        "confidence": round(chosen.confidence, 3),
        "score": round(chosen.score, 4),
        "tokens": chosen.tokens,
        "evidence": evidence or "-",
    }


def _task(task: object) -> str:
    if not isinstance(task, str):
        raise UsageError("task must be a string describing what the user wants done")
    size = len(task.encode("utf-8", "surrogatepass"))
    if size > MAX_TASK_BYTES:
        raise UsageError(
            f"the task is {size:,} bytes, over the limit of {MAX_TASK_BYTES:,} — pass a one-paragraph"
            " summary of what the user wants, not the material to work on"
        )
    if not task.strip():
        raise UsageError('the task is empty — describe what the user wants, e.g. "write a commit message"')
    return task


def _bounded_int(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{what} must be a whole number from {low} to {high:,} (got {value!r})")
    return value


def _elapsed(started: float) -> dict[str, float]:
    return {"ms": round((time.perf_counter() - started) * 1000, 2)}
