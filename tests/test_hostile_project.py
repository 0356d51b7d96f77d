"""Attacks from a cloned project, a hostile git repository or archive, two installs at once, a full disk.

Each test builds the hostile setup of issue 11 for real (symlinks, locks, repositories) and checks that the
command refuses in one line and that nothing outside the project changed.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.skills import MakeSkill
from test_install import _git, needs_git

from skillpack.authoring import install as install_module
from skillpack.authoring.archive import tree_checksum
from skillpack.authoring.install import INSTALL_LOCK_NAME, Target, install, restore, uninstall
from skillpack.authoring.lockfile import read_lock
from skillpack.authoring.scaffold import create_skill
from skillpack.cli.main import cli
from skillpack.errors import ManifestError, SkillContentError, SkillpackError, UsageError
from skillpack.manifest import read_manifest
from skillpack.registry import SkillPack
from skillpack.skill import Skill


def _snapshot(folder: Path, *, skip: Path | None = None) -> dict[str, str | bytes]:
    """Every entry under ``folder`` except ``skip``: file bytes, link targets and folders, without following links."""
    found: dict[str, str | bytes] = {}
    for directory, subdirs, files in os.walk(folder):
        here = Path(directory)
        if skip is not None and here == skip:
            subdirs[:] = []
            continue
        for name in subdirs + files:
            path = here / name
            key = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[key] = "link:" + os.readlink(path)
            elif path.is_file():
                found[key] = path.read_bytes()
            else:
                found[key] = "folder"
    return found


@pytest.fixture
def project(skill_home: Path) -> Path:
    """The current project (tmp/project); ``skill_home`` isolates $SKILLPACK_HOME and chdirs here."""
    return Path.cwd()


@pytest.fixture
def hostile(project: Path, make_skill: MakeSkill) -> Path:
    """A cloned project whose ``.skillpack/skills`` is ``../..`` and whose lock lists ``important``.

    ``../..`` from ``.skillpack`` is the folder holding the project, where the user keeps ``important``.
    The lock entry is honest about the vendored skill's checksum, so only the symlink is hostile.
    """
    outside = project.parent
    victim = outside / "important"
    victim.mkdir()
    (victim / "thesis.txt").write_text("three years of work\n", encoding="utf-8")
    vendored = make_skill(project / "vendor", "important", version="1.0.0")
    (project / ".skillpack").mkdir()
    (project / ".skillpack" / "skills").symlink_to("../..")
    entry = {
        "name": "important",
        "version": "1.0.0",
        "source": "vendor/important",
        "checksum": tree_checksum(vendored),
        "resolved": "",
        "path": "",
    }
    lock = {"lockfile-version": 1, "skills": [entry]}
    (project / "skillpack.lock").write_text(json.dumps(lock), encoding="utf-8")
    return outside


# -- 1. a cloned project cannot make skillpack write or delete outside it ------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ["install"],
        ["install", "./vendor/important"],
        ["install", "--force", "./vendor/important"],
        ["uninstall", "important"],
    ],
    ids=["restore", "install", "install-force", "uninstall"],
)
def test_symlinked_skills_folder_cannot_touch_the_users_folder(
    hostile: Path, project: Path, arguments: list[str]
) -> None:
    before = _snapshot(hostile, skip=project)
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert "leads outside" in line and "through a symbolic link" in line and "nothing was changed" in line
    assert _snapshot(hostile, skip=project) == before
    assert (hostile / "important" / "thesis.txt").read_text(encoding="utf-8") == "three years of work\n"


def test_symlinked_skillpack_folder_cannot_receive_installs_or_new_skills(
    project: Path, make_skill: MakeSkill
) -> None:
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    (project / ".skillpack").symlink_to("../elsewhere")
    source = make_skill(project / "vendor", "harmless", version="1.0.0")
    runner = CliRunner()
    for arguments in (["install", str(source)], ["new", "my-skill"]):
        result = runner.invoke(cli, arguments)
        assert result.exit_code == 1, result.output
        assert "through a symbolic link" in result.output and len(result.output.strip().splitlines()) == 1
    assert list(elsewhere.iterdir()) == []
    assert not (project / "skillpack.lock").exists()


def test_new_may_still_be_told_to_write_outside_the_project(project: Path) -> None:
    # A --dir outside the project as written is the user's choice; only a symlink that leads out is refused.
    outside = project.parent / "drafts"
    assert create_skill(Path("../drafts"), "draft-skill", within=project) == Path("../drafts/draft-skill")
    assert (outside / "draft-skill" / "skill.yaml").is_file()


def test_symlinked_lock_file_is_refused(project: Path, make_skill: MakeSkill) -> None:
    victim = project.parent / "victim.json"
    victim.write_text("{}", encoding="utf-8")
    (project / "skillpack.lock").symlink_to(victim)
    source = make_skill(project / "vendor", "harmless", version="1.0.0")
    with pytest.raises(SkillpackError, match=r"skillpack\.lock: leads outside"):
        install(str(source), target=Target.project(project))
    assert victim.read_text(encoding="utf-8") == "{}"


def test_a_skill_folder_that_is_a_symlink_is_never_replaced_or_deleted(
    project: Path, make_skill: MakeSkill
) -> None:
    target = Target.project(project)
    source = make_skill(project / "vendor", "linked-skill", version="1.0.0")
    install(str(source), target=target)
    shutil.rmtree(target.skills_dir / "linked-skill")
    victim = make_skill(project.parent, "linked-skill", version="0.1.0")
    (target.skills_dir / "linked-skill").symlink_to(victim)
    before = _snapshot(victim)
    for action in (lambda: uninstall("linked-skill", target=target), lambda: restore(target=target)):
        with pytest.raises(SkillpackError, match="is a symbolic link"):
            action()
    assert _snapshot(victim) == before


def test_force_replaces_only_a_skill_folder(project: Path, make_skill: MakeSkill) -> None:
    target = Target.project(project)
    mine = target.skills_dir / "notes-tool"
    mine.mkdir(parents=True)
    (mine / "todo.txt").write_text("not a skill\n", encoding="utf-8")
    source = make_skill(project / "vendor", "notes-tool", version="1.0.0")
    with pytest.raises(SkillpackError, match="holds no skill"):
        install(str(source), target=target, force=True)
    assert (mine / "todo.txt").read_text(encoding="utf-8") == "not a skill\n"


def test_project_skill_roots_leading_outside_are_not_loaded(project: Path, make_skill: MakeSkill) -> None:
    make_skill(project.parent / "elsewhere", "outside-skill")
    (project / ".claude").mkdir()
    (project / ".claude" / "skills").symlink_to("../../elsewhere")
    pack = SkillPack.discover(cwd=project)
    assert "outside-skill" not in pack
    (problem,) = [p for p in pack.problems if p.code == "outside-project"]
    assert "through a symbolic link" in str(problem)
    # Named explicitly, the same folder is the user's choice and loads.
    assert "outside-skill" in SkillPack.from_paths([project / ".claude" / "skills"])


def test_default_user_home_leading_outside_home_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_skill: MakeSkill
) -> None:
    home = tmp_path / "user"
    (home / ".skillpack").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (home / ".skillpack" / "skills").symlink_to(tmp_path / "shared")
    monkeypatch.delenv("SKILLPACK_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    source = make_skill(tmp_path / "vendor", "harmless", version="1.0.0")
    with pytest.raises(SkillpackError, match=r"leads outside .*set SKILLPACK_HOME to the real folder"):
        install(str(source), target=Target.user())
    assert list((tmp_path / "shared").iterdir()) == []


# -- 2. two installs at once keep both entries ---------------------------------------------------------


def test_lock_is_read_again_under_the_file_lock(
    project: Path, make_skill: MakeSkill, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another install that finishes while this one fetches is kept: the lock is re-read under the file lock."""
    target = Target.project(project)
    first = make_skill(project / "vendor", "first-skill", version="1.0.0")
    second = make_skill(project / "vendor", "second-skill", version="1.0.0")
    real_fetch = install_module.fetch
    ran = []

    def fetch_then_let_another_install_finish(*args: object, **kwargs: object) -> object:
        if not ran:
            ran.append(True)
            install(str(second), target=target)
        return real_fetch(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(install_module, "fetch", fetch_then_let_another_install_finish)
    install(str(first), target=target)
    assert read_lock(target.lock_path).names == ("first-skill", "second-skill")


def test_two_processes_installing_at_once_keep_both_entries(project: Path, make_skill: MakeSkill) -> None:
    from filelock import FileLock

    target = Target.project(project)
    names = [f"racer-{index}" for index in range(4)]
    for name in names:
        make_skill(project / "vendor", name, version="1.0.0")
    target.skills_dir.mkdir(parents=True)
    # Hold the file lock while the processes start, so that they all wait on it and then run one by one.
    with FileLock(target.skills_dir / INSTALL_LOCK_NAME):
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from skillpack.cli.main import main; main()",
                    "install",
                    f"vendor/{name}",
                ],
                cwd=project,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for name in names
        ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0] * len(names), outputs
    assert read_lock(target.lock_path).names == tuple(names)
    assert sorted(p.name for p in target.skills_dir.iterdir() if not p.name.startswith(".")) == names


