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
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.errors import MissingExtraError, SkillpackError
from skillpack.routing import text
from skillpack.routing.vectors import VectorIndex, VectorRouter, example_owners

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from skillpack.skill import Skill

    Matrix = npt.NDArray[np.float32]

FORMAT = 1
MODEL = "l2_supercat"
DIM = 256


#: Deciles of the null (best wrong lead over the crowd) of the open-set MetaTool and bundled libraries.
EMBEDDING_PRIOR = (0.044, 0.062, 0.074, 0.084, 0.1, 0.117, 0.136, 0.166, 0.208)


@dataclass(frozen=True, slots=True)
class EmbeddingSettings:
    """Scoring knobs; the defaults were tuned on the MetaTool dev split (see docs/BENCHMARKS.md)."""

    example_weight: float = 0.7
    min_similarity: float = 0.2
    #: The null quantiles a library\'s own probes are shrunk toward (``skillpack.routing.confidence``).
    prior: tuple[float, ...] = EMBEDDING_PRIOR
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
    except ImportError as exc:
        raise MissingExtraError("the embedding router", "embed", "wordllama") from exc
    folder = Path(wordllama.__file__).parent
    try:
        return wordllama.WordLlama.load(MODEL, cache_dir=folder, dim=DIM, disable_download=True)
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise SkillpackError(
            f"wordllama's bundled {MODEL} model cannot be loaded from {folder} ({exc}) — reinstall it with: "
            "pip install --force-reinstall 'skillpack[embed]'"
        ) from exc


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


class EmbeddingRouter(VectorRouter):
    """Cosine similarity over WordLlama embeddings of the skills (and their examples)."""

    name = "embedding"
    FORMAT = FORMAT
    DIM = DIM
    settings: EmbeddingSettings

    def __init__(self, *, persist: bool = True, settings: EmbeddingSettings | None = None) -> None:
        super().__init__(persist=persist, settings=settings or EmbeddingSettings())
        load_model()  # fail now, with the pip command, rather than at the first task

    def build_index(self, skills: tuple[Skill, ...]) -> VectorIndex:
        """Embed ``skills``; the index's state is the token weights, which queries need too."""
        texts = [skill_text(skill) for skill in skills]
        weights = token_weights(tokenize(texts), self.settings)
        examples, owners = example_owners(skills)
        return VectorIndex(
            [skill.name for skill in skills],
            embed(texts, weights, self.settings.unseen_weight),
            embed(examples, weights, self.settings.unseen_weight),
            owners,
            weights,
        )

    def valid_state(self, state: Any) -> bool:
        """Return True when ``state`` is token weights as ``build_index`` stores them (token id -> weight)."""
        return type(state) is dict and all(
            type(token) is int and type(weight) is float and math.isfinite(weight)
            for token, weight in state.items()
        )

    def embed_query(self, task: str, index: VectorIndex) -> Matrix:
        vector: Matrix = embed([task], index.state, self.settings.unseen_weight)[0]
        return vector
