"""Turn a router's raw evidence into a confidence that means the same thing in every library.

A raw score (a BM25F coverage ratio, a cosine) says little on its own: how high an *unrelated* text scores
depends on the library — how many skills it has, how long and how alike their descriptions are. So each
library calibrates itself, with its own text as probes:

- A match's evidence is its **lead over the crowd**: its score minus the score of the skill ranked
  ``CROWD_RANK`` (5th; the last one in a smaller library). A task that names a skill makes it stand out;
  a task that only shares generic words with a family of look-alikes lifts them all alike, and a keyword-
  stuffed description that matches everything a little stands out from nothing.
- Every skill contributes probes: its description and when_to_use, and each of its examples (at most
  ``MAX_PROBES`` in all, chosen by hash, so the cost stays bounded on large libraries).
- Each probe is scored against every skill, its owner left out, and the best remaining skill's lead over
  the crowd is kept. That is a sample of the null: how far the best match stands out for a text about
  something the library does not cover — the situation of an out-of-scope task, the probe's own skill
  playing the missing one. It grows with the library and sharpens with its look-alikes, which is what
  makes it transfer.
- A match's confidence is the share of that null sample its lead beats (ties count half): 0.9 means
  "stands out more than the best wrong skill does for 90% of the library's own unrelated texts". The
  sample is shrunk toward the router's ``prior`` (null deciles measured on two unrelated libraries,
  worth ``PRIOR_WEIGHT`` probes), which matters only for libraries of a handful of skills. A probe whose
  owner leaves fewer than two skills has no crowd and adds nothing, so a two-skill library rests on the
  prior alone.
- The best match has two more looks, each against its own null from the same probes: its **lead over
  the runner-up** (the 2nd best), and the **conjunction**, the smaller of its lead over the runner-up
  and the runner-up's lead over the crowd (large when the task names two things, one shared by a
  group that stands out and the best match the only skill with both: an office *and* an attribute).
  Each counts as 1 minus a permutation p-value (over ``n + 1``, so a handful of probes cannot reach
  it) and only when it reaches ``RUNNER_UP_BAR`` (0.95): then it replaces the crowd confidence if
  larger. Why: where one entity has several skills (an office with a door code, a pager handle…), a
  probe's best other is often a same-entity sibling far above the crowd, so the crowd null is high and
  a task naming entity and attribute fell below the bar. Taken at the plain bar 0.85 the runner-up
  lead raised off-topic injection on dev from 0.034 to 0.057 (the conjunction at 0.85: 0.051); 0.95
  is the smallest bar that keeps it at 0.034 (0.9: 0.037). Measured gains and the limits left are in
  docs/BENCHMARKS.md ("Entity-structured libraries") and under "Known limits" below.
- The best match has a third look when it **covers every task term the library knows** (each task
  word that some skill uses is one of its words; ``complete`` from the router, which knows the terms):
  its lead over the runner-up against the null of the probes whose best other skill covers them so
  too (a probe's words that only its owner uses do not count). Why: a task adds words no skill uses
  ("Answer with the door code only"), which dilute its coverage, while a probe naming an office is
  matched in the library's own words by a sibling skill of that office. So where half the offices
  have a sibling, the crowd null is high and a task naming an office with no sibling fell below it
  (office-facts at 64 skills, "What is the guest Wi-Fi password of the Albatross office? Answer
  with the guest Wi-Fi password only.": crowd confidence 0.65). A sibling probe's best other misses
  the attribute words its family shares, so it is not in this look's null; the probes that are
  (one skill covering all a probe shares with the library) mostly tie with their runner-up. The look
  counts at any value (bars of 0, 0.5, 0.8 and 0.85 gave the same dev results; 0.9 cost 4 points of
  recall on office-facts). On dev: office-facts router-only recall at 64 skills 0.208 -> 0.958,
  unchanged at 16 and 256, no-skill tasks still abstained; off-topic injection (0.034), open-set
  MetaTool and the bundled examples unchanged. The same probes also give this look a conjunction
  null (as above, the smaller of the lead over the runner-up and the runner-up's lead over the
  crowd), and the larger of the two counts. Why: a complete probe naming an office whose attribute
  words only its owner uses is covered by the office's other skill with a lead as large as the office
  name's weight, above a task whose best match leads the office's sibling by its attribute words
  alone; but that probe's runner-up is the crowd, while the task's stands above it (office-facts at
  64 skills, "the cost centre of the Indigo office": 0.82 -> 0.91). On dev: office-facts at 64 skills
  0.958 -> 1.0, the grown 10,000-skill pool at 10 and 100 skills 0.688 -> 0.896 and 0.458 -> 0.604;
  off-topic injection, open-set MetaTool, the bundled examples and house-rules unchanged.
- When the best match and the runner-up **both** cover every known task term, the complete look also
  weighs **word order**: how much more of the task's adjacent term pairs ("Birch office") stand in that
  order in the best match's text than in the runner-up's (``pair_lead``, from the router: each pair
  found adds its heavier term's weight, as a share of the task's known terms), against the same lead
  of the probes whose two best other skills both cover them. Why: where offices have composed names
  ("Birch Yarrow", "Yarrow Birch"), "the door code of the Birch office" is covered as completely by the
  composed offices' door codes, which trail the Birch office's by a field-length effect of a few
  percent, while a probe for "Albatross Comet" is covered by "Comet Albatross" with a larger lead: a
  bag of words cannot tell them apart. A probe gains no pair over its twin, so this null stays low. On
  dev: the grown 10,000-skill pool at 100 and 1,000 skills 0.604 -> 0.854 and 0 -> 0.75 (1.0 at 2,000
  to 10,000); off-topic injection, open-set MetaTool, the bundled examples, office-facts and
  house-rules unchanged. Asking that the runner-up cover the task too matters: without it, chance
  pairs of common words ("want to know", "New York") in a bundled skill's examples raised off-topic
  injection from 0.034 to 0.038.
- When the best match barely leads its runner-up (by at most ``TIE`` of its lead over the crowd), the
  crowd lead belongs to a group the task does not split: a task naming an office with an attribute no
  skill has matches all that office's skills alike, far above the crowd. The group's members are then
  at most as confident as the two looks above (a 10-office × 3-attribute library: "the fax number of
  the Birch office" went from 0.996 to 0.48 and abstains; "the door code of the Birch office" stays 1.0).

Evidence (docs/BENCHMARKS.md, "Open-set routing"; dev splits only): a first version used the best score
itself (no crowd). On the harness's house-rules suite (300 skills in families of 30 templated look-alikes)
it gave the right skill confidence 0.02, since each probe matched its own family as well as a real task
matched its skill; with the lead over the crowd the right skill gets 0.99 and is chosen for 48 of 48
tasks. On open-set MetaTool the lead separates in-scope from out-of-scope queries slightly better than
the score alone (ROC AUC 0.62 against 0.59 for lexical, 0.69 against 0.66 for embedding), and the bar
chosen on the off-topic dev set (0.85) gives similar injection rates on the test set for every router
(0.016–0.032). MetaTool's own look-alike tools stay hard: the AUC is low, and recall falls when the bar
is high (see the trade-off curve there). The lead over the runner-up alone (the 2nd best) was tried as
the crowd and separated no better, while it zeroes the evidence of the second skill a two-skill task needs.
Known limits (measured, not fixed): the probes are a skill's description, in the library's own words
and its own template, while a task adds words the library never uses, which lower its coverage; the
complete look recovers a task whose best match covers all it can, not one that shares a generic word
with a skill its best match lacks. The complete look cannot tell an attribute the library lacks from a
word of the task's phrasing: in the same 64 skills, where the Albatross office has one skill (its
Wi-Fi password), "What is the fax number of the Albatross office?" chooses that skill, which the crowd
lead alone abstained on. A small library has few complete probes, and the look over ``n + 1`` cannot
reach the bar there (10 door codes and 8 pager handles of 10 offices: two complete probes, so 0.67 at
most). Composed names defeated it: where offices "Birch" and "Birch Yarrow" both exist, "the Birch
office" is covered by both and they lead each other by a length effect (4%); the word-pair look
recovers most such tasks, not all (the grown pool at 1,000 skills: 0.75; docs/BENCHMARKS.md, "At
scale, on templated libraries"). The tie rule
needs the tie: where an office-only task's best skill happens to match one more task word than its
siblings, it is not tied and the crowd lead decides.
Each persisted calibration is a few kilobytes of JSON beside the router's index (``calibration_for``).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.skill import Skill

#: Bumped whenever what a calibration holds, or how probes are chosen, changes (part of its cache key).
FORMAT = 6
#: A match's evidence is how far its score stands above the crowd: the score of the skill ranked here.
CROWD_RANK = 5

#: The bar every calibrated built-in router declares as its ``min_confidence`` (chosen on dev splits).
DEFAULT_MIN_CONFIDENCE = 0.85
#: The runner-up and conjunction looks count only at this confidence or above (chosen on the off-topic dev set).
RUNNER_UP_BAR = 0.95
#: The best match "barely leads" its runner-up when the gap is at most this share of its lead over the
#: crowd. Chosen on open-set MetaTool dev: 0.05 cost embedding and hybrid 0.3 points of recall in the
#: selection; 0.01 (templated look-alikes tie up to field-length effects, about 0.3%) costs under 0.1.
TIE = 0.01
#: At most this many probes are scored per library (description probes first, then examples by hash).
MAX_PROBES = 300
#: How many pseudo-probes the router's prior null counts for.
PRIOR_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class Probe:
    """A text of the library used to calibrate: whose it is, and which of its texts.

    ``example`` is -1 for the skill's own text (description and when_to_use), else the number of the example
    in the order ``skillpack.routing.vectors.example_owners`` lists them (so vector routers reuse rows).
    """

    owner: int
    example: int
    text: str


def probes(skills: Sequence[Skill]) -> list[Probe]:
    """Return the calibration probes of ``skills``: each one's own text, then examples, at most ``MAX_PROBES``."""
    own = [
        Probe(number, -1, "\n".join(part for part in (skill.description, skill.when_to_use) if part))
        for number, skill in enumerate(skills)
    ]
    examples: list[Probe] = []
    row = 0
    for number, skill in enumerate(skills):
        for example in skill.examples:
            examples.append(Probe(number, row, example))
            row += 1
    own = [probe for probe in own if probe.text.strip()]
    chosen = _by_hash(own, MAX_PROBES)
    return chosen + _by_hash(examples, MAX_PROBES - len(chosen))


