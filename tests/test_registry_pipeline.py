"""``SkillPack.select`` and ``SkillPack.run`` are the pipeline's functions with the same signatures."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillpack.registry import SkillPack
from skillpack.running import run
from skillpack.selection import select


@pytest.mark.parametrize(("method", "function"), [(SkillPack.select, select), (SkillPack.run, run)])
def test_each_method_has_its_functions_parameters_and_defaults(
    method: Callable[..., Any], function: Callable[..., Any]
) -> None:
    ours = list(inspect.signature(method).parameters.values())[1:]
    theirs = list(inspect.signature(function).parameters.values())[1:]
    assert [(p.name, p.kind, p.default) for p in ours] == [(p.name, p.kind, p.default) for p in theirs]


def test_the_registry_imports_no_pipeline_at_module_level() -> None:
    import skillpack.registry

    tree = ast.parse(Path(skillpack.registry.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert imported and not imported & {"skillpack.running", "skillpack.selection"}
