"""``skillpack eval``: measure a router on labelled queries."""

from __future__ import annotations

import json
from pathlib import Path

import click

from skillpack.cli.common import echo
from skillpack.evaluation import METRICS, evaluate, read_queries
from skillpack.plugins import get_router
from skillpack.registry import SkillPack


@click.command("eval")
@click.argument("skills_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("queries", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--router", "router_name", default="lexical", show_default=True, help="The router to measure.")
@click.option(
    "--k", "k", type=int, default=10, show_default=True, help="How many skills the router may return."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with exactly the metric keys.")
def eval_command(skills_dir: Path, queries: Path, router_name: str, k: int, as_json: bool) -> None:
    """Measure a router on labelled queries: recall@1/3/5, MRR, nDCG@10, complete@5, latency.

    SKILLS_DIR is a folder of skills (only it is searched). QUERIES is JSON Lines, one
    {"query": "...", "skills": ["skill-name", ...]} per line. The index is built from scratch
    (build_s), then every query is routed once; p50_ms/p95_ms are per query.

    \b
    Example:
      skillpack eval ./my-skills queries.jsonl --router hybrid --json
    """
    from skillpack.routing.text import check_k

    check_k(k)
    router = get_router(router_name)
    pack = SkillPack.from_paths([skills_dir])
    labelled = read_queries(queries, known=set(pack.names))
    result = evaluate(pack, labelled, router, k=k)
    if as_json:
        echo(json.dumps(result))
        return
    width = max(len(key) for key in METRICS)
    echo(f"router {router_name}, k={k}, {skills_dir} x {queries}")
    for key in METRICS:
        value = result[key]
        shown = (
            f"{value:.4f}"
            if isinstance(value, float) and key not in ("p50_ms", "p95_ms", "build_s")
            else value
        )
        echo(f"{key:<{width}}  {shown}")


COMMANDS = (eval_command,)
