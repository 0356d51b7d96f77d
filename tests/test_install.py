"""Installing skills from folders, archives and git; the lock; requires; interrupted installs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.skills import MakeSkill

from skillpack.authoring import target as target_module
from skillpack.authoring.archive import pack_skill, tree_checksum
from skillpack.authoring.install import INSTALL_LOCK_NAME, Target, install, restore, uninstall
from skillpack.authoring.lockfile import read_lock
from skillpack.errors import SkillpackError, UsageError

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="the git program is not installed")


@pytest.fixture
def project(skill_home: Path) -> Path:
    """The (empty) current project; ``skill_home`` isolates $SKILLPACK_HOME and chdirs here."""
    return Path.cwd()


@pytest.fixture
def target(project: Path) -> Target:
    return Target.project(project)


def _installed(target: Target) -> list[str]:
    """The names of the entries in the skills folder that are not hidden (skills, or stray files)."""
    if not target.skills_dir.exists():
        return []
    return sorted(p.name for p in target.skills_dir.iterdir() if not p.name.startswith("."))


def _state(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) and its bytes."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_install_folder_writes_skill_and_lock(tmp_path: Path, make_skill: MakeSkill, target: Target) -> None:
    source = make_skill(tmp_path / "vendor", "alpha-tool", version="1.0.0")
    changes = install(str(source), target=target)
    assert [str(c) for c in changes] == [f"installed alpha-tool 1.0.0 from {source}"]
    installed = target.skills_dir / "alpha-tool"
    assert (installed / "skill.yaml").read_bytes() == (source / "skill.yaml").read_bytes()
    lock = json.loads(target.lock_path.read_text(encoding="utf-8"))
    assert lock == {
        "lockfile-version": 1,
        "skills": [
            {
                "name": "alpha-tool",
                "version": "1.0.0",
                "source": str(source),
                "resolved": "",
                "path": "",
                "checksum": tree_checksum(installed),
            }
        ],
    }
    # No staging folder is left; the only hidden entry is the file lock that serialises installs.
    assert [p.name for p in target.skills_dir.iterdir() if p.name.startswith(".")] == [INSTALL_LOCK_NAME]


def test_source_inside_the_project_is_recorded_relative(
    project: Path, make_skill: MakeSkill, target: Target
) -> None:
    make_skill(project / "vendor", "alpha-tool", version="1.0.0")
    install("vendor/alpha-tool", target=target, cwd=project)
    assert read_lock(target.lock_path).entries[0].source == "vendor/alpha-tool"


def test_install_archive_and_reinstall_is_unchanged(
    tmp_path: Path, make_skill: MakeSkill, target: Target
) -> None:
    archive = pack_skill(
        make_skill(tmp_path / "src", "beta-tool", version="2.0.0"), out_dir=tmp_path / "dist"
    ).path
    assert [c.action for c in install(str(archive), target=target)] == ["installed"]
    assert [c.action for c in install(str(archive), target=target)] == ["unchanged"]
    entry = read_lock(target.lock_path).entries[0]
    assert (entry.name, entry.version, entry.source) == ("beta-tool", "2.0.0", str(archive))


def test_update_reports_old_and_new_version(tmp_path: Path, make_skill: MakeSkill, target: Target) -> None:
    source = make_skill(tmp_path / "v", "gamma-tool", version="1.0.0")
    install(str(source), target=target)
    make_skill(tmp_path / "v", "gamma-tool", version="1.1.0", body="# New\n")
    (change,) = install(str(source), target=target)
    assert str(change) == f"updated gamma-tool 1.0.0 -> 1.1.0 from {source}"
    assert (target.skills_dir / "gamma-tool" / "instructions.md").read_text() == "# New\n"


def test_install_a_folder_of_skills_records_each_path(
    tmp_path: Path, make_skill: MakeSkill, target: Target
) -> None:
    library = tmp_path / "library"
    make_skill(library, "one-skill", version="1.0.0")
    make_skill(library, "two-skill", version="1.0.0", requires=["one-skill >=1.0,<2"])
    changes = install(str(library), target=target)
    assert sorted(c.name for c in changes) == ["one-skill", "two-skill"]
    assert [(e.name, e.path) for e in read_lock(target.lock_path).entries] == [
        ("one-skill", "one-skill"),
        ("two-skill", "two-skill"),
    ]


def test_user_install_goes_to_skillpack_home(tmp_path: Path, make_skill: MakeSkill, skill_home: Path) -> None:
    install(str(make_skill(tmp_path / "v", "user-tool", version="1.0.0")), target=Target.user())
    assert (skill_home / "user-tool" / "skill.yaml").is_file()
    assert read_lock(skill_home / "skillpack.lock").names == ("user-tool",)


def test_invalid_skill_is_refused_and_nothing_written(
    tmp_path: Path, make_skill: MakeSkill, target: Target
) -> None:
    source = make_skill(tmp_path / "v", "bad-tool", version="1.0.0", fields={"version": "one"})
    with pytest.raises(SkillpackError, match=r"\$\.version.*nothing was installed"):
        install(str(source), target=target)
    assert _installed(target) == [] and not target.lock_path.exists()
    assert not target.lock_path.exists()


def test_unsafe_archive_is_refused_and_nothing_written(tmp_path: Path, target: Target) -> None:
    import zipfile

    archive = tmp_path / "evil-1.0.0.skill"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("evil/SKILL.md", "---\nname: evil\ndescription: Evil. Use when testing.\n---\n")
        handle.writestr("evil/../../outside.txt", "escaped")
    with pytest.raises(SkillpackError, match=r"climbs out of the folder with '\.\.'"):
        install(str(archive), target=target)
    assert not target.skills_dir.exists()
    assert not target.lock_path.exists()
    assert not (tmp_path / "outside.txt").exists()


def test_folder_the_lock_does_not_list_is_replaced_only_with_force(
    tmp_path: Path, make_skill: MakeSkill, target: Target
) -> None:
    handmade = make_skill(target.skills_dir, "delta-tool", version="0.1.0")
    source = make_skill(tmp_path / "v", "delta-tool", version="1.0.0")
    with pytest.raises(SkillpackError, match=r"does not list it .*pass `force`"):
        install(str(source), target=target)
    assert "0.1.0" in (handmade / "skill.yaml").read_text()
    install(str(source), target=target, force=True)
    assert "1.0.0" in (handmade / "skill.yaml").read_text()


# -- requires -------------------------------------------------------------------------------------------


def test_missing_requirement_is_a_conflict(tmp_path: Path, make_skill: MakeSkill, target: Target) -> None:
    source = make_skill(tmp_path / "v", "needs-base", version="1.0.0", requires=["base-tool >=1.0"])
    with pytest.raises(SkillpackError, match=r"needs-base requires base-tool >=1\.0, which is not installed"):
        install(str(source), target=target)
    assert _installed(target) == [] and not target.lock_path.exists()


def test_version_range_is_checked(tmp_path: Path, make_skill: MakeSkill, target: Target) -> None:
    install(str(make_skill(tmp_path / "v", "base-tool", version="1.4.0")), target=target)
    too_new = make_skill(tmp_path / "w", "needs-base", version="1.0.0", requires=["base-tool >=2,<3"])
    with pytest.raises(SkillpackError, match=r"needs-base requires base-tool >=2,<3, but base-tool 1\.4\.0"):
        install(str(too_new), target=target)
    ok = make_skill(
        tmp_path / "x", "needs-base", version="1.0.0", requires=[{"name": "base-tool", "version": "~=1.2"}]
    )
    assert [c.action for c in install(str(ok), target=target)] == ["installed"]


def test_upgrade_that_breaks_a_dependant_is_refused(
    tmp_path: Path, make_skill: MakeSkill, target: Target
) -> None:
    install(str(make_skill(tmp_path / "v", "base-tool", version="1.0.0")), target=target)
    install(
        str(make_skill(tmp_path / "w", "needs-base", version="1.0.0", requires=["base-tool <2"])),
        target=target,
    )
    before = _state(target.skills_dir), target.lock_path.read_bytes()
    upgrade = make_skill(tmp_path / "u", "base-tool", version="2.0.0")
    with pytest.raises(SkillpackError, match=r"needs-base requires base-tool <2, but base-tool 2\.0\.0"):
        install(str(upgrade), target=target)
    assert (_state(target.skills_dir), target.lock_path.read_bytes()) == before


# -- uninstall ------------------------------------------------------------------------------------------


def test_uninstall_removes_folder_and_entry(tmp_path: Path, make_skill: MakeSkill, target: Target) -> None:
    install(str(make_skill(tmp_path / "v", "base-tool", version="1.0.0")), target=target)
    install(
        str(make_skill(tmp_path / "w", "needs-base", version="1.0.0", requires=["base-tool"])), target=target
    )
    with pytest.raises(SkillpackError, match="needs-base requires base-tool — uninstall them first"):
        uninstall("base-tool", target=target)
    assert str(uninstall("needs-base", target=target)) == "uninstalled needs-base 1.0.0"
    assert not (target.skills_dir / "needs-base").exists()
    assert read_lock(target.lock_path).names == ("base-tool",)
    with pytest.raises(UsageError, match=r"'nope' is not in .*installed there: base-tool"):
        uninstall("nope", target=target)


# -- restore ----------------------------------------------------------------------------------------------


def test_restore_puts_back_missing_and_modified_skills(
    tmp_path: Path, make_skill: MakeSkill, target: Target
) -> None:
    archive = pack_skill(
        make_skill(tmp_path / "src", "eps-tool", version="1.0.0"), out_dir=tmp_path / "dist"
    ).path
    install(str(archive), target=target)
    install(str(make_skill(tmp_path / "v", "zeta-tool", version="1.0.0")), target=target)
    expected = _state(target.skills_dir)
    shutil.rmtree(target.skills_dir / "eps-tool")
    (target.skills_dir / "zeta-tool" / "instructions.md").write_text("tampered", encoding="utf-8")
    changes = restore(target=target)
    assert [(c.name, c.action) for c in changes] == [("eps-tool", "installed"), ("zeta-tool", "updated")]
    assert _state(target.skills_dir) == expected
    assert [c.action for c in restore(target=target)] == ["unchanged", "unchanged"]


def test_restore_refuses_a_source_that_changed(tmp_path: Path, make_skill: MakeSkill, target: Target) -> None:
    source = make_skill(tmp_path / "v", "eta-tool", version="1.0.0")
    install(str(source), target=target)
    (target.skills_dir / "eta-tool" / "instructions.md").write_text("local edit", encoding="utf-8")
    (source / "instructions.md").write_text("upstream changed", encoding="utf-8")
    before = _state(target.skills_dir)
    with pytest.raises(
        SkillpackError, match=r"eta-tool: .* now holds different files .*nothing was restored"
    ):
        restore(target=target)
    assert _state(target.skills_dir) == before


def test_restore_without_a_lock_says_what_to_do(target: Target) -> None:
    with pytest.raises(UsageError, match=r"no skills to restore .*skillpack install SOURCE"):
        restore(target=target)


def test_corrupt_lock_is_one_clear_error(target: Target) -> None:
    target.lock_path.write_text('{"lockfile-version": 1, "skills": [{"name": "x"}]}', encoding="utf-8")
    with pytest.raises(
        SkillpackError, match=r"skillpack\.lock: \$\.skills\[0\]: 'version' is a required property"
    ):
        restore(target=target)
    target.lock_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SkillpackError, match="not valid JSON"):
        read_lock(target.lock_path)


# -- interrupted installs ---------------------------------------------------------------------------------


def test_failure_mid_swap_leaves_the_previous_state(
    tmp_path: Path, make_skill: MakeSkill, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tmp_path / "library"
    make_skill(library, "one-skill", version="1.0.0")
    make_skill(library, "two-skill", version="1.0.0")
    install(str(library), target=target)
    before = _state(target.skills_dir), target.lock_path.read_bytes()
    make_skill(library, "one-skill", version="1.1.0", body="# one v2\n")
    make_skill(library, "two-skill", version="1.1.0", body="# two v2\n")
    calls: list[tuple[Path, Path]] = []
    real = target_module._replace

    def flaky(source: Path, destination: Path) -> None:
        calls.append((source, destination))
        if len(calls) == 3:  # one-skill swapped in (2 renames), then two-skill's first rename fails
            raise OSError(28, "No space left on device")
        real(source, destination)

    monkeypatch.setattr(target_module, "_replace", flaky)
    with pytest.raises(SkillpackError, match=r"No space left on device .* nothing was changed"):
        install(str(library), target=target)
    assert len(calls) == 3
    assert (_state(target.skills_dir), target.lock_path.read_bytes()) == before


def test_failure_while_writing_the_lock_leaves_the_previous_state(
    tmp_path: Path, make_skill: MakeSkill, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_skill(tmp_path / "v", "theta-tool", version="1.0.0")
    install(str(source), target=target)
    before = _state(target.skills_dir), target.lock_path.read_bytes()
    make_skill(tmp_path / "v", "theta-tool", version="2.0.0")

    def broken(path: Path, lock: Any) -> None:
        raise SkillpackError(f"{path}: cannot be written: disk full")

    monkeypatch.setattr(target_module, "write_lock", broken)
    with pytest.raises(SkillpackError, match="disk full"):
        install(str(source), target=target)
    assert (_state(target.skills_dir), target.lock_path.read_bytes()) == before


def test_failure_while_copying_writes_nothing(
    tmp_path: Path, make_skill: MakeSkill, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_skill(tmp_path / "v", "iota-tool", version="1.0.0")
    calls = 0
    real = shutil.copyfile

    def flaky(a: Path, b: Path) -> Path:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(5, "Input/output error")
        return real(a, b)

    monkeypatch.setattr(target_module.shutil, "copyfile", flaky)
    with pytest.raises(SkillpackError, match="Input/output error"):
        install(str(source), target=target)
    assert _installed(target) == [] and not target.lock_path.exists()


# -- never running a skill's code --------------------------------------------------------------------------


def test_install_runs_nothing_from_the_skill(
    tmp_path: Path, make_skill: MakeSkill, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_skill(tmp_path / "v", "kappa-tool", version="1.0.0")
    marker = tmp_path / "executed"
    (source / "scripts").mkdir()
    for name in ("install.sh", "setup.py", "__init__.py"):
        script = source / "scripts" / name
        script.write_text(
            f"#!/bin/sh\ntouch {marker}\n" if name.endswith(".sh") else f"open({str(marker)!r}, 'w')\n"
        )
        script.chmod(0o755)
    ran: list[Any] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: ran.append(a))
    install(str(source), target=target)
    restore(target=target)
    assert ran == []
    assert not marker.exists()
    assert (target.skills_dir / "kappa-tool" / "scripts" / "install.sh").stat().st_mode & 0o100


# -- git sources -------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, make_skill: MakeSkill) -> Path:
    """A git repository whose skills/lambda-tool is 1.0.0 at tag v1 and 2.0.0 on main."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    make_skill(repo / "skills", "lambda-tool", version="1.0.0")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "v1")
    _git(repo, "tag", "v1")
    make_skill(repo / "skills", "lambda-tool", version="2.0.0", body="# v2\n")
    _git(repo, "commit", "--quiet", "-am", "v2")
    return repo


