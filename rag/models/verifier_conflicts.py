"""Where a claim conflicts with its evidence, as the claim verifier reads it: a negation on one
side only, an opposite direction, an added quantifier, names in swapped order, two parts
exchanged, a figure of something else (which of two options: `verifier_options`). Each check
returns what `rag.models.verifier_features` turns into a feature."""

from __future__ import annotations

import difflib
import functools
import re

from rag.mentions import figures_beside, numbers
from rag.models.verifier_words import STOP, TOKEN, WORD, parted_sentences, stem, stems

__all__ = [
    "contrast_reversed",
    "directions",
    "exchanged",
    "figures_relabelled",
    "in_scope",
    "negation_conflict",
    "opposite_beside",
    "quantifiers_of",
    "years_apart",
]

_NEGATION = frozenset("not no never none nor neither without cannot n't nobody nothing unlike".split())
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
_EARLIER = frozenset("before beforehand earlier early prior preceding".split())
_LATER = frozenset("after afterwards afterward thereafter later late following subsequently postpone delay".split())
_LONG = frozenset("long longer longest".split())
_SHORT = frozenset("short shorter shortest".split())
_TOWARD = frozenset("toward towards".split())
_AWAY = frozenset("away".split())
_QUANTIFIERS = frozenset(
    "all every each some none only first second third fourth last most least majority minority half both".split()
)
# Words that say what a quantifier says ("every algorithm", "all algorithms"; "the final years",
# "the last years"), and "part of" (or "something of a resurgence") says "some of".
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


_PART_OF = re.compile(r"\b(?:part|something) of\b", re.IGNORECASE)
_ALL = re.compile(r"\ball\b", re.IGNORECASE)
# A share of all of something: "four-fifths of all panels", "80 percent of all exports".
_OF_ALL = re.compile(r"(?:\d%?|\bpercent|\bhalf|thirds?|quarters?|fifths?|tenths?)\s+of all\b", re.IGNORECASE)
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
    partitive = len(_OF_ALL.findall(text))
    if partitive and partitive == len(_ALL.findall(text)) and not words & {"every", "each", "entire"}:
        found.discard("all")  # "four-fifths of all panels": the share says how many, not "all"
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
# What stands between two parts of one name: "Democratic Republic of (the) Congo", "Jenni "JWoww"
# Farley", "Ludwig van Beethoven".
_NAME_JOIN = re.compile(r"^(?:\s+(?:of|de|da|del|der|di|du|la|le|van|von)(?:\s+the)?\s+|[\s\"“”']+)$")


def name_groups(names: list[str], claim: str) -> dict[str, int]:
    """`names` (each found in the claim) in the claim's order, each with the number of its group:
    names the claim lists together ("Norway, Italy and the UK") or that are parts of one name
    ("Democratic Republic of Congo") share one."""
    at = {name: claim.find(name) for name in names}
    group, groups = 0, {}
    ordered = sorted(at, key=at.__getitem__)
    for before, name in zip([None, *ordered], ordered, strict=False):
        gap = claim[at[before] + len(before) : at[name]] if before is not None else ""
        if before is not None and not (_LIST_GAP.match(gap) or _NAME_JOIN.match(gap)):
            group += 1
        groups[name] = group
    return groups


def names_reordered(names: list[str], claim: str, evidence: str) -> bool:
    """Whether the claim puts two of `names` (all found in both texts) in the other order than the
    evidence does. Names the claim lists together ("Norway, Italy and the UK") may come in any
    order: a list says nothing of their roles; nor does the active voice for the passive."""
    groups = name_groups(names, claim)
    ordered = list(groups)
    where = evidence.lower()
    return any(
        groups[a] != groups[b]
        and where.find(a.lower()) > where.find(b.lower())
        and _agent(b, claim) == _agent(a, evidence)  # not the one voice for the other
        and not _fronted(b, a, where)
        for i, a in enumerate(ordered)
        for b in ordered[i + 1 :]
    )


# A phrase that opens a sentence and ends at its first comma ("With a 5 percent GDP growth
# target, China's leadership…"): a rewording may put it after the rest.
_FRONTED = re.compile(
    r"(?:^|(?<=[.!?]\s))(?:with|after|before|despite|although|though|while|as|since|because|when|following|"
    r"unlike|like|amid|given)\b[^,.;]*,",
    re.IGNORECASE,
)


def _fronted(first: str, second: str, evidence: str) -> bool:
    """Whether the (lower-cased) evidence names `first` in a phrase opening the sentence where it
    then names `second`: moving that phrase is no swap of roles."""
    for phrase in _FRONTED.finditer(evidence):
        at = evidence.find(first.lower(), phrase.start())
        end = re.search(r"[.!?](?:\s|$)", evidence[phrase.end() :])
        sentence_end = phrase.end() + end.start() if end else len(evidence)
        if 0 <= at < phrase.end() and phrase.end() <= evidence.find(second.lower(), phrase.end()) < sentence_end:
            return True
    return False


def _agent(name: str, text: str) -> bool:
    """Whether `text` names `name` as the agent of a passive ("directed by Shia LaBeouf"): the
    active voice puts it first ("Shia LaBeouf directed Maniac"). Two passives with each other's
    agents ("X was led by Y" against "Y was led by X") are still a swap."""
    return re.search(r"\bby\s+(?:the\s+)?" + re.escape(name.lower()), text.lower()) is not None


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