def _by_hash(items: list[Probe], limit: int) -> list[Probe]:
    if len(items) <= limit:
        return items
    ranked = sorted(items, key=lambda p: hashlib.sha256(f"{p.owner}|{p.example}|{p.text}".encode()).digest())
    kept = set(map(id, ranked[: max(limit, 0)]))
    return [item for item in items if id(item) in kept]


def crowd_rank(n_skills: int) -> int:
    """Return the rank whose score is the crowd's: ``CROWD_RANK``, or the last skill of a smaller library."""
    return max(2, min(CROWD_RANK, n_skills))


def crowd(scores: Iterable[float], *, rank: int, size: int) -> float:
    """Return the ``rank``-th best of ``scores``, which stand for ``size`` skills (the unlisted score 0).

    A match's evidence is its score minus this, so a skill that a task names stands out from its
    look-alikes, and a task matching a whole family of skills equally (generic words) favours none.
    """
    values = list(scores)
    rank = min(rank, size)  # in a small library the crowd is its last skill
    if rank < 2:
        return 0.0
    best = heapq.nlargest(rank, values)
    if len(values) < size:
        best = heapq.nlargest(rank, [*best, 0.0])
    return best[-1] if len(best) >= rank else 0.0


def above_crowd(others: Sequence[float], *, n_skills: int, size: int) -> float:
    """Return a probe's null value: the best of ``others`` (``size`` skills) above their crowd."""
    return max(others, default=0.0) - crowd(others, rank=crowd_rank(n_skills), size=size)


