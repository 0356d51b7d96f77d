"""Where ``skillpack install`` takes skills from: a folder, a ``.skill`` archive or a git repository.

``parse_source`` reads the ``SOURCE`` argument; ``fetch`` makes its files available in a scratch folder.
Git sources are cloned with the ``git`` binary, under a timeout, with prompts, hooks and the ``ext::``
transport disabled; nothing a repository contains is run.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skillpack.authoring.archive import ARCHIVE_SUFFIX, unpack_archive
from skillpack.errors import SkillpackError, UsageError
from skillpack.paths import relative_path_problem, resolve_inside

SourceKind = Literal["folder", "archive", "git"]

#: Seconds a git command may take before it is stopped.
DEFAULT_GIT_TIMEOUT = 120.0

#: The longest git error quoted back, in characters.
MAX_GIT_DETAIL = 300

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"^[\w.-]+@[\w.-]+:")
_GIT_ERROR = re.compile(r"^(fatal|error):", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed install source."""

    kind: SourceKind
    location: str  # a filesystem path, or the git URL without ``git+``, ``@ref`` and ``#subdirectory``
    ref: str = ""
    subdirectory: str = ""


def parse_source(text: str, *, cwd: Path | None = None) -> Source:
    """Parse ``SOURCE`` as given to ``skillpack install``.

    Git: ``git+URL``, any ``scheme://`` URL, ``user@host:path`` or a path ending in ``.git``; each may
    end in ``@REF`` (branch, tag or commit) and ``#subdirectory=PATH``. Otherwise a local ``.skill``
    archive or a folder (one skill, or a folder of skills).
    """
    text = text.strip()
    if not text:
        raise UsageError("empty source — give a folder, a .skill archive or a git URL")
    base = cwd or Path.cwd()
    is_git = text.startswith("git+") or bool(_URL.match(text)) or bool(_SCP.match(text))
    bare = text.split("#", 1)[0].split("@")[0]
    if not is_git and bare.endswith(".git") and not (base / text).is_file():
        is_git = True
    if not is_git:
        path = base / text
        if path.is_dir():
            return Source("folder", str(path))
        if path.is_file():
            if path.suffix in (ARCHIVE_SUFFIX, ".zip"):
                return Source("archive", str(path))
            raise UsageError(
                f"{text}: not a .skill archive or a folder — give a skill folder or NAME-VERSION.skill"
            )
        raise UsageError(
            f"{text}: no such file or folder — give a skill folder, a .skill archive, or a git URL"
            " (git+https://…/repo.git@v1.0)"
        )
    url = text[4:] if text.startswith("git+") else text
    subdirectory = ""
    if "#" in url:
        url, fragment = url.split("#", 1)
        key, _, value = fragment.partition("=")
        if key != "subdirectory" or not value:
            raise UsageError(
                f"{text}: unknown fragment #{fragment} — the only one understood is #subdirectory=PATH"
            )
        subdirectory = value.strip("/")
        problem = relative_path_problem(subdirectory)
        if problem is not None:
            raise UsageError(
                f"{text!r}: #subdirectory={value!r} {problem} — give a relative path inside the repository"
            )
    url, ref = _split_ref(url)
    if url.startswith("-") or not url or (ref is not None and (not ref or ref.startswith("-"))):
        raise UsageError(f"{text}: not a usable git URL or ref")
    return Source("git", url, ref or "", subdirectory)


def _split_ref(url: str) -> tuple[str, str | None]:
    """Split ``URL@REF`` into the URL and the ref, which may hold ``/`` (``@release/1.2``).

    The ``@`` of a ref comes after the host: after ``scheme://user@host`` or the ``user@host:`` of the scp
    form. A repository path that itself holds ``@`` is read up to ``.git@`` when it has one, and a path
    ending in ``.git`` has no ref. The ref is None when there is no ``@`` at all.
    """
    if (match := _URL.match(url)) is not None:
        authority_end = url.find("/", match.end())
        start = len(url) if authority_end == -1 else authority_end
    elif (match := _SCP.match(url)) is not None:
        start = match.end()
    else:
        start = 0
    path = url[start:]
    at = path.find(".git@")
    if at != -1:
        at += len(".git")
    elif path.endswith(".git"):
        return url, None
    else:
        at = path.rfind("@")
    if at == -1:
        return url, None
    return url[: start + at], path[at + 1 :]


