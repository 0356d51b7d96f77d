"""What the embedding routers share: a persisted matrix of skill vectors, cosine scoring and ranking.

A router built on it supplies only its encoder (``build_index`` and ``embed_query``), its index format and
width, and its settings. A skill's score is the best of its text's cosine with the task and (weighted by
``example_weight``) its closest example's; below ``min_similarity`` the router abstains. A match's
confidence is its score's lead over the crowd of other skills, calibrated on the library's own skill texts
and examples, which the index already holds as rows (``skillpack.routing.confidence``).
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from skillpack.routing import confidence, text
from skillpack.routing.base import Match, Ranking, Router
from skillpack.routing.index import expect, expect_names, pack_index

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from skillpack.registry import SkillPack
    from skillpack.skill import Skill

    Matrix = npt.NDArray[np.float32]


class VectorSettings(Protocol):
    """The scoring knobs every vector router has; ``fingerprint`` names what changes the stored index."""

    @property
    def example_weight(self) -> float: ...

    @property
    def min_similarity(self) -> float: ...

    @property
    def prior(self) -> tuple[float, ...]: ...

    def fingerprint(self) -> str: ...


@dataclass(slots=True)
class VectorIndex:
    """The skills' embeddings: one row per skill, plus one per example with the skill it belongs to.

    ``state`` is whatever else the encoder needs at query time (persisted after the matrices when set).
    """

    names: list[str]
    skills: Matrix
    examples: Matrix
    owners: Any  # numpy int32 array: examples row -> skill number
    state: Any = None

    def encode(self, fmt: int) -> bytes:
        fields = (fmt, self.names, self.skills.tobytes(), self.examples.tobytes(), self.owners.tobytes())
        return marshal.dumps(fields if self.state is None else (*fields, self.state))

    @classmethod
    def decode(
        cls, payload: bytes, fmt: int, dim: int, *, names: Collection[str], state_ok: Callable[[Any], bool]
    ) -> VectorIndex:
        """Rebuild the index ``encode`` wrote for the skills ``names``, checking every part of it.

        Raises ``ValueError`` for anything ``encode`` cannot have written (see ``index.expect``): matrices
        of the wrong size, values that are not finite, examples owned by no skill, or a ``state`` that
        ``state_ok`` (the router's own check) refuses.
        """
        import numpy as np

        found = marshal.loads(payload)
        expect(type(found) is tuple and len(found) in (5, 6), "not an index")
        version, stored, skills, examples, owners, *state = found
        if version != fmt:
            raise ValueError(f"index format {str(version)[:20]}, expected {fmt}")
        stored = expect_names(stored, names)
        expect(all(type(part) is bytes for part in (skills, examples, owners)), "the matrices are not bytes")
        owner_array = np.frombuffer(owners, dtype=np.int32)  # ValueError unless a whole number of items
        skill_matrix = np.frombuffer(skills, dtype=np.float32).reshape(len(stored), dim)
        example_matrix = np.frombuffer(examples, dtype=np.float32).reshape(len(owner_array), dim)
        expect(
            bool(np.isfinite(skill_matrix).all() and np.isfinite(example_matrix).all()),
            "a value is not finite",
        )
        expect(
            not len(owner_array) or bool(owner_array.min() >= 0 and owner_array.max() < len(stored)),
            "an example belongs to no skill",
        )
        expect(state_ok(state[0] if state else None), "the router's state is not what it stores")
        return cls(stored, skill_matrix, example_matrix, owner_array, state[0] if state else None)


def example_owners(skills: tuple[Skill, ...]) -> tuple[list[str], Any]:
    """Return every skill's examples in order, and for each the number of the skill it belongs to."""
    import numpy as np

    examples = [example for skill in skills for example in skill.examples]
    owners = np.asarray([n for n, skill in enumerate(skills) for _ in skill.examples], dtype=np.int32)
    return examples, owners


class VectorRouter(Router):
    """Cosine similarity between the task's vector and the skills' (and their examples')."""

    name: str
    FORMAT: ClassVar[int]
    DIM: ClassVar[int]
    settings: VectorSettings
    #: The confidence a match needs to be selected (``skillpack.routing.confidence``).
    min_confidence = confidence.DEFAULT_MIN_CONFIDENCE

    def __init__(self, *, persist: bool, settings: VectorSettings) -> None:
        self.persist = persist
        self.settings = settings

    def build_index(self, skills: tuple[Skill, ...]) -> VectorIndex:
        """Embed ``skills`` (and their examples)."""
        raise NotImplementedError

    def embed_query(self, task: str, index: VectorIndex) -> Any:
        """Return the unit-length vector of ``task``."""
        raise NotImplementedError

    def valid_state(self, state: Any) -> bool:
        """Return True when ``state``, read back from a persisted index, is what ``build_index`` stores.

        The default is for routers that store none; one that keeps a ``state`` says what it looks like.
        """
        return state is None

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        """Embed the pack's skills now (or load them); return notes about how the index was obtained."""
        return self._index(pack, rebuild=rebuild)[1]

    def _index(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[VectorIndex, tuple[str, ...]]:
        return pack_index(
            pack,
            self.name,
            self.settings.fingerprint(),
            build=lambda: self.build_index(pack.skills),
            encode=lambda index: index.encode(self.FORMAT),
            decode=lambda payload: VectorIndex.decode(
                payload,
                self.FORMAT,
                self.DIM,
                names=pack.names,
                state_ok=self.valid_state,
            ),
            persist=self.persist,
            rebuild=rebuild,
        )

    def similarities(
        self, task: str, pack: SkillPack
    ) -> tuple[dict[str, float], dict[str, str], tuple[str, ...]]:
        """Return (skill name -> score, skill name -> where the score came from, notes) for ``task``."""
        import numpy as np

        text.check_task(task)
        notes: tuple[str, ...] = ()
        if len(task) > text.MAX_TASK_CHARS:
            notes = (
                f"the task is {len(task):,} characters; only its first {text.MAX_TASK_CHARS:,} were embedded",
            )
            task = task[: text.MAX_TASK_CHARS]
        index, index_notes = self._index(pack)
        query = self.embed_query(task, index)
        scores, from_examples = self._score(index, query[np.newaxis, :])
        source = ["examples" if flag else "description" for flag in from_examples[0].tolist()]
        return (
            {name: float(value) for name, value in zip(index.names, scores[0].tolist(), strict=True)},
            dict(zip(index.names, source, strict=True)),
            (*index_notes, *notes),
        )

    def _score(self, index: VectorIndex, queries: Matrix) -> tuple[Matrix, Any]:
        """Return each query's score on each skill (rows x skills), and where each came from examples."""
        import numpy as np

        # einsum, not BLAS: a threaded sgemv stalls for milliseconds on a busy 2-core machine.
        scores = np.einsum("ij,qj->qi", index.skills, queries)
        from_examples = np.zeros(scores.shape, dtype=bool)
        if len(index.owners):
            best = np.full(scores.shape, -np.inf, dtype=np.float32)
            by_example = np.einsum("ij,qj->qi", index.examples, queries)
            for row in range(len(queries)):
                np.maximum.at(best[row], index.owners, by_example[row])
            weighted = best * self.settings.example_weight
            from_examples = weighted > scores
            scores = np.maximum(scores, weighted)
        return scores, from_examples

    def probe_scores(self, pack: SkillPack) -> tuple[list[int], Matrix]:
        """Return the owners of the pack's calibration probes and their scores on every skill.

        A probe is a row the index already holds (a skill's text, or an example), so nothing is embedded.
        """
        import numpy as np

        index, _ = self._index(pack)
        found = confidence.probes(pack.skills)
        if not found:
            return [], np.zeros((0, len(index.names)), dtype=np.float32)
        vectors = np.stack(
            [index.skills[p.owner] if p.example < 0 else index.examples[p.example] for p in found]
        )
        return [p.owner for p in found], self._score(index, vectors)[0]

    def calibration(self, pack: SkillPack) -> confidence.Calibration:
        """Return the null of this pack: each probe's best score on a skill other than its own."""

        def build() -> confidence.Calibration:
            owners, rows = self.probe_scores(pack)
            return confidence.Calibration.from_scores(owners, rows.tolist(), prior=self.settings.prior)

        settings = f"{self.settings.fingerprint()}|{self.settings.example_weight}|{self.settings.prior}"
        return confidence.calibration_for(self.name, settings, pack, build, persist=self.persist)

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        k = text.check_k(k)
        scores, sources, notes = self.similarities(task, pack)
        ordered = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
        if not ordered or ordered[0][1] < self.settings.min_similarity:
            best = ordered[0][1] if ordered else 0.0
            return Ranking(self.name, (), notes=(*notes, f"best similarity {best:.3f} is too low; abstained"))
        calibration = self.calibration(pack)
        confident = calibration.for_task(scores.values(), size=len(scores))
        matches = tuple(
            Match(
                pack.get(name),
                score,
                (f"{sources[name]}: cosine {score:.3f}",),
                confident(score),
            )
            for name, score in ordered[:k]
            if score >= self.settings.min_similarity
        )
        return Ranking(self.name, matches, notes=notes)
