"""The default router: BM25F over a skill's name, description, when_to_use, tags and examples.

Each field is a separate stream with its own weight and length normalisation (BM25F); the per-term score
of every skill is computed once, at index time, so a query only walks the posting lists of its own
terms. Words in ``when_not_to_use`` and ``counter_examples`` that the skill's positive fields do not
also use count against it. Names are split on hyphens, underscores and camelCase, and a name written as
one word (``airqualityforecast``) is also split into the words the library itself uses.

The router abstains when no task term occurs in any skill, or when the best skill's score, divided by the
score a skill matching every task term would get, is below ``min_confidence`` (tuned on a dev split; the
ratio is what transfers across libraries of different sizes).
"""

from __future__ import annotations

import heapq
import marshal
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from skillpack.routing import text
from skillpack.routing.base import Match, Ranking
from skillpack.routing.index import content_key, load_or_build

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.skill import Skill

FIELDS = ("name", "description", "when_to_use", "tags", "examples")
FORMAT = 1
#: An unknown task term matches indexed terms sharing at least this many leading characters with it.
PREFIX_LENGTH = 4


@dataclass(frozen=True, slots=True)
class LexicalSettings:
    """The scoring knobs; the defaults were tuned on the MetaTool dev split (see docs/BENCHMARKS.md)."""

    k1: float = 2.0
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "name": 3.0,
            "description": 1.0,
            "when_to_use": 1.0,
            "tags": 1.5,
            "examples": 0.6,
        }
    )
    b: dict[str, float] = field(
        default_factory=lambda: {
            "name": 0.75,
            "description": 0.1,
            "when_to_use": 0.75,
            "tags": 0.3,
            "examples": 0.75,
        }
    )
    negative_weight: float = 0.5
    min_confidence: float = 0.065
    decompound: bool = True
    query_idf_power: float = 0.5
    prefix_weight: float = 0.5

    def fingerprint(self) -> str:
        return repr(sorted(asdict(self).items())) + f"|format={FORMAT}"


@dataclass(slots=True)
class LexicalIndex:
    """Posting lists of precomputed BM25F impacts (positive and negative) for one set of skills."""

    names: list[str]
    idf: dict[str, float]
    unseen_idf: float
    postings: dict[str, tuple[array[int], array[float]]]
    negative: dict[str, tuple[array[int], array[float]]]
    splits: dict[str, list[str]]
    prefixes: dict[str, list[str]] = field(default_factory=dict)
    # Each skill's field terms, computed the first time evidence for it is asked for (not persisted).
    terms_by_skill: dict[str, tuple[dict[str, list[str]], list[str]]] = field(default_factory=dict)

    def evidence(self, skill: Skill, task_terms: Iterable[str]) -> tuple[str, ...]:
        """Return what in ``skill`` matched ``task_terms``, field by field (see ``evidence``)."""
        cached = self.terms_by_skill.get(skill.name)
        if cached is None:
            cached = self.terms_by_skill[skill.name] = (
                skill_fields(skill, splits=self.splits),
                negative_terms(skill),
            )
        return evidence(cached[0], cached[1], task_terms)

    def __post_init__(self) -> None:
        if not self.prefixes:
            self.prefixes = _prefix_table(self.postings.keys())

    def expand(self, term: str) -> list[str]:
        """Return indexed terms that ``term`` (unknown to the index) is a prefix of, or that are its prefix."""
        if len(term) < PREFIX_LENGTH or term in self.postings:
            return []
        return [
            known
            for known in self.prefixes.get(term[:PREFIX_LENGTH], ())
            if known != term and (known.startswith(term) or term.startswith(known))
        ]

    def encode(self) -> bytes:
        def flat(table: dict[str, tuple[array[int], array[float]]]) -> dict[str, tuple[bytes, bytes]]:
            return {term: (docs.tobytes(), weights.tobytes()) for term, (docs, weights) in table.items()}

        return marshal.dumps(
            (
                FORMAT,
                self.names,
                self.idf,
                self.unseen_idf,
                flat(self.postings),
                flat(self.negative),
                self.splits,
            )
        )

    @classmethod
    def decode(cls, payload: bytes) -> LexicalIndex:
        fmt, names, idf, unseen_idf, postings, negative, splits = marshal.loads(payload)
        if fmt != FORMAT:
            raise ValueError(f"index format {fmt}, expected {FORMAT}")

        def unflat(table: dict[str, tuple[bytes, bytes]]) -> dict[str, tuple[array[int], array[float]]]:
            out: dict[str, tuple[array[int], array[float]]] = {}
            for term, (docs, weights) in table.items():
                doc_array, weight_array = array("i"), array("d")
                doc_array.frombytes(docs)
                weight_array.frombytes(weights)
                out[term] = (doc_array, weight_array)
            return out

        return cls(names, idf, unseen_idf, unflat(postings), unflat(negative), splits)