@contextmanager
def fetch(source: Source, scratch: Path, *, commit: str = "", timeout: float) -> Iterator[tuple[Path, str]]:
    """Yield the folder holding the source's skill(s), and the git commit for git sources.

    Archives are unpacked and repositories cloned under ``scratch``; a folder is used where it is.
    """
    if source.kind == "folder":
        yield Path(source.location), ""
    elif source.kind == "archive":
        into = scratch / "unpacked"
        into.mkdir()
        yield unpack_archive(Path(source.location), into).folder, ""
    else:
        yield _clone(source, scratch / "repository", commit=commit, timeout=timeout)


def _clone(source: Source, into: Path, *, commit: str, timeout: float) -> tuple[Path, str]:
    """Clone ``source`` into ``into`` and check out ``commit`` (or the ref); return the root and commit."""
    _git(["clone", "--quiet", "--no-checkout", "--", source.location, str(into)], cwd=None, timeout=timeout)
    wanted = commit or source.ref or "HEAD"
    try:
        found = _resolve(wanted, into, timeout=timeout)
        _git(["checkout", "--quiet", "--detach", found, "--"], cwd=into, timeout=timeout)
    except SkillpackError as exc:
        raise SkillpackError(f"{source.location}: cannot check out {wanted!r}: {exc}") from exc
    resolved = _git(["rev-parse", "HEAD"], cwd=into, timeout=timeout)
    _refuse_outward_links(into, f"{source.location}@{wanted}")
    root = into / source.subdirectory if source.subdirectory else into
    if source.subdirectory and (resolve_inside(into, source.subdirectory) is None or root.is_symlink()):
        raise SkillpackError(
            f"{source.location}@{wanted}: #subdirectory={source.subdirectory} is a symbolic link or leads"
            " outside the repository — point it at a real folder; nothing was installed"
        )
    if not root.is_dir():
        raise SkillpackError(
            f"{source.location}@{wanted}: no folder {source.subdirectory!r} in the repository"
        )
    return root, resolved


def _resolve(ref: str, clone: Path, *, timeout: float) -> str:
    """Return the commit ``ref`` names in ``clone``: a commit, a tag, or a branch of the cloned remote.

    A clone has local branches only for the default branch; ``release/1.2`` is found as
    ``origin/release/1.2``, where ``git checkout`` alone would try to create a branch for it.
    """
    for candidate in (ref, f"origin/{ref}"):
        try:
            return _git(
                ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{candidate}^{{commit}}"],
                cwd=clone,
                timeout=timeout,
            )
        except SkillpackError:
            continue
    return ref  # let checkout say what is wrong with it


def _refuse_outward_links(clone: Path, display: str) -> None:
    """Refuse a checkout holding a symlink that leads outside it, as an archive holding one is refused.

    Links that stay inside are left to the skill checks (``skill_files`` refuses any link in a skill).
    """
    for directory, subdirs, files in os.walk(clone):
        subdirs[:] = [d for d in subdirs if not (directory == str(clone) and d == ".git")]
        for name in [*subdirs, *files]:
            path = Path(directory, name)
            if path.is_symlink() and resolve_inside(clone, path.relative_to(clone).as_posix()) is None:
                relative = path.relative_to(clone).as_posix()
                raise SkillpackError(
                    f"{display}: {relative!r} is a symbolic link that leads outside the repository (to"
                    f" {os.readlink(path)!r}) — refusing to install from it; nothing was installed"
                )


def _git(arguments: Sequence[str], *, cwd: Path | None, timeout: float) -> str:
    command = [
        "git",
        "-c",
        "protocol.ext.allow=never",  # ext:: URLs run arbitrary commands
        "-c",
        "core.hooksPath=" + os.devnull,
        "-c",
        "advice.detachedHead=false",
        *arguments,
    ]
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise SkillpackError("installing from git needs the git program; install git and retry") from exc
    except subprocess.TimeoutExpired as exc:
        raise SkillpackError(
            f"`git {arguments[0]}` did not finish within {timeout:g} s — check the URL and your connection,"
            " or raise `timeout`"
        ) from exc
    if done.returncode != 0:
        raise SkillpackError(f"`git {arguments[0]}` failed: {git_error(done.stderr)}")
    return done.stdout.strip()


def git_error(stderr: str) -> str:
    """Return git's meaningful error lines (``fatal:``, ``error:``) as one trimmed line.

    git ends many failures with advice ("Please make sure you have the correct access rights / and the
    repository exists."), so its last line alone says nothing. Without such lines, every line is kept.
    """
    lines = [" ".join(line.split()) for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    meaningful = [line for line in lines if _GIT_ERROR.match(line)] or lines
    detail = "; ".join(dict.fromkeys(meaningful)) or "no message (exit status only)"
    if len(detail) > MAX_GIT_DETAIL:
        detail = detail[: MAX_GIT_DETAIL - 1].rstrip() + "…"
    return detail
