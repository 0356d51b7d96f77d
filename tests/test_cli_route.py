"""``skillpack route``: the model options of ``--router llm``, and output into a closed pipe."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner, Result

from skillpack import plugins
from skillpack.backends.base import Backend, Reply, Request, Usage
from skillpack.cli.main import cli
from skillpack.hookspecs import Register, hookimpl

TASK = "write the release notes"


@pytest.fixture
def library(tmp_path: Path, make_skill: Callable[..., Path]) -> Path:
    root = tmp_path / "library"
    make_skill(
        root,
        "commit-messages",
        description="Writes git commit messages in the Conventional Commits format. Use for any commit message.",
    )
    make_skill(
        root,
        "changelog",
        description="Keeps a CHANGELOG.md in the Keep a Changelog format. Use when writing release notes.",
    )
    return root


@pytest.fixture
def invoke(library: Path, skill_home: Path) -> Callable[..., Result]:
    def call(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--path", str(library), "--only", *args], prog_name="skillpack")

    return call


class Chooser(Backend):
    """A backend that picks the changelog skill and remembers the model it was built for."""

    name = "chooser"
    built_with: ClassVar[list[str | None]] = []

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model or "chooser-1"
        Chooser.built_with.append(model)

    def generate(self, request: Request) -> Reply:
        assert request.task.startswith("Task: write the release notes")
        return Reply(
            text="changelog",
            model=self.model,
            backend=self.name,
            usage=Usage(input_tokens=90, output_tokens=2),
        )


class ChooserPlugin:
    @hookimpl
    def skillpack_register_backends(self, register: Register) -> None:
        register("chooser", Chooser)


@pytest.fixture
def chooser() -> Iterator[None]:
    Chooser.built_with = []
    plugins.reset()
    plugins.manager().add(ChooserPlugin(), name="chooser-plugin")
    yield
    plugins.reset()


def test_the_llm_router_uses_the_backend_and_model_given(
    invoke: Callable[..., Result], chooser: None
) -> None:
    result = invoke("route", "--router", "llm", "--backend", "chooser", "--model", "chooser-9", TASK)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1. changelog  confidence ")
    assert "why: chosen by chooser-9 from a lexical shortlist" in result.stdout
    assert Chooser.built_with == ["chooser-9"]


def test_the_llm_router_without_any_backend_is_one_line_naming_the_options(
    invoke: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setattr("skillpack.backends.local.is_available", lambda: False)
    result = invoke("route", "--router", "llm", TASK)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("skillpack: error: the llm router needs a model and none is available")
    assert "--backend" in result.stderr and "--model" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_the_llm_router_with_anthropic_and_no_key_says_how_to_set_it(
    invoke: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = invoke("route", "--router", "llm", "--backend", "anthropic", TASK)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("skillpack: error: the anthropic backend needs an API key")


@pytest.mark.parametrize("option", [["--backend", "fake"], ["--model", "claude-opus-5"]])
def test_model_options_without_a_model_router_are_usage_errors(
    invoke: Callable[..., Result], option: list[str]
) -> None:
    result = invoke("route", *option, TASK)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "skillpack: error: --backend and --model choose the model of --router llm; the lexical router uses"
        " none — drop them, or add --router llm\n"
    )


# -- a reader that goes away (`| head`) -------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("head") is None, reason="needs bash and head"
)
@pytest.mark.parametrize("reader", ["head -1", "head -c 0"])
@pytest.mark.parametrize("command", ["list", "route 'bump the version after a breaking change'"])
def test_a_closed_pipe_exits_0_quietly_for_every_command(
    skill_home: Path, tmp_path: Path, command: str, reader: str
) -> None:
    # ``head -c 0`` exits before skillpack writes, so the write always meets a closed pipe; ``head -1``
    # may close it before or after the last line: both must end the same way.
    script = shlex.quote("from skillpack.cli.main import main; main()")
    line = f"set -o pipefail; {shlex.quote(sys.executable)} -c {script} {command} | {reader}"
    env = {**os.environ, "SKILLPACK_HOME": str(skill_home)}
    done = subprocess.run(
        ["bash", "-c", line], capture_output=True, text=True, env=env, cwd=Path.cwd(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert len(done.stdout.splitlines()) == (1 if reader == "head -1" else 0)


def test_route_shows_confidence_and_says_in_one_line_why_nothing_is_chosen(skill_home: Path) -> None:
    run = CliRunner().invoke(cli, ["route", "how do I make pancakes"], prog_name="skillpack")
    assert run.exit_code == 0, run.output
    first = run.stdout.splitlines()[0]
    assert first.startswith("nothing is loaded — no skill is confident enough: the best, ")
    assert "below the bar 0.85 (--min-confidence)" in first
    assert "  confidence " in run.stdout.splitlines()[1]
    lenient = CliRunner().invoke(
        cli, ["route", "--min-confidence", "0", "-k", "1", "how do I make pancakes"], prog_name="skillpack"
    )
    assert lenient.exit_code == 0, lenient.output
    assert lenient.stdout.startswith("1. ") and "  confidence " in lenient.stdout.splitlines()[0]


def test_route_says_on_stderr_when_k_cuts_a_confident_skill(skill_home: Path) -> None:
    task = "bump the version and add a changelog entry for the release"
    run = CliRunner().invoke(cli, ["route", "--min-confidence", "0", "-k", "1", task], prog_name="skillpack")
    assert run.exit_code == 0, run.output
    assert "note: k cut " in run.stderr and "raise -k to load them" in run.stderr


@pytest.mark.parametrize("value", ["-0.5", "1.5"])
def test_a_confidence_bar_outside_0_1_is_a_usage_error(skill_home: Path, value: str) -> None:
    run = CliRunner().invoke(
        cli, ["route", "--min-confidence", value, "write a commit"], prog_name="skillpack"
    )
    assert run.exit_code == 2, run.output
    assert run.stderr == (
        f"skillpack: error: the minimum confidence must be between 0 and 1 (got {float(value)})"
        " — e.g. --min-confidence 0.5\n"
    )
