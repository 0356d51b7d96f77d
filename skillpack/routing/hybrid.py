"""The hybrid router: fuse the lexical and the embedding routers' scores.

Each router's scores are first made comparable: lexical BM25F scores are divided by the best one for the
task (so they lie in [0, 1]), embedding cosines are min-max scaled over the skills. The fused score is
``weight * lexical + (1 - weight) * embedding``; ``weight`` was tuned on the MetaTool dev split only (see
docs/BENCHMARKS.md). Reciprocal-rank fusion is available as ``fusion="rrf"``. The hybrid router abstains
only when both routers would.

Confidence cannot come from the fused score, which is relative to the task's best match (the top is near 1
whatever the task). It comes from the absolute evidence ``weight * coverage + (1 - weight) * cosine`` (the
lexical score over the task's ideal score, and the raw cosine), calibrated on the library's own probes like
every router's (``skillpack.routing.confidence``).

With ``dense_weight > 0`` (the ``hybrid-dense`` router), the transformer encoder of the ``dense`` router
is fused too, its cosines min-max scaled like the static model's: ``weight * lexical + dense_weight *
dense + (1 - weight - dense_weight) * embedding``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from skillpack.errors import UsageError
from skillpack.routing import confidence, text
from skillpack.routing.base import Match, Ranking, Router
from skillpack.routing.embedding import EmbeddingRouter, EmbeddingSettings
from skillpack.routing.lexical import LexicalRouter, LexicalSettings

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.routing.dense import DenseRouter, DenseSettings

#: The constant of reciprocal-rank fusion (Cormack et al., 2009).
RRF_K = 60


#: Deciles of the null (best wrong lead over the crowd) of the open-set MetaTool and bundled libraries.
HYBRID_PRIOR = (0.04, 0.055, 0.07, 0.083, 0.096, 0.109, 0.13, 0.15, 0.2)


@dataclass(frozen=True, slots=True)
class HybridSettings:
    weight: float = 0.2
    fusion: Literal["score", "rrf"] = "score"
    dense_weight: float = 0.0
    #: The null quantiles a library's own probes are shrunk toward (``skillpack.routing.confidence``).
    prior: tuple[float, ...] = HYBRID_PRIOR

    def __post_init__(self) -> None:
        if not (self.weight >= 0 and self.dense_weight >= 0 and self.weight + self.dense_weight <= 1):
            raise UsageError(
                f"hybrid weights must be >= 0 and sum to at most 1, got weight={self.weight}"
                f" and dense_weight={self.dense_weight}"
            )


#: The settings of the ``hybrid-dense`` router, tuned on the MetaTool dev split (see docs/BENCHMARKS.md).
DENSE_SETTINGS = HybridSettings(weight=0.15, dense_weight=0.45)


class HybridRouter(Router):
    """Lexical and embedding scores, fused (needs ``skillpack[embed]``)."""

    name = "hybrid"
    #: The confidence a match needs to be selected (``skillpack.routing.confidence``).
    min_confidence = confidence.DEFAULT_MIN_CONFIDENCE

    def __init__(
        self,
        *,
        persist: bool = True,
        settings: HybridSettings | None = None,
        lexical: LexicalSettings | None = None,
        embedding: EmbeddingSettings | None = None,
        dense: DenseSettings | None = None,
    ) -> None:
        self.settings = settings or HybridSettings()
        self.lexical = LexicalRouter(persist=persist, settings=lexical)
        self.embedding = EmbeddingRouter(persist=persist, settings=embedding)
        self.dense: DenseRouter | None = None
        if self.settings.dense_weight > 0:
            from skillpack.routing.dense import DenseRouter

            self.dense = DenseRouter(persist=persist, settings=dense)

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        """Build (or load) both indexes for ``pack``; return their notes."""
        notes = (*self.lexical.prepare(pack, rebuild=rebuild), *self.embedding.prepare(pack, rebuild=rebuild))
        if self.dense is not None:
            notes = (*notes, *self.dense.prepare(pack, rebuild=rebuild))
        return notes

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        k = text.check_k(k)
        totals, ideal, found, lexical_notes = self.lexical.scores(task, pack)
        cosines, sources, embedding_notes = self.embedding.similarities(task, pack)
        dense: dict[str, float] = {}
        dense_notes: tuple[str, ...] = ()
        if self.dense is not None:
            dense, _, dense_notes = self.dense.similarities(task, pack)
        notes = tuple(dict.fromkeys((*lexical_notes, *embedding_notes, *dense_notes)))
        index, _ = self.lexical._index(pack)
        lexical = {index.names[doc]: score for doc, score in totals.items() if score > 0}
        numbers = {index.names[doc]: doc for doc in totals}
        lexical_best = max(lexical.values(), default=0.0)
        embedding_best = max(cosines.values(), default=0.0)
        lexical_abstains = not lexical or lexical_best / (ideal or 1.0) < self.lexical.settings.min_confidence
        if lexical_abstains and embedding_best < self.embedding.settings.min_similarity:
            return Ranking(
                self.name, (), notes=(*notes, "neither lexical nor embedding evidence is strong enough")
            )
        fused = self._fuse(lexical, cosines, dense)
        ordered = sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
        calibration = self.calibration(pack)
        base = self.lexical.coverage_base(ideal, pack)
        coverage = {name: score / base for name, score in lexical.items()}
        evidence = self._evidence(coverage, cosines, dense)
        best = _best(evidence)
        complete = best is not None and best in numbers and index.covers(numbers[best], found)
        pair_lead = None
        if complete and best is not None:  # the word-pair look is the complete look's; no other needs the 2nd
            second = _best(evidence, leaving=(best,))
            if second in numbers:
                pair_lead = self.lexical.pair_lead(pack, task, found, [numbers[best], numbers[second]])
        confident = calibration.for_task(
            evidence.values(), size=len(evidence), complete=complete, pair_lead=pair_lead
        )
        matches = []
        for name, score in ordered:
            skill = pack.get(name)
            lexical_evidence = index.evidence(skill, found) if name in lexical else ()
            matches.append(
                Match(
                    skill,
                    score,
                    (
                        *lexical_evidence,
                        f"embedding ({sources[name]}): cosine {cosines[name]:.3f}",
                        *((f"dense: cosine {dense[name]:.3f}",) if name in dense else ()),
                    ),
                    confident(evidence[name]),
                    index.contributions(numbers[name], found) if name in lexical else (),
                )
            )
        return Ranking(self.name, tuple(matches), notes=notes)

    def _evidence(
        self, coverage: dict[str, float], cosines: dict[str, float], dense: dict[str, float]
    ) -> dict[str, float]:
        """Return each skill's absolute evidence: the routers' raw scores, weighted as in fusion."""
        weight, dense_weight = self.settings.weight, self.settings.dense_weight if dense else 0.0
        return {
            name: weight * coverage.get(name, 0.0)
            + (1.0 - weight - dense_weight) * cosine
            + dense_weight * dense.get(name, 0.0)
            for name, cosine in cosines.items()
        }

    def calibration(self, pack: SkillPack) -> confidence.Calibration:
        """Return the null of this pack for the fused absolute evidence (see the module docstring)."""

        def build() -> confidence.Calibration:
            found = confidence.probes(pack.skills)
            owners, embedded = self.embedding.probe_scores(pack)
            names = [skill.name for skill in pack.skills]
            position = {name: number for number, name in enumerate(names)}  # a skill's lexical doc number
            dense_rows = self.dense.probe_scores(pack)[1].tolist() if self.dense is not None else None
            index, _ = self.lexical._index(pack)
            rows, complete, pair_leads = [], [], []
            for number, probe in enumerate(found):
                totals, ideal, query, _ = self.lexical.scores(probe.text, pack)
                base = self.lexical.coverage_base(ideal, pack)
                coverage = {index.names[d]: max(s, 0.0) / base for d, s in totals.items()}
                cosines = dict(zip(names, embedded[number].tolist(), strict=True))
                dense = dict(zip(names, dense_rows[number], strict=True)) if dense_rows is not None else {}
                evidence = self._evidence(coverage, cosines, dense)
                rows.append([evidence[name] for name in names])
                best = _best(evidence, leaving=(names[probe.owner],))
                complete.append(best is not None and index.covers(position[best], query, owner=probe.owner))
                second = _best(evidence, leaving=(names[probe.owner], best)) if complete[-1] else None
                pair_leads.append(
                    self.lexical.pair_lead(
                        pack, probe.text, query, [position[best], position[second]], owner=probe.owner
                    )
                    if best is not None and second is not None
                    else None
                )
            return confidence.Calibration.from_scores(
                owners, rows, prior=self.settings.prior, complete=complete, pair_leads=pair_leads
            )

        dense_settings = self.dense.settings if self.dense is not None else None
        settings = f"{self.settings}|{self.lexical._fingerprint}|{self.embedding.settings}|{dense_settings}"
        return confidence.calibration_for(self.name, settings, pack, build, persist=self.lexical.persist)

    def _fuse(
        self, lexical: dict[str, float], cosines: dict[str, float], dense: dict[str, float]
    ) -> dict[str, float]:
        weight, dense_weight = self.settings.weight, self.settings.dense_weight if dense else 0.0
        if self.settings.fusion == "rrf":
            fused = {name: 0.0 for name in cosines}
            shares = ((lexical, weight), (cosines, 1.0 - weight - dense_weight), (dense, dense_weight))
            for scores, share in shares:
                ordered = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
                for rank, (name, _) in enumerate(ordered, start=1):
                    fused[name] += share / (RRF_K + rank)
            return fused
        top = max(lexical.values(), default=0.0) or 1.0
        embedding = _min_max(cosines)
        scaled_dense = _min_max(dense)
        return {
            name: weight * lexical.get(name, 0.0) / top
            + (1.0 - weight - dense_weight) * embedding[name]
            + dense_weight * scaled_dense.get(name, 0.0)
            for name in cosines
        }


def _best(evidence: dict[str, float], *, leaving: Collection[str | None] = ()) -> str | None:
    """Return the skill with the most ``evidence`` (ties: the first name), other than those ``leaving``."""
    ranked = [(-score, name) for name, score in evidence.items() if name not in leaving]
    return min(ranked)[1] if ranked else None


def _min_max(scores: dict[str, float]) -> dict[str, float]:
    """Return ``scores`` scaled to [0, 1] over the skills (all 0 when they are all equal)."""
    low, high = min(scores.values(), default=0.0), max(scores.values(), default=0.0)
    spread = (high - low) or 1.0
    return {name: (score - low) / spread for name, score in scores.items()}


class HybridDenseRouter(HybridRouter):
    """Lexical, static-embedding and MiniLM scores fused (needs ``skillpack[embed]`` and the MiniLM wheel)."""

    name = "hybrid-dense"

    def __init__(self, *, persist: bool = True, settings: HybridSettings | None = None, **parts: Any) -> None:
        super().__init__(persist=persist, settings=settings or DENSE_SETTINGS, **parts)
