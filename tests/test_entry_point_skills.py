"""Skills shipped as a Python package: the ``skillpack.skills`` entry-point group, end to end.

The test builds a real wheel of a tiny distribution (written here, file by file, as the wheel format
specifies: no build backend or network needed), installs it with pip into a target folder, and checks
that the registry finds its skills on the default search path, without importing the package.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from skillpack.registry import SKILLS_ENTRY_POINT_GROUP, SkillPack, package_roots, search_path

DIST = "demo_skills"
VERSION = "0.1.0"
SKILL_MD = (
    "---\nname: hello-demo\ndescription: Greets people in the house style. Use when a task asks for a"
    " greeting.\nversion: 1.0.0\n---\n\n# Greeting\n\nSay hello.\n"
)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(out: Path, marker: Path) -> Path:
    """Write ``demo_skills-0.1.0-py3-none-any.whl`` exposing ``demo_skills:skills`` as skills."""
    info = f"{DIST}-{VERSION}.dist-info"
    files = {
        # Importing the package would leave a marker: discovery must never import it.
        f"{DIST}/__init__.py": f"open({str(marker)!r}, 'w').close()\n".encode(),
        f"{DIST}/skills/hello-demo/SKILL.md": SKILL_MD.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: demo-skills\nVersion: {VERSION}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: skillpack-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[{SKILLS_ENTRY_POINT_GROUP}]\ndemo = {DIST}:skills\n".encode(),
    }
    record = "\n".join([*(_record_line(n, d) for n, d in files.items()), f"{info}/RECORD,,"]) + "\n"
    wheel = out / f"{DIST}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(f"{info}/RECORD", record)
    return wheel


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """pip-install the demo wheel into a target folder once; return (that folder, the import marker)."""
    work = tmp_path_factory.mktemp("wheel")
    marker = work / "imported"
    wheel = build_wheel(work, marker)
    target = work / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return target, marker


@pytest.fixture
def installed(site: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, skill_home: Path) -> Path:
    """Put the installed demo distribution on sys.path; return the marker its import would create."""
    monkeypatch.syspath_prepend(str(site[0]))
    importlib.invalidate_caches()
    return site[1]


def test_installed_package_skills_join_the_search_path(installed: Path, skill_home: Path) -> None:
    pack = SkillPack.discover()
    skill = pack.get("hello-demo")
    assert skill.source == "package:demo-skills"
    assert skill.folder.parts[-3:] == (DIST, "skills", "hello-demo")
    assert "Say hello." in skill.instructions()
    assert DIST not in sys.modules
    assert not installed.exists(), "discovery imported the package"


def test_package_skills_sit_after_the_user_home_and_before_bundled(installed: Path, skill_home: Path) -> None:
    sources = [root.source for root in search_path()]
    assert sources.index("user") < sources.index("package:demo-skills") < sources.index("bundled")


def test_user_home_skill_shadows_a_package_skill(installed: Path, skill_home: Path) -> None:
    (skill_home / "hello-demo").mkdir()
    (skill_home / "hello-demo" / "SKILL.md").write_text(
        SKILL_MD.replace("Say hello.", "Mine."), encoding="utf-8"
    )
    pack = SkillPack.discover()
    assert pack.get("hello-demo").source == "user"
    assert [s.skill.source for s in pack.shadowed] == ["package:demo-skills"]


def test_entry_point_to_a_missing_folder_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    info = site / "broken_skills-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-skills\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{SKILLS_ENTRY_POINT_GROUP}]\ngone = no_such_package:skills\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    assert [r for r in package_roots() if "broken" in r.source] == []
