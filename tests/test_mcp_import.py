"""The MCP SDK is optional: ``import skillpack``, the hook and the tools' logic never import it."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
blocked = sys.argv[1] == "blocked"
if blocked:
    sys.modules["mcp"] = None  # as if the extra were not installed: `import mcp` raises ImportError
import skillpack
def loaded():
    return sorted(m for m, module in sys.modules.items() if module is not None and m.split(".")[0] in ("mcp", "mcp_types"))
after_package = loaded()
import skillpack.hook, skillpack.eventlog, skillpack.mcp.toolkit, skillpack.mcp.library, skillpack.mcp.skillmd
after_tools = loaded()
print(json.dumps({"package": after_package, "tools": after_tools}))
"""


def probe(mode: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=120, check=True
    )
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_import_skillpack_loads_no_mcp_module() -> None:
    assert probe("installed") == {"package": [], "tools": []}


def test_skillpack_and_the_hook_work_without_the_sdk() -> None:
    assert probe("blocked") == {"package": [], "tools": []}
