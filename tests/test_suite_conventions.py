"""The suite's own conventions: helpers come from tests/support, and only tests are named test_*."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SOURCES = sorted([*TESTS.glob("*.py"), *(TESTS / "support").glob("*.py")])


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


#: Where helpers came from before tests/support: conftest (as ``conftest`` or ``tests.conftest``) and three
#: ``*_support`` modules beside the tests.
_OLD_HOMES = {"conftest", "tests", "harness_support", "routing_support", "mcp_support"}


def _imported(tree: ast.Module) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append(node.module or "")
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_helpers_are_imported_from_the_support_package() -> None:
    wrong = [
        f"{path.name}: {module}"
        for path in SOURCES
        for module in _imported(_tree(path))
        if module.split(".")[-1] in _OLD_HOMES
    ]
    assert wrong == [], "import helpers from support.<module>, never from conftest"


def test_only_tests_are_named_like_tests() -> None:
    misnamed = []
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
                if fixture or path.parent.name == "support":
                    misnamed.append(f"{path.name}: {node.name}")
            if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                misnamed.append(f"{path.name}: {node.name}")
    assert misnamed == [], "fixtures, helpers and plugin classes must not be named test_*/Test*"
