"""The suite's own conventions: helpers come from tests/support, and only tests are named test_*."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SOURCES = sorted([*TESTS.glob("*.py"), *(TESTS / "support").glob("*.py")])


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(TESTS).as_posix())
def test_helpers_are_imported_from_the_support_package(path: Path) -> None:
    imported = [
        node.module or ""
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ImportFrom) and node.level == 0
    ]
    wrong = [m for m in imported if m.split(".")[-1] == "conftest" or m.endswith("_support") or m == "tests"]
    assert wrong == [], f"{path.name}: import helpers from support.<module>, not {wrong}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(TESTS).as_posix())
def test_only_tests_are_named_test(path: Path) -> None:
    misnamed = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
            if fixture or path.parent.name == "support":
                misnamed.append(node.name)
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            misnamed.append(node.name)
    assert misnamed == [], f"{path.name}: fixtures, helpers and plugins named like tests: {misnamed}"