_YEAR = re.compile(r"\b(1[0-9]\d\d|20\d\d)\b")
# A count of years: "two years later", "a 14-year gap".
_YEARS_COUNT = re.compile(r"\b([\w.,]+)[\s-]+years?\b", re.IGNORECASE)


def years_apart(claim: str, evidence: str) -> set[str]:
    """The counts of years the claim states ("two years later", "four years after") that two
    years the evidence states are apart (1750 and 1752): worked out, not missing."""
    years = sorted({int(y) for y in _YEAR.findall(evidence)})
    gaps = {str(b - a) for i, a in enumerate(years) for b in years[i + 1 :]}
    return {n for m in _YEARS_COUNT.finditer(claim) for n in numbers(m.group(1))} & gaps


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


_CONTRAST = re.compile(r"\b(?:rather than|instead of|in place of)\s+([^,;:.]+)", re.IGNORECASE)


def _contrasted(sentence: str) -> tuple[set[str], set[str]] | None:
    """The stems a sentence sets aside ("instead of relying on real estate") and the rest of its
    stems, which it chooses; None without such a contrast."""
    match = _CONTRAST.search(sentence)
    if match is None:
        return None
    rejected = set(stems(match.group(1)))
    return rejected, set(stems(sentence[: match.start()] + " " + sentence[match.end() :])) - rejected


# The word just before "rather than" that names what a claim picks ("the state, rather than…").
_PICKED_WORDS = 1


def contrast_reversed(claim: str, evidence: str) -> bool:
    """Whether the claim sets aside what the evidence chooses: "rather than banking on technology,
    the government relies on real estate" against "instead of relying on real estate, the
    government is banking on technology". Read in the evidence sentence with a contrast that
    shares most of the claim's words (the evidence is parted into sentences only for a claim that
    sets something aside)."""
    said = _contrasted(claim)
    if said is None or not said[0]:
        return False
    sentences = parted_sentences(evidence)
    claim_stems = set(stems(claim))
    read = [(len(claim_stems & set(stems(s))), c) for s in sentences if (c := _contrasted(s)) is not None]
    if not read:
        # Without a contrast of its own, the evidence may say what the claim sets aside and not
        # what it picks in its place: "the state, rather than enterprises, should lead" against
        # "firms should lead… the central role of enterprises".
        match = _CONTRAST.search(claim)
        picked = set(stems(claim[: match.start()])[-_PICKED_WORDS:]) if match else set()
        written = {s for sentence in sentences for s in stems(sentence)}
        return bool(picked) and said[0] <= written and not picked & written
    rejected, chosen = max(read, key=lambda pair: pair[0])[1]
    reversed_words = said[0] & chosen - rejected
    return len(reversed_words) > len(said[0] & rejected) and 2 * len(reversed_words) >= len(said[0])


_FIGURE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")
# The words before a figure that say what it measures ("condenser temperatures are around 30").
_LABEL_WORDS = 4


def _labels(text: str) -> dict[str, set[str]]:
    """Each figure of `text` with the stems of the words before it (back to the figure before)."""
    labels: dict[str, set[str]] = {}
    previous = 0
    for match in _FIGURE.finditer(text):
        labels.setdefault(match.group().replace(",", ""), set()).update(
            stems(text[previous : match.start()])[-_LABEL_WORDS:]
        )
        previous = match.end()
    return labels


def figures_relabelled(claim: str, evidence: str) -> bool:
    """Whether the claim gives a figure what the evidence says of another figure: of another of
    the claim's figures ("condenser temperatures are around 565 °C, turbine entry temperatures
    about 30 °C" against "turbine entry temperatures are typically 565 °C and condenser
    temperatures are around 30 °C"), or, with two of its words and none of the figure's own, of a
    figure of the same kind (a year for a year) that the claim leaves out ("committed to a
    devolved legislature in 1978" against "…to a devolved legislature in 1974. It was not until
    1978 that final proposals…")."""
    said, written = _labels(claim), _labels(evidence)
    for figure, label in said.items():
        if figure not in written:
            continue
        own = label - written[figure]
        for other in written.keys() - {figure}:
            if other in said and own & written[other] - said[other]:
                return True
            if (
                other not in said
                and bool(_YEAR.fullmatch(other)) == bool(_YEAR.fullmatch(figure))  # a year for a year
                and len(own & written[other]) >= 2
                and not label & written[figure]
            ):
                return True
    return False


def directions(words: set[str]) -> list[int]:
    """Per axis (`_axes`): 1 or -1 when the words go one way only, else 0."""
    stemmed = {stem(w) for w in words}
    found = []
    for one, other in _axes():
        a, b = bool(stemmed & one), bool(stemmed & other)
        found.append(1 if a and not b else -1 if b and not a else 0)
    return found


# Words that say "not" without a negation word: a rewording often writes "failed to take" for
# "did not take", "unprecedented" for "never seen before", "unclear" for "has not been shown",
# "CRACM1-deficient mice" for "mice without CRACM1", "is yet to agree" for "has not agreed",
# "rather than" for "not merely", "grew despite sanctions" for "sanctions did not stop it".
_DENIAL = re.compile(
    r"\b(?:fail(?:s|ed|ing|ure)?|unable|lack(?:s|ed|ing)?|barred|bans?|banned|refus(?:e|es|ed|ing|al)|"
    r"prohibit(?:s|ed)?|forbid(?:s|den)?|rather than|instead|absen(?:t|ce)|unprecedented|despite|in spite of|"
    r"unknown|unclear|unsure|uncertain|unaware|deficien(?:t|cy)|(?:is|are|was|were|has|have|had) yet to)\b",
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
