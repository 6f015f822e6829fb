"""What the verifier reads in a (claim, evidence) pair: how the claim's words, numbers and names
align with the evidence, where they conflict (negation, direction, quantifier, order of names),
and how close the two are in meaning (sentence and token embeddings).

Each feature is a number in about [0, 1]; `FEATURES` fixes their order, which `verifier.json`
names (the verifier's rule reads the conflicts, the answer's word coverage and the similarity).
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.mentions import names_acronym, names_name, numbers, plain
from rag.text import split_sentences

__all__ = ["FEATURES", "Aligner", "Encoded", "stems", "passage_segments", "evidence_tokens"]

FEATURES = (
    "coverage",
    "coverage_idf",
    "missing_idf_max",
    "missing_count",
    "answer_coverage",
    "answer_missing_idf_max",
    "number_missing",
    "has_number",
    "name_missing",
    "negation_mismatch",
    "direction_conflict",
    "quantifier_mismatch",
    "name_order_swapped",
    "similarity",
    "token_precision",
    "token_weakest",
    "claim_length",
)

_TOKEN = re.compile(r"[A-Za-z0-9][\w'\-]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A hyphen joins two capitalised parts of a name ("Hewlett-Packard", "Israel-Lebanon"); in
# "AI-driven" or "US-led" only the capitalised part is a name.
_NAME = re.compile(r"\b[A-Z][a-zA-Z']+(?:-[A-Z][a-zA-Z']+)*(?:\s+[A-Z][a-zA-Z']+(?:-[A-Z][a-zA-Z']+)*)*")
_STOP = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being this that
    these those it its he she they them his her their we our you your i me my what which who whom whose
    when where why how do does did have has had so than too very can could should would will shall may
    might must about into over under then there here also just such s t said says say per via
    according""".split()
)
_NEGATION = frozenset("not no never none nor neither without cannot n't nobody nothing".split())
# Words of a direction, matched by stem ("expanding", "weakened"): up against down, and earlier
# against later.
_UP = frozenset(
    """rise rose risen increase grew grow growth higher high highest up climb gain jump surge expand
    accelerate more most boost raise larger largest bigger strengthen stronger sharper deeper widen
    outpace improve above exceed over ahead""".split()
)
_DOWN = frozenset(
    """fall fell fallen decrease decline shrink shrank lower low lowest down drop slump contract slow
    slower less least fewer cut reduce smaller smallest weaken weaker worsen diminish lag narrow
    below behind""".split()
)
_EARLIER = frozenset("before earlier early prior preceding".split())
_LATER = frozenset("after later late following subsequently postpone delay".split())
_LONG = frozenset("long longer longest".split())
_SHORT = frozenset("short shorter shortest".split())
_TOWARD = frozenset("toward towards".split())
_AWAY = frozenset("away".split())
_QUANTIFIERS = frozenset(
    "all every each some none only first second third fourth last most least majority minority half both".split()
)
# The share of a claim's content words found in its evidence above which it is a near-copy.
_KEEPS_WORDS = 0.7
# Words that say what a quantifier says ("every algorithm", "all algorithms"; "the final years",
# "the last years"), and "part of" says "some of".
_QUANTIFIER_SYNONYMS = {
    "every": "all",
    "each": "all",
    "entire": "all",
    "several": "some",
    "certain": "some",
    "earliest": "first",
    "final": "last",
    "latest": "last",
    "sole": "only",
    "solely": "only",
    "exclusively": "only",
    "majority": "most",
}

_stemmer = None


def _stem(word: str) -> str:
    global _stemmer
    if _stemmer is None:
        import Stemmer

        _stemmer = Stemmer.Stemmer("english")
    return _stemmer.stemWord(word)


def _words(text: str) -> list[str]:
    return [w.lower().removesuffix("'s") for w in _WORD.findall(text)]


def stems(text: str) -> list[str]:
    """Content words of `text`, lower-cased and stemmed, in order."""
    return [_stem(w) for w in _words(text) if w not in _STOP and not _NUMBER.fullmatch(w)]


_SEGMENT_CHARS = 700


