"""Generate skillpack's bundled bench suite, "house-rules", deterministically from a seed.

Every skill states a house rule that a model cannot know without reading it: a team's ticket-ID format,
a warehouse's SKU codes, a service's pager handle. Each family of rules has many instances that differ
only in their values (the Kestrel team's ticket IDs against the Osprey team's), so the pool is full of
look-alikes of every gold skill: similarity is what makes context rot bite. A few instances of each family
are the gold skills of tasks; the rest form the distractor pool.

Usage::

    python benchmarks/make_suite.py                  # rewrite skillpack/harness/data/house-rules.json
    python benchmarks/make_suite.py --check          # exit 1 when the committed file is stale
    python benchmarks/make_suite.py --seed 7 --out /tmp/suite.json

The same seed always gives byte-identical output (a test pins that).
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 20261128
INSTANCES_PER_FAMILY = 25
TASKS_PER_FAMILY = 4
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "skillpack" / "harness" / "data" / "house-rules.json"

CODENAMES = [
    "albatross",
    "aurora",
    "basalt",
    "beacon",
    "birch",
    "bramble",
    "cascade",
    "cedar",
    "cinder",
    "cobalt",
    "comet",
    "coral",
    "cypress",
    "delta",
    "ember",
    "falcon",
    "fennel",
    "fjord",
    "garnet",
    "glacier",
    "granite",
    "harbor",
    "heron",
    "hickory",
    "indigo",
    "jasper",
    "juniper",
    "kestrel",
    "lagoon",
    "larch",
    "lynx",
    "magpie",
    "maple",
    "marlin",
    "meadow",
    "mesa",
    "nimbus",
    "obsidian",
    "onyx",
    "orchid",
    "osprey",
    "pebble",
    "pelican",
    "quartz",
    "quill",
    "raven",
    "sable",
    "saffron",
    "sequoia",
    "sparrow",
    "summit",
    "tamarack",
    "thistle",
    "topaz",
    "tundra",
    "umber",
    "vesper",
    "willow",
    "wren",
    "yarrow",
    "zephyr",
]

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Instance:
    """One skill of a family and a way to ask a task of it."""

    skill: dict[str, Any]
    make_task: Callable[[random.Random], tuple[str, dict[str, Any]]]


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _skill(name: str, family: str, description: str, body: str) -> dict[str, Any]:
    return {"name": name, "family": family, "description": description, "instructions": body.strip() + "\n"}


def _contains(value: str) -> dict[str, Any]:
    # whole_word: "AP-26" must not pass inside a distractor's "AP-265".
    return {"check": "contains", "value": value, "whole_word": True}


# -- the families ----------------------------------------------------------------------------------------


def ticket_ids(rng: random.Random, team: str) -> Instance:
    prefix = _letters(rng, 3)
    sep = rng.choice(["-", "_", "/", "."])
    width = rng.choice([4, 5, 6])
    short_year = rng.random() < 0.5
    year_text = "the last two digits of the year" if short_year else "the four-digit year"
    title = team.capitalize()

    def ticket(year: int, number: int) -> str:
        y = f"{year % 100:02d}" if short_year else str(year)
        return f"{prefix}{sep}{y}{sep}{number:0{width}d}"

    body = f"""
# {title} team ticket IDs

Every ticket the {title} team opens gets an ID built from three parts joined by `{sep}`:

1. the team prefix `{prefix}` (always upper case);
2. {year_text} in which the ticket was opened;
3. the ticket's sequence number, zero-padded to {width} digits.

Example: ticket number 7 opened in 2021 is `{ticket(2021, 7)}`.

Do not reuse another team's prefix, do not drop the padding, and never write the sequence number first.
IDs are case-sensitive in the tracker; search for them exactly as written.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        year, number = r.randint(2022, 2026), r.randint(11, 980)
        prompt = (
            f"The {title} team opened ticket number {number} in {year}. "
            "Write its ticket ID. Answer with the ID only."
        )
        return prompt, _contains(ticket(year, number))

    return Instance(
        _skill(
            f"{team}-ticket-ids",
            "ticket-ids",
            f"Ticket ID format of the {title} team. Use when writing, checking or searching for a {title} ticket ID.",
            body,
        ),
        task,
    )


