"""The lexical index: posting lists of precomputed BM25F impacts, and a build of it from scratch.

Each field is a separate stream with its own weight and length normalisation (BM25F): a skill's pseudo
term frequency sums, over fields, the weighted count of the term divided by the field's normalised length.
A term's impact on a skill is ``impact()`` of that frequency, computed once at index time, so a query only
walks the posting lists of its own terms. Words in ``when_not_to_use`` and ``counter_examples`` that the
skill's positive fields do not also use count against it (``negative_impact``). ``skillpack.routing.lexical.
incremental`` derives an index from a kept one with the same functions, so both give the same numbers.
"""

from __future__ import annotations

import bisect
import marshal
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from skillpack.routing import text
from skillpack.routing.index import expect, expect_names, is_finite_number
from skillpack.routing.lexical.analysis import (
    FIELDS,
    decompound,
    evidence,
    negative_terms,
    skill_fields,
    split_names,
    vocabulary,
)

if TYPE_CHECKING:
    from skillpack.skill import Skill

#: The persisted index's layout; a change to ``encode`` bumps it, so old caches are rebuilt.
FORMAT = 1
#: An unknown task term matches indexed terms sharing at least this many leading characters with it.
PREFIX_LENGTH = 4


#: Deciles of the null (best wrong lead over the crowd) of the open-set MetaTool and bundled libraries.
LEXICAL_PRIOR = (0.035, 0.057, 0.074, 0.087, 0.1, 0.12, 0.156, 0.19, 0.25)


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
    #: Confidence counts the task as if it had this many more terms no skill uses: evidence from one
    #: matched word of a one-word task ("what is 2+2") is not full coverage.
    coverage_prior: float = 1.0
    #: The null quantiles a library's own probes are shrunk toward (``skillpack.routing.confidence``).
    prior: tuple[float, ...] = LEXICAL_PRIOR

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
    # Each skill's word pairs, computed the first time they are asked for (not persisted).
    pairs_by_skill: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    def evidence(self, skill: Skill, task_terms: Iterable[str]) -> tuple[str, ...]:
        """Return what in ``skill`` matched ``task_terms``, field by field (see ``evidence``)."""
        cached = self.terms_by_skill.get(skill.name)
        if cached is None:
            cached = self.terms_by_skill[skill.name] = (
                skill_fields(skill, splits=self.splits),
                negative_terms(skill),
            )
        return evidence(cached[0], cached[1], task_terms)

    def pair_score(self, skill: Skill, pairs: Iterable[tuple[str, str]], query: dict[str, float]) -> float:
        """Return how much of ``pairs`` (a task's adjacent terms) stands in that order in ``skill``'s text.

        Each pair found next to each other in the skill's description, when_to_use or one of its examples
        adds the query weight of its lighter term: "the Birch office" is in the Birch office's skills, not
        in "the Birch Yarrow office"'s, which a bag of words cannot tell apart.
        """
        known = self.pairs_by_skill.get(skill.name)
        if known is None:
            texts = (skill.description, skill.when_to_use, *skill.examples)
            known = self.pairs_by_skill[skill.name] = frozenset().union(
                *(text.adjacent_pairs(text.terms(part)) for part in texts)
            )
        return sum(max(query.get(a, 0.0), query.get(b, 0.0)) for a, b in pairs if (a, b) in known)

    def contributions(self, doc: int, query: dict[str, float]) -> tuple[tuple[str, float], ...]:
        """Return each query term's share of skill number ``doc``'s score (weight x impact), largest first."""
        found = []
        for term, weight in query.items():
            entry = self.postings.get(term)
            if entry is None:
                continue
            docs, impacts = entry
            at = _find(docs, doc)
            if at >= 0:
                found.append((term, weight * impacts[at]))
        return tuple(sorted(found, key=lambda pair: -pair[1]))

    def known(self, term: str, *, owner: int | None = None) -> bool:
        """Return True when some skill uses ``term`` (with ``owner``, some skill other than that one)."""
        entry = self.postings.get(term)
        return entry is not None and not (owner is not None and len(entry[0]) == 1 and entry[0][0] == owner)

    def covers(self, doc: int, terms: Iterable[str], *, owner: int | None = None) -> bool:
        """Return True when skill number ``doc`` matches every one of ``terms`` that some skill uses.

        Terms no skill uses do not count, nor, with ``owner``, terms only skill ``owner`` uses: a probe
        scored with its owner left out is judged against the rest of the library.
        """
        return all(_find(self.postings[term][0], doc) >= 0 for term in terms if self.known(term, owner=owner))

    def __post_init__(self) -> None:
        if not self.prefixes:
            self.prefixes = prefix_table(self.postings.keys())

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
    def decode(cls, payload: bytes, *, names: Collection[str]) -> LexicalIndex:
        """Rebuild the index ``encode`` wrote for the skills ``names``, checking every part of it.

        Raises ``ValueError`` for anything ``encode`` cannot have written (see ``index.expect``): posting
        lists of unequal lengths, skill numbers out of range, scores that are not finite numbers.
        """
        found = marshal.loads(payload)
        expect(type(found) is tuple and len(found) == 7, "not an index")
        fmt, stored, idf, unseen_idf, postings, negative, splits = found
        if fmt != FORMAT:
            raise ValueError(f"index format {str(fmt)[:20]}, expected {FORMAT}")
        stored = expect_names(stored, names)
        expect(type(idf) is dict and all(type(term) is str for term in idf), "idf")
        # fsum raises TypeError for anything but numbers; its result is finite only if every one is.
        expect(math.isfinite(math.fsum(idf.values())) and is_finite_number(unseen_idf), "idf")
        expect(
            type(splits) is dict
            and all(
                type(word) is str and type(parts) is list and all(type(p) is str for p in parts)
                for word, parts in splits.items()
            ),
            "name splits",
        )

        every_doc: list[bytes] = []
        every_weight: list[bytes] = []

        def unflat(table: Any) -> dict[str, tuple[array[int], array[float]]]:
            expect(type(table) is dict, "posting lists")
            out: dict[str, tuple[array[int], array[float]]] = {}
            for term, entry in table.items():
                expect(type(term) is str and type(entry) is tuple and len(entry) == 2, "a posting list")
                docs, weights = entry
                expect(
                    type(docs) is bytes and type(weights) is bytes and len(weights) == 2 * len(docs),
                    f"posting list {term[:40]!r} has unequal lengths",
                )
                doc_array, weight_array = array("i"), array("d")
                doc_array.frombytes(docs)  # ValueError unless a whole number of items
                weight_array.frombytes(weights)
                every_doc.append(docs)
                every_weight.append(weights)
                out[term] = (doc_array, weight_array)
            return out

        tables = unflat(postings), unflat(negative)
        # Checked all at once, which costs a fraction of checking each list: every skill number in range,
        # every score finite (a sum of finite numbers this small is finite; inf or NaN anywhere is not).
        docs_all, weights_all = array("i", b"".join(every_doc)), array("d", b"".join(every_weight))
        expect(
            not docs_all or (min(docs_all) >= 0 and max(docs_all) < len(stored)), "a skill that is not there"
        )
        expect(math.isfinite(sum(weights_all)), "a score that is not a finite number")
        return cls(stored, idf, unseen_idf, *tables, splits)


