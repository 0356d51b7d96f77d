"""The default router: BM25F over a skill's name, description, when_to_use, tags and examples.

Each field is a separate stream with its own weight and length normalisation (BM25F); the per-term score
of every skill is computed once, at index time, so a query only walks the posting lists of its own
terms. Words in ``when_not_to_use`` and ``counter_examples`` that the skill's positive fields do not
also use count against it. Names are split on hyphens, underscores and camelCase, and a name written as
one word (``airqualityforecast``) is also split into the words the library itself uses.

The router abstains when no task term occurs in any skill, when only numbers do, or when the best
skill's score, divided by the score a skill matching every task term would get, is below
``settings.min_confidence`` (a loose floor tuned on a dev split). Each match's confidence is its coverage
(the score over that ideal score plus one unseen term's, ``coverage_base``) above the crowd's, calibrated
on the library's own texts (``skillpack.routing.confidence``); ``select`` applies the bar. Each match also
says which task terms it rests on and how much each weighed (``Match.matched``), so selection can tell a
look-alike from a skill the task names.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import marshal
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from skillpack.routing import confidence, text
from skillpack.routing.base import Match, Ranking
from skillpack.routing.index import content_key, expect, expect_names, is_finite_number, load_or_build

if TYPE_CHECKING:
    from skillpack.registry import SkillPack
    from skillpack.skill import Skill

FIELDS = ("name", "description", "when_to_use", "tags", "examples")
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

    def evidence(self, skill: Skill, task_terms: Iterable[str]) -> tuple[str, ...]:
        """Return what in ``skill`` matched ``task_terms``, field by field (see ``evidence``)."""
        cached = self.terms_by_skill.get(skill.name)
        if cached is None:
            cached = self.terms_by_skill[skill.name] = (
                skill_fields(skill, splits=self.splits),
                negative_terms(skill),
            )
        return evidence(cached[0], cached[1], task_terms)

    def contributions(self, doc: int, query: dict[str, float]) -> tuple[tuple[str, float], ...]:
        """Return each query term's share of skill number ``doc``'s score (weight x impact), largest first."""
        found = []
        for term, weight in query.items():
            entry = self.postings.get(term)
            if entry is None:
                continue
            docs, impacts = entry
            at = bisect.bisect_left(docs, doc)  # posting lists are in skill order
            if at < len(docs) and docs[at] == doc:
                found.append((term, weight * impacts[at]))
        return tuple(sorted(found, key=lambda pair: -pair[1]))

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


#: How many full builds ``build_index`` keeps to derive others from, and average-length variants of each.
MAX_REFERENCES = 4
MAX_AVERAGES_PER_REFERENCE = 64
#: How many skills' analysed terms (and term weights) ``build_index`` keeps between builds, per process.
MAX_CACHED_SKILLS = 50_000


@dataclass(frozen=True, slots=True)
class _Analysed:
    """One skill's terms, before the library-dependent steps (decompounding names, length normalisation)."""

    fields: dict[str, list[str]]
    counts: dict[str, list[tuple[str, int]]]
    vocabulary: frozenset[str]
    negative: list[tuple[str, int]]


class _TermCache:
    """What ``build_index`` keeps between builds in a process, once it sees near-repeat builds.

    A trigger test rebuilds the index once per held-out example, every skill but one unchanged. Once
    two recent builds differ in a few skills, the skills' analysed terms (keyed by name and manifest
    SHA-256, as the persisted index is: ``index.content_key``), their pseudo term frequencies (keyed
    also by the library's average field lengths and the settings) and whole builds (``_Reference``)
    are kept, and later near-repeats are derived. Until then only the skills' keys are kept.
    """

    def __init__(self, limit: int = MAX_CACHED_SKILLS) -> None:
        self.limit = limit
        self.analysed: dict[tuple[str, str], _Analysed] = {}
        self.pseudo: dict[tuple[object, ...], dict[str, float]] = {}
        self.references: list[_Reference] = []
        #: The (settings, skill keys) of recent builds that kept nothing: a near-repeat starts keeping.
        self.recent: list[tuple[str, list[tuple[str, str]]]] = []

    def analyse(self, skill: Skill) -> _Analysed:
        key = (skill.name, skill.manifest_sha256)
        found = self.analysed.get(key)
        if found is None:
            fields = skill_fields(skill)
            found = _Analysed(
                fields=fields,
                counts={f: list(Counter(fields[f]).items()) for f in FIELDS if f != "name"},
                vocabulary=frozenset(
                    word for f in FIELDS if f != "name" for word in fields[f] if len(word) >= 3
                ),
                negative=list(Counter(negative_terms(skill)).items()),
            )
            _bounded_put(self.analysed, key, found, self.limit)
        return found

    def clear(self) -> None:
        """Forget everything (for measuring cold builds)."""
        self.analysed.clear()
        self.pseudo.clear()
        self.references.clear()
        self.recent.clear()