# -- 3. a git repository cannot hand over files from outside it ----------------------------------------


@pytest.fixture
def outside_skill(tmp_path: Path, make_skill: MakeSkill) -> Path:
    """A skill folder outside any repository: what a hostile repository's symlink points at."""
    return make_skill(tmp_path / "private", "victim-skill", version="9.9.9", body="# private notes\n")


@needs_git
@pytest.mark.parametrize("fragment", ["", "#subdirectory=victim-skill"], ids=["top-level", "subdirectory"])
def test_git_symlink_leading_outside_the_clone_is_refused(
    tmp_path: Path, project: Path, outside_skill: Path, make_skill: MakeSkill, fragment: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    make_skill(repo, "honest-skill", version="1.0.0")
    (repo / "victim-skill").symlink_to(outside_skill)
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "hostile")
    with pytest.raises(
        SkillpackError, match="'victim-skill' is a symbolic link that leads outside the repository"
    ):
        install(f"git+{repo.as_uri()}{fragment}", target=Target.project(project))
    assert not (project / ".skillpack").exists() and not (project / "skillpack.lock").exists()


@needs_git
def test_git_subdirectory_that_is_an_inner_symlink_is_refused(
    tmp_path: Path, project: Path, make_skill: MakeSkill
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    make_skill(repo / "skills", "honest-skill", version="1.0.0")
    (repo / "alias").symlink_to("skills")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "alias")
    with pytest.raises(SkillpackError, match="#subdirectory=alias is a symbolic link"):
        install(f"git+{repo.as_uri()}#subdirectory=alias", target=Target.project(project))


