"""Model-free checks that an answer is grounded in its sources and answers what was asked.

A small LLM's typical mistakes on a near-miss question ("What GDP target did China set for
2026?" over sources that give the 2025 target) are to answer the neighbouring fact, to invent a
figure, or to restate the question with a citation and no answer. None of these needs a model to
catch:

- **No answer.** The answer adds no word or number to the question (words compared by a crude
  stem) ("The meeting is expected to
  place technology at the heart of the agenda [1].").
- **Unsupported numbers.** A number in the answer appears in none of the passages.
- **Question constraints.** A name in the question appears in none of the passages (the
  documents are not about that company or person), or a year or other number in the question is
  missing from the sources the answer rests on (the sentence that supports it and its neighbours for a year; the
  passages for any other number), or the question asks for a quantity or a date and the answer
  holds none.

- **Every part answered.** A question that asks two things ("…grow, and who said so?") is split
  into its parts (`rag.retrieve.questions.question_parts`); a sentence answers a part only when it
  speaks of what that part alone asks about (`own_words`) and holds the kind of answer it wants
  (`unmet_need`).

The checks read only text, so they cost microseconds. They are deliberately narrow: each one
names a concrete fault, which is what the `Answer`'s notes say when it fires.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text import MARKER, content_words
from rag.types import Hit

__all__ = [
    "own_words",
    "referent_words",
    "search_text",
    "unmet_need",
    "unmet_sense",
    "unmet_own_words",
    "Constraints",
    "GroundingCheck",
    "check_answer",
    "passages_text",
    "question_constraints",
    "sentence_windows",
    "unmet_constraint",
]

_MARKERS = MARKER  # rag.text: the one [n] marker pattern
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|trillions?|half|dozens?|double|doubled|triple|tripled)\b",
    re.IGNORECASE,
)
_MONTH = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?",
    re.IGNORECASE,
)
# A name in the question: a capitalised word of 3+ letters that does not open a sentence and is
# not a stopword ("Huatai" in "Who is the chief economist at Huatai Securities?"). Acronyms such
# as "EVs" are left out: the sources often spell them out.
_NAME = re.compile(r"(?<![\w'’-])[A-Z][a-z]{2,}[\w'’-]*")
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s*)\W*$")
_POSSESSIVE = re.compile(r"['’]s?$")
# Irregular forms a restated question often switches between.
_IRREGULAR = {
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
# A demonym's ending: "Chinese", "Indian", "Korean", "British", "Israeli".
_DEMONYM = re.compile(r"(?:ese|ian|an|ish|i)$")
# A date in figures: a year, or day and month as "12/3" or "2025-03-12"; an ordinal alone
# ("the 20th Central Committee") is not a date.
_DATE_NUMBER = re.compile(r"\b(?:1[5-9]|20)\d\d\b|\b\d{1,2}[/.-]\d{1,2}\b")
_WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)
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
    years = frozenset(_YEAR.findall(question))
    asks = "date" if _ASKS_DATE.search(question) else "quantity" if _ASKS_QUANTITY.search(question) else ""
    names = frozenset(
        _POSSESSIVE.sub("", m.group(0)).lower()
        for m in _NAME.finditer(question)
        if not _SENTENCE_START.search(question[: m.start()]) and content_words(m.group(0))
    )
    return Constraints(years, frozenset(_numbers(question) - years), asks, names)


def _mentions(lowered_sources: str, name: str) -> bool:
    """Whether the sources name `name`; a demonym ("Chinese", "Indian") also counts when they
    name its country ("China", "India"), which shares its first four letters. Accents aside
    ("Liege", "Liège"), a name of six letters or more also counts when spelled one letter off
    ("Sigimund", "Sigismund") or with another ending ("Designated", "Designation")."""
    if name in lowered_sources:
        return True
    if _DEMONYM.search(name) and re.search(r"\b" + re.escape(name[:4]), lowered_sources) is not None:
        return True
    name, sources = _unaccented(name), _unaccented(lowered_sources)
    if name in sources:
        return True
    if len(name) < 6 or not name.isalpha():
        return False
    return any(_near_spelling(name, word) for word in set(re.findall(r"[a-z]{5,}", sources)))


def _unaccented(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _near_spelling(name: str, word: str) -> bool:
    """One letter added, dropped or changed (not the first), or the same first seven letters
    and no more than three after them."""
    if name[0] != word[0]:
        return False
    if len(name) >= 8 and name[:7] == word[:7] and abs(len(name) - len(word)) <= 3:
        return True
    if abs(len(name) - len(word)) > 1:
        return False
    start = 0
    while start < min(len(name), len(word)) and name[start] == word[start]:
        start += 1
    return (
        name[start + 1 :] == word[start + 1 :] or name[start:] == word[start + 1 :] or name[start + 1 :] == word[start:]
    )


def _stems(text: str) -> set[str]:
    """Content words cut to a crude stem (6 letters; irregular verbs mapped), so "expecting"
    and "expected", or "say" and "said", count as the same word."""
    return {_IRREGULAR.get(word, word)[:6] for word in content_words(text)}


def unmet_constraint(constraints: Constraints, answer: str, support: str, sources: str) -> str | None:
    """Why `answer`, resting on `support` (its sentence and neighbours) within `sources` (the
    passages), does not meet the question's constraints; None when it does."""
    missing_years = sorted(y for y in constraints.years if y not in _YEAR.findall(support))
    if missing_years:
        return f"the supporting sentences do not mention {', '.join(missing_years)}, which the question asks about"
    lowered = sources.lower()
    absent = sorted(name for name in constraints.names if not _mentions(lowered, name))
    if absent:
        return f"the sources never mention {', '.join(absent)}, which the question asks about"
    missing = sorted(constraints.numbers - _numbers(sources))
    if missing:
        return f"the sources do not mention {', '.join(missing)}, which the question asks about"
    text = _MARKERS.sub(" ", answer)
    if constraints.asks == "quantity" and not (_NUMBER.search(text) or _NUMBER_WORD.search(text)):
        return "the question asks for a quantity and the answer gives none"
    if constraints.asks == "date" and not (_MONTH.search(text) or _WEEKDAY.search(text) or _DATE_NUMBER.search(text)):
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


