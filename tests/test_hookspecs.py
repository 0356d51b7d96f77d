"""Meta-test: every hook is declared properly, documented in docs/PLUGINS.md, called, and tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from skillpack import hookspecs, plugins

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

HOOKS = sorted(
    name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("skillpack_")
)


def test_there_are_hooks() -> None:
    assert HOOKS == [
        "skillpack_register_backends",
        "skillpack_register_checks",
        "skillpack_register_routers",
        "skillpack_register_sources",
    ]


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_a_typed_documented_spec(name: str) -> None:
    function = getattr(hookspecs, name)
    options = getattr(function, "skillpack_spec", None)
    assert options is not None, f"{name} is not marked with @hookspec"
    doc = inspect.getdoc(function) or ""
    assert len(doc.split()) >= 10, f"{name} needs a docstring that says what to register and how"
    signature = inspect.signature(function)
    assert signature.return_annotation != inspect.Signature.empty, f"{name} has no return annotation"
    for parameter in signature.parameters.values():
        assert parameter.annotation != inspect.Parameter.empty, f"{name}({parameter.name}) is not typed"
    if options.get("firstresult"):
        assert "first" in doc.lower(), (
            f"{name} is firstresult: its docstring must say only one answer is used"
        )


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_in_plugins_md(name: str) -> None:
    text = (REPO / "docs" / "PLUGINS.md").read_text(encoding="utf-8")
    assert re.search(rf"^### `{name}\(", text, re.MULTILINE), f"docs/PLUGINS.md has no section for {name}"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_exercised_by_a_test(name: str) -> None:
    users = [
        path.name
        for path in sorted(TESTS.glob("test_*.py"))
        if path.name != Path(__file__).name and re.search(rf"def {name}\(", path.read_text(encoding="utf-8"))
    ]
    assert users, f"no test implements {name}: register a plugin from a test that uses it"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_called_by_skillpack(name: str) -> None:
    assert name in plugins.HOOKS.values(), f"plugins.HOOKS never calls {name}"