Postings = dict[str, tuple["array[int]", "array[float]"]]


def _find(docs: Sequence[int], doc: int) -> int:
    """Return where skill number ``doc`` stands in the posting list ``docs`` (in skill order), or -1."""
    at = bisect.bisect_left(docs, doc)
    return at if at < len(docs) and docs[at] == doc else -1


def idf_of(n: int, df: int) -> float:
    """Return the BM25 inverse document frequency of a term ``df`` of ``n`` skills use."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def impact(idf: float, frequency: float, k1: float) -> float:
    """Return BM25's saturated score of a term with this ``idf`` and (pseudo) term ``frequency``."""
    return idf * frequency * (k1 + 1) / (k1 + frequency)


def negative_impact(
    settings: LexicalSettings, idfs: Mapping[str, float], n: int, term: str, count: int
) -> float:
    """Return how much ``term``, used ``count`` times in what a skill is not for, counts against it."""
    return settings.negative_weight * impact(idfs.get(term, idf_of(n, 0)), count, settings.k1)


def pseudo_frequencies(
    counts: Mapping[str, Iterable[tuple[str, int]]],
    lengths: Mapping[str, int],
    averages: Mapping[str, float],
    settings: LexicalSettings,
) -> dict[str, float]:
    """Return a skill's BM25F pseudo term frequencies: field counts weighted and length-normalised."""
    tf: dict[str, float] = defaultdict(float)
    for f in FIELDS:
        if not lengths[f] or not averages[f]:
            continue
        b = settings.b[f]
        norm = 1.0 - b + b * lengths[f] / averages[f]
        for term, count in counts[f]:
            tf[term] += settings.weights[f] * count / norm
    return dict(tf)


