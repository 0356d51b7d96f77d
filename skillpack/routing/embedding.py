"""The embedding router: cosine similarity between the task and each skill, with an offline static model.

The model is WordLlama (``pip install 'skillpack[embed]'``), whose weights and tokenizer ship inside its
wheel; it is loaded from the package's own folder with downloads disabled, so routing never touches the
network. A skill is embedded as its name, description, when_to_use and tags; each of its ``examples`` is
embedded too, and the skill's score is the best of the description's similarity and (weighted) its
closest example's. The matrices are persisted beside the lexical index, keyed by the manifests' hash.

WordLlama averages its token vectors; here the average is weighted by each token's inverse document
frequency over the library's skills (to the power ``idf_power``), a SIF-style weighting that lets the
words that tell skills apart count more than the ones every skill shares. Tokens no skill uses get
``unseen_weight``.
"""

from __future__ import annotations

import functools
import marshal
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.errors import MissingExtraError, SkillpackError
from skillpack.routing import text
from skillpack.routing.base import Match, Ranking
from skillpack.routing.index import content_key, load_or_build

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from skillpack.registry import SkillPack
    from skillpack.skill import Skill

    Matrix = npt.NDArray[np.float32]

FORMAT = 1
MODEL = "l2_supercat"
DIM = 256


@dataclass(frozen=True, slots=True)
class EmbeddingSettings:
    """Scoring knobs; the defaults were tuned on the MetaTool dev split (see docs/BENCHMARKS.md)."""

    example_weight: float = 0.7
    min_similarity: float = 0.2
    idf_power: float = 0.5
    unseen_weight: float = 1.5

    def fingerprint(self) -> str:
        # Only what changes the stored matrices belongs in the key; the rest applies at query time.
        return f"{MODEL}|{DIM}|{self.idf_power}|{self.unseen_weight}|format={FORMAT}"


@functools.cache
def load_model() -> Any:
    """Return the WordLlama model, loaded from the files inside the installed package (never downloaded)."""
    try:
        import wordllama
    except ImportError:
        raise MissingExtraError("the embedding router", "embed", "wordllama") from None
    folder = Path(wordllama.__file__).parent
    try:
        return wordllama.WordLlama.load(MODEL, cache_dir=folder, dim=DIM, disable_download=True)
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise SkillpackError(
            f"wordllama's bundled {MODEL} model cannot be loaded from {folder} ({exc}) — reinstall it with: "
            "pip install --force-reinstall 'skillpack[embed]'"
        ) from None


def tokenize(texts: list[str]) -> list[list[int]]:
    """Return the model's token ids of each text (no padding, no special tokens)."""
    model = load_model()
    encoded = model.tokenizer.encode_batch(texts, add_special_tokens=False)
    limit = model.embedding.shape[0] - 1
    return [[min(i, limit) for i, keep in zip(e.ids, e.attention_mask, strict=True) if keep] for e in encoded]


def token_weights(documents: list[list[int]], settings: EmbeddingSettings) -> dict[int, float]:
    """Return token id -> idf ** idf_power over ``documents`` (one token list per skill)."""
    n = len(documents)
    df: Counter[int] = Counter(token for document in documents for token in set(document))
    return {
        token: math.log(1.0 + (n - count + 0.5) / (count + 0.5)) ** settings.idf_power
        for token, count in df.items()
    }


def embed(texts: list[str], weights: dict[int, float], unseen: float) -> Matrix:
    """Return unit-length, idf-weighted mean token embeddings of ``texts`` (one row each)."""
    import numpy as np

    table = load_model().embedding
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, tokens in enumerate(tokenize(texts)):
        if not tokens:
            continue
        w = np.asarray([weights.get(token, unseen) for token in tokens], dtype=np.float32)
        vector = w @ table[tokens]
        length = float(np.linalg.norm(vector))
        if length > 0:
            out[row] = vector / length
    return out


def skill_text(skill: Skill) -> str:
    """Return the text that stands for ``skill``: its name words, description, when_to_use and tags."""
    parts = [" ".join(text.words(skill.name)), skill.description, skill.when_to_use, ", ".join(skill.tags)]
    return "\n".join(part for part in parts if part)


@dataclass(slots=True)
class EmbeddingIndex:
    """The skills' embeddings: one row per skill, plus one per example with the skill it belongs to."""

    names: list[str]
    skills: Matrix
    examples: Matrix
    owners: Any  # numpy int32 array: examples row -> skill number
    weights: dict[int, float]

    def encode(self) -> bytes:
        return marshal.dumps(
            (
                FORMAT,
                self.names,
                self.skills.tobytes(),
                self.examples.tobytes(),
                self.owners.tobytes(),
                self.weights,
            )
        )

    @classmethod
    def decode(cls, payload: bytes) -> EmbeddingIndex:
        import numpy as np

        fmt, names, skills, examples, owners, weights = marshal.loads(payload)
        if fmt != FORMAT:
            raise ValueError(f"index format {fmt}, expected {FORMAT}")
        skill_matrix = np.frombuffer(skills, dtype=np.float32).reshape(len(names), DIM)
        owner_array = np.frombuffer(owners, dtype=np.int32)
        example_matrix = np.frombuffer(examples, dtype=np.float32).reshape(len(owner_array), DIM)
        return cls(names, skill_matrix, example_matrix, owner_array, weights)


def build_index(skills: tuple[Skill, ...], settings: EmbeddingSettings) -> EmbeddingIndex:
    import numpy as np

    texts = [skill_text(skill) for skill in skills]
    weights = token_weights(tokenize(texts), settings)
    example_texts = [example for skill in skills for example in skill.examples]
    owners = np.asarray([n for n, skill in enumerate(skills) for _ in skill.examples], dtype=np.int32)
    return EmbeddingIndex(
        [skill.name for skill in skills],
        embed(texts, weights, settings.unseen_weight),
        embed(example_texts, weights, settings.unseen_weight),
        owners,
        weights,
    )


class EmbeddingRouter:
    """Cosine similarity over WordLlama embeddings of the skills (and their examples)."""

    name = "embedding"

    def __init__(self, *, persist: bool = True, settings: EmbeddingSettings | None = None) -> None:
        self.persist = persist
        self.settings = settings or EmbeddingSettings()
        load_model()  # fail now, with the pip command, rather than at the first task

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        """Embed the pack's skills now (or load them); return notes about how the index was obtained."""
        return self._index(pack, rebuild=rebuild)[1]

    def _index(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[EmbeddingIndex, tuple[str, ...]]:
        fingerprint = self.settings.fingerprint()

        def build() -> tuple[EmbeddingIndex, tuple[str, ...]]:
            skills = pack.skills
            loaded = load_or_build(
                self.name,
                content_key(self.name, fingerprint, skills),
                build=lambda: build_index(skills, self.settings),
                encode=EmbeddingIndex.encode,
                decode=EmbeddingIndex.decode,
                persist=self.persist,
                rebuild=rebuild,
            )
            return loaded.value, loaded.notes

        # A pack never changes its skills, so one index per (pack, settings) is enough.
        result: tuple[EmbeddingIndex, tuple[str, ...]] = pack.cache(f"{self.name}:{fingerprint}", build)
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
        query = embed([task], index.weights, self.settings.unseen_weight)[0]
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