def invoice_numbers(rng: random.Random, company: str) -> Instance:
    country = _letters(rng, 2)
    lead = rng.choice(["INV", "RE", "FAC", "BIL", "FV"])
    sep = rng.choice(["/", "-", "."])
    width = rng.choice([3, 4, 5])
    month_first = rng.random() < 0.5
    title = company.capitalize()

    def invoice(year: int, month: int, number: int) -> str:
        period = f"{month:02d}{year % 100:02d}" if month_first else f"{year % 100:02d}{month:02d}"
        return f"{lead}{sep}{country}{sep}{period}{sep}{number:0{width}d}"

    order = "month then year (MMYY)" if month_first else "year then month (YYMM)"
    body = f"""
# {title} Ltd invoice numbers

Invoices issued by {title} Ltd are numbered `{lead}{sep}{country}{sep}<period>{sep}<number>`:

- `{lead}` marks the document as an invoice and `{country}` is the issuing entity's country code;
- the period is the issue date as {order}, two digits each;
- the number restarts at 1 every month and is zero-padded to {width} digits.

Example: the 12th invoice issued in March 2023 is `{invoice(2023, 3, 12)}`.

Credit notes use the same scheme with `CN` instead of `{lead}`. Never reuse a number, even for a
cancelled invoice.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        year, month, number = r.randint(2022, 2026), r.randint(1, 12), r.randint(2, 240)
        prompt = (
            f"Write the invoice number of invoice {number} issued by {title} Ltd in {MONTHS[month - 1]} {year}. "
            "Answer with the invoice number only."
        )
        return prompt, _contains(invoice(year, month, number))

    return Instance(
        _skill(
            f"{company}-invoice-numbers",
            "invoice-numbers",
            f"How {title} Ltd numbers its invoices and credit notes. Use when issuing or checking a {title} invoice.",
            body,
        ),
        task,
    )


def date_formats(rng: random.Random, client: str) -> Instance:
    order = rng.choice(["DMY", "YMD", "MDY", "YDM"])
    sep = rng.choice([".", "/", "-", " ", "_"])
    tag = _letters(rng, 2) + str(rng.randint(1, 9))
    title = client.capitalize()
    pattern = sep.join({"D": "DD", "M": "MM", "Y": "YYYY"}[c] for c in order)

    def write(year: int, month: int, day: int) -> str:
        parts = {"D": f"{day:02d}", "M": f"{month:02d}", "Y": str(year)}
        return f"{tag}:" + sep.join(parts[c] for c in order)

    body = f"""
# Dates in reports for {title}

{title} is a client whose auditors parse our reports automatically, so every date in a {title} report
is written the same way: the client tag `{tag}`, a colon, then the date as `{pattern}`
(separator `{sep!s}`, zero-padded day and month, four-digit year).

Example: 9 July 2020 is written `{write(2020, 7, 9)}`.

No weekday names, no ordinal suffixes, and no time of day unless the template asks for one.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        year, month, day = r.randint(2022, 2026), r.randint(1, 12), r.randint(10, 28)
        prompt = (
            f"Write the date {day} {MONTHS[month - 1]} {year} the way it must appear in a report for {title}. "
            "Answer with the date only."
        )
        return prompt, _contains(write(year, month, day))

    return Instance(
        _skill(
            f"{client}-report-dates",
            "report-dates",
            f"How dates are written in reports for the client {title}. Use when a {title} report shows a date.",
            body,
        ),
        task,
    )


SKU_CATEGORIES = ("jacket", "boot", "backpack", "tent", "glove", "scarf")
SKU_COLOURS = ("red", "blue", "green", "black", "white", "yellow")
SKU_SIZES = ("small", "medium", "large")


