"""The ``skillpack`` group: help with examples everywhere, version, and errors as one line with an exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from skillpack import __version__
from skillpack.cli.main import cli
from skillpack.errors import ManifestError, SkillpackError, UsageError
from skillpack.problems import Problem


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="skillpack")


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_the_foundation_commands_are_registered() -> None:
    assert {"validate", "list", "show", "new"} <= set(cli.list_commands(click.Context(cli)))


def test_the_table_of_command_modules_is_exact() -> None:
    import importlib

    from skillpack.cli.main import COMMAND_MODULES

    modules = {path.stem for path in Path(importlib.import_module("skillpack.cli").__path__[0]).glob("*.py")}
    with_commands = {
        name for name in modules if hasattr(importlib.import_module(f"skillpack.cli.{name}"), "COMMANDS")
    }
    assert set(COMMAND_MODULES) == with_commands
    for name, commands in COMMAND_MODULES.items():
        module = importlib.import_module(f"skillpack.cli.{name}")
        assert tuple(command.name for command in module.COMMANDS) == commands, name


def test_running_one_command_imports_only_its_module() -> None:
    code = (
        "import sys; from skillpack.cli.main import main; sys.argv = ['skillpack', 'route', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('skillpack.cli.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = result.stdout.strip().splitlines()[-1]
    assert loaded == "['skillpack.cli.common', 'skillpack.cli.main', 'skillpack.cli.route']", result.stdout


def test_help_lists_every_command_with_its_short_help() -> None:
    result = run("--help")
    assert result.exit_code == 0, result.output
    for name in ("bench", "eval", "install", "lint", "list", "new", "route", "run", "validate"):
        assert f"  {name} " in result.output, name
    assert "Rank the skills for TASK" in result.output


@pytest.mark.parametrize("path", all_commands(), ids=lambda path: " ".join(path) or "skillpack")
def test_every_help_has_an_example(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`skillpack {' '.join(path)} --help` shows no example"


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = run(flag)
    assert result.exit_code == 0, result.output
    assert result.output == f"skillpack, version {__version__}\n"


def test_help_shows_each_command_summary_whole() -> None:
    result = run("--help")
    assert result.exit_code == 0, result.output
    commands = result.output.split("\nCommands:\n")[1]
    assert "..." not in commands
    flat = " ".join(commands.split())
    assert "Remove the installed skill NAME and its entry in skillpack.lock." in flat


def _raise_chained(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register a ``boom`` command whose library error keeps an OSError as its cause."""

    @click.command()
    def boom() -> None:
        try:
            raise OSError(28, "No space left on device")
        except OSError as exc:
            raise SkillpackError("out: cannot write — free some space") from exc

    monkeypatch.setitem(cli.commands, "boom", boom)


def test_an_error_is_one_line_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLPACK_DEBUG", raising=False)
    _raise_chained(monkeypatch)
    result = run("boom")
    assert result.exit_code == 1, result.output
    assert result.stderr == "skillpack: error: out: cannot write — free some space\n"


@pytest.mark.parametrize(("args", "debug"), [(("--traceback", "boom"), None), (("boom",), "1")])
def test_traceback_shows_the_chained_cause_then_the_line(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], debug: str | None
) -> None:
    monkeypatch.delenv("SKILLPACK_DEBUG", raising=False)
    if debug is not None:
        monkeypatch.setenv("SKILLPACK_DEBUG", debug)
    _raise_chained(monkeypatch)
    result = run(*args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "OSError: [Errno 28] No space left on device" in lines
    assert "The above exception was the direct cause of the following exception:" in lines
    assert "skillpack.errors.SkillpackError: out: cannot write — free some space" in lines
    assert lines[-1] == "skillpack: error: out: cannot write — free some space"
    assert result.stdout == ""


def test_library_errors_keep_their_cause(tmp_path: Path) -> None:
    from skillpack.authoring.lockfile import read_lock

    (tmp_path / "skillpack.lock").write_bytes(b"\xff not json")
    with pytest.raises(SkillpackError) as caught:
        read_lock(tmp_path / "skillpack.lock")
    assert isinstance(caught.value.__cause__, (UnicodeDecodeError, ValueError))


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (SkillpackError("it broke — do this"), 1),
        (UsageError("bad option — do that"), 2),
        (ManifestError(Problem("x/SKILL.md", "$.name", "is wrong", "fix it")), 1),
    ],
)
def test_library_errors_become_one_line_and_their_exit_code(
    monkeypatch: pytest.MonkeyPatch, error: SkillpackError, code: int
) -> None:
    @click.command()
    def boom() -> None:
        raise error

    monkeypatch.setitem(cli.commands, "boom", boom)
    result = run("boom")
    assert result.exit_code == code, result.output
    assert result.output == f"skillpack: error: {error}\n"
    assert result.stdout == ""


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.exit_code == 2, result.output
    assert result.stderr == "skillpack: error: No such command 'frobnicate'. (see `skillpack --help`)\n"


def test_a_bad_option_value_is_one_line_in_the_same_style() -> None:
    result = run("route", "-k", "many", "a task")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "skillpack: error: Invalid value for '-k': 'many' is not a valid integer. (see `skillpack route --help`)\n"
    )
    assert result.stdout == ""


def test_a_command_exit_code_survives_the_one_style_printer(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nowhere"))
    assert result.exit_code == 2, result.output
    result = run("--help")
    assert result.exit_code == 0, result.output


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--path", str(tmp_path / "missing"), "list")
    assert result.exit_code == 2, result.output
    assert (
        result.output
        == f"skillpack: error: {tmp_path / 'missing'}: no such folder — give a skill folder or a folder of skills\n"
    )


def test_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "skillpack"
    if not script.exists():
        pytest.skip(f"{script} is absent: skillpack is not installed in this interpreter's environment")
    completed = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"skillpack, version {__version__}\n"


@pytest.mark.parametrize(
    ("shell", "marker"), [("bash", "complete -o nosort"), ("zsh", "compdef"), ("fish", "complete")]
)
def test_the_completion_script_the_readme_documents_is_produced(shell: str, marker: str) -> None:
    result = CliRunner().invoke(
        cli, [], prog_name="skillpack", env={"_SKILLPACK_COMPLETE": f"{shell}_source"}
    )
    assert result.exit_code == 0, result.output
    assert "_SKILLPACK_COMPLETE" in result.stdout and marker in result.stdout


def test_completion_completes_command_names() -> None:
    env = {"_SKILLPACK_COMPLETE": "bash_complete", "COMP_WORDS": "skillpack ro", "COMP_CWORD": "1"}
    result = CliRunner().invoke(cli, [], prog_name="skillpack", env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["plain,route"]


def test_library_messages_name_settings_and_the_cli_names_its_options() -> None:
    from skillpack.cli.common import in_cli_terms

    message = "raise `k` or `budget`, lower `min_confidence`; `requires` and `skillpack list` stay as written"
    assert in_cli_terms(message) == (
        "raise -k or --budget, lower --min-confidence; `requires` and `skillpack list` stay as written"
    )


def test_a_library_error_is_printed_with_the_option_to_change(tmp_path: Path) -> None:
    from skillpack.selection import check_limits

    with pytest.raises(UsageError, match=r"e\.g\. `budget` 4000"):
        check_limits(budget=0)
    result = run("--path", str(tmp_path), "--only", "route", "--budget", "0", "a task")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "skillpack: error: the budget must be a positive number of tokens (got 0) — e.g. --budget 4000\n"
    )