def _bounded_put(table: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    # Dropping everything at the limit is crude but keeps memory bounded and the common case fast.
    if len(table) >= limit:
        table.clear()
    table[key] = value


_CACHE = _TermCache()


def clear_term_cache() -> None:
    """Forget the analysed terms ``build_index`` keeps between builds (its next build starts cold)."""
    _CACHE.clear()


#: A build that differs from a kept one in at most this many skills is derived from it (see ``_Reference``).
MAX_DERIVED_CHANGES = 3


@dataclass(slots=True)
class _Reference:
    """What a full build computed that does not depend on the average field lengths, kept to derive others.

    A trigger test's held-out library differs from the full one in one skill (and one average length);
    deriving its index from this one recomputes only the posting lists that skill's terms touch.
    """

    fingerprint: str
    keys: list[tuple[str, str]]
    analysed: list[_Analysed]
    raw_names: list[list[str]]
    names: list[list[str]]
    splits: dict[str, list[str]]
    sums: list[int]
    vocabulary: Counter[str]
    df: Counter[str]
    #: Every word decompounding could look up: each name term, its pieces and their stems (``_segment``).
    name_pieces: frozenset[str]
    #: For each word of a when_not_to_use or counter-example: the skills using it, and how often.
    negative_docs: dict[str, list[tuple[int, int]]]
    #: Per set of average lengths: every skill's pseudo term frequencies, the postings and their prefixes.
    at: dict[tuple[float, ...], tuple[list[dict[str, float]], LexicalIndex]] = field(default_factory=dict)


def build_index(skills: Sequence[Skill], settings: LexicalSettings) -> LexicalIndex:
    """Compute the BM25F impact of every (term, skill) pair.

    A library that differs in a few skills from one built shortly before (a held-out trigger test
    rebuilds once per example) is derived from a kept build instead: each skill's terms are analysed
    once, and only the posting lists of the changed skills' terms are recomputed. Every impact comes
    from the same expression either way, so the index is exactly the one a cold build gives. A build
    with no such neighbour keeps nothing but the skills' keys, so routing pays no memory for this.
    """
    keys = [(skill.name, skill.manifest_sha256) for skill in skills]
    fingerprint = settings.fingerprint()
    for reference in reversed(_CACHE.references):
        changed = _changed(reference.fingerprint, reference.keys, fingerprint, keys)
        if changed:
            analysed = [_CACHE.analyse(skill) for skill in skills]
            derived = _derive(reference, keys, analysed, changed, settings, fingerprint)
            if derived is not None:
                return derived
    if not any(_changed(*recent, fingerprint, keys) for recent in _CACHE.recent):
        _CACHE.recent.append((fingerprint, keys))
        del _CACHE.recent[:-MAX_REFERENCES]
        return _plain_build(skills, settings)
    # A near-repeat of a recent build: keep this one to derive the next ones from.
    analysed = [_CACHE.analyse(skill) for skill in skills]
    reference = _reference(keys, analysed, settings, fingerprint)
    _CACHE.references.append(reference)
    del _CACHE.references[:-MAX_REFERENCES]
    averages = tuple(total / len(keys) if keys else 0.0 for total in reference.sums)
    # A copy sharing the (never modified) tables: the kept index's own caches stay its own.
    return dataclasses.replace(_at(reference, averages, settings)[1], terms_by_skill={})


def _changed(
    fingerprint: str, keys: list[tuple[str, str]], other_fingerprint: str, other_keys: list[tuple[str, str]]
) -> list[int]:
    """Return the positions where two libraries differ, if they differ in 1 to ``MAX_DERIVED_CHANGES``."""
    if fingerprint != other_fingerprint or len(keys) != len(other_keys):
        return []
    changed = []
    for position, (old, new) in enumerate(zip(keys, other_keys, strict=True)):
        if old != new:
            changed.append(position)
            if len(changed) > MAX_DERIVED_CHANGES:
                return []
    return changed


def _plain_build(skills: Sequence[Skill], settings: LexicalSettings) -> LexicalIndex:
    """Build the index from scratch, keeping nothing."""
    fields = [skill_fields(skill) for skill in skills]
    vocabulary = frozenset(
        word for doc in fields for f in FIELDS if f != "name" for word in doc[f] if len(word) >= 3
    )
    splits = _decompound([f["name"] for f in fields], [vocabulary]) if settings.decompound else {}
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
    negatives = (Counter(negative_terms(skill)).items() for skill in skills)
    postings, negative = _postings(pseudo, idf, negatives, settings)
    return LexicalIndex([s.name for s in skills], idf, _idf(n, 0), postings, negative, splits)


Postings = dict[str, tuple["array[int]", "array[float]"]]


def _postings(
    pseudo: list[dict[str, float]],
    idf: dict[str, float],
    negatives: Iterable[Iterable[tuple[str, int]]],
    settings: LexicalSettings,
) -> tuple[Postings, Postings]:
    """Return the BM25 postings of ``pseudo`` frequencies, and the postings that count against a skill."""
    k1 = settings.k1
    k1_plus_1 = k1 + 1
    postings: Postings = {}
    for number, tf in enumerate(pseudo):
        for term, weight in tf.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("i"), array("d"))
            entry[0].append(number)
            entry[1].append(idf[term] * weight * k1_plus_1 / (k1 + weight))
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
                entry[1].append(_negative_impact(settings, idf, n, term, count))
    return postings, negative


