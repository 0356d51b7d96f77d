"""``import skillpack`` stays cheap: no CLI or model libraries, no reading of skills, schemas or data."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from support.skills import REPO, make_skill

PROBE = textwrap.dedent(
    """
    import json, os, sys

    events = []

    def hook(event, args):
        if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
            events.append((event, os.path.abspath(os.fsdecode(args[0]))))
        elif event in ("socket.connect", "socket.getaddrinfo", "subprocess.Popen"):
            events.append((event, repr(args)[:200]))

    sys.addaudithook(hook)
    import skillpack  # noqa: E402

    print(json.dumps({"modules": sorted(sys.modules), "events": events}))
    """
)

HEAVY = (
    "click",
    "anthropic",
    "tiktoken",
    "tiktoken_ext",
    "jsonschema",
    "numpy",
    "llama_cpp",
    "wordllama",
    "httpx",
)
CODE = (".py", ".pyc", ".so", ".pth")


def import_in_subprocess(tmp_path: Path) -> dict[str, list[object]]:
    home = tmp_path / "home"
    project = tmp_path / "project"
    make_skill(home, "home-skill")
    make_skill(project / ".skillpack" / "skills", "project-skill")
    env = {"SKILLPACK_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, list[object]] = json.loads(completed.stdout)
    return report


def test_import_loads_no_heavy_library(tmp_path: Path) -> None:
    modules = import_in_subprocess(tmp_path)["modules"]
    loaded = sorted({str(m).split(".")[0] for m in modules} & set(HEAVY))
    assert loaded == [], (
        f"import skillpack imported {loaded}; import them inside the functions that need them"
    )


def test_import_reads_no_skill_schema_or_data_file(tmp_path: Path) -> None:
    events = [(str(e), str(p)) for e, p in import_in_subprocess(tmp_path)["events"]]  # type: ignore[misc]
    assert not [e for e in events if not e[0].startswith(("open", "os."))], (
        "import used the network or a process"
    )
    watched = [tmp_path, REPO / "skills", REPO / "schemas"]
    touched = [(e, p) for e, p in events if any(Path(p).is_relative_to(w) for w in watched)]
    assert touched == [], f"import touched skill folders: {touched}"
    data = [p for e, p in events if e == "open" and not p.endswith(CODE)]
    assert data == [], f"import opened data files: {data}"
