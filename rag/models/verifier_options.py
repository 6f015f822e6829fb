"""Which of two options a claim picks, as the claim verifier reads it: the one of two dated things
the evidence puts first or last ("Which band was formed first, Monaco or Rise Against?"), and the
option the evidence gives the trait the question asks for ("Which singer is also a DJ, Chris
Daughtry or Paul Banks?")."""

from __future__ import annotations

import re
from decimal import Decimal

from rag.mentions import names_name, numbers
from rag.models.verifier_words import NAME, NUMBER, STOP, parted_sentences, stem, stems, words_of

__all__ = ["amount_conflict", "option_conflict", "order_conflict", "question_options"]

_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d\d)(?!\d)")
# "X was published before Y": the first name is put first (or last).
_PUT_FIRST = re.compile(r"\b(?:before|earlier than|prior to|predates?|predated)\b", re.IGNORECASE)
_PUT_LAST = re.compile(r"\b(?:after|later than)\b", re.IGNORECASE)
# "Which was formed first, A or B?": the answer names the one put first (or last).
_ASKS_FIRST = re.compile(r"\b(?:first|earlier|earliest|older|oldest)\b", re.IGNORECASE)
_ASKS_LAST = re.compile(r"\b(?:later|latest|last|younger|youngest|more recent|most recent|newer)\b", re.IGNORECASE)


# "died earlier": the year that ends a life span ("(August 20, 1890 – March 15, 1937)").
_ASKS_END = re.compile(r"\b(?:die[ds]?|death|dissolved|disbanded|ended|closed)\b", re.IGNORECASE)
_SPAN_END = re.compile(r"[^()\d]{0,20}?\s[\u2013\u2014-]\s[^()]{0,20}?(?<!\d)(1\d{3}|20\d\d)(?!\d)")


def _named_at(name: str, other: str, lowered: str, start: int = 0) -> tuple[int, int]:
    """Where (start, end) the lower-cased evidence first names `name` from `start`: whole, or by
    its last word where the evidence writes it out ("Lovecraft" of "H. P. Lovecraft" in "Howard
    Phillips Lovecraft") and `other` does not share that word; (-1, -1) when it does not."""
    at = lowered.find(name.lower(), start)
    if at >= 0:
        return at, at + len(name)
    last = name.split()[-1].lower() if name.split() else ""
    if len(name.split()) > 1 and len(last) > 2 and last not in other.lower().split():
        found = re.search(rf"\b{re.escape(last)}\b", lowered[start:])
        if found:
            return start + found.start(), start + found.end()
    return -1, -1


def _year_of(name: str, other: str, evidence: str, end_of_span: bool = False) -> int | None:
    """The first year of the first sentence that names `name` and not `other` ("Anette Ingegerd
    Olsson (born 21 June 1971), known by the stage name Anette Olzon…"); where every sentence that
    names it names both, the first year after it names `name` and before it next names `other`.
    With `end_of_span`, the year that ends the span this one opens, if it opens one."""
    found = None
    for sentence in parted_sentences(evidence):
        lowered = sentence.lower()
        start, after = _named_at(name, other, lowered)
        if start >= 0:
            if _named_at(other, name, lowered)[0] < 0:
                found = _YEAR.search(sentence)
                break
            if found is None:
                end = _named_at(other, name, lowered, after)[0]
                found = _YEAR.search(sentence, after, end if end >= 0 else len(sentence))
    if found and end_of_span:
        closing = _SPAN_END.match(found.string, found.end())
        return int(closing.group(1)) if closing else None
    return int(found.group(1)) if found else None


def _option(name: str) -> str:
    """A name the question offers, without the capitalised word that opens the question ("Was
    Java" in "Was Java or Tikal published first?")."""
    words = name.split()
    while words and words[0].lower() in STOP:
        words = words[1:]
    return " ".join(words)


# The words inside names that are not capitalised ("John of Gaunt", "Serge de Poligny", "Ali ibn Sahl").
_NAME_LINKS = frozenset("of the for and in on at de du da del der la le van von ibn bin al el".split())
_OR = re.compile(r"\s+or\s+")
_AND = re.compile(r"\s+and\s+")
_AMONG = re.compile(r"\b(?:out of|between)\s+(?:the\s+)?[A-Z\"']")
_QUOTES = re.compile(r"^[\"'“‘(]+|[?,;:!\"'”’)]+$")
_CLAUSE_END = re.compile(r"[?,;:!][\"'”’)]*$")


def _name_word(token: str) -> bool:
    """A word a name may hold: one with a capital ("Bartók", "al-Tabari", "G."), or a link."""
    return any(c.isupper() for c in token) or token in _NAME_LINKS