@needs_git
def test_install_from_git_at_a_ref_and_restore_that_commit(repo: Path, target: Target) -> None:
    url = f"git+{repo.as_uri()}@v1#subdirectory=skills"
    (change,) = install(url, target=target)
    assert (change.name, change.version) == ("lambda-tool", "1.0.0")
    entry = read_lock(target.lock_path).entries[0]
    assert entry.source == url
    assert entry.resolved == _git(repo, "rev-parse", "v1")
    assert entry.path == "lambda-tool"
    shutil.rmtree(target.skills_dir / "lambda-tool")
    restore(target=target)  # main has moved on to 2.0.0; the lock pins the v1 commit
    assert "1.0.0" in (target.skills_dir / "lambda-tool" / "skill.yaml").read_text()
    assert not (target.skills_dir / "lambda-tool" / ".git").exists()


@needs_git
def test_install_from_git_default_branch(repo: Path, target: Target) -> None:
    (change,) = install(f"{repo.as_uri()}#subdirectory=skills/lambda-tool", target=target)
    assert change.version == "2.0.0"


@needs_git
def test_git_errors_are_one_line(repo: Path, tmp_path: Path, target: Target) -> None:
    with pytest.raises(SkillpackError, match="cannot check out 'no-such-tag'"):
        install(f"git+{repo.as_uri()}@no-such-tag", target=target)
    with pytest.raises(SkillpackError, match=r"`git clone` failed: fatal: .*missing"):
        install(f"git+{(tmp_path / 'missing').as_uri()}", target=target)
    assert not target.skills_dir.exists()
