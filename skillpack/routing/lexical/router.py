"""The lexical router: ranks skills by BM25F over their manifests, and abstains when the evidence is thin.

It abstains when no task term occurs in any skill, when only numbers or single letters do, or when the
best skill's score, divided by the score a skill matching every task term would get, is below
``settings.min_confidence`` (a loose floor tuned on a dev split). Each match's confidence is its coverage (the score over that
ideal score plus one unseen term's, ``coverage_base``) above the crowd's, calibrated on the library's
own texts (``skillpack.routing.confidence``); ``select`` applies the bar. Each match also says which
task terms it rests on and how much each weighed (``Match.matched``), so selection can tell a
look-alike from a skill the task names.
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import TYPE_CHECKING

from skillpack.routing import confidence, text
from skillpack.routing.base import Match, Ranking, Router
from skillpack.routing.index import pack_index
from skillpack.routing.lexical.incremental import build_index
from skillpack.routing.lexical.index import LexicalIndex, LexicalSettings, accumulate

if TYPE_CHECKING:
    from skillpack.registry import SkillPack


class LexicalRouter(Router):
    """BM25F over the skill manifests, with an inverted index built once per pack and persisted."""

    name = "lexical"
    #: Selection drops matches scoring below this fraction of the best one: the largest value that lost
    #: no recall@5 on a 1,500-query sample of the MetaTool dev split (0.30 lost 0.2 points).
    relative_floor = 0.25
    #: The confidence a match needs to be selected (chosen on the open-set dev splits).
    min_confidence = confidence.DEFAULT_MIN_CONFIDENCE

    def __init__(self, *, persist: bool = True, settings: LexicalSettings | None = None) -> None:
        self.persist = persist
        self.settings = settings or LexicalSettings()
        self._fingerprint = self.settings.fingerprint()

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        """Build (or load) the index for ``pack`` now; return notes about how it was obtained."""
        return self._index(pack, rebuild=rebuild)[1]

    def _index(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[LexicalIndex, tuple[str, ...]]:
        return pack_index(
            pack,
            self.name,
            self._fingerprint,
            build=lambda: build_index(pack.skills, self.settings),
            encode=LexicalIndex.encode,
            decode=lambda payload: LexicalIndex.decode(payload, names=pack.names),
            persist=self.persist,
            rebuild=rebuild,
        )

    def scores(
        self, task: str, pack: SkillPack
    ) -> tuple[dict[int, float], float, dict[str, float], tuple[str, ...]]:
        """Return (skill number -> score, the score of a perfect match, term -> weight, notes) for ``task``.

        The terms are the task's, plus the indexed words an unknown task word was expanded to.
        """
        index, notes = self._index(pack)
        found, cut = text.task_terms(text.check_task(task))
        weights = Counter(found)
        settings = self.settings
        query: dict[str, float] = {}
        ideal = 0.0
        for term, count in weights.items():
            # Repeats count more, with saturation; rarer terms weigh more (idf ** query_idf_power).
            idf = index.idf.get(term, index.unseen_idf)
            weight = 2.0 * count / (1.0 + count) * idf**settings.query_idf_power
            ideal += weight * idf
            query[term] = query.get(term, 0.0) + weight
            # A word no skill uses may still share its stem's beginning with one that does
            # ("photograph" / "photo"): match those, discounted.
            for known in index.expand(term) if settings.prefix_weight else ():
                query[known] = query.get(known, 0.0) + settings.prefix_weight * weight
        totals = accumulate(index, query)
        return totals, ideal, query, (*notes, *cut)

    def coverage_base(self, ideal: float, pack: SkillPack) -> float:
        """Return what a task's score is divided by for confidence: its ideal score, plus the prior's terms.

        The prior is ``coverage_prior`` terms that no skill uses, each weighted as the task's terms are.
        """
        unseen = self._index(pack)[0].unseen_idf
        return ideal + self.settings.coverage_prior * unseen ** (1.0 + self.settings.query_idf_power) or 1.0

    def calibration(self, pack: SkillPack) -> confidence.Calibration:
        """Return the null of this pack: each probe's best coverage above the crowd, its owner left out."""

        def build() -> confidence.Calibration:
            index, _ = self._index(pack)
            rows, complete, pair_leads = [], [], []
            for probe in confidence.probes(pack.skills):
                totals, ideal, query, _ = self.scores(probe.text, pack)
                base = self.coverage_base(ideal, pack)
                rows.append([max(s, 0.0) / base for d, s in totals.items() if d != probe.owner])
                others = heapq.nlargest(2, ((s, -d) for d, s in totals.items() if d != probe.owner and s > 0))
                complete.append(bool(others) and index.covers(-others[0][1], query, owner=probe.owner))
                pair_leads.append(
                    self.pair_lead(pack, probe.text, query, [-d for _, d in others], owner=probe.owner)
                )
            return confidence.Calibration.from_others(
                rows,
                n_skills=len(pack),
                size=len(pack) - 1,
                prior=self.settings.prior,
                complete=complete,
                pair_leads=pair_leads,
            )

        return confidence.calibration_for(self.name, self._fingerprint, pack, build, persist=self.persist)

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        k = text.check_k(k)
        totals, ideal, found, notes = self.scores(task, pack)
        # Best first; equal scores in the index's (stable) skill order.
        best = heapq.nlargest(k, ((score, -doc) for doc, score in totals.items() if score > 0))
        if not best:
            return Ranking(self.name, (), notes=(*notes, "no task term occurs in any skill; abstained"))
        index, _ = self._index(pack)
        if all(_names_no_topic(term) for term in found if term in index.postings):
            # Numbers and single letters alone name no topic: "what is 2+2" shares only "2" with a
            # versioning skill, and the task "x" only the "x" of "1.x" with it.
            return Ranking(
                self.name,
                (),
                notes=(*notes, "only numbers or single letters in the task occur in any skill; abstained"),
            )
        coverage = best[0][0] / ideal if ideal else 0.0
        if coverage < self.settings.min_confidence:
            return Ranking(
                self.name,
                (),
                notes=(*notes, f"best match too weak (coverage {coverage:.3f}); abstained"),
                extra={"coverage": coverage},
            )
        calibration = self.calibration(pack)
        base = self.coverage_base(ideal, pack)
        complete = index.covers(-best[0][1], found)
        confident = calibration.for_task(
            (max(s, 0.0) / base for s in totals.values()),
            size=len(pack),
            complete=complete,
            pair_lead=self.pair_lead(pack, task, found, [-d for _, d in best[:2]]) if complete else None,
        )
        wanted = set(found)
        matches = tuple(
            Match(
                skill,
                score,
                index.evidence(skill, wanted),
                confident(score / base),
                index.contributions(-doc, found),
            )
            for score, doc in best
            for skill in (pack.get(index.names[-doc]),)
        )
        return Ranking(self.name, matches, notes=notes, extra={"coverage": coverage})

    def pair_lead(
        self,
        pack: SkillPack,
        task: str,
        query: dict[str, float],
        docs: list[int],
        *,
        owner: int | None = None,
    ) -> float | None:
        """Return how much more of ``task``'s word pairs the first of ``docs`` has than the second.

        None unless both skills cover every task term the library knows (with ``owner``, that a skill other
        than ``owner`` uses): the calibration's word-pair look is for two skills the task's words match alike.
        The lead is a share of the weight of those known terms, so words no skill uses do not dilute it.
        """
        index, _ = self._index(pack)
        if len(docs) < 2 or not all(index.covers(doc, query, owner=owner) for doc in docs[:2]):
            return None
        pairs = text.adjacent_pairs(text.task_terms(task)[0])
        first, second = (index.pair_score(pack.get(index.names[doc]), pairs, query) for doc in docs[:2])
        known = sum(weight for term, weight in query.items() if index.known(term, owner=owner))
        return (first - second) / known if known else 0.0


def _names_no_topic(term: str) -> bool:
    """Return True for a term that cannot name a topic on its own: a number or a single character."""
    return term.isdigit() or len(term) == 1