def _name_run(tokens: list[str], backward: bool = False) -> list[str]:
    """The words of the name that `tokens` begin with (read `backward`: end with), up to the first
    word no name holds or a mark that ends a clause ("Muhammad Yunus" in "Muhammad Yunus
    produce…"; "Béla Bartók" in "…was Hungarian, Béla Bartók")."""
    taken = []
    for token in reversed(tokens) if backward else tokens:
        word = _QUOTES.sub("", token)
        ends = bool(_CLAUSE_END.search(token))
        if not word or not _name_word(word) or (backward and ends):
            break
        taken.append(word)
        if ends:
            break
    while taken and taken[-1] in _NAME_LINKS:
        taken.pop()
    return taken[::-1] if backward else taken


def question_options(question: str, compared: bool = False) -> tuple[str, str] | None:
    """The two names a question offers to choose from ("Which band was formed first, Monaco or
    Rise Against?"; "Was Java or Tikal published first?", without its opening word), or None. A
    question that `compared` things may join them with "and" after "out of" or "between" ("Who
    was born first out of Rupert Julian and Robert Z. Leonard?")."""
    joined = _AND.finditer(question) if compared and _AMONG.search(question) else ()
    for match in [*_OR.finditer(question), *joined]:
        before = question[: match.start()].split()
        if not before or before[-1][-1] in ",;:":
            continue
        one = _option(" ".join(_name_run(before, backward=True)))
        two = _option(" ".join(_name_run(question[match.end() :].split())))
        if one and two and one[0].isupper() and two[0].isupper():
            return one, two
    return None


def order_conflict(claim: str, evidence: str, question: str) -> bool:
    """Whether the claim puts first (or last) the one of two things whose year in the evidence
    says the opposite: "Java was published before Tikal" where the evidence says Java was
    published in 2000 and Tikal in 1999; "Rise Against" for "Which band was formed first, Monaco
    or Rise Against?" where Monaco formed in 1995 and Rise Against in 1999."""
    # Sentence-initial names count here: "Java was published before Tikal."
    names = list(dict.fromkeys(m.group(0) for m in NAME.finditer(claim) if m.group(0).lower() not in STOP))
    pair: tuple[str, str] | None = None
    first = True
    if len(names) >= 2:
        between = claim[claim.find(names[0]) + len(names[0]) : claim.find(names[1])]
        if bool(_PUT_FIRST.search(between)) != bool(_PUT_LAST.search(between)):
            pair, first = (names[0], names[1]), bool(_PUT_FIRST.search(between))
    options = question_options(question, compared=True) if question else None
    if pair is None and options and bool(_ASKS_FIRST.search(question)) != bool(_ASKS_LAST.search(question)):
        one, two = options
        named = [option for option in (one, two) if names_name(option, claim)]
        if len(named) == 1:
            pair, first = (named[0], two if named[0] == one else one), bool(_ASKS_FIRST.search(question))
    if pair is None:
        return False
    ends = bool(_ASKS_END.search(f"{claim} {question}"))
    years = [_year_of(pair[0], pair[1], evidence, ends), _year_of(pair[1], pair[0], evidence, ends)]
    if None in years or years[0] == years[1]:
        return False
    return (years[0] < years[1]) != first


# A question that compares ("taller", "first", "more") asks about what both options have; one that
# names a trait ("also a DJ", "formed in Arizona") tells them apart by the evidence's words.
_COMPARES = re.compile(
    r"\b(?:more|most|less|least|fewer|best(?! known)|worst|better|worse|older|younger|taller|shorter|higher|lower|"
    r"larger|smaller|bigger|longer|greater|further|farther|closer|nearer|wider|deeper|heavier|newer|"
    r"faster|slower|richer|same|different|both|either|neither)\b",
    re.IGNORECASE,
)
_NOT_TRAITS = frozenset(map(stem, "also one following person name known".split()))


def _option_words(option: str, other: str, question: str) -> set[str]:
    """The words that name `option` and neither `other` nor anything else the question says
    ("Daughtry" for "Chris Daughtry"; "Temple", not "University", for "Temple University" in a
    question that also names the "University of Engineering")."""
    elsewhere = set(words_of(other)) | set(words_of(question.replace(option, " ").replace(other, " ")))
    return {w for w in words_of(option) if len(w) > 1 and w not in STOP and w not in elsewhere}


def _option_keys(options: tuple[str, str], question: str) -> tuple[set[str], set[str]]:
    """The words that name each option and not the other (`_option_words`)."""
    return _option_words(*options, question), _option_words(options[1], options[0], question)


def _trait_words(text: str) -> set[str]:
    """Content stems and numbers ("born in 1908")."""
    return set(stems(text)) | {w for w in words_of(text) if NUMBER.fullmatch(w)}


