"""Whether a claim read as the whole answer to a question gives what the question asks for.

An answer can be true of the evidence and still answer nothing: "Grassmann's law is named after
a German linguist" to "…a linguist born in which year?", "The producer of Vs. Tour." to "Who was
the producer…?", or the question said back as a statement ("…a song by an American singer that
began her career as a cheerleader" to "…as a cheerleader for who?"). Three readings, from words
alone:
- a date or a count is asked for ("in what year", "when did", "how many") and the claim gives no
  figure, month or number word;
- a person is asked for ("who…", "by whom", "which actor") and the claim names no one the
  question does not;
- the claim adds no word and no figure to the question's.
A question that offers its answers ("A or B?", "out of A and B", "both", "the same") is left to
the option checks, and a yes/no question is answered by "yes" or "no" (`rag.models.verifier`).
Only a whole answer is read so: one sentence of a longer answer may leave the date to the next.
"""

from __future__ import annotations

import re

from rag.mentions import MONTH, numbers
from rag.models.verifier_words import stems

__all__ = ["asks_figure", "unanswered", "YES_NO_QUESTION"]

YES_NO_QUESTION = re.compile(
    r"^\W*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.IGNORECASE
)
_OFFERS_OPTIONS = re.compile(r"\b(?:or|between|out of|both|same|common)\b", re.IGNORECASE)
_AUXILIARY = r"(?:did|was|were|is|does|do|will|has|had)"
_ASKS_FIGURE = re.compile(
    rf"\b(?:which|what) (?:year|decade|century|date)\b|\b(?:this|that) year\W*$|\bwhen {_AUXILIARY}\b|\bborn when\b"
    r"|\bhow (?:many|much|long|old)\b",
    re.IGNORECASE,
)
# Counts in words that `numbers` leaves out: what a count may be given by besides figures.
_COUNT_WORDS = re.compile(r"\b(?:one|once|single|dozen|several|few|many)\b", re.IGNORECASE)
_ASKS_PERSON = re.compile(
    r"^\W*(?:who|whom)\b|\b(?:by|after) whom\b|\bby who\W*$|, who\W*$"
    r"|\b(?:what|which) (?:person|man|woman|actor|actress|singer|player|author|writer|director|politician)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'\-.]*")
_NO_NAME = frozenset("The A An He She They It His Her Their Its This That These Those I".split())
_TOKEN = re.compile(r"[\w'\-.]+")
# Words an answer may add to the question's without answering it ("It is also known as…").
_FILLER = frozenset({"also", "known", "name", "call", "is", "be", "the"})
# A claim shorter than this may be the answer named in the question's own words ("Marine Corps
# Air Station Yuma" for "What … air station … is located at the Yuma National Airport?").
_RESTATED_MIN_STEMS = 4


def _new_name(claim: str, question: str) -> bool:
    asked = {w.lower().strip(".'") for w in _TOKEN.findall(question)}
    return any(w not in _NO_NAME and w.lower().strip(".'") not in asked for w in _CAPITALISED.findall(claim))


def _restated(claim: str, question: str) -> bool:
    if numbers(claim) - numbers(question):
        return False
    claim_stems = stems(claim)
    if len(claim_stems) < _RESTATED_MIN_STEMS:
        return False
    words = [w for w in claim.rstrip(".").split() if w[:1].isalpha()]
    if words and all(w[0].isupper() or w in ("of", "the", "and", "de") for w in words):
        return False  # a name, which the question may describe in full
    return not set(claim_stems) - set(stems(question)) - _FILLER


def asks_figure(question: str) -> bool:
    """Whether the question asks for a date or a count ("in what year", "how many")."""
    return bool(_ASKS_FIGURE.search(question))


def unanswered(claim: str, question: str) -> bool:
    """Whether `claim`, read as the whole answer to `question`, leaves out what the question asks
    for (see the module's readings); False without a question or for a question that offers its
    answers or asks yes or no."""
    if not question.strip() or YES_NO_QUESTION.match(question) or _OFFERS_OPTIONS.search(question):
        return False
    if asks_figure(question) and not numbers(claim) and not MONTH.search(claim) and not _COUNT_WORDS.search(claim):
        return True
    if _ASKS_PERSON.search(question) and not _new_name(claim, question):
        return True
    return _restated(claim, question)
