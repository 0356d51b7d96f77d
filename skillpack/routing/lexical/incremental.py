"""Derive a lexical index from one built shortly before, when the library changed in a few skills.

A trigger test rebuilds the index once per held-out example, every skill but one unchanged: 180 held-out
rebuilds over 300 skills take 19.8 s cold and 0.26 s derived. Once two recent builds differ in a few
skills, ``build_index`` keeps each skill's analysed terms (keyed by name and manifest SHA-256, as the
persisted index is: ``routing.index.content_key``), their pseudo term frequencies (keyed also by the
library's average field lengths and the settings) and whole builds (``Reference``), and derives later
near-repeats from them. Until then only the skills' keys are kept, so routing pays no memory for this.

A derived index is exactly the one a cold build gives: every number comes from the same functions in
``skillpack.routing.lexical.index``. It never changes what it derives from: the tables it alters are
copies, the ones it does not are shared. The kept state is one per process, behind a lock, so threads
building at once (a bench with ``--threads``, the MCP server) neither corrupt nor duplicate it.
"""

from __future__ import annotations

import dataclasses
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skillpack.routing.lexical.analysis import (
    FIELDS,
    decompound,
    name_pieces,
    negative_terms,
    skill_fields,
    split_names,
    vocabulary,
)
from skillpack.routing.lexical.index import (
    PREFIX_LENGTH,
    LexicalIndex,
    LexicalSettings,
    build_plain,
    idf_of,
    impact,
    negative_impact,
    postings,
    pseudo_frequencies,
)

if TYPE_CHECKING:
    from skillpack.skill import Skill

#: How many full builds ``build_index`` keeps to derive others from, and average-length variants of each.
MAX_REFERENCES = 4
MAX_AVERAGES_PER_REFERENCE = 64
#: How many skills' analysed terms (and term weights) ``build_index`` keeps between builds, per process.
MAX_CACHED_SKILLS = 50_000
#: A build that differs from a kept one in at most this many skills is derived from it (see ``Reference``).
MAX_DERIVED_CHANGES = 3

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Analysed:
    """One skill's terms, before the library-dependent steps (decompounding names, length normalisation)."""

    fields: dict[str, list[str]]
    counts: dict[str, list[tuple[str, int]]]
    vocabulary: frozenset[str]
    negative: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Variant:
    """A reference library's index for one set of average field lengths, with what deriving reads from it."""

    pseudo: list[dict[str, float]]
    df: Counter[str]
    index: LexicalIndex


@dataclass(slots=True)
class Reference:
    """What a full build computed that does not depend on the average field lengths, kept to derive others.

    A trigger test's held-out library differs from the full one in one skill (and one average length);
    deriving its index from this one recomputes only the posting lists that skill's terms touch.
    """

    fingerprint: str
    keys: list[Key]
    analysed: list[Analysed]
    raw_names: list[list[str]]
    names: list[list[str]]
    splits: dict[str, list[str]]
    sums: list[int]
    vocabulary: Counter[str]
    #: Every word decompounding could look up: each name term, its pieces and their stems.
    name_pieces: frozenset[str]
    #: For each word of a when_not_to_use or counter-example: the skills using it, and how often.
    negative_docs: dict[str, list[tuple[int, int]]]
    #: Per set of average lengths: every skill's pseudo term frequencies, document frequencies and index.
    variants: dict[tuple[float, ...], Variant] = field(default_factory=dict)


