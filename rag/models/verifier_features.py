"""What the verifier reads in a (claim, evidence) pair: how the claim's words, numbers and names
align with the evidence, where they conflict (negation, direction, quantifier, order of names),
and how close the two are in meaning (sentence and token embeddings).

Each feature is a number in about [0, 1]; `FEATURES` fixes their order, which `verifier.json`
names (the verifier's rule reads the conflicts, the answer's word coverage and the similarity).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.mentions import names_acronym, names_name, numbers, plain
from rag.models.verifier_asked import asks_figure, unanswered
from rag.models.verifier_conflicts import (
    contrast_reversed,
    directions,
    exchanged,
    figure_of_another,
    figures_relabelled,
    in_scope,
    name_groups,
    names_reordered,
    negation_conflict,
    opposite_beside,
    quantifiers_of,
    years_apart,
)
from rag.models.verifier_figures import rounded, worked_out
from rag.models.verifier_options import amount_conflict, option_conflict, order_conflict
from rag.models.verifier_words import claim_names, parted_sentences, possessives_parted, stems, words_of
from rag.text import split_sentences

__all__ = ["FEATURES", "Aligner", "Encoded", "Vectors", "stems", "passage_segments", "evidence_tokens"]

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
    "option_mismatch",
    "question_unanswered",
    "similarity",
    "question_similarity",
    "token_precision",
    "token_weakest",
    "claim_length",
)

# The share of a claim's content words found in its evidence above which it is a near-copy.
_KEEPS_WORDS = 0.7
# A name is where the claim's facts are when its sentence holds this many of the claim's other words.
_ATTACHED_WORDS = 2
# A sentence that speaks of what the one before it named ("He also played…", "The film stars…").
_REFERS_BACK = re.compile(r"^(?:he|she|it|they|his|her|its|their|this|the)\b", re.IGNORECASE)


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


# A pair's vectors: the claim's, the evidence segments', and the question's (None without one).
Vectors = tuple[Encoded, list[Encoded], Encoded | None]


def evidence_tokens(segments: Sequence[Encoded]):
    """The token vectors of an evidence's segments, one after the other."""
    import numpy as np

    parts = [s.tokens for s in segments if len(s.tokens)]
    return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)


@dataclass(frozen=True)
class _Sentences:
    """An evidence's sentences (`texts`), each one's stems, and the names each holds that the claim
    and its question do not (`strangers`)."""

    texts: list[str]
    stems: list[set[str]]
    strangers: list[list[str]]


