"""Discover skills on a search path and hold them: the ``SkillPack`` an agent embeds.

Search path, in precedence order (the earlier wins when two places hold the same name):

1. paths given explicitly;
2. ``./.skillpack/skills``, ``./.agents/skills``, ``./.claude/skills`` (the project's);
3. the user's skill home: ``$SKILLPACK_HOME``, default ``~/.skillpack/skills``, then the skill folders
   installed Python packages expose (entry-point group ``skillpack.skills``, source ``package:<dist>``);
4. folders offered by plugins' skill sources (``skillpack_register_sources``);
5. the skills bundled with skillpack.

A path is either one skill folder (it holds ``SKILL.md`` or ``skill.yaml``) or a library whose
sub-folders are skills. Only manifests are read here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.bundled import skills_dir
from skillpack.errors import ManifestError, SkillNotFoundError, UsageError
from skillpack.manifest import AGENT_SKILLS_MANIFEST, NATIVE_MANIFEST, is_manifest_entry, read_manifest
from skillpack.paths import escapes_through_symlink
from skillpack.problems import Problem
from skillpack.skill import Skill
from skillpack.validation import cache_salt, content_problems

if TYPE_CHECKING:
    from skillpack.backends.base import Backend
    from skillpack.cache import ManifestStore
    from skillpack.routing.base import Router
    from skillpack.running import RunResult
    from skillpack.selection import Selection

PROJECT_DIRS = (".skillpack/skills", ".agents/skills", ".claude/skills")


@dataclass(frozen=True, slots=True)
class SkillRoot:
    """One entry of the search path."""

    path: Path
    source: str
    explicit: bool = False
    #: A folder the root must not leave through a symlink (the project, or the home folder), if any.
    anchor: Path | None = None


@dataclass(frozen=True, slots=True)
class Shadowed:
    """A skill hidden by another of the same name earlier on the search path."""

    skill: Skill
    by: Skill


def user_home() -> Path:
    """Return the user's skill home: ``$SKILLPACK_HOME`` or ``~/.skillpack/skills``."""
    configured = os.environ.get("SKILLPACK_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".skillpack" / "skills"


def search_path(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    cwd: Path | None = None,
    include_defaults: bool = True,
) -> list[SkillRoot]:
    """Return the search path: explicit ``paths`` first, then (unless disabled) the default places."""
    roots = [SkillRoot(Path(p), "path", explicit=True) for p in paths]
    if include_defaults:
        base = cwd or Path.cwd()
        # A cloned project may make these symlinks to anywhere; they are loaded only while they stay inside.
        roots += [SkillRoot(base / rel, "project", anchor=base) for rel in PROJECT_DIRS]
        home_anchor = None if os.environ.get("SKILLPACK_HOME") else Path.home()
        roots.append(SkillRoot(user_home(), "user", anchor=home_anchor))
        roots += package_roots()
        from skillpack.plugins import source_folders

        # Folders offered by plugins (hook skillpack_register_sources), after packages, before the bundled.
        roots += [SkillRoot(folder, source) for folder, source in source_folders(base)]
        roots.append(SkillRoot(skills_dir(), "bundled"))
    return roots


#: Installed distributions expose skill folders through this entry-point group, e.g. in pyproject.toml:
#: ``[project.entry-points."skillpack.skills"] my-skills = "my_package:skills"`` (the folder ``skills``
#: inside the package ``my_package``; without ``:`` the package's own folder).
SKILLS_ENTRY_POINT_GROUP = "skillpack.skills"


def package_roots() -> list[SkillRoot]:
    """Return the skill folders installed distributions expose, found without importing any of them."""
    import importlib.util
    from importlib.metadata import entry_points

    roots = []
    for point in sorted(entry_points(group=SKILLS_ENTRY_POINT_GROUP), key=lambda p: (p.value, p.name)):
        module, _, inner = point.value.partition(":")
        top, *below = module.strip().split(".")
        try:
            spec = importlib.util.find_spec(top)  # locates the package; runs none of its code
        except (ImportError, ValueError):
            spec = None
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        parts = [*below, *(p for p in inner.strip().split(".") if p)]
        folder = next((Path(base, *parts) for base in locations if Path(base, *parts).is_dir()), None)
        if folder is not None:
            dist = point.dist.name if point.dist is not None else point.name
            roots.append(SkillRoot(folder, f"package:{dist}"))
    return roots


def is_skill_folder(path: Path) -> bool:
    """Return True when ``path`` holds a skill manifest (or something by that name, which reading reports)."""
    try:
        # Not is_file(): a SKILL.md that is a pipe or a broken symlink must be reported, not taken for
        # a folder of skills.
        return is_manifest_entry(path / NATIVE_MANIFEST) or is_manifest_entry(path / AGENT_SKILLS_MANIFEST)
    except OSError:
        # An unreadable folder (no execute permission) raises here; listing it reports why.
        return False


class SkillPack:
    """A set of skills with unique names, in search-path order; safe to share between threads.

    Build one with ``SkillPack.from_paths([...])`` (only those paths) or ``SkillPack.discover()``
    (the full search path). Iterate it, ``get(name)`` one skill, ``select(task)`` the few a task needs.
    """

    def __init__(
        self,
        skills: Iterable[Skill],
        *,
        problems: Iterable[Problem] = (),
        shadowed: Iterable[Shadowed] = (),
        roots: Iterable[SkillRoot] = (),
    ) -> None:
        by_name: dict[str, Skill] = {}
        hidden = list(shadowed)
        for skill in skills:
            if skill.name in by_name:
                hidden.append(Shadowed(skill, by_name[skill.name]))
            else:
                by_name[skill.name] = skill
        self._skills = by_name
        self._problems = tuple(problems)
        self._shadowed = tuple(hidden)
        self._roots = tuple(roots)
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.RLock()

    # -- construction ------------------------------------------------------------------------------

    @classmethod
    def from_paths(
        cls, paths: Sequence[str | os.PathLike[str]], *, strict: bool = False, cache: bool = False
    ) -> SkillPack:
        """Load the skills under ``paths`` only (each a skill folder or a folder of skills)."""
        return cls.from_roots(search_path(paths, include_defaults=False), strict=strict, cache=cache)

    @classmethod
    def discover(
        cls,
        paths: Sequence[str | os.PathLike[str]] = (),
        *,
        cwd: Path | None = None,
        strict: bool = False,
        cache: bool = False,
    ) -> SkillPack:
        """Load ``paths`` and then the default search path (project, user home, bundled)."""
        return cls.from_roots(search_path(paths, cwd=cwd), strict=strict, cache=cache)

    @classmethod
    def from_roots(
        cls, roots: Sequence[SkillRoot], *, strict: bool = False, cache: bool = False
    ) -> SkillPack:
        """Load every skill found under ``roots``; unusable ones are skipped and reported in ``problems``.

        With ``cache=True`` (what the CLI does), manifests parsed and checked before are taken from a
        store in the cache folder, keyed by their bytes' SHA-256 (see ``skillpack.cache.ManifestStore``);
        by default loading writes nothing to disk.
        """
        skills: list[Skill] = []
        problems: list[Problem] = []
        scanned: set[Path] = set()
        loaded: set[Path] = set()
        salt = cache_salt() if cache else None
        for root in roots:
            # The same folder reached twice (`--path skills` in a checkout, a project folder that is
            # also $SKILLPACK_HOME) holds the same skills: they do not shadow themselves.
            where = _identity(root.path)
            if where in scanned:
                continue
            scanned.add(where)
            if root.anchor is not None and escapes_through_symlink(root.path, root.anchor):
                problems.append(_leaves(root, where))
                continue
            store = _manifest_store(where, salt) if salt is not None else None
            found, found_problems = _scan(root, where, strict=strict, store=store)
            if store is not None:
                store.save()
            for skill, folder in found:
                if folder not in loaded:
                    loaded.add(folder)
                    skills.append(skill)
            problems.extend(found_problems)
        return cls(skills, problems=problems, roots=roots)

    # -- access --------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills.values())

    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def __repr__(self) -> str:
        return f"<SkillPack {len(self)} skills>"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._skills)

    @property
    def skills(self) -> tuple[Skill, ...]:
        return tuple(self._skills.values())

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Problems with skills that were skipped, and with folders that hold no skill."""
        return self._problems

    @property
    def shadowed(self) -> tuple[Shadowed, ...]:
        return self._shadowed

    @property
    def roots(self) -> tuple[SkillRoot, ...]:
        return self._roots

    def get(self, name: str) -> Skill:
        """Return the skill called ``name``; ``SkillNotFoundError`` names close matches otherwise."""
        try:
            return self._skills[name]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, list(self._skills), n=3, cutoff=0.6)
            # The KeyError is the failed lookup itself: it adds nothing the message does not say.
            raise SkillNotFoundError(name, close) from None

    def cache(self, key: str, build: Any) -> Any:
        """Return ``self._cache[key]``, building it with ``build()`` once (used for router indexes)."""
        if key not in self._cache:
            # Several threads may ask at once; build once (re-entrant: a build may use another key).
            with self._cache_lock:
                if key not in self._cache:
                    self._cache[key] = build()
        return self._cache[key]

    # The pipeline sits above this floor: these methods import it when called, and it imports this
    # module only for types, so there is no cycle.

    def select(
        self,
        task: str,
        *,
        k: int = 5,
        budget: int | None = None,
        router: str | Router = "lexical",
        format: str = "xml",
        catalog_budget: int | None = None,
        relative_floor: float | None = None,
        min_confidence: float | None = None,
    ) -> Selection:
        """Route ``task`` and assemble the chosen skills under ``budget`` (see ``skillpack.selection.select``)."""
        from skillpack.selection import select

        return select(
            self,
            task,
            k=k,
            budget=budget,
            router=router,
            format=format,
            catalog_budget=catalog_budget,
            relative_floor=relative_floor,
            min_confidence=min_confidence,
        )

    def run(
        self,
        task: str,
        *,
        backend: Backend | str | None = None,
        model: str | None = None,
        router: Router | str = "lexical",
        k: int = 5,
        budget: int | None = None,
        min_confidence: float | None = None,
        load_on_demand: bool = True,
        catalog_budget: int = 1000,
        max_tokens: int = 4096,
        max_turns: int = 4,
        dry_run: bool = False,
    ) -> RunResult:
        """Route ``task``, assemble the skills and ask ``backend`` (see ``skillpack.running.run``)."""
        from skillpack.running import run

        return run(
            self,
            task,
            backend=backend,
            model=model,
            router=router,
            k=k,
            budget=budget,
            min_confidence=min_confidence,
            load_on_demand=load_on_demand,
            catalog_budget=catalog_budget,
            max_tokens=max_tokens,
            max_turns=max_turns,
            dry_run=dry_run,
        )


def _manifest_store(folder: Path, salt: str) -> ManifestStore:
    """Return the manifest store of one search-path folder (one file per folder, so each stays small)."""
    from skillpack.cache import ManifestStore, cache_dir

    name = hashlib.sha256(os.fsencode(folder)).hexdigest()[:32]
    return ManifestStore(cache_dir() / "manifests" / f"{name}.json", salt=salt)


def _scan(
    root: SkillRoot, where: Path, *, strict: bool, store: ManifestStore | None = None
) -> tuple[list[tuple[Skill, Path]], list[Problem]]:
    """Load the skills under ``root`` (whose resolved path is ``where``), each with its resolved folder."""
    path = root.path
    if root.explicit:
        if path.is_file() and path.name in (NATIVE_MANIFEST, AGENT_SKILLS_MANIFEST):
            path = path.parent
        elif not path.exists():
            raise UsageError(f"{path}: no such folder — give a skill folder or a folder of skills")
        elif not path.is_dir():
            raise UsageError(f"{path}: not a folder — give a skill folder or a folder of skills")
    elif not path.is_dir():
        return [], []
    if is_skill_folder(path):
        folders = [(path, _identity(path))]
    else:
        try:
            with os.scandir(path) as entries:  # is_dir() comes from the listing, without a stat per entry
                found = sorted(
                    (entry.name, _is_symlink(entry))
                    for entry in entries
                    if not entry.name.startswith((".", "_")) and _is_dir(entry)
                )
        except OSError as exc:
            return [], [_unreadable(path, exc)]
        # ``where`` is resolved, so a sub-folder that is not a symlink resolves to where/name.
        folders = [(path / name, _identity(path / name) if link else where / name) for name, link in found]
    skills: list[tuple[Skill, Path]] = []
    problems: list[Problem] = []
    for folder, identity in folders:
        try:
            raw = read_manifest(folder, store=store)
            if store is not None and raw.checked is None:
                raw = dataclasses.replace(raw, checked=content_problems(raw))
                store.put(raw.cache_key, raw.data, raw.checked or ())
            skills.append((Skill.from_raw(raw, source=root.source, strict=strict), identity))
        except ManifestError as exc:
            problems.append(exc.problem)
        except OSError as exc:
            problems.append(_unreadable(folder, exc))
    return skills, problems


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # e.g. a symlink into a folder this user cannot read: not a skill folder here
        return False


def _is_symlink(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return True  # unknown: resolve it in full


def _identity(path: Path) -> Path:
    """Return ``path`` resolved, to tell whether two paths are the same folder (absolute if unresolvable)."""
    try:
        return Path(os.path.realpath(path))  # Path.resolve without its extra stat (this runs per skill)
    except (OSError, ValueError):
        return path.absolute()


def _leaves(root: SkillRoot, where: Path) -> Problem:
    return Problem(
        f"{root.path}/",
        "folder",
        f"leads outside {root.anchor} through a symbolic link (to {where}); its skills are not loaded",
        "replace the link with a real folder, or pass the folder it points to in `paths` if you trust it",
        code="outside-project",
        fatal=True,
    )


def _unreadable(folder: Path, exc: OSError) -> Problem:
    return Problem(
        f"{folder.name}/",
        "folder",
        f"cannot be read: {exc.strerror or type(exc).__name__}",
        "check the folder's permissions (it needs read and execute for this user)",
        code="unreadable",
        fatal=True,
    )
