"""Whether a sentence answers what was asked: the part of the question it must speak of, the
kind of answer the question wants, and not the opposite of what it asks."""

from __future__ import annotations

import re

from rag.answer.grounding import IRREGULAR, NUMBER_WORD, POSSESSIVE, SENTENCE_START, WEEKDAY, YEAR
from rag.mentions import MONTH
from rag.text import MARKER, content_words

__all__ = [
    "NO_DATE",
    "NO_NUMBER",
    "own_words",
    "referent_words",
    "search_text",
    "unmet_need",
    "unmet_own_words",
    "unmet_sense",
]

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
# Why a sentence cannot answer "when…" or "how many…": kinds read reliably from the words.
NO_DATE = "it asks when, and no date is given"
NO_NUMBER = "it asks how much, and no number is given"
_ASKS_WHEN = re.compile(
    r"^\W*(?:when|since when|(?:(?:in|on|at|by|during|from|since|until|around|after|before)\s+)?"
    r"(?:what|which)\s+(?:years?|centur(?:y|ies)|decades?|dates?|days?|months?|time|period|era)\b)"
)
# Years before `YEAR`'s range ("in 1560", "in 911", "the 1680s"), for questions that ask when:
# any number of three or four digits, which also lets a count through (the safe side).
_OLDER_YEAR = re.compile(r"(?<![\d.,$€£])[1-9]\d{2,3}s?(?![\d%]|[.,]\d)|\b(?:BC|BCE|AD)\b")
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
    words = (POSSESSIVE.sub("", word) for word in content_words(text))
    return {IRREGULAR.get(word, word)[:6] for word in words if word and word not in _FRAME_WORDS}


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
        if word in avoid or SENTENCE_START.search(text[: match.start()]) and not _looks_like_a_name(text, match):
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
        words = [POSSESSIVE.sub("", w).lower() for w in match.group(0).split()]
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
    text = MARKER.sub(" ", sentence)
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
    if _ASKS_WHEN.match(asked):
        if not (
            YEAR.search(text)
            or _OLDER_YEAR.search(text)
            or MONTH.search(text)
            or WEEKDAY.search(text)
            or _RELATIVE_DATE.search(text)
        ):
            return NO_DATE
        return None
    if re.match(
        r"^\W*(?:(?:by )?how (?:much|many|long|far|big|large|fast)|what (?:percentage|percent|share|number|amount))\b",
        asked,
    ):
        if not (re.search(r"\d", text) or NUMBER_WORD.search(text)):
            return NO_NUMBER
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
# Words whose opposite a question can swap in; each pair read both ways. Words with another
# common sense are left out ("last year", "later", "ten years old").
_OPPOSITE_PAIRS = [
    pair.split("/")
    for pair in """least/most less/more fewer/more smaller/larger smallest/largest shortest/longest minimum/maximum
    lower/higher lowest/highest upper/lower before/after public/private open/closed inner/outer
    internal/external north/south northern/southern east/west eastern/western behind/front
    above/below increase/decrease increased/decreased increasing/decreasing rose/fell gained/lost
    added/subtracted addition/subtraction success/failure accepted/rejected allowed/banned
    legal/illegal major/minor majority/minority positive/negative strong/weak stronger/weaker
    younger/older ancient/modern am/pm common/rare commonly/rarely often/rarely import/export
    imports/exports victory/defeat won/lost true/false wet/dry hot/cold rich/poor cheap/expensive""".split()
]
_OPPOSITES: dict[str, set[str]] = {}
for _a, _b in _OPPOSITE_PAIRS:
    _OPPOSITES.setdefault(_a, set()).add(_b)
    _OPPOSITES.setdefault(_b, set()).add(_a)
_PLAIN_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
# A prefix that turns a word into its opposite: "uninvited", "dislike", "non-member",
# "indistinguishable" ("in" and its kin only before six letters or more: "intense" is not one).
_NEGATING_PREFIX = re.compile(r"^(?:(?:un|dis|non-?)(?=[a-z]{5})|(?:in|im|il|ir)(?=[a-z]{6}))")


def unmet_sense(question: str, sentence: str) -> str | None:
    """Why `sentence` speaks of the opposite of what `question` asks, or None: the question asks
    what is not so and the sentence negates nothing; or a word of the question ("least",
    "uninvited", "distinguishable") is missing from the sentence while its opposite ("most",
    "invited", "indistinguishable") is there."""
    text = MARKER.sub(" ", sentence)
    if _QUESTION_NEGATION.search(_IDIOMATIC_NEGATION.sub(" ", question)) and not _SENTENCE_NEGATION.search(text):
        return "it asks what is not so, and the sentence negates nothing"
    asked = set(_PLAIN_WORD.findall(question.lower()))
    said = set(_PLAIN_WORD.findall(text.lower()))
    negated: dict[str, set[str]] = {}  # "distinguishable": {"indistinguishable"}
    for other in said:
        if base := _negated_form(other):
            negated.setdefault(base, set()).add(other)
    for word in sorted(asked - said):
        if len(word) >= 4 and any(other.startswith(word) for other in said):
            continue  # said in another form: "defeated" for "defeat"
        base = _negated_form(word)
        opposites = _OPPOSITES.get(word, set()) | ({base} if base else set()) | negated.get(word, set())
        for opposite in sorted(opposites & said - asked):
            if opposite == base and _negates(text, base):
                continue  # "not equal" says "unequal"
            return f"the sentence speaks of {opposite!r}, the question of {word!r}"
    return None


def _negated_form(word: str) -> str | None:
    """The word a prefix negates ("distinguishable" for "indistinguishable"), or None."""
    prefix = _NEGATING_PREFIX.match(word)
    return word[prefix.end() :] if prefix else None


def _negates(text: str, word: str) -> bool:
    """Whether `text` denies `word` ("not equal", "never been equal", "isn't equal")."""
    return re.search(rf"(?:\b(?:not|never)|n['’]t)\s+(?:\w+\s+)?{re.escape(word)}\b", text, re.IGNORECASE) is not None
