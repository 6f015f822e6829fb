"""Where a claim conflicts with its evidence, as the claim verifier reads it: a negation on one
side only, an opposite direction, an added quantifier, two parts exchanged, and which of two
dated things came first. Each check returns what `rag.models.verifier_features` turns into a
feature."""

from __future__ import annotations

import difflib
import functools
import re

from rag.mentions import figures_beside, names_name, numbers
from rag.models.verifier_words import NAME, NUMBER, STOP, TOKEN, WORD, parted_sentences, stem, stems, words_of

__all__ = [
    "directions",
    "exchanged",
    "in_scope",
    "negation_conflict",
    "opposite_beside",
    "option_conflict",
    "order_conflict",
    "question_options",
    "quantifiers_of",
]

_NEGATION = frozenset("not no never none nor neither without cannot n't nobody nothing".split())
# Words of a direction, matched by stem ("expanding", "weakened"): up against down, earlier
# against later, long against short, toward against away.
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


_PART_OF = re.compile(r"\bpart of\b", re.IGNORECASE)
# "both size and direction" joins two things; it quantifies nothing.
_BOTH_AND = re.compile(r"\bboth\b(?:\s+[\w'\-]+){1,4}?\s+and\b", re.IGNORECASE)


# "Norway, Italy and the UK all banned…": a floating "all" (or "both") after a list says "each
# of these", which the list itself says.
_LISTED_ALL = re.compile(
    r"\band\s+(?:the\s+)?[\w'\-]+(?:\s+[\w'\-]+)?\s+(all|both)\s+(?:\w+ed|have|had|are|were|will|would|can|could)\b",
    re.IGNORECASE,
)


def quantifiers_of(words: set[str], text: str) -> set[str]:
    """The quantifiers a text's `words` state, each as its plain form ("final" as "last")."""
    found = {_QUANTIFIER_SYNONYMS.get(w, w) for w in words if w in _QUANTIFIERS or w in _QUANTIFIER_SYNONYMS}
    if _BOTH_AND.search(text):
        found.discard("both")
    for match in _LISTED_ALL.finditer(text):
        found.discard(match.group(1).lower())
    return found | {"some"} if _PART_OF.search(text) else found


@functools.cache
def _axes() -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """The direction words' stems, per axis (the stemmer loads on first use)."""
    return tuple(
        (frozenset(map(stem, one)), frozenset(map(stem, other)))
        for one, other in ((_UP, _DOWN), (_EARLIER, _LATER), (_LONG, _SHORT), (_TOWARD, _AWAY))
    )


def _direction_marks(words: list[str]) -> list[tuple[int, int, set[str]]]:
    """Each direction word of `words` as (axis, 1 or -1, what it says goes one way: the stems of
    the word just before it and of the first content word within two after it, direction words
    and stopwords aside)."""
    axes = _axes()
    directional = frozenset().union(*(one | other for one, other in axes))
    words = [part for word in words for part in word.split("-") if part]  # "long-term" reads "long", "term"
    stemmed = [stem(w) for w in words]

    def content(j: int) -> bool:
        return words[j] not in STOP and stemmed[j] not in directional

    marks = []
    for i, word_stem in enumerate(stemmed):
        for axis, (one, other) in enumerate(axes):
            if word_stem in one or word_stem in other:
                near = {stemmed[i - 1]} if i and content(i - 1) else set()
                after = [j for j in range(i + 1, min(len(words), i + 3)) if content(j)]
                near |= {stemmed[after[0]]} if after else set()
                marks.append((axis, 1 if word_stem in one else -1, near))
    return marks


def opposite_beside(claim: list[str], evidence: list[str]) -> bool:
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


# What stands between two names of one list: separators, and other names ("Germany, Austria, the
# United States").
_LIST_GAP = re.compile(r"^(?:\s*(?:,|\band\b|\bor\b|&)\s*(?:the\s+)?(?:[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*)*)?)+\s*$")


def names_reordered(names: list[str], claim: str, evidence: str) -> bool:
    """Whether the claim puts two of `names` (all found in both texts) in the other order than the
    evidence does. Names the claim lists together ("Norway, Italy and the UK") may come in any
    order: a list says nothing of their roles."""
    at = {name: claim.find(name) for name in names}
    ordered = sorted(names, key=at.__getitem__)
    group, groups = 0, {}
    for before, name in zip([None, *ordered], ordered, strict=False):
        if before is not None and not _LIST_GAP.match(claim[at[before] + len(before) : at[name]]):
            group += 1
        groups[name] = group
    where = evidence.lower()
    return any(
        groups[a] != groups[b] and where.find(a.lower()) > where.find(b.lower())
        for i, a in enumerate(ordered)
        for b in ordered[i + 1 :]
    )


def _counted(text: str) -> set[tuple[str, str]]:
    """`figures_beside`, the word stemmed, leaving out stopwords and words of two letters."""
    return {(figure, stem(word)) for figure, word in figures_beside(text) if word not in STOP and len(word) > 2}


def figure_of_another(claim: str, evidence: str) -> bool:
    """Whether a figure of the claim stands beside a word that the evidence gives another figure
    for, while the evidence says the claim's figure of something else: "242 Rhodes Scholars"
    against "335 Rhodes Scholars, and 242 Marshall Scholars"."""
    said = _counted(evidence)
    stated = numbers(evidence)
    return any(
        figure in stated and any(other != figure and beside == word for other, beside in said)
        for figure, word in _counted(claim) - said
    )