@needs_git
def test_git_ref_with_a_slash_is_checked_out(tmp_path: Path, project: Path, make_skill: MakeSkill) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    make_skill(repo, "branch-skill", version="1.2.0")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "1.2")
    _git(repo, "branch", "release/1.2")
    make_skill(repo, "branch-skill", version="2.0.0")
    _git(repo, "commit", "--quiet", "-am", "2.0")
    (change,) = install(f"git+{repo.as_uri()}@release/1.2", target=Target.project(project))
    assert (change.name, change.version) == ("branch-skill", "1.2.0")


# -- 4. a lock entry cannot point outside its source ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [("../victim/keeper", "climbs out"), ("/etc", "absolute"), ("a/./b", "'.' path component")],
)
def test_lock_entry_path_outside_the_source_is_refused(
    project: Path, make_skill: MakeSkill, path: str, reason: str
) -> None:
    keeper = make_skill(project.parent / "victim", "keeper", version="1.0.0")
    make_skill(project / "vendor", "keeper", version="1.0.0")
    entry = {
        "name": "keeper",
        "version": "1.0.0",
        "source": "vendor",
        "checksum": tree_checksum(keeper),
        "resolved": "",
        "path": path,
    }
    (project / "skillpack.lock").write_text(
        json.dumps({"lockfile-version": 1, "skills": [entry]}), encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["install"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert "$.skills[0].path" in line and reason in line
    assert not (project / ".skillpack").exists()


def test_lock_schema_constrains_path() -> None:
    from jsonschema import Draft202012Validator

    from skillpack.bundled import load_schema

    validator = Draft202012Validator(load_schema("lock"))

    def valid(path: str) -> bool:
        entry = {"name": "a", "version": "", "source": "s", "checksum": "sha256:" + "0" * 64, "path": path}
        return validator.is_valid({"lockfile-version": 1, "skills": [entry]})

    assert all(valid(p) for p in ("", "skills/a", "a.b/c-d"))
    assert not any(valid(p) for p in ("../victim", "/abs", "a/../b", "./a", "a//b", "a\\b", "a\tb", ".."))


# -- 5. a manifest or resource cannot be read from outside its skill ------------------------------------


@pytest.mark.parametrize("manifest", ["SKILL.md", "skill.yaml"])
def test_manifest_symlink_leading_outside_is_refused(tmp_path: Path, manifest: str) -> None:
    secret = tmp_path / "secret"
    secret.write_text("---\nname: leak\ndescription: Host github.com IdentityFile ~/.ssh/id\n---\n", "utf-8")
    folder = tmp_path / "skills" / "leak"
    folder.mkdir(parents=True)
    (folder / manifest).symlink_to(secret)
    with pytest.raises(ManifestError, match="symbolic link that leads outside the skill folder"):
        read_manifest(folder)
    runner = CliRunner()
    for arguments in (
        ["validate", "--strict", str(folder)],
        ["--only", "--path", str(folder.parent), "show", "leak"],
    ):
        result = runner.invoke(cli, arguments)
        assert result.exit_code != 0, result.output
        assert "IdentityFile" not in result.output


def test_manifest_symlink_inside_the_skill_is_read(tmp_path: Path, make_skill: MakeSkill) -> None:
    folder = make_skill(tmp_path, "aliased", form="agent-skills")
    (folder / "SKILL.md").rename(folder / "real.md")
    (folder / "SKILL.md").symlink_to("real.md")
    assert Skill.load(folder).name == "aliased"


def test_read_resource_never_follows_a_folder_swapped_for_a_symlink(
    tmp_path: Path, make_skill: MakeSkill
) -> None:
    folder = make_skill(tmp_path / "skills", "swapped")
    (folder / "references").mkdir()
    (folder / "references" / "notes.md").write_text("inside\n", encoding="utf-8")
    skill = Skill.load(folder)
    assert skill.read_resource("references/notes.md") == "inside\n"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.md").write_text("outside secret\n", encoding="utf-8")
    # The swap a racing attacker makes between the check and the read, made here before the read itself.
    shutil.rmtree(folder / "references")
    (folder / "references").symlink_to(outside)
    with pytest.raises(SkillContentError, match="outside the skill folder"):
        skill.read_resource("references/notes.md")
    with pytest.raises(SkillContentError, match="outside the skill folder"):
        skill.read_resource("references/../references/notes.md")


# -- 7. a full disk or an over-long path: one line, nothing left behind ---------------------------------


def _fail_writes_into(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every copy into ``folder`` fail with ENOSPC, as a full disk does, at the os level."""
    real_sendfile = os.sendfile
    real_write = os.write

    def full(descriptor: int) -> bool:
        try:
            return Path(os.readlink(f"/proc/self/fd/{descriptor}")).is_relative_to(folder)
        except OSError:
            return False

    def sendfile(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        if full(out_fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_sendfile(out_fd, in_fd, offset, count)

    def write(descriptor: int, data: bytes) -> int:
        if full(descriptor):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "sendfile", sendfile)
    monkeypatch.setattr(os, "write", write)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell where a write goes")
def test_full_disk_during_install_is_one_line_and_leaves_nothing(
    project: Path, make_skill: MakeSkill, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Target.project(project)
    source = make_skill(project / "vendor", "big-skill", version="1.0.0")
    install(str(source), target=target)
    make_skill(project / "vendor", "big-skill", version="2.0.0", body="# v2\n" * 1000)
    before = _snapshot(project)
    _fail_writes_into(target.skills_dir.resolve(), monkeypatch)
    result = CliRunner().invoke(cli, ["install", "vendor/big-skill"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert "No space left on device" in line and "nothing was changed" in line
    assert _snapshot(project) == before
    assert not [p for p in target.skills_dir.iterdir() if p.name.startswith((".incoming-", ".previous-"))]


def test_over_long_path_in_an_archive_is_one_line_and_leaves_nothing(project: Path) -> None:
    archive = project / "long-1.0.0.skill"
    deep = "/".join(["d" * 200] * 20) + "/notes.md"  # about 4,000 characters
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("long/SKILL.md", "---\nname: long\ndescription: Long. Use when long.\n---\nbody\n")
        handle.writestr(f"long/{deep}", "x")
    result = CliRunner().invoke(cli, ["install", str(archive)])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert "characters long; the limit is 1,024" in line
    assert not (project / ".skillpack").exists()


def test_leftovers_of_a_killed_install_are_cleared(project: Path, make_skill: MakeSkill) -> None:
    target = Target.project(project)
    install(str(make_skill(project / "vendor", "kept-skill", version="1.0.0")), target=target)
    # A kill mid-swap: kept-skill set aside, not yet replaced; an unfinished copy of another beside it.
    (target.skills_dir / "kept-skill").rename(target.skills_dir / ".previous-kept-skill-0123abcd")
    (target.skills_dir / ".incoming-other-skill-89abcdef" / "half").mkdir(parents=True)
    install(str(make_skill(project / "vendor", "next-skill", version="1.0.0")), target=target)
    names = sorted(p.name for p in target.skills_dir.iterdir())
    assert names == [INSTALL_LOCK_NAME, "kept-skill", "next-skill"]
    assert restore(target=target)[0].action == "unchanged"


# -- 12. names an archive cannot carry are refused when packing ----------------------------------------


@pytest.mark.parametrize("name", ["notes\nmore.md", "notes\u2028more.md", "bell\x07.md", "back\\slash.md"])
def test_pack_refuses_names_install_would_refuse(tmp_path: Path, make_skill: MakeSkill, name: str) -> None:
    folder = make_skill(tmp_path, "odd-names", version="1.0.0")
    (folder / name).write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["pack", str(folder), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert "the file name" in line and "rename it" in line
    assert not (tmp_path / "dist").exists() or list((tmp_path / "dist").iterdir()) == []


def test_usage_errors_stay_usage_errors() -> None:
    # A bad #subdirectory is the caller's mistake (exit 2), checked before anything is fetched.
    with pytest.raises(UsageError, match="climbs out"):
        install("git+https://example.invalid/r.git#subdirectory=../up", target=Target.project(Path.cwd()))


def test_a_folder_of_skills_never_follows_a_symlinked_sub_folder(
    project: Path, outside_skill: Path, make_skill: MakeSkill
) -> None:
    library = project / "vendor" / "library"
    make_skill(library, "honest-skill", version="1.0.0")
    (library / "victim-skill").symlink_to(outside_skill)
    changes = install(str(library), target=Target.project(project))
    assert [change.name for change in changes] == ["honest-skill"]
    assert not (project / ".skillpack" / "skills" / "victim-skill").exists()