def _reference(
    keys: list[tuple[str, str]], analysed: list[_Analysed], settings: LexicalSettings, fingerprint: str
) -> _Reference:
    raw_names = [list(a.fields["name"]) for a in analysed]
    vocabulary: Counter[str] = Counter()
    for a in analysed:
        vocabulary.update(a.vocabulary)
    splits = _decompound(raw_names, [frozenset(vocabulary)]) if settings.decompound else {}
    names = _split_names(raw_names, splits)
    sums = [
        sum(len(name) if f == "name" else len(a.fields[f]) for a, name in zip(analysed, names, strict=True))
        for f in FIELDS
    ]
    negative_docs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for number, a in enumerate(analysed):
        for term, count in a.negative:
            negative_docs[term].append((number, count))
    pieces = {
        piece
        for name in raw_names
        for term in name
        if len(term) >= 7
        for end in range(3, len(term) + 1)
        for start in range(0, end - 2)
        for piece in (term[start:end], text.stem(term[start:end]))
    }
    return _Reference(
        fingerprint,
        keys,
        analysed,
        raw_names,
        names,
        splits,
        sums,
        vocabulary,
        Counter(),
        frozenset(pieces),
        dict(negative_docs),
    )


def _split_names(raw_names: list[list[str]], splits: dict[str, list[str]]) -> list[list[str]]:
    if not splits:
        return [list(name) for name in raw_names]
    return [[part for term in name for part in splits.get(term, [term])] for name in raw_names]


def _pseudo(
    key: tuple[str, str],
    a: _Analysed,
    name: list[str],
    averages: tuple[float, ...],
    settings: LexicalSettings,
    fingerprint: str,
) -> dict[str, float]:
    cache_key = (*key, tuple(name), averages, fingerprint)
    tf = _CACHE.pseudo.get(cache_key)
    if tf is None:
        tf = _pseudo_frequencies(a, name, dict(zip(FIELDS, averages, strict=True)), settings)
        _bounded_put(_CACHE.pseudo, cache_key, tf, _CACHE.limit)
    return tf


