"""Write the open-set data sets: queries that some library must answer with *no* skill, split dev/test.

Usage::

    python benchmarks/open_set.py ../shared/benchmarks/metatool [--out benchmarks/out/open-set]
        [--off-topic 1000] [--curve ROUTER LIBRARY QUERIES]

A query whose ``"skills"`` list is empty is out of scope: ``skillpack eval`` then scores what the
selection injects for it (``oos_abstain``, ``selected_oos_mean``, ``tokens_oos_mean``). Three data sets,
each with ``dev.jsonl`` and ``test.jsonl`` (tune on dev only)::

    OUT/metatool/library/            MetaTool's zero-shot library without the held-out tools (159 skills)
    OUT/metatool/{dev,test}.jsonl    every single-tool query: a kept tool's with its gold skill, a held-out
                                     tool's with "skills": [] (its right answer is no longer installed)
    OUT/off-topic/{dev,test}.jsonl   MetaTool queries (everyday assistant requests), all out of scope for
                                     the bundled library (code, releases, data formats), at most N per split
    OUT/bundled/library-{dev,test}/  the bundled library without that split's examples
    OUT/bundled/{dev,test}.jsonl     the bundled skills' own examples, each labelled with its skill

A tool is held out when ``int(sha256(tool name), 16) % 5 == 0`` (the split hash of the MetaTool README,
applied to tools); a query is dev when the same hash of the query is 0 mod 5. An example is dev by the same
hash of its text; each bundled library copy leaves out the examples of the split it is scored on, so no
query is ever scored against itself. ``--curve`` routes a queries file once per router and prints, for a
range of ``min_confidence`` values, the share of out-of-scope queries abstained on against the in-scope
recall of the selection (the trade-off table in docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metatool_convert import is_dev, read_single, read_tools, replaced_atomically, skill_name, write_library

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "open-set"


def digest(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def held_out(tool: str) -> bool:
    """Return True when MetaTool's ``tool`` is removed from the open-set library."""
    return digest(tool) % 5 == 0