# ---- Whether a sentence answers one part of a question (the parts: rag.retrieve.questions)
#
# `own_words` are what only this part asks about, and a sentence must speak of them; `unmet_need`
# says when a sentence lacks the kind of answer the part asks for (a name for "who", an
# attribution for "who said", a person for "which official", a year or date for "when", a number
# for "how much", a cause for "why").

_CAPITALISED = re.compile(r"(?<![\w'’-])[A-Z][a-zA-Z'’-]+")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|tells|according to|stated|states|announced|noted|notes|stressed|added|"
    r"argued|wrote|writes|explained|reported|called|urged|warned|believes?|predicted|expects?|expected|"
    r"presented|outlined|highlighted|emphasi[sz]ed|remarked)\b",
    re.IGNORECASE,
)
# Dates and times a "when" can be answered with besides years, months and weekdays.
_RELATIVE_DATE = re.compile(
    r"\b(?:yesterday|today|tonight|tomorrow|(?:last|next|this) (?:week|month|year)|quarter|decade|century|"
    r"morning|afternoon|evening|night|noon|midnight|o'clock|[ap]\.m\.|\d{1,2}:\d\d|daily|weekly|annually)\b",
    re.IGNORECASE,
)
_CAUSE = re.compile(
    r"\b(?:because|since|due to|owing to|thanks to|as a result|in order to|so that|so as to|aims? to|aimed at|"
    r"designed to|intended to|to (?:ensure|help|boost|reduce|secure|support|drive|promote|accelerate|"
    r"strengthen|achieve|address|avoid|prevent|counter|meet|curb|spur|foster)|amid|driven by|led to|reason)\b",
    re.IGNORECASE,
)
_PLACE = re.compile(r"\b(?:in|at|from|across|throughout|near|to)\s+(?:the\s+)?[A-Z]")


# A part that points back to another ("who said so", "when did it happen") is searched with it.
_LEANS = re.compile(r"\b(?:so|that|this|it|its|he|she|they|them|him|her|their|these|those|there|then)\b", re.I)


def _leaned_on(part: str, parts: tuple[str, ...]) -> str | None:
    """The part that `part` points back to, when it does or says too little on its own ("who
    said so"): the one before it (the second for the first); None otherwise."""
    if len(parts) < 2 or (len(content_words(part)) >= 3 and not _LEANS.search(part)):
        return None
    i = parts.index(part) if part in parts else 0
    return parts[i - 1] if i > 0 else parts[1]


def search_text(part: str, parts: tuple[str, ...]) -> str:
    """What to score sentences against for one part: the part, and the part it leans on."""
    other = _leaned_on(part, parts)
    return part if other is None else f"{part} {other}"


# Words that frame a question rather than say what it is about.
_FRAME_WORDS = frozenset(
    "exactly specific specifically currently actually precisely kind type sort also mean meaning known "
    "particular main much many given example examples".split()
)
# Share of a part's own words an answering sentence must hold: a sentence about the bonds'
# amount does not say their maturity ("What maturity will those bonds have?").
MIN_OWN_WORDS = 0.4


def _part_stems(text: str) -> set[str]:
    words = (_POSSESSIVE.sub("", word) for word in content_words(text))
    return {_IRREGULAR.get(word, word)[:6] for word in words if word and word not in _FRAME_WORDS}


