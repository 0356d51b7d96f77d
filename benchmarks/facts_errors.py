"""Trace the wrong answers of an office-facts run to their source: a look-alike, the same office, or nothing.

Every value in office-facts is unique, so a wrong answer that contains another skill's value names the
skill it came from. For each strategy and N, the script counts the wrong answers (one per distinct
request, as the summary does) whose text holds the value of a skill of the gold skill's family (a
look-alike), of the same office, of some other skill, or of none.

Usage::

    python benchmarks/facts_errors.py docs/results/office-facts-smollm2-135m
    python benchmarks/facts_errors.py OUT --suite skillpack/harness/data/office-facts.json
"""

from __future__ import annotations

import argparse
import json
import re
import runpy
import sys
from collections import Counter
from pathlib import Path

DEFAULT_SUITE = Path(__file__).resolve().parents[1] / "skillpack" / "harness" / "data" / "office-facts.json"
#: The generator's family slugs (the control suite's skills carry no family field).
FAMILIES = [f.slug for f in runpy.run_path(str(Path(__file__).with_name("make_facts_suite.py")))["FAMILIES"]]
#: "The door code of the Aurora office is 909990." -> the value.
VALUE = re.compile(r" office is (.+)\.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="a bench out folder (trials.jsonl)")
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="the suite file the run used")
    args = parser.parse_args(argv)
    suite = json.loads(args.suite.read_text(encoding="utf-8"))
    values: dict[str, tuple[str, str, str]] = {}  # value -> (skill, family, office)
    for skill in suite["skills"]:
        match = VALUE.search(skill["instructions"])
        if match:
            # The control suite has no families; the name ends with the family either way.
            family = skill.get("family") or next(f for f in FAMILIES if skill["name"].endswith("-" + f))
            values[match.group(1)] = (skill["name"], family, skill["name"][: -len(family) - 1])
    by_name = {name: (family, office) for name, family, office in values.values()}
    seen: set[tuple[str, int, str]] = set()
    table: dict[tuple[str, int], Counter[str]] = {}
    for line in (args.out / "trials.jsonl").read_text(encoding="utf-8").splitlines():
        trial = json.loads(line)
        once = (trial["strategy"], trial["size"], trial["request_key"])  # one observation per cell
        if trial["status"] != "ok" or trial["passed"] or not trial["gold"] or once in seen:
            continue
        seen.add(once)
        family, office = by_name[trial["gold"][0]]
        output = trial["output"] or ""
        sources = [
            entry
            for value, entry in values.items()
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", output)
        ]
        if not sources:
            kind = "no value of any skill"
        elif any(f == family for _, f, _ in sources):
            kind = "a look-alike's value (same family)"
        elif any(o == office for _, _, o in sources):
            kind = "the same office's other fact"
        else:
            kind = "another skill's value"
        table.setdefault((trial["strategy"], trial["size"]), Counter())[kind] += 1
    kinds = [
        "a look-alike's value (same family)",
        "the same office's other fact",
        "another skill's value",
        "no value of any skill",
    ]
    print("| strategy | N | wrong (distinct requests) | " + " | ".join(kinds) + " |")
    print("|---|---:|---:|" + "---:|" * len(kinds))
    for (strategy, size), counts in sorted(table.items()):
        print(
            f"| {strategy} | {size} | {sum(counts.values())} | "
            + " | ".join(str(counts[k]) for k in kinds)
            + " |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