def _chosen(options: tuple[str, str], question: str, claim: str) -> tuple[tuple[set[str], set[str]], int] | None:
    """The words that name each option, and which option the claim picks: the one it names, or of
    two named, the one before "than" ("A has more species than B"); None when it picks none."""
    keys = _option_keys(options, question)
    said = words_of(claim)
    named = [bool(k & set(said)) for k in keys]
    if sum(named) == 1:
        return keys, named.index(True)
    if all(named) and "than" in said:
        first = [min(i for i, w in enumerate(said) if w in k) for k in keys]
        return keys, 0 if first[0] < first[1] else 1
    return None


def _option_parts(keys: tuple[set[str], set[str]], evidence: str) -> tuple[list[str], list[str], list[str]]:
    """The evidence's sentences of each option, and of neither. A sentence belongs to the option it
    names, or, naming neither, to the option of the sentence before it ("He also worked as a sound
    designer"); one that names both belongs to neither, and so does one before any option is named."""
    parts: tuple[list[str], list[str], list[str]] = ([], [], [])
    owner: int | None = None
    for sentence in parted_sentences(evidence):
        words = set(words_of(sentence))
        naming = [bool(k & words) for k in keys]
        if any(naming):
            owner = naming.index(True) if sum(naming) == 1 else None
        parts[2 if owner is None else owner].append(sentence)
    return parts


# "Which genus has more species, A or B?": the larger figure beside the thing counted wins.
_MORE = frozenset("more larger bigger greater higher".split())
_FEWER = frozenset("fewer less smaller lower".split())
# A figure counts what stands this many words before or after it ("six to 17 species",
# "a population of 3,727,057").
_COUNT_SPAN = 4


def _amount(sentences: list[str], counted: set[str]) -> Decimal | None:
    """The largest figure the sentences give beside a word of `counted` (stems); years aside."""
    found = []
    for sentence in sentences:
        words = words_of(sentence)
        for i, word in enumerate(words):
            if stem(word) not in counted:
                continue
            for near in words[max(0, i - _COUNT_SPAN) : i] + words[i + 1 : i + 1 + _COUNT_SPAN]:
                found += [Decimal(n) for n in numbers(near) if not _YEAR.fullmatch(n)]
    return max(found, default=None)


def amount_conflict(claim: str, evidence: str, question: str) -> bool:
    """Whether the claim picks the option with the smaller figure where the question asks which has
    more (or the larger where it asks which has fewer): "Dendromecon has a larger variety" for
    "Which genus contains a larger variety of species, Paulownia or Dendromecon?" where Paulownia
    has "six to 17 species" and Dendromecon "one or two species"."""
    options = question_options(question, compared=True) if question else None
    if options is None:
        return False
    asked = words_of(question)
    at = next((i for i, w in enumerate(asked) if w in _MORE | _FEWER), None)
    if at is None:
        return False
    counted = {stem(w) for w in asked[at + 1 : at + 1 + 3] if w not in STOP} - {
        stem(w) for w in words_of(" ".join(options))
    }
    picked = _chosen(options, question, claim)
    if not counted or picked is None:
        return False
    keys, chosen = picked
    parts = _option_parts(keys, evidence)
    mine, theirs = _amount(parts[chosen], counted), _amount(parts[1 - chosen], counted)
    if mine is None or theirs is None or mine == theirs:
        return False
    return (mine < theirs) == (asked[at] in _MORE)


def option_conflict(claim: str, evidence: str, question: str) -> bool:
    """Whether the claim picks the option whose part of the evidence lacks the trait the question
    asks for, which the other option's part has: "Chris Daughtry is also a DJ" for "Which singer
    is also a DJ, Chris Daughtry or Paul Banks?" where only Paul Banks's sentences say "DJ".

    Sentences belong to the options as `_option_parts` reads them; a trait said in a sentence of
    neither may be either's: no conflict."""
    options = question_options(question) if question else None
    if options is None or _COMPARES.search(question) or _ASKS_FIRST.search(question) or _ASKS_LAST.search(question):
        return False
    keys = _option_keys(options, question)
    said = set(words_of(claim))
    named = [bool(k & said) for k in keys]
    if sum(named) != 1:
        return False
    chosen = named.index(True)
    parts = [_trait_words(" ".join(sentences)) for sentences in _option_parts(keys, evidence)]  # the last: neither's
    trait = _trait_words(question) - _trait_words(" ".join(options)) - _NOT_TRAITS
    mine, theirs, unowned = trait & parts[chosen], trait & parts[1 - chosen], trait & parts[2]
    return bool(theirs - mine) and not mine - theirs and not unowned - theirs