def passage_segments(text: str, max_chars: int = _SEGMENT_CHARS) -> list[str]:
    """`text` cut at sentence ends into pieces of at most about `max_chars` (a longer sentence is a
    piece of its own), so that each piece fits the embedder's 256 tokens and no evidence is cut off."""
    pieces: list[str] = []
    current = ""
    for sentence in (s.text.strip() for s in split_sentences(text)):
        if not sentence:
            continue
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces or ([text.strip()] if text.strip() else [])


@dataclass(frozen=True)
class Encoded:
    """A text's sentence vector and contextual token vectors (special tokens removed), L2-normalised."""

    vector: object
    tokens: object


def evidence_tokens(segments: Sequence[Encoded]):
    """The token vectors of an evidence's segments, one after the other."""
    import numpy as np

    parts = [s.tokens for s in segments if len(s.tokens)]
    return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def _names(text: str) -> list[str]:
    sentences = split_sentences(text)
    starts = {s.start for s in sentences}
    return [m.group(0) for m in _NAME.finditer(text) if m.start() not in starts and m.group(0).lower() not in _STOP]


_PART_OF = re.compile(r"\bpart of\b", re.IGNORECASE)


def _quantifiers(words: set[str], text: str) -> set[str]:
    found = {_QUANTIFIER_SYNONYMS.get(w, w) for w in words if w in _QUANTIFIERS or w in _QUANTIFIER_SYNONYMS}
    return found | {"some"} if _PART_OF.search(text) else found


@functools.cache
def _axes() -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """The direction words' stems, per axis (the stemmer loads on first use)."""
    return tuple(
        (frozenset(map(_stem, one)), frozenset(map(_stem, other)))
        for one, other in ((_UP, _DOWN), (_EARLIER, _LATER), (_LONG, _SHORT), (_TOWARD, _AWAY))
    )


def _direction_marks(words: list[str]) -> list[tuple[int, int, set[str]]]:
    """Each direction word of `words` as (axis, 1 or -1, what it says goes one way: the stems of
    the word just before it and of the first content word within two after it, direction words
    and stopwords aside)."""
    axes = _axes()
    directional = frozenset().union(*(one | other for one, other in axes))
    words = [part for word in words for part in word.split("-") if part]  # "long-term" reads "long", "term"
    stemmed = [_stem(w) for w in words]

    def content(j: int) -> bool:
        return words[j] not in _STOP and stemmed[j] not in directional

    marks = []
    for i, stem in enumerate(stemmed):
        for axis, (one, other) in enumerate(axes):
            if stem in one or stem in other:
                near = {stemmed[i - 1]} if i and content(i - 1) else set()
                after = [j for j in range(i + 1, min(len(words), i + 3)) if content(j)]
                near |= {stemmed[after[0]]} if after else set()
                marks.append((axis, 1 if stem in one else -1, near))
    return marks


def _opposite_beside(claim: list[str], evidence: list[str]) -> bool:
    """Whether a direction word of the claim stands beside a word that the evidence puts beside
    the opposite one ("a *less* proactive policy" against "a *more* proactive policy"; "lagging
    behind overall investment" against "outpacing overall investment"), even where each sentence
    has words of both directions."""
    marks = _direction_marks(evidence)
    return any(
        axis == other_axis and way == -other_way and near & other_near
        for axis, way, near in _direction_marks(claim)
        for other_axis, other_way, other_near in marks
    )


def _exchanged(claim: str, evidence: str) -> bool:
    """Whether the claim is the evidence with two of its parts exchanged ("science poses the
    problems, industry supplies the answers" against "industry poses the problems, science
    supplies the answers"; "lead in 5G, building on its dominance in 6G" against the reverse):
    aligned word by word (stems), two replaced runs of the claim each hold what the other
    replaced in the evidence."""

    def tokens(text: str) -> list[str]:  # "5G" and "6G" whole: they differ by their digit
        return [_stem(w) for w in (t.lower() for t in _TOKEN.findall(text)) if w not in _STOP]

    said, written = tokens(claim), tokens(evidence)
    replaced = [
        (frozenset(said[i1:i2]), frozenset(written[j1:j2]))
        for tag, j1, j2, i1, i2 in difflib.SequenceMatcher(a=written, b=said, autojunk=False).get_opcodes()
        if tag == "replace"
    ]
    return any(
        mine == theirs_other and mine_other == theirs
        for k, (mine, theirs) in enumerate(replaced)
        for mine_other, theirs_other in replaced[k + 1 :]
    )