class TermCache:
    """What ``build_index`` keeps between builds in a process, once it sees near-repeat builds."""

    def __init__(self, limit: int = MAX_CACHED_SKILLS) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.analysed: dict[Key, Analysed] = {}
        self.pseudo: dict[tuple[object, ...], dict[str, float]] = {}
        self.references: list[Reference] = []
        #: The (settings, skill keys) of recent builds that kept nothing: a near-repeat starts keeping.
        self.recent: list[tuple[str, list[Key]]] = []

    def analyse(self, skill: Skill) -> Analysed:
        key = (skill.name, skill.manifest_sha256)
        found = self.analysed.get(key)
        if found is None:
            fields = skill_fields(skill)
            found = Analysed(
                fields=fields,
                counts={f: list(Counter(fields[f]).items()) for f in FIELDS if f != "name"},
                vocabulary=vocabulary(fields),
                negative=list(Counter(negative_terms(skill)).items()),
            )
            _bounded_put(self.analysed, key, found, self.limit)
        return found

    def pseudo_of(
        self,
        key: Key,
        analysed: Analysed,
        name: list[str],
        averages: tuple[float, ...],
        settings: LexicalSettings,
        fingerprint: str,
    ) -> dict[str, float]:
        """Return one skill's pseudo term frequencies for these average lengths, computed once."""
        cache_key = (*key, tuple(name), averages, fingerprint)
        tf = self.pseudo.get(cache_key)
        if tf is None:
            counts = {**analysed.counts, "name": Counter(name).items()}
            lengths = {f: len(name) if f == "name" else len(analysed.fields[f]) for f in FIELDS}
            tf = pseudo_frequencies(counts, lengths, dict(zip(FIELDS, averages, strict=True)), settings)
            _bounded_put(self.pseudo, cache_key, tf, self.limit)
        return tf

    def clear(self) -> None:
        """Forget everything (for measuring cold builds)."""
        with self.lock:
            self.analysed.clear()
            self.pseudo.clear()
            self.references.clear()
            self.recent.clear()


