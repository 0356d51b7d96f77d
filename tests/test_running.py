"""``pack.run``: route, assemble, ask a backend (the fake one here), and report answer, selection, usage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from skillpack.backends.base import Backend, Prompt, Reply, Request, catalog
from skillpack.backends.default import default_backend_name
from skillpack.backends.fake import FakeBackend
from skillpack.errors import BackendError, UsageError
from skillpack.registry import SkillPack
from skillpack.running import NO_BACKEND, RunResult, run
from skillpack.tokens import count_tokens

TASK = "write a git commit message for this change"


@pytest.fixture
def pack(tmp_path: Path, make_skill: Callable[..., Path]) -> SkillPack:
    make_skill(
        tmp_path,
        "commit-messages",
        description="Writes git commit messages in the Conventional Commits format. Use for any commit message.",
        body="Use feat:, fix: and chore: prefixes.\n",
    )
    make_skill(
        tmp_path,
        "changelog",
        description="Keeps a CHANGELOG.md in the Keep a Changelog format. Use when releasing.",
        body="Group entries under Added, Changed, Fixed.\n",
    )
    make_skill(
        tmp_path,
        "csv-cleaning",
        description="Cleans CSV files: encodings, delimiters, headers. Use for messy spreadsheets.",
        body="Detect the delimiter first.\n",
    )
    return SkillPack.from_paths([tmp_path])


@pytest.fixture
def no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setattr("skillpack.backends.local.is_available", lambda: False)


def test_run_answers_with_the_chosen_skills_in_the_system_prompt(pack: SkillPack) -> None:
    fake = FakeBackend(responses=["feat: add the thing"])
    result = pack.run(TASK, backend=fake, k=1)

    assert isinstance(result, RunResult)
    assert result.answer == "feat: add the thing"
    assert result.backend == "fake" and not result.dry_run
    assert [s.name for s in result.selection.skills] == ["commit-messages"]
    (request,) = fake.history
    assert request.system == result.context == result.selection.render()
    assert "Use feat:, fix: and chore: prefixes." in request.system
    assert request.task == TASK
    assert (request.max_tokens, request.max_turns) == (4096, 4)
    assert {s.name for s in request.loadable} == {"changelog", "csv-cleaning"}
    assert result.usage.input_tokens == count_tokens(request.system) + count_tokens(TASK)
    report = result.report()
    assert report["answer"] == "feat: add the thing"
    assert report["selection"]["chosen"][0]["name"] == "commit-messages"
    assert report["usage"]["output_tokens"] == count_tokens("feat: add the thing")
    assert report["loadable_skills"] == list(result.loadable)
    assert "context" not in report and result.report(include_context=True)["context"] == result.context


def test_a_backend_can_be_named(pack: SkillPack) -> None:
    result = run(pack, TASK, backend="fake", model="pretend-model")
    assert result.answer.startswith("[fake backend: this is not a model's answer]")
    assert result.reply is not None and result.reply.model == "pretend-model"


def test_a_dry_run_calls_nothing_and_keeps_the_context(pack: SkillPack) -> None:
    fake = FakeBackend()
    result = pack.run(TASK, backend=fake, dry_run=True)
    assert result.dry_run and fake.history == []
    assert result.answer == "" and result.backend is None
    assert result.context == result.selection.render() and "commit-messages" in result.context
    assert result.report()["context"] == result.context
    assert result.dry_run_reason == "asked for a dry run"


def test_a_dry_run_shows_the_prompt_the_backend_builds(pack: SkillPack) -> None:
    class Tooled(FakeBackend):
        def prompt(self, request: Request) -> Prompt:
            return Prompt(system=request.system + "[catalog]\n", task=request.task, tools=({"name": "t"},))

    backend = Tooled()
    result = pack.run(TASK, backend=backend, k=1, dry_run=True)
    assert backend.history == []
    assert result.prompt == Prompt(result.context + "[catalog]\n", TASK, ({"name": "t"},))
    assert result.report()["prompt"] == {
        "system": result.context + "[catalog]\n",
        "tools": [{"name": "t"}],
        "task": TASK,
    }
    # A backend without a prompt method sends the skills as they are.
    plain = pack.run(TASK, backend=FakeBackend(), k=1, dry_run=True)
    assert plain.prompt == Prompt(plain.context, TASK)


def test_a_dry_run_for_anthropic_needs_no_key_and_shows_the_catalog_and_tool(
    pack: SkillPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillpack.backends import anthropic

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = pack.run(TASK, backend="anthropic", k=1, dry_run=True)
    assert result.prompt is not None
    sent = Request(
        system=result.context,
        task=TASK,
        max_tokens=4096,
        loadable=tuple(pack.get(n) for n in result.loadable),
        in_context=("commit-messages",),
    )
    assert result.prompt == anthropic.prompt(sent)
    assert (
        result.prompt.system.startswith(result.context.strip())
        and "<available_skills>" in result.prompt.system
    )
    assert [t["name"] for t in result.prompt.tools] == ["load_skill"]


def test_the_request_names_the_skills_already_in_the_context(pack: SkillPack) -> None:
    fake = FakeBackend()
    result = pack.run(TASK, backend=fake, k=1)
    assert (
        fake.history[0].in_context == tuple(s.name for s in result.selection.skills) == ("commit-messages",)
    )


def test_a_backend_whose_prompt_fails_is_one_backend_error(pack: SkillPack) -> None:
    class BadPrompt(FakeBackend):
        def prompt(self, request: Request) -> object:
            raise KeyError("system")

    class WrongType(FakeBackend):
        def prompt(self, request: Request) -> object:
            return "text"

    with pytest.raises(
        BackendError, match=r"^backend 'fake' failed to build its prompt: KeyError: 'system'$"
    ):
        pack.run(TASK, backend=BadPrompt(), dry_run=True)
    with pytest.raises(BackendError, match=r"prompt\(\) returned str, not a skillpack.backends.base.Prompt"):
        pack.run(TASK, backend=WrongType())


def test_without_any_backend_the_run_is_a_dry_run_that_says_why(pack: SkillPack, no_backend: None) -> None:
    assert default_backend_name() is None
    result = pack.run(TASK)
    assert result.dry_run and result.dry_run_reason == NO_BACKEND
    assert result.report()["dry_run_reason"] == NO_BACKEND


def test_the_default_backend_prefers_anthropic_then_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    assert default_backend_name() == "anthropic"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "  ")
    monkeypatch.setattr("skillpack.backends.local.is_available", lambda: True)
    assert default_backend_name() == "local"


def test_the_catalog_of_loadable_skills_fits_its_budget_exactly(pack: SkillPack) -> None:
    offered = pack.run(TASK, backend=FakeBackend(), k=1)
    everything = catalog(tuple(pack.get(n) for n in offered.loadable))
    assert len(offered.loadable) == 2
    tight = count_tokens(everything) - 1
    fewer = pack.run(TASK, backend=FakeBackend(), k=1, catalog_budget=tight)
    assert len(fewer.loadable) == 1
    assert count_tokens(catalog(tuple(pack.get(n) for n in fewer.loadable))) <= tight
    assert pack.run(TASK, backend=FakeBackend(), k=1, catalog_budget=0).loadable == ()
    assert pack.run(TASK, backend=FakeBackend(), k=1, load_on_demand=False).loadable == ()


def test_skills_ranked_but_left_out_are_offered_first(pack: SkillPack) -> None:
    task = "commit message for cleaning the csv files"
    ranked = [m.skill.name for m in pack.select(task, k=2).ranking.matches]
    assert len(ranked) == 2
    only_first = pack.select(task, k=1).context_tokens
    result = pack.run(task, backend=FakeBackend(), k=2, budget=only_first)
    assert [s.name for s in result.selection.skills] == ranked[:1]
    assert result.selection.rejected[0].reason.startswith("over budget")
    rest = [s.name for s in pack if s.name not in ranked]
    assert list(result.loadable) == [ranked[1], *rest]


def test_a_backend_with_a_small_context_window_gets_a_fitted_budget(pack: SkillPack) -> None:
    class Small(FakeBackend):
        context_window = 165

    task = "commit message and changelog entry for the release"
    result = pack.run(task, backend=Small(), max_tokens=40)
    fitted = 165 - count_tokens(task) - 40 - 64
    assert result.selection.budget == fitted
    assert result.selection.context_tokens <= fitted
    assert [r.reason.split(":")[0] for r in result.selection.rejected] == ["over budget"]
    assert result.notes == (
        f"the skills' budget is {fitted} tokens, to fit the 165-token context of fake",
        "the budget cut 1 skill that passed the confidence bar: changelog — raise `budget` to load them",
    )
    roomy = pack.run(task, backend=Small(), max_tokens=40, k=1)
    # The budget cut nothing; k=1 left out a skill that passed the confidence bar, and the notes say so.
    assert roomy.selection.budget == fitted
    assert roomy.notes == (
        "k cut 1 skill that passed the confidence bar: changelog — raise `k` to load them",
    )
    assert pack.run(task, backend=Small(), budget=10).selection.budget == 10
    with pytest.raises(UsageError, match=r"more than the model's 165-token context"):
        pack.run("word " * 200, backend=Small())


def test_a_backend_that_cannot_load_skills_is_offered_none(pack: SkillPack) -> None:
    class NoTools(FakeBackend):
        loads_skills = False

    backend = NoTools()
    result = pack.run(TASK, backend=backend, k=1)
    assert result.loadable == () and backend.history[0].loadable == ()


def test_the_llm_router_uses_the_runs_own_backend(pack: SkillPack) -> None:
    fake = FakeBackend(responses=["changelog", "Added: the thing."])
    result = pack.run("commit message and changelog entry for the release", backend=fake, router="llm")
    assert result.selection.ranking.router == "llm"
    assert [s.name for s in result.selection.skills] == ["changelog"]
    assert result.selection.ranking.routing_tokens > 0
    assert result.answer == "Added: the thing."
    routing, answering = fake.history
    assert (
        "Skills:" in routing.task and answering.task == "commit message and changelog entry for the release"
    )


def test_a_backend_failing_mid_run_is_one_backend_error(pack: SkillPack) -> None:
    class Exploding(Backend):
        name = "exploding"

        def generate(self, request: Request) -> Reply:
            raise ConnectionResetError("connection reset by peer")

    with pytest.raises(BackendError) as caught:
        pack.run(TASK, backend=Exploding())
    assert str(caught.value) == "backend 'exploding' failed: ConnectionResetError: connection reset by peer"
    with pytest.raises(BackendError, match=r"^fake: the scripted reply failed"):
        pack.run(TASK, backend=FakeBackend(responses=[TimeoutError("slow")]))


def test_a_backend_must_declare_its_capabilities_by_subclassing_backend(pack: SkillPack) -> None:
    class Undeclared:
        name = "undeclared"

    with pytest.raises(
        UsageError, match=r"^the backend <.*Undeclared object .*> is not a skillpack.backends.Backend"
    ):
        pack.run(TASK, backend=Undeclared())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"task": "   "}, "the task is empty"),
        ({"max_turns": 0}, "max_turns must be at least 1"),
        ({"max_tokens": 0}, "max_tokens must be at least 1"),
        ({"catalog_budget": -1}, "the catalog budget must be 0 or more"),
        ({"k": 0}, "k must be at least 1"),
        ({"backend": "gpt-9"}, "unknown backend 'gpt-9'"),
        ({"router": "psychic"}, "unknown router 'psychic'"),
    ],
)
def test_bad_options_are_usage_errors(pack: SkillPack, options: dict[str, object], message: str) -> None:
    task = str(options.pop("task", TASK))
    options.setdefault("backend", FakeBackend())
    with pytest.raises(UsageError, match=message):
        pack.run(task, **options)