def own_words(part: str, parts: tuple[str, ...]) -> frozenset[str]:
    """The (crudely stemmed) content words of `part` that no other part of the question has:
    what a sentence must speak of to answer this part rather than the other."""
    others = set().union(*(_part_stems(p) for p in parts if p != part))
    return frozenset(_part_stems(part) - others)


def referent_words(part: str, parts: tuple[str, ...]) -> frozenset[str]:
    """For a part that points back to another or says too little on its own ("who said so"),
    the other part's own words; otherwise none. A sentence answering "who said so" must speak of
    what was said, not only hold a name and "said"."""
    other = _leaned_on(part, parts)
    return frozenset() if other is None else own_words(other, parts)


def unmet_own_words(words: frozenset[str], sentence: str, referent: frozenset[str] = frozenset()) -> str | None:
    """Why `sentence` does not speak of the part's own `words` (or, when given, of any of the
    `referent` part's words it points back to), or None when it holds enough."""
    stems = _part_stems(sentence)
    if referent and not referent & stems:
        return f"the best sentence does not speak of {', '.join(sorted(referent))}"
    if not words:
        return None
    found = words & stems
    if len(found) >= MIN_OWN_WORDS * len(words):
        return None
    missing = ", ".join(sorted(words - found))
    return f"the best sentence does not speak of {missing}"


def _has_name(text: str, avoid: set[str]) -> bool:
    for match in _CAPITALISED.finditer(text):
        word = match.group(0).rstrip("'’s").lower()
        if word in avoid or _SENTENCE_START.search(text[: match.start()]) and not _looks_like_a_name(text, match):
            continue
        return True
    return False


def _looks_like_a_name(text: str, match: re.Match) -> bool:
    # A capitalised word opening a sentence is a name when a second capitalised word follows it
    # ("Ming Ming, chief economist…", "Zheng Shanjie said…").
    return bool(re.match(r"\s+[A-Z][a-z]", text[match.end() :]))


# "Which official…?" asks for a person; a sentence naming only bodies and places does not answer it.
_ASKS_PERSON = re.compile(
    r"^\W*(?:which|what)\s+(?:\w+\s+)?(?:officials?|persons?|people|economists?|leaders?|ministers?|authors?|"
    r"researchers?|president|premier|executives?|founders?|spokes(?:person|man|woman)|chair(?:man|woman)?|"
    r"directors?|scientists?|professors?|experts?|analysts?|officers?)\b",
    re.IGNORECASE,
)
_NOT_PERSON_WORDS = frozenset(
    "commission council committee institute institution securities bank party congress ministry university "
    "academy center centre agency conference plan republic government state states united kingdom union "
    "association group corporation company fund office bureau department court board forum session sessions "
    "national people's people daily news times post exchange market the a an this that".split()
)
_PRONOUN_SUBJECT = re.compile(r"^(?:he|she|it|they|his|her|its|their)\b", re.IGNORECASE)
_NAME_RUN = re.compile(r"(?<![\w'’-])[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)+")


def _names_person(text: str, avoid: set[str]) -> bool:
    """Whether `text` names a person: two or more capitalised words in a row ("Zheng Shanjie",
    "premier Li Qiang") none of which names a body or a place ("National Development and Reform
    Commission", "United States"), and not a name the question gave."""
    for match in _NAME_RUN.finditer(text):
        words = [_POSSESSIVE.sub("", w).lower() for w in match.group(0).split()]
        if not any(w in _NOT_PERSON_WORDS or w in avoid for w in words):
            return True
    return False


