"""Helpers for the MCP tests: a small library, and raw Skills-extension requests."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import pytest

mcp_types = pytest.importorskip(
    "mcp_types", reason="the mcp extra is not installed: pip install 'skillpack[mcp]'"
)

from mcp import Client  # noqa: E402
from pydantic import TypeAdapter  # noqa: E402

from support.skills import make_skill  # noqa: E402

ANY = TypeAdapter(dict[str, Any])
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class GetSkillParams(mcp_types.RequestParams):
    uri: str


class ListSkills(mcp_types.Request[mcp_types.PaginatedRequestParams | None, Literal["skills/list"]]):
    method: Literal["skills/list"] = "skills/list"
    params: Any = None


class GetSkill(mcp_types.Request[GetSkillParams, Literal["skills/get"]]):
    method: Literal["skills/get"] = "skills/get"
    params: GetSkillParams


def build_library(root: Path) -> Path:
    """Write a small library: native and Agent Skills skills, resources (one binary), client fields."""
    make_skill(
        root,
        "semver-bump",
        description="Decides the next semantic version number from a list of changes. Use when a release"
        " needs a major, minor or patch bump.",
        version="1.2.0",
        tags=["semver", "versioning", "release"],
        examples=["what version comes after removing a public function?"],
        body="# Semver\n\nBreaking change: bump MAJOR.\n",
    )
    folder = make_skill(
        root,
        "pdf-forms",
        form="agent-skills",
        description="Fills in PDF forms from structured data. Use when a PDF form must be completed.",
        fields={"argument-hint": "[form.pdf] [data.json]", "license": "MIT"},
        body="# PDF forms\n\nFill $ARGUMENTS field by field.\n",
    )
    (folder / "references").mkdir()
    (folder / "references" / "fields.md").write_text("# Fields\n\nText, checkbox, radio.\n", encoding="utf-8")
    (folder / "assets").mkdir()
    (folder / "assets" / "logo.png").write_bytes(PNG)
    make_skill(
        root,
        "deploy-prod",
        form="agent-skills",
        description="Deploys the service to production with the release checklist. Use when shipping.",
        fields={"disable-model-invocation": True},
    )
    make_skill(
        root,
        "internal-notes",
        form="agent-skills",
        description="Background notes about the billing database schema for other skills.",
        fields={"user-invocable": False},
    )
    return root


def run(action: Callable[[], Awaitable[Any]]) -> Any:
    """Run one async test body."""
    import anyio

    return anyio.run(action)


__all__ = [
    "ANY",
    "PNG",
    "Client",
    "GetSkill",
    "GetSkillParams",
    "ListSkills",
    "build_library",
    "run",
]
