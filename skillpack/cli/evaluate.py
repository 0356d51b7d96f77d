"""``skillpack eval``: measure a router on labelled queries."""

from __future__ import annotations

import json
from pathlib import Path

import click

from skillpack.cli.common import deprecated_alias, echo, format_option, router_for, routing_backend_options
from skillpack.evaluation import METRICS, evaluate, read_queries
from skillpack.plugins import get_router
from skillpack.registry import SkillPack

#: How many skills the router may return when measured (more than a selection loads, for recall@5 and nDCG@10).
EVAL_K = 10
_COMMANDLINE = click.core.ParameterSource.COMMANDLINE


@click.command("eval")
@click.argument("skills_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("queries", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--router", "router_name", default="lexical", show_default=True, help="The router to measure.")
@click.option(
    "-k", "k", type=int, default=EVAL_K, show_default=True, help="How many skills the router may return."
)
@click.option(
    "--min-confidence",
    type=float,
    help="The confidence bar of the selection metrics (default: the router's own).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Score only the first N queries of QUERIES (for a router that asks a model per query).",
)
@routing_backend_options
@format_option("text", "json")
@deprecated_alias("--k", "-k", "old_k", type=int)
@deprecated_alias("--json", "--format json", "as_json", is_flag=True)
def eval_command(
    skills_dir: Path,
    queries: Path,
    router_name: str,
    k: int,
    min_confidence: float | None,
    limit: int | None,
    backend: str | None,
    model: str | None,
    output_format: str,
    old_k: int | None,
    as_json: bool,
) -> None:
    """Measure a router on labelled queries: recall@1/3/5, MRR, nDCG@10, complete@5, latency,
    and what the selection injects.

    SKILLS_DIR is a folder of skills (only it is searched). QUERIES is JSON Lines, one
    {"query": "...", "skills": ["skill-name", ...]} per line; "skills": [] marks a query no skill
    fits (out of scope). The index is built from scratch (build_s), then every query is routed
    once; p50_ms/p95_ms are per query. Ranking metrics cover the in-scope queries; the selection
    (default -k 5, the confidence bar) gives oos_abstain, in_abstain, recall_selected, precision,
    and skills and tokens injected per query (selected_mean/tokens_mean in scope, *_oos_mean out).
    --format json prints one JSON object with exactly the metric keys, in that order. A router that
    asks a model (--router llm) takes --backend and --model as in `skillpack route`.

    \b
    Example:
      skillpack eval ./my-skills queries.jsonl --router hybrid --format json
    """
    if old_k is not None and click.get_current_context().get_parameter_source("k") != _COMMANDLINE:
        k = old_k
    if as_json:
        output_format = "json"
    from skillpack.routing.text import check_k
    from skillpack.selection import check_limits

    check_k(k)
    check_limits(min_confidence=min_confidence)
    chosen = router_for(router_name, backend, model)
    router = get_router(chosen) if isinstance(chosen, str) else chosen
    pack = SkillPack.from_paths([skills_dir])
    labelled = read_queries(queries, known=set(pack.names))[:limit]
    result = evaluate(pack, labelled, router, k=k, min_confidence=min_confidence)
    if output_format == "json":
        echo(json.dumps(result))
        return
    width = max(len(key) for key in METRICS)
    echo(f"router {router_name}, k={k}, {skills_dir} x {queries}")
    for key in METRICS:
        value = result[key]
        shown = (
            "-"
            if value is None
            else (
                f"{value:.4f}"
                if isinstance(value, float) and key not in ("p50_ms", "p95_ms", "build_s")
                else value
            )
        )
        echo(f"{key:<{width}}  {shown}")


COMMANDS = (eval_command,)
