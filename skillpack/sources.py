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

from skillpack.archive import ARCHIVE_SUFFIX, unpack_archive
from skillpack.errors import SkillpackError, UsageError

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
        if ".." in subdirectory.split("/"):
            raise UsageError(f"{text}: #subdirectory must be a relative path inside the repository")
    ref = ""
    at = url.rfind("@")
    if at > url.rfind("/") and at > url.rfind(":"):
        url, ref = url[:at], url[at + 1 :]
    if url.startswith("-") or ref.startswith("-") or not url:
        raise UsageError(f"{text}: not a usable git URL or ref")
    return Source("git", url, ref, subdirectory)


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
        _git(["checkout", "--quiet", "--detach", wanted, "--"], cwd=into, timeout=timeout)
    except SkillpackError as exc:
        raise SkillpackError(f"{source.location}: cannot check out {wanted!r}: {exc}") from None
    resolved = _git(["rev-parse", "HEAD"], cwd=into, timeout=timeout)
    root = into / source.subdirectory if source.subdirectory else into
    if not root.is_dir():
        raise SkillpackError(
            f"{source.location}@{wanted}: no folder {source.subdirectory!r} in the repository"
        )
    return root, resolved


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
    except FileNotFoundError:
        raise SkillpackError("installing from git needs the git program; install git and retry") from None
    except subprocess.TimeoutExpired:
        raise SkillpackError(
            f"`git {arguments[0]}` did not finish within {timeout:g} s — check the URL and your connection,"
            " or raise --timeout"
        ) from None
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