def _directions(words: set[str]) -> list[int]:
    """Per axis (up/down, earlier/later): 1 or -1 when the words go one way only, else 0."""
    stemmed = {_stem(w) for w in words}
    found = []
    for one, other in _axes():
        a, b = bool(stemmed & one), bool(stemmed & other)
        found.append(1 if a and not b else -1 if b and not a else 0)
    return found


# Words that say "not" without a negation word: a rewording often writes "failed to take" for
# "did not take", "unprecedented" for "never seen before", "rather than" for "not merely".
_DENIAL = re.compile(
    r"\b(?:fail(?:s|ed|ing|ure)?|unable|lack(?:s|ed|ing)?|barred|bans?|banned|refus(?:e|es|ed|ing|al)|"
    r"prohibit(?:s|ed)?|forbid(?:s|den)?|rather than|instead|absen(?:t|ce)|unprecedented)\b",
    re.IGNORECASE,
)


# Fewer words than this make a bare answer (a name, a date), not a statement.
_STATEMENT_WORDS = 4
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:()]|\s[\u2013\u2014-]\s)\s*")


def _negation_conflict(claim: str, sentence: str, reworded: bool) -> bool:
    """One side negates and the other does not; in a `reworded` claim (not a near-copy), unless
    the other side says "not" in other words (`_DENIAL`)."""
    claim_negated, sentence_negated = _negated(claim), _negated(sentence)
    if claim_negated == sentence_negated or (not claim_negated and len(_WORD.findall(claim)) < _STATEMENT_WORDS):
        # A bare answer ("Bowdoin College") states nothing a "not" in the evidence could deny.
        return False
    other = sentence if claim_negated else claim
    return not reworded or _DENIAL.search(other) is None


def _in_scope(claim_stems: set[str], sentence: str) -> str:
    """The clauses of an evidence sentence that hold the claim's words (at least two of them, or
    all of a shorter clause's): a "not" in a clause the claim does not draw on is no denial of it
    ("*Without* supercritical pressure the range is small; in steam turbines entry temperatures
    are typically 565 °C" for "Steam turbine entry temperatures are typically 565 °C")."""
    clauses = [c for c in _CLAUSE_BREAK.split(sentence) if c.strip()]
    kept = []
    for clause in clauses:
        clause_stems = set(stems(clause))
        if len(claim_stems & clause_stems) >= min(2, len(clause_stems)):
            kept.append(clause)
    return "; ".join(kept)


def _negated(text: str) -> bool:
    """An odd number of negation words. A capitalised one inside a sentence belongs to a name or a
    title ("The Year Without a Santa Claus", "No Country for Old Men") and negates nothing."""
    count = 0
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if not (word in _NEGATION or word.endswith("n't")):
            continue
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\n"
        count += match.group()[0].islower() or sentence_start
    return count % 2 == 1