def sku_codes(rng: random.Random, warehouse: str) -> Instance:
    cats = {c: _letters(rng, 3) for c in SKU_CATEGORIES}
    colours = {c: _code(rng, 2) for c in SKU_COLOURS}
    sizes = {s: str(rng.randint(1, 9)) + rng.choice("ABCDE") for s in SKU_SIZES}
    sep = rng.choice(["-", ".", ""])
    title = warehouse.capitalize()

    def sku(cat: str, colour: str, size: str) -> str:
        return f"{cats[cat]}{sep}{colours[colour]}{sep}{sizes[size]}"

    rows = "\n".join(f"| {c} | `{cats[c]}` |" for c in SKU_CATEGORIES)
    colour_rows = "\n".join(f"| {c} | `{colours[c]}` |" for c in SKU_COLOURS)
    size_rows = ", ".join(f"{s} `{sizes[s]}`" for s in SKU_SIZES)
    joiner = f"joined by `{sep}`" if sep else "written together with no separator"
    body = f"""
# SKU codes at the {title} warehouse

A {title} SKU is the category code, the colour code and the size code, {joiner}.

| category | code |
|---|---|
{rows}

| colour | code |
|---|---|
{colour_rows}

Sizes: {size_rows}.

Example: a large white scarf is `{sku("scarf", "white", "large")}`. Codes are upper case; never invent a
code for a category that is not listed — ask the catalogue team instead.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        cat = r.choice(SKU_CATEGORIES[:5])
        colour, size = r.choice(SKU_COLOURS[:5]), r.choice(SKU_SIZES)
        prompt = f"Write the {title} warehouse SKU for a {size} {colour} {cat}. Answer with the SKU only."
        return prompt, _contains(sku(cat, colour, size))

    return Instance(
        _skill(
            f"{warehouse}-sku-codes",
            "sku-codes",
            f"Category, colour and size codes of SKUs at the {title} warehouse. Use when building or reading a "
            f"{title} SKU.",
            body,
        ),
        task,
    )


def pager_escalation(rng: random.Random, service: str) -> Instance:
    handles = {sev: f"@{service[:3]}-{_code(rng, 4).lower()}" for sev in ("S1", "S2")}
    queue = f"Q-{_letters(rng, 2)}{rng.randint(10, 99)}"
    minutes = rng.choice([5, 10, 15])
    title = service.capitalize()
    body = f"""
# Escalating incidents on the {title} service

Classify the incident first, then escalate exactly as below.

- **S1** (outage or data loss): page `{handles["S1"]}` within {minutes} minutes and open a bridge call.
- **S2** (degraded for some users): page `{handles["S2"]}` during working hours; otherwise open a ticket.
- **S3** (cosmetic or single user): open a ticket in queue `{queue}`; nobody is paged.

Never page a person directly; the handles rotate through the on-call schedule. Write the incident
number in every page.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        sev = r.choice(["S1", "S2"])
        prompt = (
            f"A severity {sev} incident hits the {title} service. Which pager handle must be paged? "
            "Answer with the handle only."
        )
        return prompt, _contains(handles[sev])

    return Instance(
        _skill(
            f"{service}-escalation",
            "escalation",
            f"Incident escalation for the {title} service: who to page for S1 and S2, where S3 tickets go.",
            body,
        ),
        task,
    )


BRANCH_KINDS = ("feature", "bugfix", "hotfix", "chore")


def branch_names(rng: random.Random, project: str) -> Instance:
    kinds = {k: rng.choice([k[:4], k[:3], k, k[0] + k[-1]]) for k in BRANCH_KINDS}
    key = _letters(rng, rng.choice([2, 3, 4]))
    joiner = rng.choice(["-", "_"])
    slash = rng.choice(["/", "--", "+"])
    title = project.capitalize()

    def branch(kind: str, number: int, summary: str) -> str:
        slug = joiner.join(summary.lower().split())
        return f"{kinds[kind]}{slash}{key}-{number}{joiner}{slug}"

    table = "\n".join(f"- {k}: `{kinds[k]}`" for k in BRANCH_KINDS)
    body = f"""
# Branch names in the {title} repository

A branch is named `<kind>{slash}<issue>{joiner}<summary>`, where the issue is the {title} issue key
`{key}-<number>` and the summary is the issue title in lower case with words joined by `{joiner}`.

Kinds:
{table}

Example: feature {key}-12 "export to csv" lives on `{branch("feature", 12, "export to csv")}`.

Branches that do not follow the pattern are rejected by the server-side hook.
"""
    summaries = ("login timeout", "broken pagination", "slow search", "missing avatar", "wrong totals")

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        kind, number, summary = r.choice(BRANCH_KINDS[:3]), r.randint(100, 999), r.choice(summaries)
        prompt = (
            f'Name the {kind} branch for issue {key}-{number} "{summary}" in the {title} repository. '
            "Answer with the branch name only."
        )
        return prompt, _contains(branch(kind, number, summary))

    return Instance(
        _skill(
            f"{project}-branch-names",
            "branch-names",
            f"How branches are named in the {title} repository. Use when creating or reviewing a {title} branch.",
            body,
        ),
        task,
    )


