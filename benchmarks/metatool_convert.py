"""Turn the MetaTool benchmark folder into skills folders and QUERIES.jsonl files for ``skillpack eval``.

Usage::

    python benchmarks/metatool_convert.py ../shared/benchmarks/metatool [--out benchmarks/out/metatool]
        [--examples-per-skill 10]

It follows the protocol in that folder's README: exact duplicate (query, tool) rows are dropped, then a query
is dev when ``int(sha256(query).hexdigest(), 16) % 5 == 0`` and test otherwise. It writes::

    OUT/zero-shot/<skill>/skill.yaml       name + description only (the zero-shot library)
    OUT/with-examples/<skill>/skill.yaml   the same, plus up to N dev-split queries as ``examples``
    OUT/dev.jsonl, OUT/test.jsonl          single-tool queries: {"query": ..., "skills": [name]}
    OUT/dev-heldout.jsonl                  the dev queries not used as examples (to tune the with-examples
                                           variant without scoring a query against itself)
    OUT/multi-dev.jsonl, OUT/multi-test.jsonl   the two-tool queries, split the same way

Tool names such as ``ResearchFinder`` or ``C3_Glide`` are not valid skill names, so each becomes its
kebab-case form (``research-finder``, ``c3-glide``); the original is kept in ``metadata.metatool-name``.
Examples are the dev queries of each tool in sha256 order, so the choice is deterministic and never
touches the test split.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "metatool"


def is_dev(query: str) -> bool:
    """Return True when ``query`` belongs to the dev split of the protocol."""
    return int(hashlib.sha256(query.encode("utf-8")).hexdigest(), 16) % 5 == 0


def skill_name(tool: str) -> str:
    """Return the kebab-case skill name for a MetaTool tool name (``ResearchFinder`` -> ``research-finder``)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", tool)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", text)
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return re.sub(r"-+", "-", text)


def read_tools(source: Path) -> dict[str, str]:
    with open(source / "plugin_des.json", encoding="utf-8") as handle:
        tools: dict[str, str] = json.load(handle)
    names: dict[str, str] = {}
    for tool in tools:
        name = skill_name(tool)
        if name in names:
            raise SystemExit(f"{tool!r} and {names[name]!r} both become the skill name {name!r}")
        names[name] = tool
    return tools


def read_single(source: Path) -> list[tuple[str, str]]:
    with open(source / "all_clean_data.csv", encoding="utf-8", newline="") as handle:
        rows = [(row["Query"], row["Tool"]) for row in csv.DictReader(handle)]
    return list(dict.fromkeys(rows))  # drop exact duplicates, keep first-seen order


def read_multi(source: Path) -> list[tuple[str, tuple[str, ...]]]:
    with open(source / "multi_tool_query_golden.json", encoding="utf-8") as handle:
        items = json.load(handle)
    rows = [(item["query"], tuple(item["tool"])) for item in items]
    return list(dict.fromkeys(rows))


def write_library(folder: Path, tools: dict[str, str], examples: dict[str, list[str]]) -> None:
    for tool, description in tools.items():
        name = skill_name(tool)
        manifest: dict[str, object] = {
            "name": name,
            "description": " ".join(description.split()),
            "metadata": {"metatool-name": tool},
        }
        if examples.get(tool):
            manifest["examples"] = [" ".join(q.split()) for q in examples[tool]]
        (folder / name).mkdir(parents=True)
        text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
        (folder / name / "skill.yaml").write_text(text, encoding="utf-8")
        (folder / name / "instructions.md").write_text(f"# {tool}\n\n{description}\n", encoding="utf-8")


def write_queries(path: Path, rows: list[tuple[str, tuple[str, ...]]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for query, tools in rows:
            line = {"query": query, "skills": [skill_name(tool) for tool in tools]}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


@contextmanager
def replaced_atomically(out: Path, *, prefix: str) -> Iterator[Path]:
    """Yield a staging folder beside ``out``; on success it replaces ``out`` whole, on failure it is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
    try:
        yield staging
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def convert(source: Path, out: Path, *, examples_per_skill: int) -> dict[str, int]:
    """Write the libraries and query files under ``out`` (replaced atomically); return counts."""
    tools = read_tools(source)
    single = read_single(source)
    multi = read_multi(source)
    dev_by_tool: dict[str, list[str]] = defaultdict(list)
    for query, tool in single:
        if is_dev(query):
            dev_by_tool[tool].append(query)
    examples = {
        tool: sorted(queries, key=lambda q: hashlib.sha256(q.encode("utf-8")).hexdigest())[
            :examples_per_skill
        ]
        for tool, queries in dev_by_tool.items()
    }
    with replaced_atomically(out, prefix=".metatool-") as staging:
        write_library(staging / "zero-shot", tools, {})
        write_library(staging / "with-examples", tools, examples)
        write_queries(staging / "dev.jsonl", [(q, (t,)) for q, t in single if is_dev(q)])
        write_queries(staging / "test.jsonl", [(q, (t,)) for q, t in single if not is_dev(q)])
        used = {(q, t) for t, queries in examples.items() for q in queries}
        write_queries(
            staging / "dev-heldout.jsonl",
            [(q, (t,)) for q, t in single if is_dev(q) and (q, t) not in used],
        )
        write_queries(staging / "multi-dev.jsonl", [(q, t) for q, t in multi if is_dev(q)])
        write_queries(staging / "multi-test.jsonl", [(q, t) for q, t in multi if not is_dev(q)])
    counts = [len(v) for v in examples.values()]
    return {
        "skills": len(tools),
        "dev": sum(1 for q, _ in single if is_dev(q)),
        "test": sum(1 for q, _ in single if not is_dev(q)),
        "multi_dev": sum(1 for q, _ in multi if is_dev(q)),
        "multi_test": sum(1 for q, _ in multi if not is_dev(q)),
        "examples_total": sum(counts),
        "examples_min": min(counts) if counts else 0,
        "examples_max": max(counts) if counts else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the MetaTool folder, e.g. ../shared/benchmarks/metatool")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--examples-per-skill",
        type=int,
        default=10,
        help="dev queries put into each skill's examples in the with-examples library (default 10)",
    )
    args = parser.parse_args(argv)
    missing = [
        name
        for name in ("plugin_des.json", "all_clean_data.csv", "multi_tool_query_golden.json")
        if not (args.source / name).is_file()
    ]
    if missing:
        print(f"{args.source}: not a MetaTool folder (missing {', '.join(missing)})", file=sys.stderr)
        return 2
    if args.examples_per_skill < 1:
        print("--examples-per-skill must be at least 1", file=sys.stderr)
        return 2
    counts = convert(args.source, args.out, examples_per_skill=args.examples_per_skill)
    print(json.dumps({"out": str(args.out), **counts}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
