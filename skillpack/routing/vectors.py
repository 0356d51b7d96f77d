"""What the embedding routers share: a persisted matrix of skill vectors, cosine scoring and ranking.

A router built on it supplies only its encoder (``build_index`` and ``embed_query``), its index format and
width, and its settings. A skill's score is the best of its text's cosine with the task and (weighted by
``example_weight``) its closest example's; below ``min_similarity`` the router abstains.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from skillpack.routing import text
from skillpack.routing.base import Match, Ranking
from skillpack.routing.index import content_key, expect, expect_names, load_or_build

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


class VectorRouter:
    """Cosine similarity between the task's vector and the skills' (and their examples')."""

    name: str
    FORMAT: ClassVar[int]
    DIM: ClassVar[int]
    settings: VectorSettings

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
        fingerprint = self.settings.fingerprint()

        def build() -> tuple[VectorIndex, tuple[str, ...]]:
            skills = pack.skills
            loaded = load_or_build(
                self.name,
                content_key(self.name, fingerprint, skills),
                build=lambda: self.build_index(skills),
                encode=lambda index: index.encode(self.FORMAT),
                decode=lambda payload: VectorIndex.decode(
                    payload,
                    self.FORMAT,
                    self.DIM,
                    names=[skill.name for skill in skills],
                    state_ok=self.valid_state,
                ),
                persist=self.persist,
                rebuild=rebuild,
            )
            return loaded.value, loaded.notes

        # A pack never changes its skills, so one index per (pack, settings) is enough.
        result: tuple[VectorIndex, tuple[str, ...]] = pack.cache(f"{self.name}:{fingerprint}", build)
        return result

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
        # einsum, not BLAS: a threaded sgemv stalls for milliseconds on a busy 2-core machine.
        scores = np.einsum("ij,j->i", index.skills, query)
        source = ["description"] * len(index.names)
        if len(index.owners):
            best = np.full(len(index.names), -np.inf, dtype=np.float32)
            np.maximum.at(best, index.owners, np.einsum("ij,j->i", index.examples, query))
            weighted = best * self.settings.example_weight
            for number in np.flatnonzero(weighted > scores):
                source[number] = "examples"
            scores = np.maximum(scores, weighted)
        return (
            {name: float(value) for name, value in zip(index.names, scores.tolist(), strict=True)},
            dict(zip(index.names, source, strict=True)),
            (*index_notes, *notes),
        )

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        k = text.check_k(k)
        scores, sources, notes = self.similarities(task, pack)
        ordered = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
        if not ordered or ordered[0][1] < self.settings.min_similarity:
            best = ordered[0][1] if ordered else 0.0
            return Ranking(self.name, (), notes=(*notes, f"best similarity {best:.3f} is too low; abstained"))
        matches = tuple(
            Match(pack.get(name), score, (f"{sources[name]}: cosine {score:.3f}",))
            for name, score in ordered[:k]
            if score >= self.settings.min_similarity
        )
        return Ranking(self.name, matches, notes=notes)