def postings(
    pseudo: list[dict[str, float]],
    idfs: dict[str, float],
    negatives: Iterable[Iterable[tuple[str, int]]],
    settings: LexicalSettings,
) -> tuple[Postings, Postings]:
    """Return the BM25 postings of ``pseudo`` frequencies, and the postings that count against a skill."""
    k1 = settings.k1
    positive: Postings = {}
    for number, tf in enumerate(pseudo):
        for term, weight in tf.items():
            entry = positive.get(term)
            if entry is None:
                entry = positive[term] = (array("i"), array("d"))
            entry[0].append(number)
            entry[1].append(impact(idfs[term], weight, k1))
    negative: Postings = {}
    if settings.negative_weight:
        n = len(pseudo)
        for number, terms in enumerate(negatives):
            for term, count in terms:
                if term in pseudo[number]:
                    continue  # the skill uses the word itself: it cannot tell against it
                entry = negative.get(term)
                if entry is None:
                    entry = negative[term] = (array("i"), array("d"))
                entry[0].append(number)
                entry[1].append(negative_impact(settings, idfs, n, term, count))
    return positive, negative


def prefix_table(terms: Iterable[str]) -> dict[str, list[str]]:
    """Return the indexed ``terms`` grouped by their first ``PREFIX_LENGTH`` characters, each group sorted."""
    table: dict[str, list[str]] = defaultdict(list)
    for term in sorted(terms):
        if len(term) >= PREFIX_LENGTH:
            table[term[:PREFIX_LENGTH]].append(term)
    return dict(table)


def build_plain(skills: Sequence[Skill], settings: LexicalSettings) -> LexicalIndex:
    """Build the index of ``skills`` from scratch, keeping nothing."""
    fields = [skill_fields(skill) for skill in skills]
    splits = (
        decompound([f["name"] for f in fields], [vocabulary(f) for f in fields])
        if settings.decompound
        else {}
    )
    if splits:
        for doc, name in zip(fields, split_names([f["name"] for f in fields], splits), strict=True):
            doc["name"] = name
    n = len(skills)
    averages = {f: (sum(len(doc[f]) for doc in fields) / n if n else 0.0) for f in FIELDS}
    pseudo = [
        pseudo_frequencies(
            {f: Counter(doc[f]).items() for f in FIELDS}, {f: len(doc[f]) for f in FIELDS}, averages, settings
        )
        for doc in fields
    ]
    df: Counter[str] = Counter()
    for tf in pseudo:
        df.update(tf.keys())
    idfs = {term: idf_of(n, count) for term, count in df.items()}
    negatives = (Counter(negative_terms(skill)).items() for skill in skills)
    positive, negative = postings(pseudo, idfs, negatives, settings)
    return LexicalIndex([s.name for s in skills], idfs, idf_of(n, 0), positive, negative, splits)


def accumulate(index: LexicalIndex, query: dict[str, float]) -> dict[int, float]:
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
            for doc, value in zip(docs, impacts, strict=True):
                scores[doc] += weight * value
        against = index.negative.get(term)
        if against is not None:
            docs, impacts = against
            for doc, value in zip(docs, impacts, strict=True):
                scores[doc] -= weight * value
    return {doc: scores[doc] for doc in touched}