@dataclass
class Aligner:
    """Computes `FEATURES` for (claim, evidence) pairs.

    Args:
        idf: inverse document frequency per stem (unknown stems get `default_idf`).
        encode: per text, its `Encoded` vectors; None (and no vectors given to `features`) leaves
            the embedding features at their neutral value.
        lower_case: words usually written lower-case; capitalised at a sentence's start they open
            no name (`claim_names`).
    """

    idf: dict[str, float]
    default_idf: float = 8.0
    encode: Callable[[list[str]], list[Encoded]] | None = None
    lower_case: frozenset[str] = frozenset()

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

    def _attached(self, name: str, claim_stems: set[str], window: str, mates: set[str], reading: _Sentences) -> bool:
        """Whether the evidence names `name` where it says what the claim says of it.

        Where the sentences that hold the most of the claim's other words name someone else (a
        name that neither the claim nor the question names or says a word of: `reading.strangers`),
        `name` must be named there too, or in the sentence before one of them that opens with a
        pronoun or "the" ("He also played…"): "Tom Skerritt was born in March" is not said by
        "…starred Tom Skerritt and Sharon Stone. Sharon Stone (born March 10, 1958)…". Otherwise the
        window that aligns best with the claim will do ("…the Songhua River" two sentences after the
        festival's name). Either way, so will a sentence that holds at least `_ATTACHED_WORDS` of
        the claim's other words. A list's names (`mates`, whose words are not counted) may each be
        described in other words: "Phacelia and Nymphaea are plants" is said of each apart."""
        own = set(stems(name))
        said = claim_stems - own - mates
        sentences = reading.texts
        held = [len(said & words) for words in reading.stems]
        best = [i for i, count in enumerate(held) if count == max(held) > 0]
        rivals = [i for i in best if any(n != name for n in reading.strangers[i])]
        if not rivals or mates:
            if names_name(name, window):
                return True
        elif any(
            names_name(name, sentences[i])
            or (i > 0 and _REFERS_BACK.match(sentences[i]) and names_name(name, sentences[i - 1]))
            for i in best
        ):
            return True
        return any(
            names_name(name, text) and len((claim_stems - own) & words) >= _ATTACHED_WORDS
            for text, words in zip(sentences, reading.stems, strict=True)
        )

    def _sentences(self, evidence: str, known: str) -> _Sentences:
        """The evidence's sentences as `_attached` reads them, once per pair: their stems, and the
        names in each that `known` (the claim and its question) neither names nor says a word of."""
        texts = parted_sentences(evidence) or [evidence]
        known_stems = set(stems(known))
        strangers = [
            [
                n
                for n in claim_names(text, self.lower_case)
                if not names_name(n, known) and not set(stems(n)) & known_stems
            ]
            for text in texts
        ]
        return _Sentences(texts, [set(stems(text)) for text in texts], strangers)

    def encoded(
        self, claim: str, evidence: str, segments: Sequence[str] | None = None, question: str = ""
    ) -> Vectors | None:
        """The vectors of the claim, of the evidence's segments (`passage_segments` unless given)
        and of the question, or None without an encoder."""
        if self.encode is None:
            return None
        segments = passage_segments(evidence) if segments is None else segments
        encoded = self.encode([claim, *segments, *([question] if question else [])])
        return encoded[0], encoded[1 : 1 + len(segments)], encoded[-1] if question else None

    def features(
        self,
        claim: str,
        evidence: str,
        question: str = "",
        vectors: Vectors | None = None,
        whole_answer: bool = True,
    ) -> list[float]:
        """`FEATURES` of the pair; `vectors` (from `encoded`) are computed when not given. With
        `whole_answer`, the claim is all there is of the answer to `question`, so it must give what
        the question asks for (`unanswered`); one sentence of a longer answer need not."""
        vectors = vectors or self.encoded(claim, evidence, question=question)
        claim, evidence, question = plain(claim), plain(evidence), plain(question)
        claim_stems = set(stems(claim))
        years_counted = years_apart(claim, evidence)
        # "two years later" against 1750 and 1752: the evidence says the years the claim counts.
        evidence_stems = set(stems(evidence)) | ({"year"} if years_counted else set())
        missing = claim_stems - evidence_stems
        coverage = 1 - len(missing) / len(claim_stems) if claim_stems else 1.0
        weight = sum(self._idf(s) for s in claim_stems)
        question_stems = set(stems(question)) if question else set()
        answer_stems = claim_stems - question_stems if question else claim_stems
        answer_missing = answer_stems - evidence_stems
        claim_numbers, evidence_numbers = numbers(claim), numbers(evidence)
        unstated = claim_numbers - evidence_numbers - years_counted
        if unstated:  # said in other words: worked out from two figures, or rounded, except in a
            # whole answer to "how many?", which asks for the evidence's figure itself
            unstated -= worked_out(claim, evidence)
            unstated -= set() if whole_answer and asks_figure(question) else rounded(claim, evidence)
        names = claim_names(claim, self.lower_case)
        stated_names = possessives_parted(names)
        window = self._window(claim_stems, evidence)
        groups = name_groups(stated_names, claim)
        mates = {n: {s for m in groups if m != n and groups[m] == groups[n] for s in stems(m)} for n in groups}
        reading = self._sentences(evidence, f"{claim} {question}") if stated_names else None
        claim_words, window_words = words_of(claim), words_of(window)
        claim_set, window_set = set(claim_words), set(window_words)
        # Direction and negation are read in the one sentence that matches best: a window of two
        # may say both.
        best_sentence = self._window(claim_stems, evidence, size=1)
        sentence_words = words_of(best_sentence)
        flipped = (
            any(c * e == -1 for c, e in zip(directions(claim_set), directions(set(sentence_words)), strict=True))
            or opposite_beside(claim_words, sentence_words)
            or order_conflict(claim, evidence, question)
        )
        quantifiers = quantifiers_of(claim_set, claim) - quantifiers_of(window_set, window)
        in_window = [n for n in dict.fromkeys(names) if n.lower() in window.lower()]
        # "AI" and "Artificial Intelligence" are one name, wherever each stands.
        in_window = [
            n for n in in_window if not (n.isupper() and any(m != n and names_acronym(n, m) for m in in_window))
        ]
        swapped = 0.0
        # Names in another order mean swapped roles only in a claim that keeps the evidence's
        # words; a rewording moves whole clauses and their names with them.
        if len(in_window) >= 2 and coverage >= _KEEPS_WORDS:
            swapped = float(names_reordered(in_window, claim, window))
        if coverage >= _KEEPS_WORDS and (exchanged(claim, window) or figures_relabelled(claim, evidence)):
            swapped = 1.0
        if contrast_reversed(claim, evidence):
            swapped = 1.0
        similarity, precision, weakest = _embedding_features(vectors) if vectors else (0.5, 0.5, 0.5)
        asked = _closest(vectors[2], vectors[1]) if vectors and vectors[2] is not None else 0.0
        return [
            coverage,
            1 - sum(self._idf(s) for s in missing) / weight if weight else 1.0,
            max((self._idf(s) for s in missing), default=0.0) / 12,
            min(len(missing), 6) / 6,
            1 - len(answer_missing) / len(answer_stems) if answer_stems else 1.0,
            max((self._idf(s) for s in answer_missing), default=0.0) / 12,
            float(bool(unstated) or figure_of_another(claim, evidence)),
            float(bool(claim_numbers)),
            (
                sum(not self._attached(n, claim_stems, window, mates[n], reading) for n in stated_names)
                / len(stated_names)
                if stated_names
                else 0.0
            ),
            float(
                negation_conflict(
                    claim, in_scope(claim_stems, best_sentence) or best_sentence, reworded=coverage < _KEEPS_WORDS
                )
            ),
            float(flipped),
            min(len(quantifiers), 2) / 2,
            swapped,
            float(option_conflict(claim, evidence, question) or amount_conflict(claim, evidence, question)),
            float(whole_answer and unanswered(claim, question)),
            similarity,
            asked,
            precision,
            weakest,
            min(math.log1p(len(claim_stems)) / math.log(30), 1.0),
        ]


def _closest(text: Encoded, segments: Sequence[Encoded]) -> float:
    """The cosine of a text with its closest evidence segment (0 at least)."""
    import numpy as np

    return max(0.0, max((float(np.dot(text.vector, s.vector)) for s in segments), default=0.0))


def _embedding_features(vectors: Vectors) -> tuple[float, float, float]:
    """Cosine of the claim with its closest evidence segment; the mean and the weakest of its
    tokens' best matches among the evidence's tokens (BERTScore-style precision)."""
    import numpy as np

    claim, segments, _ = vectors
    if not segments:
        return 0.0, 0.0, 0.0
    similarity = _closest(claim, segments)
    tokens = evidence_tokens(segments)
    if not len(claim.tokens) or not len(tokens):
        return similarity, 0.5, 0.5
    best = (claim.tokens @ tokens.T).max(axis=1)
    lowest = np.sort(best)[: min(2, len(best))]
    return similarity, float(best.mean()), float(lowest.mean())