def runner_up(scores: Iterable[float], *, size: int) -> tuple[float, float]:
    """Return the best and the second best of ``scores``, which stand for ``size`` skills (unlisted 0)."""
    values = heapq.nlargest(2, scores)
    if len(values) < min(size, 2):
        values = heapq.nlargest(2, [*values, 0.0])
    best = values[0] if values else 0.0
    return best, values[1] if len(values) > 1 else 0.0


@dataclass(frozen=True, slots=True)
class Calibration:
    """The null samples of one library for one router: leads over the crowd and over the runner-up.

    ``null`` holds each probe's best other score above the crowd, ``prior`` the router's prior for it,
    ``runner_up`` each probe's best other score above the second best other (probes with two others or
    more), ``conjunction`` the smaller of that and the second's lead over the crowd, ``complete`` the
    runner-up lead of the probes whose best other skill covers every term they share with the library,
    ``complete_conjunction`` those probes' conjunction, and ``complete_pairs`` the word-pair lead of the
    probes whose two best other skills both cover them so.
    """

    null: tuple[float, ...]
    prior: tuple[float, ...] = ()
    runner_up: tuple[float, ...] = ()
    conjunction: tuple[float, ...] = ()
    complete: tuple[float, ...] = ()
    complete_conjunction: tuple[float, ...] = ()
    complete_pairs: tuple[float, ...] = ()

    @classmethod
    def from_scores(
        cls,
        owners: Sequence[int],
        rows: Sequence[Sequence[float]],
        *,
        prior: Sequence[float] = (),
        complete: Sequence[bool] = (),
        pair_leads: Sequence[float | None] = (),
    ) -> Calibration:
        """Return the calibration from each probe's scores over every skill (``rows[i][j]``).

        ``complete[i]``, when given, says whether probe ``i``'s best other skill covers every probe term
        that a skill other than its owner uses (see ``for_task``); ``pair_leads[i]`` is its word-pair
        lead, None unless its two best other skills both cover it so.
        """
        others = [
            [score for skill, score in enumerate(row) if skill != owner]
            for owner, row in zip(owners, rows, strict=True)
        ]
        n_skills = len(rows[0]) if rows else 0
        return cls.from_others(
            others,
            n_skills=n_skills,
            size=n_skills - 1,
            prior=prior,
            complete=complete,
            pair_leads=pair_leads,
        )

    @classmethod
    def from_others(
        cls,
        others: Iterable[Sequence[float]],
        *,
        n_skills: int,
        size: int,
        prior: Sequence[float] = (),
        complete: Sequence[bool] = (),
        pair_leads: Sequence[float | None] = (),
    ) -> Calibration:
        """Return the calibration from each probe's scores over the ``size`` skills that are not its owner.

        A list may leave out skills that score 0 (``size`` says how many there are); ``n_skills`` is the
        library's size. A probe whose owner leaves fewer than two skills adds nothing: with no crowd below
        its best other skill, its "lead" would be that skill's whole score, not a lead, and a two-skill
        library's null would be its look-alike's full match (office-facts at N=2 chose the named skill
        for 28 of 48 tasks so; 48 of 48 on the prior alone).
        """
        null: list[float] = []
        second: list[float] = []
        both: list[float] = []
        full: list[float] = []
        full_both: list[float] = []
        full_pairs: list[float] = []
        for number, row in enumerate(others if size >= 2 else ()):
            lead = above_crowd(row, n_skills=n_skills, size=size)
            best, next_best = runner_up(row, size=size)
            null.append(lead)
            second.append(best - next_best)
            both.append(min(best - next_best, next_best - (best - lead)))
            if complete and complete[number]:
                full.append(best - next_best)
                full_both.append(both[-1])
                pair_lead = pair_leads[number] if pair_leads else None
                if pair_lead is not None:
                    full_pairs.append(pair_lead)
        samples = (null, prior, second, both, full, full_both, full_pairs)
        return cls(*(tuple(sorted(values)) for values in samples))

    def for_task(
        self, scores: Iterable[float], *, size: int, complete: bool = False, pair_lead: float | None = None
    ) -> Callable[[float], float]:
        """Return score -> confidence for one task, given every skill's score for it (``size`` skills).

        Every match has its lead over the crowd. The best match also has its lead over the runner-up and
        the conjunction, which replace the crowd confidence when they reach ``RUNNER_UP_BAR``; with
        ``complete``, the complete look (its ``pair_lead`` too, when the router gives one). When the
        best barely leads the runner-up (by at most ``TIE`` of its lead over the crowd), the crowd lead
        belongs to a group the task does not split, so the group's members are at most as confident as
        those two looks say.
        """
        values = list(scores)
        others = crowd(values, rank=crowd_rank(size), size=size)
        best, second = runner_up(values, size=size)
        conjunction = min(best - second, second - others)
        looks = (_share(self.runner_up, best - second), _share(self.conjunction, conjunction))
        tied = best - second <= TIE * (best - others)
        # Only a best match that covers every known task term has these looks (see the module docstring).
        whole = (
            max(
                _share(self.complete, best - second),
                _share(self.complete_conjunction, conjunction),
                _share(self.complete_pairs, pair_lead) if pair_lead is not None else 0.0,
            )
            if complete
            else 0.0
        )

        def confident(score: float) -> float:
            crowd_lead = self.confidence(score - others)
            if tied and score >= second:
                return min(crowd_lead, max(looks))
            if score < best:
                return crowd_lead
            return max((crowd_lead, whole, *(look for look in looks if look >= RUNNER_UP_BAR)))

        return confident

    def encode(self) -> bytes:
        """Return the calibration as JSON bytes (persisted beside the router's index)."""
        return json.dumps(
            {
                "format": FORMAT,
                "null": self.null,
                "prior": self.prior,
                "runner_up": self.runner_up,
                "conjunction": self.conjunction,
                "complete": self.complete,
                "complete_conjunction": self.complete_conjunction,
                "complete_pairs": self.complete_pairs,
            }
        ).encode()

    @classmethod
    def decode(cls, payload: bytes) -> Calibration:
        """Return the calibration ``encode`` wrote; raise ``ValueError`` for anything else."""
        data = json.loads(payload)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a calibration of format {FORMAT}")
        keys = (
            "null",
            "prior",
            "runner_up",
            "conjunction",
            "complete",
            "complete_conjunction",
            "complete_pairs",
        )
        lists = [data.get(key) for key in keys]
        return cls(*(tuple(sorted(_finite(values))) for values in lists))

    def confidence(self, score: float) -> float:
        """Return the share of the null sample below ``score`` (ties half), shrunk toward the prior."""
        below, weight = _below(self.null, score)
        if self.prior:
            prior_below, prior_count = _below(self.prior, score)
            below += prior_below / prior_count * PRIOR_WEIGHT
            weight += PRIOR_WEIGHT
        if not weight:
            return 1.0 if score > 0 else 0.0
        return round(below / weight, 4)