DOC_TYPES = ("meeting minutes", "contract", "budget", "report", "proposal")


def file_names(rng: random.Random, department: str) -> Instance:
    dept = _letters(rng, rng.choice([2, 3, 4]))
    codes = {d: _letters(rng, 3) for d in DOC_TYPES}
    version = rng.choice(["v{:02d}", "V{}", "r{:03d}"])
    date_style = rng.choice(["%Y%m%d", "%Y-%m-%d", "%d%m%Y"])
    title = department.capitalize()

    def name(doc: str, year: int, month: int, day: int, v: int) -> str:
        date = date_style.replace("%Y", str(year)).replace("%m", f"{month:02d}").replace("%d", f"{day:02d}")
        return f"{dept}_{date}_{codes[doc]}_{version.format(v)}.pdf"

    readable = date_style.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
    table = "\n".join(f"| {d} | `{codes[d]}` |" for d in DOC_TYPES)
    body = f"""
# File names in the {title} department

Shared files of the {title} department are named
`{dept}_<date>_<type>_<version>.pdf`: the department code `{dept}`, the document date as `{readable}`,
the type code from the table, and the version written as `{version.format(3)}` for version 3.

| document | type code |
|---|---|
{table}

Example: version 2 of the budget dated 1 February 2022 is `{name("budget", 2022, 2, 1, 2)}`.
Never put spaces or the author's name in a file name.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        doc, year, month, day = (
            r.choice(DOC_TYPES),
            r.randint(2023, 2026),
            r.randint(1, 12),
            r.randint(10, 28),
        )
        v = r.randint(2, 9)
        prompt = (
            f"Name the file for version {v} of the {title} department's {doc} dated "
            f"{day} {MONTHS[month - 1]} {year}. Answer with the file name only."
        )
        return prompt, _contains(name(doc, year, month, day, v))

    return Instance(
        _skill(
            f"{department}-file-names",
            "file-names",
            f"File naming convention of the {title} department. Use when saving or finding a {title} document.",
            body,
        ),
        task,
    )


SEASONS = ("spring", "summer", "autumn", "winter")


def discount_codes(rng: random.Random, shop: str) -> Instance:
    codes = {s: _letters(rng, 4) + str(rng.randint(10, 99)) for s in SEASONS}
    cap = rng.choice([10, 15, 20, 25])
    title = shop.capitalize()
    lines = "\n".join(f"| {s} | `{codes[s]}` |" for s in SEASONS)
    body = f"""
# Campaign discount codes of the {title} shop

Give a customer only the code of the campaign that is running; the codes below are the {title} shop's.

| campaign | code |
|---|---|
{lines}

Each code gives at most {cap}% off and cannot be combined with another code. Codes are case-insensitive
at checkout but always written in upper case in emails.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        season = r.choice(SEASONS)
        prompt = (
            f"What is the {title} shop's discount code for its {season} campaign? Answer with the code only."
        )
        return prompt, _contains(codes[season])

    return Instance(
        _skill(
            f"{shop}-discount-codes",
            "discount-codes",
            f"Seasonal campaign discount codes of the {title} shop. Use when a {title} customer asks for a code.",
            body,
        ),
        task,
    )


ENVIRONMENTS = ("production", "staging", "development")
REGIONS = ("Frankfurt", "Virginia", "Singapore", "Oregon")