def _bounded_put(table: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    # Dropping everything at the limit is crude but keeps memory bounded and the common case fast.
    if len(table) >= limit:
        table.clear()
    table[key] = value


_CACHE = TermCache()


def clear_term_cache() -> None:
    """Forget the analysed terms ``build_index`` keeps between builds (its next build starts cold)."""
    _CACHE.clear()


def build_index(skills: Sequence[Skill], settings: LexicalSettings) -> LexicalIndex:
    """Compute the BM25F impact of every (term, skill) pair, from a kept near-identical build if there is one.

    A library that differs in a few skills from one built shortly before (a held-out trigger test
    rebuilds once per example) is derived from a kept build: each skill's terms are analysed once,
    and only the posting lists of the changed skills' terms are recomputed. A build with no such
    neighbour keeps nothing but the skills' keys.
    """
    keys = [(skill.name, skill.manifest_sha256) for skill in skills]
    fingerprint = settings.fingerprint()
    with _CACHE.lock:
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
            return build_plain(skills, settings)
        # A near-repeat of a recent build: keep this one to derive the next ones from.
        analysed = [_CACHE.analyse(skill) for skill in skills]
        reference = _reference(keys, analysed, settings, fingerprint)
        _CACHE.references.append(reference)
        del _CACHE.references[:-MAX_REFERENCES]
        averages = tuple(total / len(keys) if keys else 0.0 for total in reference.sums)
        # A copy sharing the (never modified) tables: the kept index's own caches stay its own.
        return dataclasses.replace(_variant(reference, averages, settings).index, terms_by_skill={})


def _changed(fingerprint: str, keys: list[Key], other_fingerprint: str, other_keys: list[Key]) -> list[int]:
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


def _reference(
    keys: list[Key], analysed: list[Analysed], settings: LexicalSettings, fingerprint: str
) -> Reference:
    raw_names = [list(a.fields["name"]) for a in analysed]
    words: Counter[str] = Counter()
    for a in analysed:
        words.update(a.vocabulary)
    splits = decompound(raw_names, [frozenset(words)]) if settings.decompound else {}
    names = split_names(raw_names, splits)
    sums = [
        sum(len(name) if f == "name" else len(a.fields[f]) for a, name in zip(analysed, names, strict=True))
        for f in FIELDS
    ]
    negative_docs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for number, a in enumerate(analysed):
        for term, count in a.negative:
            negative_docs[term].append((number, count))
    return Reference(
        fingerprint,
        keys,
        analysed,
        raw_names,
        names,
        splits,
        sums,
        words,
        name_pieces(raw_names),
        dict(negative_docs),
    )


def _variant(reference: Reference, averages: tuple[float, ...], settings: LexicalSettings) -> Variant:
    """Return the reference library's pseudo frequencies and full index for these average lengths."""
    found = reference.variants.get(averages)
    if found is not None:
        return found
    pseudo = [
        _CACHE.pseudo_of(key, a, name, averages, settings, reference.fingerprint)
        for key, a, name in zip(reference.keys, reference.analysed, reference.names, strict=True)
    ]
    df: Counter[str] = Counter()
    for tf in pseudo:
        df.update(tf.keys())
    n = len(pseudo)
    by_count = {count: idf_of(n, count) for count in set(df.values())}
    idfs = {term: by_count[count] for term, count in df.items()}
    positive, negative = postings(pseudo, idfs, (a.negative for a in reference.analysed), settings)
    index = LexicalIndex(
        [key[0] for key in reference.keys], idfs, idf_of(n, 0), positive, negative, reference.splits
    )
    if len(reference.variants) >= MAX_AVERAGES_PER_REFERENCE:
        reference.variants.clear()
    variant = reference.variants[averages] = Variant(pseudo, df, index)
    return variant


def _derive(
    reference: Reference,
    keys: list[Key],
    analysed: list[Analysed],
    changed: list[int],
    settings: LexicalSettings,
    fingerprint: str,
) -> LexicalIndex | None:
    """Return the index of ``keys`` derived from ``reference``, or None when it is too different."""
    words = reference.vocabulary.copy()
    for i in changed:
        if analysed[i].fields["name"] != reference.raw_names[i]:
            return None  # a renamed skill may split differently
        words.subtract(reference.analysed[i].vocabulary)
        words.update(analysed[i].vocabulary)
    touched = {word for i in changed for word in reference.analysed[i].vocabulary ^ analysed[i].vocabulary}
    if settings.decompound and any(
        (words[w] > 0) != (reference.vocabulary[w] > 0) for w in touched & reference.name_pieces
    ):
        # A word a name could be split into came or went: decompound again; new splits need a full build.
        known = frozenset(word for word, count in words.items() if count > 0)
        if decompound(reference.raw_names, [known]) != reference.splits:
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
    variant = _variant(reference, averages, settings)
    base_pseudo, base = variant.pseudo, variant.index
    pseudo = list(base_pseudo)
    for i in changed:
        pseudo[i] = _CACHE.pseudo_of(
            keys[i], analysed[i], reference.names[i], averages, settings, fingerprint
        )
    df = variant.df.copy()
    for i in changed:
        df.subtract(base_pseudo[i].keys())
        df.update(pseudo[i].keys())
    idfs = dict(base.idf)
    # Terms some changed skill gained or lost: their posting lists (and maybe idf) are recomputed in full.
    recount = {term for i in changed for term in base_pseudo[i].keys() ^ pseudo[i].keys()}
    for term in recount:
        if df[term] > 0:
            idfs[term] = idf_of(n, df[term])
        else:
            idfs.pop(term, None)
    k1 = settings.k1
    positive = dict(base.postings)
    positive_terms = {term for i in changed for term in (*base_pseudo[i].keys(), *pseudo[i].keys())}
    for term in positive_terms:
        if term in recount or term not in positive:
            docs = array("i", (d for d in range(n) if term in pseudo[d])) if df[term] > 0 else array("i")
            if not docs:
                positive.pop(term, None)
                continue
            term_idf = idfs[term]
            positive[term] = (docs, array("d", (impact(term_idf, pseudo[d][term], k1) for d in docs)))
            continue
        docs, impacts = positive[term]
        new_docs, new_impacts = array("i", docs), array("d", impacts)
        for i in changed:
            if term in pseudo[i]:
                new_impacts[new_docs.index(i)] = impact(idfs[term], pseudo[i][term], k1)
        positive[term] = (new_docs, new_impacts)
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
                    array("d", (negative_impact(settings, idfs, n, term, count) for _, count in entries)),
                )
            else:
                negative.pop(term, None)
    prefixes = base.prefixes
    gone = [term for term in recount if term in base.postings and term not in positive]
    came = [term for term in recount if term in positive and term not in base.postings]
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
        [key[0] for key in keys], idfs, idf_of(n, 0), positive, negative, reference.splits, prefixes=prefixes
    )
