"""Measure keyword stuffing: how often a skill whose description is a list of popular words wins tasks.

Usage::

    python benchmarks/stuffing.py OFF_TOPIC IN_SCOPE [--library DIR] [--routers lexical,hybrid]

A copy of ``--library`` (default: the bundled skills; with ``IN_SCOPE``'s library, pass the matching
``library-dev`` or ``library-test`` copy so no example is scored against itself) gets one more skill,
``everything``, whose description lists everyday request topics (``STUFFED``, the same generic list
``tests/test_lint.py`` warns about; not drawn from any data set). Every query of ``OFF_TOPIC`` (JSON Lines,
all out of scope) and ``IN_SCOPE`` (each labelled with its skill) is routed with and without it, and for
each router the script prints one JSON line:

- ``off_topic_ranked_first`` / ``off_topic_selected``: off-topic requests for which the stuffed skill
  is ranked first, and for which ``select`` (default k, bar and budget) injects it;
- ``in_scope_selected``: in-scope queries for which it is injected;
- ``in_scope_displaced``: in-scope queries whose gold skill is selected without it and not with it.

Routers needing extras (``hybrid``, ``dense``…) are skipped with a note when their extra is missing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from skillpack import SkillPack
from skillpack.bundled import skills_dir
from skillpack.evaluation import read_queries
from skillpack.plugins import get_router
from skillpack.selection import select

STUFFED = (
    "email, calendar, weather, news, recipes, travel, flights, hotels, restaurants, shopping, music,"
    " movies, sports, finance, stocks, jobs, health, fitness, translate, write, summarize, search, code"
)


def write_stuffed(root: Path) -> None:
    folder = root / "everything"
    folder.mkdir()
    (folder / "skill.yaml").write_text(
        "name: everything\nversion: 1.0.0\n"
        f"description: {json.dumps(STUFFED)}\ninstructions: instructions.md\n",
        encoding="utf-8",
    )
    (folder / "instructions.md").write_text("# Everything\n\nDo whatever is asked.\n", encoding="utf-8")


def measure(router_name: str, library: Path, off_topic: Path, in_scope: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        stuffed_root = Path(scratch) / "skills"
        shutil.copytree(library, stuffed_root)
        write_stuffed(stuffed_root)
        plain = SkillPack.from_paths([library])
        stuffed = SkillPack.from_paths([stuffed_root])
        router = get_router(router_name)
        result: dict[str, object] = {"router": router_name, "skills": len(stuffed)}
        first = chosen = 0
        queries = read_queries(off_topic)
        for query in queries:
            ranking = router.rank(query.query, stuffed, k=5)
            first += bool(ranking.matches) and ranking.matches[0].skill.name == "everything"
            picked = select(stuffed, query.query, router=router)
            chosen += any(c.skill.name == "everything" for c in picked.chosen)
        result.update(off_topic=len(queries), off_topic_ranked_first=first, off_topic_selected=chosen)
        selected = displaced = 0
        labelled = [q for q in read_queries(in_scope) if q.skills]
        for query in labelled:
            with_it = {c.skill.name for c in select(stuffed, query.query, router=router).chosen}
            without = {c.skill.name for c in select(plain, query.query, router=router).chosen}
            selected += "everything" in with_it
            displaced += any(g in without and g not in with_it for g in query.skills)
        result.update(in_scope=len(labelled), in_scope_selected=selected, in_scope_displaced=displaced)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("off_topic", type=Path, help="JSON Lines of out-of-scope requests")
    parser.add_argument("in_scope", type=Path, help="JSON Lines of queries labelled with their skill")
    parser.add_argument(
        "--library", type=Path, default=None, help="skills folder (default: the bundled ones)"
    )
    parser.add_argument("--routers", default="lexical,hybrid", help="comma-separated router names")
    args = parser.parse_args(argv)
    library = args.library or skills_dir()
    for path in (args.off_topic, args.in_scope, library):
        if not path.exists():
            print(f"stuffing.py: error: {path} does not exist", file=sys.stderr)
            return 2
    for name in args.routers.split(","):
        try:
            print(json.dumps(measure(name.strip(), library, args.off_topic, args.in_scope)), flush=True)
        except ImportError as exc:
            print(f"stuffing.py: note: {name} skipped ({exc})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
