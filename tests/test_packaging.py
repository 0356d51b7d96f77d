"""A real wheel, not an editable install: it carries the bundled skills and schemas, and finds them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from support.skills import REPO

pytest.importorskip(
    "hatchling", reason="building the wheel offline needs hatchling: pip install -e '.[test]'"
)

PROBE = textwrap.dedent(
    """
    import json, sys
    import skillpack
    from skillpack.bundled import schemas_dir, skills_dir
    from skillpack.validation import known_fields

    pack = skillpack.SkillPack.discover()
    print(json.dumps({
        "module": skillpack.__file__,
        "skills_dir": str(skills_dir()),
        "schemas_dir": str(schemas_dir()),
        "sources": sorted({s.source for s in pack}),
        "names": list(pack.names),
        "problems": [str(p) for p in pack.problems],
        "fields": sorted(known_fields()),
    }))
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [found] = out.glob("skillpack-*.whl")
    return found


def bundled_folders() -> list[str]:
    return sorted(
        p.name for p in (REPO / "skills").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


def test_wheel_carries_skills_and_schemas(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "skillpack/_bundled/schemas/skill.schema.json" in names
    for folder in bundled_folders():
        inside = [n for n in names if n.startswith(f"skillpack/_bundled/skills/{folder}/")]
        assert any(n.endswith(("/SKILL.md", "/skill.yaml")) for n in inside), folder
    assert not [n for n in names if n.startswith(("tests/", "skills/", "schemas/"))]


def test_installed_wheel_finds_its_bundled_skills(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    project = tmp_path / "project"
    project.mkdir()
    env = {
        "PYTHONPATH": str(target),
        "SKILLPACK_HOME": str(tmp_path / "home"),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout)
    package = target / "skillpack"
    assert Path(report["module"]).parent == package
    assert report["skills_dir"] == str(package / "_bundled" / "skills")
    assert report["schemas_dir"] == str(package / "_bundled" / "schemas")
    assert report["sources"] == ["bundled"]
    assert report["problems"] == []
    assert sorted(report["names"]) == bundled_folders()
    assert "examples" in report["fields"]