def hostnames(rng: random.Random, service: str) -> Instance:
    envs = {e: rng.choice([e[:4], e[:3], e[0], e[:1] + e[-1]]) for e in ENVIRONMENTS}
    regions = {g: _letters(rng, 2).lower() + str(rng.randint(1, 9)) for g in REGIONS}
    domain = f"{_letters(rng, 3).lower()}.internal"
    width = rng.choice([2, 3])
    title = service.capitalize()

    def host(env: str, region: str, node: int) -> str:
        return f"{envs[env]}-{service}-{regions[region]}-{node:0{width}d}.{domain}"

    env_list = ", ".join(f"{e} `{envs[e]}`" for e in ENVIRONMENTS)
    region_list = ", ".join(f"{g} `{regions[g]}`" for g in REGIONS)
    body = f"""
# Host names of the {title} service

Every {title} node is named `<env>-{service}-<region>-<node>.{domain}`, the node number zero-padded to
{width} digits.

Environment codes: {env_list}.
Region codes: {region_list}.

Example: node 4 in staging in Oregon is `{host("staging", "Oregon", 4)}`. Use these names in
configuration; IP addresses change on every deploy.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        env, region, node = r.choice(ENVIRONMENTS), r.choice(REGIONS), r.randint(5, 40)
        prompt = (
            f"Write the host name of node {node} of the {title} service in {env} in {region}. "
            "Answer with the host name only."
        )
        return prompt, _contains(host(env, region, node))

    return Instance(
        _skill(
            f"{service}-hostnames",
            "hostnames",
            f"How the {title} service's hosts are named per environment and region. Use when addressing a "
            f"{title} node.",
            body,
        ),
        task,
    )


ERROR_CONDITIONS = (
    "the caller is rate limited",
    "the API key has expired",
    "the request body is not valid JSON",
    "the requested record was deleted",
    "the account is over its storage quota",
)


def error_codes(rng: random.Random, api: str) -> Instance:
    prefix = rng.choice(["E", "ERR-", "X", "AP"])
    codes = {c: f"{prefix}{rng.randint(1000, 9999)}" for c in ERROR_CONDITIONS}
    title = api.capitalize()
    rows = "\n".join(f"| {c} | `{codes[c]}` |" for c in ERROR_CONDITIONS)
    body = f"""
# Error codes of the {title} API

The {title} API answers every failure with a JSON body `{{"code": "...", "detail": "..."}}`. The code
tells clients what happened; match on it, never on the detail text.

| condition | code |
|---|---|
{rows}

Any other failure is `{prefix}0000`. Codes never change meaning between versions.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        condition = r.choice(ERROR_CONDITIONS)
        prompt = f"Which error code does the {title} API return when {condition}? Answer with the code only."
        return prompt, _contains(codes[condition])

    return Instance(
        _skill(
            f"{api}-api-errors",
            "api-errors",
            f"Error codes returned by the {title} API and what each means. Use when handling {title} API errors.",
            body,
        ),
        task,
    )


def purchase_approval(rng: random.Random, department: str) -> Instance:
    low = rng.choice([500, 1000, 2000])
    high = low * rng.choice([5, 10])
    approvers = {"mid": f"AP-{rng.randint(10, 99)}", "top": f"AP-{rng.randint(100, 999)}"}
    title = department.capitalize()
    body = f"""
# Purchase approvals in {title}

Purchases by the {title} department need approval by amount, before the order is placed:

- up to {low} EUR: no approval, keep the receipt;
- above {low} EUR and up to {high} EUR: approver code `{approvers["mid"]}`;
- above {high} EUR: approver code `{approvers["top"]}`, plus a second quote.

Enter the approver code in the purchase request; the system routes it to whoever holds that role.
Splitting one purchase into several smaller ones to stay under a limit is not allowed.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        tier = r.choice(["mid", "top"])
        amount = r.randint(low + 1, high - 1) if tier == "mid" else high + r.randint(100, 5000)
        prompt = (
            f"The {title} department wants to buy equipment for {amount} EUR. "
            "Which approver code goes in the purchase request? Answer with the code only."
        )
        return prompt, _contains(approvers[tier])

    return Instance(
        _skill(
            f"{department}-purchase-approval",
            "purchase-approval",
            f"Who approves purchases in the {title} department, by amount. Use before a {title} purchase.",
            body,
        ),
        task,
    )


CHANNELS = ("beta", "nightly", "candidate", "stable")


def release_tags(rng: random.Random, product: str) -> Instance:
    prefix = rng.choice(["v", "rel-", "r", f"{product[:3]}-", ""])
    channels = {c: rng.choice([c[:1], c[:2], c[:4], _letters(rng, 2).lower()]) for c in CHANNELS}
    joiner = rng.choice(["-", "+", "_", "."])
    title = product.capitalize()

    def tag(version: str, channel: str) -> str:
        return f"{prefix}{version}{joiner}{channels[channel]}"

    rows = ", ".join(f"{c} `{channels[c]}`" for c in CHANNELS)
    body = f"""