@dataclass
class Aligner:
    """Computes `FEATURES` for (claim, evidence) pairs.

    Args:
        idf: inverse document frequency per stem (unknown stems get `default_idf`).
        encode: per text, its `Encoded` vectors; None (and no vectors given to `features`) leaves
            the embedding features at their neutral value.
    """

    idf: dict[str, float]
    default_idf: float = 8.0
    encode: Callable[[list[str]], list[Encoded]] | None = None

    def _idf(self, stem: str) -> float:
        return self.idf.get(stem, self.default_idf)

    def _window(self, claim_stems: set[str], evidence: str, size: int = 2) -> str:
        """The run of at most `size` evidence sentences that holds the most of the claim's words
        (the first such run)."""
        sentences = [s.text for s in split_sentences(evidence)] or [evidence]
        best, best_hits = sentences[0], -1
        for i in range(len(sentences)):
            window = " ".join(sentences[i : i + size])
            hits = len(claim_stems & set(stems(window)))
            if hits > best_hits:
                best, best_hits = window, hits
        return best

    def encoded(
        self, claim: str, evidence: str, segments: Sequence[str] | None = None
    ) -> tuple[Encoded, list[Encoded]] | None:
        """The claim's vectors and those of the evidence's segments (`passage_segments` unless
        given), or None without an encoder."""
        if self.encode is None:
            return None
        segments = passage_segments(evidence) if segments is None else segments
        encoded = self.encode([claim, *segments])
        return encoded[0], encoded[1:]

    def features(
        self, claim: str, evidence: str, question: str = "", vectors: tuple[Encoded, list[Encoded]] | None = None
    ) -> list[float]:
        """`FEATURES` of the pair; `vectors` (from `encoded`) are computed when not given."""
        vectors = vectors or self.encoded(claim, evidence)
        claim, evidence, question = plain(claim), plain(evidence), plain(question)
        claim_stems = set(stems(claim))
        evidence_stems = set(stems(evidence))
        missing = claim_stems - evidence_stems
        coverage = 1 - len(missing) / len(claim_stems) if claim_stems else 1.0
        weight = sum(self._idf(s) for s in claim_stems)
        question_stems = set(stems(question)) if question else set()
        answer_stems = claim_stems - question_stems if question else claim_stems
        answer_missing = answer_stems - evidence_stems
        claim_numbers, evidence_numbers = numbers(claim), numbers(evidence)
        names = _names(claim)
        window = self._window(claim_stems, evidence)
        claim_words, window_words = _words(claim), _words(window)
        claim_set, window_set = set(claim_words), set(window_words)
        # Direction and negation are read in the one sentence that matches best: a window of two
        # may say both.
        best_sentence = self._window(claim_stems, evidence, size=1)
        sentence_words = set(_words(best_sentence))
        flipped = any(
            c * e == -1 for c, e in zip(_directions(claim_set), _directions(sentence_words), strict=True)
        ) or _opposite_beside(claim_words, _words(best_sentence))
        quantifiers = _quantifiers(claim_set, claim) - _quantifiers(window_set, window)
        in_window = [n for n in dict.fromkeys(names) if n.lower() in window.lower()]
        # "AI" and "Artificial Intelligence" are one name, wherever each stands.
        in_window = [
            n for n in in_window if not (n.isupper() and any(m != n and names_acronym(n, m) for m in in_window))
        ]
        swapped = 0.0
        # Names in another order mean swapped roles only in a claim that keeps the evidence's
        # words; a rewording moves whole clauses and their names with them.
        if len(in_window) >= 2 and coverage >= _KEEPS_WORDS:
            order_claim = sorted(in_window, key=claim.find)
            order_window = sorted(in_window, key=lambda n: window.lower().find(n.lower()))
            swapped = float(order_claim != order_window)
        if coverage >= _KEEPS_WORDS and _exchanged(claim, window):
            swapped = 1.0
        similarity, precision, weakest = _embedding_features(vectors) if vectors else (0.5, 0.5, 0.5)
        return [
            coverage,
            1 - sum(self._idf(s) for s in missing) / weight if weight else 1.0,
            max((self._idf(s) for s in missing), default=0.0) / 12,
            min(len(missing), 6) / 6,
            1 - len(answer_missing) / len(answer_stems) if answer_stems else 1.0,
            max((self._idf(s) for s in answer_missing), default=0.0) / 12,
            float(bool(claim_numbers - evidence_numbers)),
            float(bool(claim_numbers)),
            sum(not names_name(n, evidence) for n in names) / len(names) if names else 0.0,
            float(
                _negation_conflict(
                    claim, _in_scope(claim_stems, best_sentence) or best_sentence, reworded=coverage < _KEEPS_WORDS
                )
            ),
            float(flipped),
            min(len(quantifiers), 2) / 2,
            swapped,
            similarity,
            precision,
            weakest,
            min(math.log1p(len(claim_stems)) / math.log(30), 1.0),
        ]


def _embedding_features(vectors: tuple[Encoded, list[Encoded]]) -> tuple[float, float, float]:
    """Cosine of the claim with its closest evidence segment; the mean and the weakest of its
    tokens' best matches among the evidence's tokens (BERTScore-style precision)."""
    import numpy as np

    claim, segments = vectors
    if not segments:
        return 0.0, 0.0, 0.0
    similarity = max(0.0, max(float(np.dot(claim.vector, s.vector)) for s in segments))
    tokens = evidence_tokens(segments)
    if not len(claim.tokens) or not len(tokens):
        return similarity, 0.5, 0.5
    best = (claim.tokens @ tokens.T).max(axis=1)
    lowest = np.sort(best)[: min(2, len(best))]
    return similarity, float(best.mean()), float(lowest.mean())
