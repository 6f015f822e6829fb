"""Model-free checks that an answer is grounded in its sources and answers what was asked.

A small LLM's typical mistakes on a near-miss question ("What GDP target did China set for
2026?" over sources that give the 2025 target) are to answer the neighbouring fact, to invent a
figure, or to restate the question with a citation and no answer. None of these needs a model to
catch:

- **No answer.** The answer adds no word or number to the question (words compared by a crude
  stem) ("The meeting is expected to place technology at the heart of the agenda [1].").
- **Unsupported numbers.** A number in the answer appears in none of the passages.
- **Question constraints.** A name in the question appears in none of the passages (the
  documents are not about that company or person; accents and one-letter slips aside), or a year
  or other number in the question is missing from the sources the answer rests on (the sentence
  that supports it and its neighbours for a year; the passages for any other number), or the
  question asks for a quantity or a date and the answer holds none. For an extractive answer, the
  best sentence's own document must name what the question names (`unmet_names`).

Whether a sentence answers the question (or one part of it), and not its opposite, is
`rag.answer.answering`'s.

The checks read only text, so they cost microseconds. They are deliberately narrow: each one
names a concrete fault, which is what the `Answer`'s notes say when it fires.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.mentions import MONTH, mentions
from rag.text import MARKER, content_words
from rag.types import Hit

__all__ = [
    "swapped_name",
    "unmet_names",
    "Constraints",
    "GroundingCheck",
    "check_answer",
    "passages_text",
    "question_constraints",
    "sentence_neighbours",
    "sentence_windows",
    "unmet_constraint",
]

_MARKERS = MARKER  # rag.text: the one [n] marker pattern
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|trillions?|half|dozens?|double|doubled|triple|tripled)\b",
    re.IGNORECASE,
)
# A name in the question: a capitalised word of 3+ letters that does not open a sentence and is
# not a stopword ("Huatai" in "Who is the chief economist at Huatai Securities?"). Acronyms such
# as "EVs" are left out: the sources often spell them out.
_NAME = re.compile(r"(?<![\w'’-])[A-Z][a-z]{2,}[\w'’-]*")
SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s*)\W*$")
POSSESSIVE = re.compile(r"['’]s?$")
# Irregular forms a restated question often switches between.
IRREGULAR = {
    "said": "say",
    "says": "say",
    "made": "make",
    "held": "hold",
    "told": "tell",
    "wrote": "write",
    "written": "write",
    "gave": "give",
    "given": "give",
    "took": "take",
    "taken": "take",
    "grew": "grow",
    "grown": "grow",
    "rose": "rise",
    "risen": "rise",
    "led": "lead",
    "won": "win",
    "spent": "spend",
}
# A date in figures: a year, or day and month as "12/3" or "2025-03-12"; an ordinal alone
# ("the 20th Central Committee") is not a date.
_DATE_NUMBER = re.compile(r"\b(?:1[5-9]|20)\d\d\b|\b\d{1,2}[/.-]\d{1,2}\b")
# A month the question names, capitalised ("in April", "on 12 March"); "May" only beside a day or
# year, as it is also a verb.
_NAMED_MONTH = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December|"
    r"May(?=\s+\d)|(?<=\d\s)May)\b"
)
_MONTH_NAMES = {
    name[:3].lower(): name
    for name in "January February March April May June July August September October November December".split()
}
WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)
# What the question asks for, read from its opening words.
_ASKS_QUANTITY = re.compile(
    r"^\W*(?:by )?how (?:many|much)\b|^\W*what (?:percentage|percent|proportion|number|amount)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(r"\b(?:on )?(?:what|which) (?:dates?|day)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Constraints:
    """What a question pins down: the years and other numbers it names, and the kind of answer
    it asks for ("quantity", "date" or "" when the question does not say)."""

    years: frozenset[str]
    numbers: frozenset[str]
    asks: str = ""
    names: frozenset[str] = frozenset()
    months: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GroundingCheck:
    """`no_answer`: the answer only restates the question. `problems`: why the answer is not
    grounded or does not answer the question (empty when it passes)."""

    no_answer: bool
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.no_answer and not self.problems


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(_MARKERS.sub(" ", text))}


def question_constraints(question: str) -> Constraints:
    question = question.strip()
    years = frozenset(YEAR.findall(question))
    asks = "date" if _ASKS_DATE.search(question) else "quantity" if _ASKS_QUANTITY.search(question) else ""
    names = frozenset(
        POSSESSIVE.sub("", m.group(0)).lower()
        for m in _NAME.finditer(question)
        if not SENTENCE_START.search(question[: m.start()]) and content_words(m.group(0))
    )
    months = frozenset(m.group(1)[:3].lower() for m in _NAMED_MONTH.finditer(question))
    return Constraints(years, frozenset(_numbers(question) - years), asks, names, months)


def unmet_names(constraints: Constraints, document: str, others: Sequence[str] = ()) -> str | None:
    """Why `document` (what was retrieved of the document a sentence comes from) is not about
    what the question names, or None: a name of the question is not in it ("Berlin's first stock
    exchange" over "Warsaw's first stock exchange was established in 1817"). A name that every
    other retrieved document (`others`, at least two) holds is the collection's subject, which a
    passage often leaves unsaid ("China's GDP" over an article on China that says "GDP"); it is
    not asked for."""
    lowered = document.lower()
    others = [text.lower() for text in others]
    absent = sorted(
        name
        for name in constraints.names
        if not mentions(lowered, name) and not (len(others) >= 2 and all(mentions(text, name) for text in others))
    )
    if absent:
        return f"the best sentence's document never mentions {', '.join(absent)}, which the question asks about"
    return None


_TOKEN = re.compile(r"[A-Za-z0-9][\w'’-]*")
_WH_WORDS = frozenset({"what", "which", "whose", "many", "much"})


def _frame(tokens: list[str], i: int) -> set[str]:
    """The content words within two tokens of token i, cut to a crude stem (`_stems`)."""
    return _stems(" ".join(tokens[max(0, i - 2) : i] + tokens[i + 1 : i + 3]))


def swapped_name(
    constraints: Constraints, question: str, sentence: str, neighbours: Sequence[str], title: str = ""
) -> str | None:
    """Why `sentence` is about something else than the question, or None: a name the question
    asks about is nowhere in the sentence, its `neighbours` (itself and the sentences either side
    of it) or its document's `title`, and the sentence names something else in the same frame
    ("Who was the first Cetrum President?" over "The first Warsaw President was Jan Andrzej
    Menich"; "How many rooms does the Katyn Historical Museum have?" over "Warsaw Historical
    Museum contains 60 rooms"). The frame is the words within two of the name; the other name is
    a word the question lacks that stands capitalised mid-sentence in the neighbours. A name
    merely left unsaid ("Why is Beijing pushing…" over "China will adopt…") has no such rival."""
    lowered = " ".join([title, sentence, *neighbours]).lower()
    missing = [name for name in constraints.names if not mentions(lowered, name)]
    if not missing:
        return None
    asked = [POSSESSIVE.sub("", token).lower() for token in _TOKEN.findall(question)]
    raw = _TOKEN.findall(sentence)
    said = [POSSESSIVE.sub("", token).lower() for token in raw]
    # "Unlike" opens a sentence; "Warsaw" also stands mid-sentence.
    named = {
        POSSESSIVE.sub("", m.group(0))
        for text in (sentence, *neighbours)
        for m in _NAME.finditer(text)
        if not SENTENCE_START.search(text[: m.start()])
    }
    for name in missing:
        # A name inside what is asked for ("Which Chinese premier…", "What Swiss city…") is
        # next to the answer itself, which is a name the question lacks.
        where = [i for i, token in enumerate(asked) if token == name and not _WH_WORDS & set(asked[max(0, i - 2) : i])]
        frame = set().union(*(_frame(asked, i) for i in where))
        for j, token in enumerate(raw):
            if POSSESSIVE.sub("", token) not in named or said[j] in asked or not content_words(token):
                continue
            if frame & _frame(said, j):
                return f"it names {POSSESSIVE.sub('', token)} where the question names {name}"
    return None


def sentence_neighbours(hit: Hit, offset: int) -> tuple[str, ...]:
    """The passage sentence at `offset` (in the passage text) with the sentences either side."""
    texts = [sentence.text for sentence in hit.chunk.sentences]
    for i, sentence in enumerate(hit.chunk.sentences):
        if sentence.start == offset:
            return tuple(texts[max(0, i - 1) : i + 2])
    return ()


def _stems(text: str) -> set[str]:
    """Content words cut to a crude stem (6 letters; irregular verbs mapped), so "expecting"
    and "expected", or "say" and "said", count as the same word."""
    return {IRREGULAR.get(word, word)[:6] for word in content_words(text)}


def unmet_constraint(constraints: Constraints, answer: str, support: str, sources: str) -> str | None:
    """Why `answer`, resting on `support` (its sentence and neighbours) within `sources` (the
    passages), does not meet the question's constraints; None when it does."""
    missing_years = sorted(y for y in constraints.years if y not in YEAR.findall(support))
    if missing_years:
        return f"the supporting sentences do not mention {', '.join(missing_years)}, which the question asks about"
    if constraints.months:
        named = {m.group(0)[:3].lower() for m in MONTH.finditer(support)}
        missing_months = sorted(m for m in constraints.months if m not in named)
        if missing_months:
            months = ", ".join(_MONTH_NAMES[m] for m in missing_months)
            return f"the supporting sentences do not mention {months}, which the question asks about"
    lowered = sources.lower()
    absent = sorted(name for name in constraints.names if not mentions(lowered, name))
    if absent:
        return f"the sources never mention {', '.join(absent)}, which the question asks about"
    missing = sorted(constraints.numbers - _numbers(sources))
    if missing:
        return f"the sources do not mention {', '.join(missing)}, which the question asks about"
    text = _MARKERS.sub(" ", answer)
    if constraints.asks == "quantity" and not (_NUMBER.search(text) or NUMBER_WORD.search(text)):
        return "the question asks for a quantity and the answer gives none"
    if constraints.asks == "date" and not (MONTH.search(text) or WEEKDAY.search(text) or _DATE_NUMBER.search(text)):
        return "the question asks for a date and the answer gives none"
    return None


def passages_text(passages: Sequence[Hit]) -> str:
    """The passages' titles and texts, as the checks search them."""
    return "\n".join(f"{hit.chunk.title}\n{hit.chunk.text}" for hit in passages)


def _window(hit: Hit, sentences: list[str], i: int) -> str:
    """Sentence i of a passage with the sentences either side of it and the passage's title."""
    return " ".join([hit.chunk.title, *sentences[max(0, i - 1) : i + 2]])


def sentence_windows(hit: Hit) -> dict[int, str]:
    """The support window of each sentence of a passage, by the sentence's offset in its text."""
    sentences = hit.chunk.sentences
    texts = [sentence.text for sentence in sentences]
    return {sentence.start: _window(hit, texts, i) for i, sentence in enumerate(sentences)}


def _support_window(new_words: set[str], new_numbers: set[str], passages: Sequence[Hit]) -> str:
    """The window (`_window`) of the passage sentence that shares most of the answer's own
    words and numbers."""
    best, window = -1, ""
    for hit in passages:
        sentences = [s.text for s in hit.chunk.sentences]
        for i, sentence in enumerate(sentences):
            overlap = len(new_words & content_words(sentence)) + 2 * len(new_numbers & _numbers(sentence))
            if overlap > best:
                best = overlap
                window = _window(hit, sentences, i)
    return window


def check_answer(question: str, answer: str, passages: Sequence[Hit]) -> GroundingCheck:
    """Check an LLM's answer (with `[n]` markers that refer to `passages`) against the question
    and the passages."""
    text = _MARKERS.sub(" ", answer)
    new_words = content_words(text) - content_words(question)
    new_numbers = _numbers(text) - _numbers(question)
    if not (_stems(text) - _stems(question)) and not new_numbers:
        return GroundingCheck(no_answer=True, problems=("the answer only restates the question",))
    # All passages, not only the cited ones: a small model often cites the wrong one of two
    # neighbouring passages, which the citation checks report; here the question is whether the
    # sources support the answer at all.
    sources = passages_text(passages)
    problems = []
    invented = sorted(_numbers(text) - _numbers(sources))
    if invented:
        problems.append(f"the answer's {', '.join(invented)} appears in none of the sources")
    window = _support_window(new_words, new_numbers, passages)
    unmet = unmet_constraint(question_constraints(question), answer, window, sources)
    if unmet:
        problems.append(unmet)
    return GroundingCheck(no_answer=False, problems=tuple(problems))
