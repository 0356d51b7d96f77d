"""The hybrid router: fuse the lexical and the embedding routers' scores.

Each router's scores are first made comparable: lexical BM25F scores are divided by the best one for the
task (so they lie in [0, 1]), embedding cosines are min-max scaled over the skills. The fused score is
``weight * lexical + (1 - weight) * embedding``; ``weight`` was tuned on the MetaTool dev split only (see
docs/BENCHMARKS.md). Reciprocal-rank fusion is available as ``fusion="rrf"``. The hybrid router abstains
only when both routers would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from skillpack.routing import text
from skillpack.routing.base import Match, Ranking
from skillpack.routing.embedding import EmbeddingRouter, EmbeddingSettings
from skillpack.routing.lexical import LexicalRouter, LexicalSettings

if TYPE_CHECKING:
    from skillpack.registry import SkillPack

#: The constant of reciprocal-rank fusion (Cormack et al., 2009).
RRF_K = 60


@dataclass(frozen=True, slots=True)
class HybridSettings:
    weight: float = 0.2
    fusion: Literal["score", "rrf"] = "score"


class HybridRouter:
    """Lexical and embedding scores, fused."""

    name = "hybrid"

    def __init__(
        self,
        *,
        persist: bool = True,
        settings: HybridSettings | None = None,
        lexical: LexicalSettings | None = None,
        embedding: EmbeddingSettings | None = None,
    ) -> None:
        self.settings = settings or HybridSettings()
        self.lexical = LexicalRouter(persist=persist, settings=lexical)
        self.embedding = EmbeddingRouter(persist=persist, settings=embedding)

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        """Build (or load) both indexes for ``pack``; return their notes."""
        return (*self.lexical.prepare(pack, rebuild=rebuild), *self.embedding.prepare(pack, rebuild=rebuild))

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        k = text.check_k(k)
        totals, ideal, found, lexical_notes = self.lexical.scores(task, pack)
        cosines, sources, embedding_notes = self.embedding.similarities(task, pack)
        notes = tuple(dict.fromkeys((*lexical_notes, *embedding_notes)))
        index, _ = self.lexical._index(pack)
        lexical = {index.names[doc]: score for doc, score in totals.items() if score > 0}
        lexical_best = max(lexical.values(), default=0.0)
        embedding_best = max(cosines.values(), default=0.0)
        lexical_abstains = not lexical or lexical_best / (ideal or 1.0) < self.lexical.settings.min_confidence
        if lexical_abstains and embedding_best < self.embedding.settings.min_similarity:
            return Ranking(
                self.name, (), notes=(*notes, "neither lexical nor embedding evidence is strong enough")
            )
        fused = self._fuse(lexical, cosines)
        ordered = sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
        matches = []
        for name, score in ordered:
            skill = pack.get(name)
            lexical_evidence = index.evidence(skill, found) if name in lexical else ()
            matches.append(
                Match(
                    skill,
                    score,
                    (*lexical_evidence, f"embedding ({sources[name]}): cosine {cosines[name]:.3f}"),
                )
            )
        return Ranking(self.name, tuple(matches), notes=notes)

    def _fuse(self, lexical: dict[str, float], cosines: dict[str, float]) -> dict[str, float]:
        weight = self.settings.weight
        if self.settings.fusion == "rrf":
            fused = {name: 0.0 for name in cosines}
            for scores, share in ((lexical, weight), (cosines, 1.0 - weight)):
                ordered = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
                for rank, (name, _) in enumerate(ordered, start=1):
                    fused[name] += share / (RRF_K + rank)
            return fused
        top = max(lexical.values(), default=0.0) or 1.0
        low, high = min(cosines.values(), default=0.0), max(cosines.values(), default=0.0)
        spread = (high - low) or 1.0
        return {
            name: weight * lexical.get(name, 0.0) / top + (1.0 - weight) * (cosine - low) / spread
            for name, cosine in cosines.items()
        }