def unmet_need(part: str, sentence: str, people_only: bool = False, lead: bool = False) -> str | None:
    """Why `sentence` cannot answer `part` for want of the kind of answer the part asks for, or
    None when it has it (or the part does not say what kind it wants). With `people_only`, only
    questions about a person ("who…", "which official…") are checked. With `lead` (choosing an
    extractive answer's first sentence), only the kinds read reliably from words are checked (a
    person, a date or time, a number; not a cause or a place), and a sentence whose subject is a
    pronoun ("It appoints…") is not asked for a name: the sentence before, which the answer
    brings along, has it."""
    text = _MARKERS.sub(" ", sentence)
    asked = part.strip().lower()
    own = {w.lower() for w in _CAPITALISED.findall(part)}
    if lead and _PRONOUN_SUBJECT.match(text.strip()) and (re.match(r"^\W*who", asked) or _ASKS_PERSON.match(asked)):
        return None
    if re.match(r"^\W*(?:who|whom|whose)\b", asked):
        if re.match(r"^\W*who\s+(?:said|says|stated|claimed|announced|reported|predicted|told|wrote)\b", asked):
            if not _ATTRIBUTION.search(text):
                return "it asks who said it, and no one is quoted"
        if not _has_name(text, own):
            return "it asks who, and no one is named"
        return None
    if _ASKS_PERSON.match(asked):
        if not _names_person(text, own):
            return "it asks which person, and no one is named"
        return None
    if people_only:
        return None
    if re.match(r"^\W*(?:when|what (?:year|date|day|month|time)|which (?:year|date|day|month)|since when)\b", asked):
        if not (_YEAR.search(text) or _MONTH.search(text) or _WEEKDAY.search(text) or _RELATIVE_DATE.search(text)):
            return "it asks when, and no date is given"
        return None
    if re.match(
        r"^\W*(?:(?:by )?how (?:much|many|long|far|big|large|fast)|what (?:percentage|percent|share|number|amount))\b",
        asked,
    ):
        if not (re.search(r"\d", text) or _NUMBER_WORD.search(text)):
            return "it asks how much, and no number is given"
        return None
    if lead:
        return None
    if re.match(r"^\W*why\b", asked) or re.match(r"^\W*what\b.*\b(?:for|reason|purpose)\?$", asked):
        if not _CAUSE.search(text):
            return "it asks why, and no reason is given"
        return None
    if re.match(r"^\W*where\b", asked):
        if not (_PLACE.search(text) or _has_name(text, own)):
            return "it asks where, and no place is named"
    return None


# ---- Whether a sentence speaks of the opposite of what the question asks
#
# "What cell never reacts with self peptides?" is not answered by "Many T cells react with self
# peptides", nor "What is the least difficult problem?" by "…contains the most difficult problems".

# A question that asks what is not, or was never, so. "Whether or not", "not only", "if not" and
# "no longer" do not negate what is asked.
_IDIOMATIC_NEGATION = re.compile(r"\b(?:whether or not|or not|not only|if not|not just|no longer|no one)\b", re.I)
_QUESTION_NEGATION = re.compile(r"\b(?:not|never|no|cannot|none)\b|n['’]t\b", re.IGNORECASE)
# What a sentence says a thing is not, or lacks, or did not do.
_SENTENCE_NEGATION = re.compile(
    r"\b(?:not|never|no|none|nor|neither|cannot|without|nothing|nobody|nowhere|unable|lacks?|lacked|lacking|"
    r"fail(?:s|ed|ing)?|refus(?:e|es|ed|ing)|declin(?:e|es|ed|ing)|except|excluding|absent|barred|banned|"
    r"prohibit(?:s|ed)?|forbid(?:s|den)?|only|instead|rather than|other than)\b|n['’]t\b",
    re.IGNORECASE,
)
# Words whose opposite a question can swap in; each pair read both ways.
_OPPOSITE_PAIRS = [
    pair.split("/")
    for pair in """least/most less/more fewer/more smaller/larger smallest/largest minimum/maximum lower/higher
    lowest/highest before/after earlier/later earliest/latest first/last public/private open/closed
    inner/outer internal/external north/south northern/southern east/west eastern/western
    behind/front above/below increase/decrease increased/decreased rose/fell gained/lost
    success/failure accepted/rejected allowed/banned legal/illegal major/minor
    majority/minority positive/negative strong/weak stronger/weaker young/old younger/older
    ancient/modern upper/lower""".split()
]
_OPPOSITES: dict[str, set[str]] = {}
for _a, _b in _OPPOSITE_PAIRS:
    _OPPOSITES.setdefault(_a, set()).add(_b)
    _OPPOSITES.setdefault(_b, set()).add(_a)
_PLAIN_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
# A prefix that turns a word into its opposite: "uninvited", "dislike", "non-member".
_NEGATING_PREFIX = re.compile(r"^(?:un|dis|non-?)(?=[a-z]{5})")


def unmet_sense(question: str, sentence: str) -> str | None:
    """Why `sentence` speaks of the opposite of what `question` asks, or None: the question asks
    what is not so and the sentence negates nothing; or a word of the question ("least",
    "uninvited") is missing from the sentence while its opposite ("most", "invited") is there."""
    text = _MARKERS.sub(" ", sentence)
    if _QUESTION_NEGATION.search(_IDIOMATIC_NEGATION.sub(" ", question)) and not _SENTENCE_NEGATION.search(text):
        return "it asks what is not so, and the sentence negates nothing"
    asked = set(_PLAIN_WORD.findall(question.lower()))
    said = set(_PLAIN_WORD.findall(text.lower()))
    for word in sorted(asked - said):
        prefix = _NEGATING_PREFIX.match(word)
        opposites = _OPPOSITES.get(word, set()) | ({word[prefix.end() :]} if prefix else set())
        for opposite in sorted(opposites & said - asked):
            return f"the sentence speaks of {opposite!r}, the question of {word!r}"
    return None