def skill_fields(skill: Skill, *, splits: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Return the terms of each indexed field of ``skill`` (names decompounded with ``splits``)."""
    name = text.name_terms(skill.name)
    if splits:
        name = [part for term in name for part in splits.get(term, [term])]
    return {
        "name": name,
        "description": text.terms(skill.description),
        "when_to_use": text.terms(skill.when_to_use),
        "tags": [term for tag in skill.tags for term in text.name_terms(tag)],
        "examples": [term for example in skill.examples for term in text.terms(example)],
    }


def negative_terms(skill: Skill) -> list[str]:
    return text.terms(" ".join((skill.when_not_to_use, *skill.counter_examples)))


def build_index(skills: Sequence[Skill], settings: LexicalSettings) -> LexicalIndex:
    """Compute the BM25F impact of every (term, skill) pair."""
    fields = [skill_fields(skill) for skill in skills]
    splits = _decompound([f["name"] for f in fields], fields) if settings.decompound else {}
    if splits:
        for doc in fields:
            doc["name"] = [part for term in doc["name"] for part in splits.get(term, [term])]
    n = len(skills)
    avg = {f: (sum(len(doc[f]) for doc in fields) / n if n else 0.0) for f in FIELDS}
    pseudo: list[dict[str, float]] = []
    df: Counter[str] = Counter()
    for doc in fields:
        tf: dict[str, float] = defaultdict(float)
        for f in FIELDS:
            if not doc[f] or not avg[f]:
                continue
            b = settings.b[f]
            norm = 1.0 - b + b * len(doc[f]) / avg[f]
            for term, count in Counter(doc[f]).items():
                tf[term] += settings.weights[f] * count / norm
        pseudo.append(tf)
        df.update(tf.keys())
    idf = {term: _idf(n, count) for term, count in df.items()}
    k1 = settings.k1
    postings: dict[str, tuple[array[int], array[float]]] = {}
    for number, tf in enumerate(pseudo):
        for term, weight in tf.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("i"), array("d"))
            entry[0].append(number)
            entry[1].append(idf[term] * weight * (k1 + 1) / (k1 + weight))
    negative: dict[str, tuple[array[int], array[float]]] = {}
    if settings.negative_weight:
        for number, skill in enumerate(skills):
            for term, count in Counter(negative_terms(skill)).items():
                if term in pseudo[number]:
                    continue  # the skill uses the word itself: it cannot tell against it
                entry = negative.get(term)
                if entry is None:
                    entry = negative[term] = (array("i"), array("d"))
                entry[0].append(number)
                entry[1].append(
                    settings.negative_weight * idf.get(term, _idf(n, 0)) * count * (k1 + 1) / (k1 + count)
                )
    return LexicalIndex([s.name for s in skills], idf, _idf(n, 0), postings, negative, splits)


def _prefix_table(postings: Iterable[str]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = defaultdict(list)
    for term in sorted(postings):
        if len(term) >= PREFIX_LENGTH:
            table[term[:PREFIX_LENGTH]].append(term)
    return dict(table)


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _decompound(names: list[list[str]], fields: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    """Split one-word names (``diceroller``) into words other fields of the library use (``dice roller``)."""
    vocabulary = {
        word
        for doc in fields
        for f in ("description", "when_to_use", "tags", "examples")
        for word in doc[f]
        if len(word) >= 3
    }
    # Fields hold stems, so a piece of the name counts when it, or its stem, is one of them.
    splits: dict[str, list[str]] = {}
    for name in names:
        for term in name:
            if len(term) < 7 or term in vocabulary or term in splits:
                continue
            parts = _segment(term, vocabulary)
            if parts and len(parts) > 1:
                splits[term] = [term, *parts]
    return splits


def _segment(word: str, vocabulary: set[str]) -> list[str] | None:
    """Return the split of ``word`` into the fewest vocabulary words (stems), or None when there is none."""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(3, len(word) + 1):
        for start in range(0, end - 2):
            head = best[start]
            if head is None:
                continue
            piece = word[start:end]
            if piece in vocabulary or text.stem(piece) in vocabulary:
                candidate = [*head, text.stem(piece)]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(word)]


def _accumulate(index: LexicalIndex, query: dict[str, float]) -> dict[int, float]:
    """Return skill number -> the sum over query terms of weight x impact, minus the negative impacts.

    Only skills with at least one positive match are returned; a dense list accumulates, which is
    faster than a dict in CPython when posting lists are long.
    """
    scores = [0.0] * len(index.names)
    touched: set[int] = set()
    for term, weight in query.items():
        entry = index.postings.get(term)
        if entry is not None:
            docs, impacts = entry
            touched.update(docs)
            for doc, impact in zip(docs, impacts, strict=True):
                scores[doc] += weight * impact
        against = index.negative.get(term)
        if against is not None:
            docs, impacts = against
            for doc, impact in zip(docs, impacts, strict=True):
                scores[doc] -= weight * impact
    return {doc: scores[doc] for doc in touched}


class LexicalRouter:
    """BM25F over the skill manifests, with an inverted index built once per pack and persisted."""

    name = "lexical"
    #: Selection drops matches scoring below this fraction of the best one: the largest value that lost
    #: no recall@5 on a 1,500-query sample of the MetaTool dev split (0.30 lost 0.2 points).
    relative_floor = 0.25

    def __init__(self, *, persist: bool = True, settings: LexicalSettings | None = None) -> None:
        self.persist = persist
        self.settings = settings or LexicalSettings()
        self._fingerprint = self.settings.fingerprint()

    def prepare(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[str, ...]:
        """Build (or load) the index for ``pack`` now; return notes about how it was obtained."""
        return self._index(pack, rebuild=rebuild)[1]

    def _index(self, pack: SkillPack, *, rebuild: bool = False) -> tuple[LexicalIndex, tuple[str, ...]]:
        def build() -> tuple[LexicalIndex, tuple[str, ...]]:
            skills = pack.skills
            loaded = load_or_build(
                self.name,
                content_key(self.name, self._fingerprint, skills),
                build=lambda: build_index(skills, self.settings),
                encode=LexicalIndex.encode,
                decode=LexicalIndex.decode,
                persist=self.persist,
                rebuild=rebuild,
            )
            return loaded.value, loaded.notes

        # A pack never changes its skills, so one index per (pack, settings) is enough.
        result: tuple[LexicalIndex, tuple[str, ...]] = pack.cache(f"{self.name}:{self._fingerprint}", build)
        return result

    def scores(
        self, task: str, pack: SkillPack
    ) -> tuple[dict[int, float], float, list[str], tuple[str, ...]]:
        """Return (skill number -> score, the score of a perfect match, task terms, notes) for ``task``."""
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
        totals = _accumulate(index, query)
        return totals, ideal, list(query), (*notes, *cut)

    def rank(self, task: str, pack: SkillPack, *, k: int = 10) -> Ranking:
        k = text.check_k(k)
        totals, ideal, found, notes = self.scores(task, pack)
        # Best first; equal scores in the index's (stable) skill order.
        best = heapq.nlargest(k, ((score, -doc) for doc, score in totals.items() if score > 0))
        if not best:
            return Ranking(self.name, (), notes=(*notes, "no task term occurs in any skill; abstained"))
        confidence = best[0][0] / ideal if ideal else 0.0
        if confidence < self.settings.min_confidence:
            return Ranking(
                self.name,
                (),
                notes=(*notes, f"best match too weak (confidence {confidence:.3f}); abstained"),
                extra={"confidence": confidence},
            )
        index, _ = self._index(pack)
        wanted = set(found)
        matches = tuple(
            Match(skill, score, index.evidence(skill, wanted))
            for score, doc in best
            for skill in (pack.get(index.names[-doc]),)
        )
        return Ranking(self.name, matches, notes=notes, extra={"confidence": confidence})


def evidence(
    fields: dict[str, list[str]], negative: Iterable[str], task_terms: Iterable[str]
) -> tuple[str, ...]:
    """Return, per field, the (stemmed) task terms it contains: ``("description: commit, messag", ...)``."""
    wanted = set(task_terms)
    found = []
    positive: set[str] = set()
    for name, terms in fields.items():
        positive.update(terms)
        hits = [term for term in dict.fromkeys(terms) if term in wanted]
        if hits:
            found.append(f"{name}: {', '.join(hits)}")
    against = [term for term in dict.fromkeys(negative) if term in wanted and term not in positive]
    if against:
        found.append(f"against (when_not_to_use): {', '.join(against)}")
    return tuple(found)