def _finite(values: object) -> list[float]:
    """Return ``values`` as floats; raise ``ValueError`` unless it is a list of finite numbers."""
    if not isinstance(values, list):
        raise ValueError("each of a calibration's samples must be a list of scores")
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(values) or not all(math.isfinite(v) for v in numbers):
        raise ValueError("a calibration's scores must be finite numbers")
    return [float(v) for v in numbers]


def _share(values: tuple[float, ...], lead: float) -> float:
    """Return the share of ``values`` below ``lead`` (ties half) over ``n + 1``: 1 minus a p-value.

    The task is one more draw, so a small library, whose few probes say little, cannot reach a high
    bar on a second look alone.
    """
    below, count = _below(values, lead)
    return round(below / (count + 1), 4)


def _below(values: tuple[float, ...], score: float) -> tuple[float, float]:
    """Return how many ``values`` lie below ``score`` (ties counting half), and how many there are."""
    low = bisect.bisect_left(values, score)
    high = bisect.bisect_right(values, score)
    return low + (high - low) / 2, float(len(values))


def calibration_for(
    kind: str, settings: str, pack: SkillPack, build: Callable[[], Calibration], *, persist: bool
) -> Calibration:
    """Return ``pack``'s calibration for router ``kind``: kept in the pack, persisted like an index.

    Scoring the probes costs as much as a few hundred tasks, so a new process (each ``skillpack route``)
    reads it from skillpack's cache instead, keyed by the skills' manifests and the router's settings.
    """
    from skillpack.routing.index import pack_index

    calibration, _ = pack_index(
        pack,
        f"calibration-{kind}",  # not "{kind}-…": that is the router's own index files' pattern
        f"{settings}|{FORMAT}|{MAX_PROBES}|{PRIOR_WEIGHT}",
        build=build,
        encode=Calibration.encode,
        decode=Calibration.decode,
        persist=persist,
    )
    return calibration