def _at(
    reference: _Reference, averages: tuple[float, ...], settings: LexicalSettings
) -> tuple[list[dict[str, float]], LexicalIndex]:
    """Return the reference library's pseudo frequencies and full index for these average lengths."""
    found = reference.at.get(averages)
    if found is not None:
        return found
    pseudo = [
        _pseudo(key, a, name, averages, settings, reference.fingerprint)
        for key, a, name in zip(reference.keys, reference.analysed, reference.names, strict=True)
    ]
    df: Counter[str] = Counter()
    for tf in pseudo:
        df.update(tf.keys())
    reference.df = df
    n = len(pseudo)
    by_count = {count: _idf(n, count) for count in set(df.values())}
    idf = {term: by_count[count] for term, count in df.items()}
    postings, negative = _postings(pseudo, idf, (a.negative for a in reference.analysed), settings)
    index = LexicalIndex(
        [key[0] for key in reference.keys], idf, _idf(n, 0), postings, negative, reference.splits
    )
    if len(reference.at) >= MAX_AVERAGES_PER_REFERENCE:
        reference.at.clear()
    reference.at[averages] = (pseudo, index)
    return pseudo, index


def _negative_impact(
    settings: LexicalSettings, idf: dict[str, float], n: int, term: str, count: int
) -> float:
    k1 = settings.k1
    return settings.negative_weight * idf.get(term, _idf(n, 0)) * count * (k1 + 1) / (k1 + count)


def _derive(
    reference: _Reference,
    keys: list[tuple[str, str]],
    analysed: list[_Analysed],
    changed: list[int],
    settings: LexicalSettings,
    fingerprint: str,
) -> LexicalIndex | None:
    """Return the index of ``keys`` derived from ``reference``, or None when it is too different."""
    vocabulary = reference.vocabulary.copy()
    for i in changed:
        if analysed[i].fields["name"] != reference.raw_names[i]:
            return None  # a renamed skill may split differently
        vocabulary.subtract(reference.analysed[i].vocabulary)
        vocabulary.update(analysed[i].vocabulary)
    touched = {word for i in changed for word in reference.analysed[i].vocabulary ^ analysed[i].vocabulary}
    if settings.decompound and any(
        (vocabulary[w] > 0) != (reference.vocabulary[w] > 0) for w in touched & reference.name_pieces
    ):
        # A word a name could be split into came or went: decompound again; new splits need a full build.
        known = frozenset(word for word, count in vocabulary.items() if count > 0)
        if _decompound(reference.raw_names, [known]) != reference.splits:
            return None
    n = len(keys)
    sums = list(reference.sums)
    for i in changed:
        for position, f in enumerate(FIELDS):
            if f != "name":
                sums[position] += len(analysed[i].fields[f]) - len(reference.analysed[i].fields[f])
    if any((new == 0) != (old == 0) for new, old in zip(sums, reference.sums, strict=True)):
        return None  # a field the library used to have is gone (or the reverse): other terms count
    averages = tuple(total / n for total in sums)
    base_pseudo, base = _at(reference, averages, settings)
    pseudo = list(base_pseudo)
    for i in changed:
        pseudo[i] = _pseudo(keys[i], analysed[i], reference.names[i], averages, settings, fingerprint)
    df = reference.df.copy()
    for i in changed:
        df.subtract(base_pseudo[i].keys())
        df.update(pseudo[i].keys())
    idf = dict(base.idf)
    # Terms some changed skill gained or lost: their posting lists (and maybe idf) are recomputed in full.
    recount = {term for i in changed for term in base_pseudo[i].keys() ^ pseudo[i].keys()}
    for term in recount:
        if df[term] > 0:
            idf[term] = _idf(n, df[term])
        else:
            idf.pop(term, None)
    k1 = settings.k1
    k1_plus_1 = k1 + 1
    postings = dict(base.postings)
    positive_terms = {term for i in changed for term in (*base_pseudo[i].keys(), *pseudo[i].keys())}
    for term in positive_terms:
        if term in recount or term not in postings:
            docs = array("i", (d for d in range(n) if term in pseudo[d])) if df[term] > 0 else array("i")
            if not docs:
                postings.pop(term, None)
                continue
            postings[term] = (
                docs,
                array("d", (idf[term] * pseudo[d][term] * k1_plus_1 / (k1 + pseudo[d][term]) for d in docs)),
            )
            continue
        docs, impacts = postings[term]
        new_docs, new_impacts = array("i", docs), array("d", impacts)
        for i in changed:
            if term in pseudo[i]:
                weight = pseudo[i][term]
                new_impacts[new_docs.index(i)] = idf[term] * weight * k1_plus_1 / (k1 + weight)
        postings[term] = (new_docs, new_impacts)
    negative = dict(base.negative)
    if settings.negative_weight:
        against = recount | {
            term for i in changed for a in (reference.analysed[i], analysed[i]) for term, _ in a.negative
        }
        kept = set(changed)
        for term in against:
            entries = sorted(
                [(d, count) for d, count in reference.negative_docs.get(term, ()) if d not in kept]
                + [(i, count) for i in changed for t, count in analysed[i].negative if t == term]
            )
            entries = [(d, count) for d, count in entries if term not in pseudo[d]]
            if entries:
                negative[term] = (
                    array("i", (d for d, _ in entries)),
                    array("d", (_negative_impact(settings, idf, n, term, count) for _, count in entries)),
                )
            else:
                negative.pop(term, None)
    prefixes = base.prefixes
    gone = [term for term in recount if term in base.postings and term not in postings]
    came = [term for term in recount if term in postings and term not in base.postings]
    if gone or came:
        prefixes = dict(prefixes)  # the lists are shared with ``base``: replace them, never change them
        for term in gone:
            if len(term) >= PREFIX_LENGTH:
                remaining = [known for known in prefixes[term[:PREFIX_LENGTH]] if known != term]
                prefixes[term[:PREFIX_LENGTH]] = remaining
        for term in came:
            if len(term) >= PREFIX_LENGTH:
                prefixes[term[:PREFIX_LENGTH]] = sorted([*prefixes.get(term[:PREFIX_LENGTH], ()), term])
        prefixes = {head: terms for head, terms in prefixes.items() if terms}
    return LexicalIndex(
        [key[0] for key in keys], idf, _idf(n, 0), postings, negative, reference.splits, prefixes=prefixes
    )