# Release tags of {title}

Every {title} build that leaves CI is tagged `{prefix}<version>{joiner}<channel>`: the semantic
version, `{joiner}`, then the channel code. Stable builds carry the stable code too.

Channel codes: {rows}.

Example: version 1.0.3 on the nightly channel is tagged `{tag("1.0.3", "nightly")}`. Tags are never
moved or deleted; publish a new patch version instead.
"""

    def task(r: random.Random) -> tuple[str, dict[str, Any]]:
        version = f"{r.randint(2, 9)}.{r.randint(0, 20)}.{r.randint(1, 9)}"
        channel = r.choice(CHANNELS)
        prompt = f"Write the release tag of {title} version {version} on the {channel} channel. Answer with the tag only."
        return prompt, _contains(tag(version, channel))

    return Instance(
        _skill(
            f"{product}-release-tags",
            "release-tags",
            f"How {title} release builds are tagged per channel. Use when tagging or finding a {title} release.",
            body,
        ),
        task,
    )


FAMILIES: tuple[Callable[[random.Random, str], Instance], ...] = (
    ticket_ids,
    invoice_numbers,
    date_formats,
    sku_codes,
    pager_escalation,
    branch_names,
    file_names,
    discount_codes,
    hostnames,
    error_codes,
    purchase_approval,
    release_tags,
)


def build(seed: int = SEED) -> dict[str, Any]:
    """Return the suite as a JSON-ready mapping; the same seed gives the same suite."""
    rng = random.Random(seed)
    skills: list[dict[str, Any]] = []
    by_family: list[list[dict[str, Any]]] = []
    for family in FAMILIES:
        names = rng.sample(CODENAMES, INSTANCES_PER_FAMILY)
        instances = [family(rng, name) for name in names]
        skills.extend(instance.skill for instance in instances)
        asked = []
        for number, instance in enumerate(instances[:TASKS_PER_FAMILY], start=1):
            prompt, check = instance.make_task(rng)
            kind = instance.skill["family"]
            asked.append(
                {
                    "id": f"{kind}-{number}",
                    "prompt": prompt,
                    "gold": [instance.skill["name"]],
                    "expect": check,
                }
            )
        by_family.append(asked)
    # Round-robin over families, so the first 12 tasks (``--limit 12``) cover every family once.
    tasks = [asked[number] for number in range(TASKS_PER_FAMILY) for asked in by_family]
    return {
        "suite": "house-rules",
        "version": 1,
        "description": (
            "House rules a model cannot know without reading them: ticket IDs, invoice numbers, report dates, "
            "SKU codes, pager handles, branch and file names, discount codes, host names, API error codes, "
            "approval codes and release tags. Each family has many look-alike instances; four per family are "
            "the gold skills of tasks and the rest are distractors."
        ),
        "generator": {"script": "benchmarks/make_suite.py", "seed": seed},
        "skills": sorted(skills, key=lambda s: s["name"]),
        "tasks": tasks,
    }


def render(suite: dict[str, Any]) -> str:
    """Return the suite's canonical JSON text (stable bytes)."""
    return json.dumps(suite, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=SEED, help=f"generator seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the suite")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when --out differs from what would be written"
    )
    args = parser.parse_args(argv)
    return emit(
        render(build(args.seed)), args.out, check=args.check, command="python benchmarks/make_suite.py"
    )


def emit(text: str, out: Path, *, check: bool, command: str) -> int:
    """Write ``text`` to ``out`` (beside it, then renamed), or with ``check`` return 1 when ``out`` differs."""
    if check:
        current = out.read_text(encoding="utf-8") if out.is_file() else ""
        if current != text:
            print(f"{out}: stale; regenerate with: {command}", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(out)
    suite = json.loads(text)
    seed = suite.get("generator", {}).get("seed")
    print(f"wrote {out}: {len(suite['skills'])} skills, {len(suite['tasks'])} tasks (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