def write_jsonl(path: Path, rows: list[tuple[str, list[str]]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for query, skills in rows:
            handle.write(json.dumps({"query": query, "skills": skills}, ensure_ascii=False) + "\n")


def open_metatool(source: Path, out: Path) -> dict[str, int]:
    tools = read_tools(source)
    kept = {tool: text for tool, text in tools.items() if not held_out(tool)}
    write_library(out / "library", kept, {})
    counts: dict[str, int] = {"skills": len(kept), "held_out_tools": len(tools) - len(kept)}
    for split in ("dev", "test"):
        rows = [
            (query, [] if held_out(tool) else [skill_name(tool)])
            for query, tool in read_single(source)
            if is_dev(query) == (split == "dev")
        ]
        # A query asked of several tools is one question: keep its first labelling only.
        unique = list({query: skills for query, skills in rows}.items())
        write_jsonl(out / f"{split}.jsonl", unique)
        counts[f"{split}_in_scope"] = sum(1 for _, skills in unique if skills)
        counts[f"{split}_out_of_scope"] = sum(1 for _, skills in unique if not skills)
    return counts


def off_topic(source: Path, out: Path, *, limit: int) -> dict[str, int]:
    queries = list(dict.fromkeys(query for query, _ in read_single(source)))
    counts = {}
    for split in ("dev", "test"):
        chosen = sorted((q for q in queries if is_dev(q) == (split == "dev")), key=digest)[:limit]
        write_jsonl(out / f"{split}.jsonl", [(query, []) for query in chosen])
        counts[split] = len(chosen)
    return counts


def bundled_examples(out: Path) -> dict[str, int]:
    from skillpack.bundled import skills_dir
    from skillpack.registry import SkillPack

    pack = SkillPack.from_paths([skills_dir()])
    counts = {}
    for split in ("dev", "test"):
        rows = []
        library = out / f"library-{split}"
        for skill in pack:
            in_split = [e for e in skill.examples if is_dev(e) == (split == "dev")]
            rows += [(example, [skill.name]) for example in in_split]
            manifest = {key: value for key, value in skill.manifest.items() if key != "instructions"}
            manifest["examples"] = [e for e in skill.examples if e not in in_split]
            if not manifest["examples"]:
                del manifest["examples"]
            manifest["instructions"] = "instructions.md"
            folder = library / skill.name
            folder.mkdir(parents=True)
            (folder / "skill.yaml").write_text(
                yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
            )
            (folder / "instructions.md").write_text(skill.instructions(), encoding="utf-8")
        write_jsonl(out / f"{split}.jsonl", rows)
        counts[split] = len(rows)
    return counts


def write_all(source: Path, out: Path, *, limit: int) -> dict[str, object]:
    """Write every data set under ``out`` (replaced atomically); return what was written."""
    counts: dict[str, object] = {}
    with replaced_atomically(out, prefix=".open-set-") as staging:
        for name, write in (
            ("metatool", lambda folder: open_metatool(source, folder)),
            ("off-topic", lambda folder: off_topic(source, folder, limit=limit)),
            ("bundled", bundled_examples),
        ):
            (staging / name).mkdir()
            counts[name] = write(staging / name)
    return counts


def curve(
    router_name: str, library: Path, queries_path: Path, thresholds: list[float]
) -> list[dict[str, float]]:
    """Return, per ``min_confidence``, the out-of-scope abstention and in-scope selection recall.

    A last row gives how well the best match separates in-scope from out-of-scope queries: the area
    under the ROC curve of its confidence and of its raw score (``roc_auc``).
    """
    from skillpack.evaluation import read_queries, selection_metrics
    from skillpack.plugins import get_router
    from skillpack.registry import SkillPack

    pack = SkillPack.from_paths([library])
    labelled = read_queries(queries_path, known=set(pack.names))
    router = get_router(router_name)
    rankings = [router.rank(q.query, pack, k=10) for q in labelled]
    rows = []
    for threshold in thresholds:
        metrics = selection_metrics(pack, labelled, rankings, router, min_confidence=threshold, tokens=False)
        rows.append({"min_confidence": threshold, **metrics})
    best = [ranking.matches[0] if ranking.matches else None for ranking in rankings]
    scope = [bool(query.skills) for query in labelled]
    rows.append(
        {
            "roc_auc_confidence": roc_auc([m.confidence if m else 0.0 for m in best], scope),
            "roc_auc_score": roc_auc([m.score if m else 0.0 for m in best], scope),
            "in_scope": sum(scope),
            "out_of_scope": len(scope) - sum(scope),
        }
    )
    return rows


def roc_auc(values: list[float], positive: list[bool]) -> float:
    """Return the chance that a random positive's value beats a random negative's (ties half): ROC AUC."""
    ranked = sorted(zip(values, positive, strict=True))
    rank_sum, position = 0.0, 0
    while position < len(ranked):
        end = position
        while end < len(ranked) and ranked[end][0] == ranked[position][0]:
            end += 1
        mean_rank = (position + 1 + end) / 2  # ties share the mean of their ranks (1-based)
        rank_sum += mean_rank * sum(1 for _, is_positive in ranked[position:end] if is_positive)
        position = end
    positives = sum(positive)
    negatives = len(positive) - positives
    if not positives or not negatives:
        return float("nan")
    return round((rank_sum - positives * (positives + 1) / 2) / (positives * negatives), 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source", type=Path, nargs="?", help="the MetaTool folder (../shared/benchmarks/metatool)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--off-topic", type=int, default=1000, help="off-topic queries per split (default 1000)"
    )
    parser.add_argument(
        "--curve",
        nargs=3,
        metavar=("ROUTER", "LIBRARY", "QUERIES"),
        help="print the abstention/recall trade-off of ROUTER on QUERIES against LIBRARY (JSON lines; the"
        " last line is the ROC AUC of the best match's confidence and score, in against out of scope)",
    )
    args = parser.parse_args(argv)
    if args.curve:
        router, library, queries = args.curve
        thresholds = [round(0.05 * step, 2) for step in range(0, 20)] + [0.97, 0.99]
        for row in curve(router, Path(library), Path(queries), thresholds):
            print(json.dumps(row))
        return 0
    if args.source is None or not (args.source / "all_clean_data.csv").is_file():
        print(f"{args.source}: not a MetaTool folder (missing all_clean_data.csv)", file=sys.stderr)
        return 2
    if args.off_topic < 1:
        print("--off-topic must be at least 1", file=sys.stderr)
        return 2
    print(
        json.dumps({"out": str(args.out), **write_all(args.source, args.out, limit=args.off_topic)}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
