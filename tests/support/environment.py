"""The environment variables that lead to the user's files, and pointing them all at a test's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The environment variables that lead to the user's files; ``isolated_environment`` points each at tmp.
ISOLATED_VARIABLES = (
    "HOME",
    "SKILLPACK_HOME",
    "SKILLPACK_CACHE",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
)


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Point every variable of ``ISOLATED_VARIABLES`` into ``root``; ``$SKILLPACK_CACHE`` is ``root/cache``."""
    (root / "home").mkdir()
    for variable in ISOLATED_VARIABLES:
        name = "cache" if variable == "SKILLPACK_CACHE" else variable.lower().replace("_", "-")
        monkeypatch.setenv(variable, str(root / name))
    return root