def _pseudo_frequencies(
    analysed: _Analysed, name: list[str], avg: dict[str, float], settings: LexicalSettings
) -> dict[str, float]:
    """Return a skill's BM25F pseudo term frequencies: field counts weighted and length-normalised."""
    tf: dict[str, float] = defaultdict(float)
    for f in FIELDS:
        length = len(name) if f == "name" else len(analysed.fields[f])
        if not length or not avg[f]:
            continue
        b = settings.b[f]
        norm = 1.0 - b + b * length / avg[f]
        counts = Counter(name).items() if f == "name" else analysed.counts[f]
        for term, count in counts:
            tf[term] += settings.weights[f] * count / norm
    return dict(tf)


def _prefix_table(postings: Iterable[str]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = defaultdict(list)
    for term in sorted(postings):
        if len(term) >= PREFIX_LENGTH:
            table[term[:PREFIX_LENGTH]].append(term)
    return dict(table)


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _decompound(names: list[list[str]], vocabularies: list[frozenset[str]]) -> dict[str, list[str]]:
    """Split one-word names (``diceroller``) into words other fields of the library use (``dice roller``)."""
    vocabulary: set[str] = set().union(*vocabularies)
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
        def build() -> tuple[LexicalIndex, tuple[str, ...]]:
            skills = pack.skills
            loaded = load_or_build(
                self.name,
                content_key(self.name, self._fingerprint, skills),
                build=lambda: build_index(skills, self.settings),
                encode=LexicalIndex.encode,
                decode=lambda payload: LexicalIndex.decode(payload, names=[skill.name for skill in skills]),
                persist=self.persist,
                rebuild=rebuild,
            )
            return loaded.value, loaded.notes

        # A pack never changes its skills, so one index per (pack, settings) is enough.
        result: tuple[LexicalIndex, tuple[str, ...]] = pack.cache(f"{self.name}:{self._fingerprint}", build)
        return result

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
        totals = _accumulate(index, query)
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
            rows = []
            for probe in confidence.probes(pack.skills):
                totals, ideal, _, _ = self.scores(probe.text, pack)
                base = self.coverage_base(ideal, pack)
                rows.append([max(s, 0.0) / base for d, s in totals.items() if d != probe.owner])
            return confidence.Calibration.from_others(
                rows, n_skills=len(pack), size=len(pack) - 1, prior=self.settings.prior
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
        if all(term.isdigit() for term in found if term in index.postings):
            # Numbers alone name no topic: "what is 2+2" shares only "2" with a versioning skill.
            return Ranking(
                self.name, (), notes=(*notes, "only numbers in the task occur in any skill; abstained")
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
        confident = calibration.for_task((max(s, 0.0) / base for s in totals.values()), size=len(pack))
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