def exchanged(claim: str, evidence: str) -> bool:
    """Whether the claim is the evidence with two of its parts exchanged ("science poses the
    problems, industry supplies the answers" against "industry poses the problems, science
    supplies the answers"; "lead in 5G, building on its dominance in 6G" against the reverse):
    aligned word by word (stems), two replaced runs of the claim each hold what the other
    replaced in the evidence."""

    def tokens(text: str) -> list[str]:  # "5G" and "6G" whole: they differ by their digit
        return [stem(w) for w in (t.lower() for t in TOKEN.findall(text)) if w not in STOP]

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


_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d\d)(?!\d)")
# "X was published before Y": the first name is put first (or last).
_PUT_FIRST = re.compile(r"\b(?:before|earlier than|prior to|predates?|predated)\b", re.IGNORECASE)
_PUT_LAST = re.compile(r"\b(?:after|later than)\b", re.IGNORECASE)
# "Which was formed first, A or B?": the answer names the one put first (or last).
_ASKS_FIRST = re.compile(r"\b(?:first|earlier|earliest|older|oldest)\b", re.IGNORECASE)
_ASKS_LAST = re.compile(r"\b(?:later|latest|last|younger|youngest|more recent|most recent|newer)\b", re.IGNORECASE)


def _year_of(name: str, other: str, evidence: str) -> int | None:
    """The first year the evidence gives after it first names `name` and before it next names
    `other` (sentences run together often: "…published in 2000.Tikal is…")."""
    lowered = evidence.lower()
    start = lowered.find(name.lower())
    if start < 0:
        return None
    end = lowered.find(other.lower(), start + len(name))
    found = _YEAR.search(evidence, start + len(name), end if end >= 0 else len(evidence))
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


def question_options(question: str) -> tuple[str, str] | None:
    """The two names a question offers to choose from ("Which band was formed first, Monaco or
    Rise Against?"; "Was Java or Tikal published first?", without its opening word), or None."""
    for match in _OR.finditer(question):
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
    options = question_options(question) if question else None
    if pair is None and options and bool(_ASKS_FIRST.search(question)) != bool(_ASKS_LAST.search(question)):
        one, two = options
        named = [option for option in (one, two) if names_name(option, claim)]
        if len(named) == 1:
            pair, first = (named[0], two if named[0] == one else one), bool(_ASKS_FIRST.search(question))
    if pair is None:
        return False
    years = [_year_of(pair[0], pair[1], evidence), _year_of(pair[1], pair[0], evidence)]
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


def _trait_words(text: str) -> set[str]:
    """Content stems and numbers ("born in 1908")."""
    return set(stems(text)) | {w for w in words_of(text) if NUMBER.fullmatch(w)}


def option_conflict(claim: str, evidence: str, question: str) -> bool:
    """Whether the claim picks the option whose part of the evidence lacks the trait the question
    asks for, which the other option's part has: "Chris Daughtry is also a DJ" for "Which singer
    is also a DJ, Chris Daughtry or Paul Banks?" where only Paul Banks's sentences say "DJ".

    A sentence belongs to the option it names, or, naming neither, to the option of the sentence
    before it ("He also worked as a sound designer"); one that names both belongs to neither, and
    so does one before any option is named. A trait said there may be either's: no conflict."""
    options = question_options(question) if question else None
    if options is None or _COMPARES.search(question) or _ASKS_FIRST.search(question) or _ASKS_LAST.search(question):
        return False
    keys = (_option_words(*options, question), _option_words(options[1], options[0], question))
    said = set(words_of(claim))
    named = [bool(k & said) for k in keys]
    if sum(named) != 1:
        return False
    chosen = named.index(True)
    parts: tuple[set[str], set[str], set[str]] = (set(), set(), set())  # the last: neither's
    owner: int | None = None
    for sentence in parted_sentences(evidence):
        words = set(words_of(sentence))
        naming = [bool(k & words) for k in keys]
        if any(naming):
            owner = naming.index(True) if sum(naming) == 1 else None
        parts[2 if owner is None else owner].update(_trait_words(sentence))
    trait = _trait_words(question) - _trait_words(" ".join(options)) - _NOT_TRAITS
    mine, theirs, unowned = trait & parts[chosen], trait & parts[1 - chosen], trait & parts[2]
    return bool(theirs - mine) and not mine - theirs and not unowned - theirs


def directions(words: set[str]) -> list[int]:
    """Per axis (`_axes`): 1 or -1 when the words go one way only, else 0."""
    stemmed = {stem(w) for w in words}
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


def negation_conflict(claim: str, sentence: str, reworded: bool) -> bool:
    """One side negates and the other does not; in a `reworded` claim (not a near-copy), unless
    the other side says "not" in other words (`_DENIAL`)."""
    claim_negated, sentence_negated = _negated(claim), _negated(sentence)
    if claim_negated == sentence_negated or (not claim_negated and len(WORD.findall(claim)) < _STATEMENT_WORDS):
        # A bare answer ("Bowdoin College") states nothing a "not" in the evidence could deny.
        return False
    other = sentence if claim_negated else claim
    return not reworded or _DENIAL.search(other) is None


def in_scope(claim_stems: set[str], sentence: str) -> str:
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
    for match in WORD.finditer(text):
        word = match.group().lower()
        if not (word in _NEGATION or word.endswith("n't")):
            continue
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\n"
        count += match.group()[0].islower() or sentence_start
    return count % 2 == 1
