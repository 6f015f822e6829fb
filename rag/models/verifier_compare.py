"""A bare "yes" or "no" to "Are A and B from the same country?", decided from what the evidence
says of each.

"No" to a yes/no question states nothing the evidence could hold word for word, so the rule that
reads claims finds no support for it. For a question that asks whether two named things share a
nationality, a country, a province or state, or a family, the evidence usually says it of each:
"Terence Davies … is an English screenwriter. Richard Wallace … was an American film director."
Each side's sentences are read for that one attribute, and the answer is judged by whether the
two sides share a value. When either side says none, nothing is decided here.
"""

from __future__ import annotations

import re

from rag.models.verifier_words import STOP, parted_sentences

__all__ = ["same_attribute_answer"]

_BARE = re.compile(r"^\W*(yes|no)\W*$", re.IGNORECASE)
_ASKS_SAME = re.compile(
    r"^\W*(?:is|are|was|were|do|does|did)\b(?P<pair>.+?)\b(?:from |in |have |has |had |belong to |of )?"
    r"(?:the )?same (?P<attribute>nationality|country|province|state|family)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"[A-Z][\w'\-.]*")
# A people's or country's name: "English", "Brazilian", "Japanese", "Czech", "Czechoslovakia".
_DEMONYM = re.compile(
    r"^(?:[A-Z][a-z]+(?:ese|ian|an|ish|i|ic|ia|land|stan|many|ce)|French|Dutch|Czech|Soviet|Greek|Swiss|Thai|Welsh)$"
)


def _sides(question: str) -> tuple[str, str, str] | None:
    """(first name, second name, attribute) the question compares, or None. A name is read by its
    last capitalised word ("Davies" for "Terence Davies"), which the evidence keeps when it
    writes the name out in full ("Kathryn "Kathy" Jordan")."""
    asked = _ASKS_SAME.match(question)
    if asked is None or " and " not in asked.group("pair"):
        return None
    first, _, second = asked.group("pair").rpartition(" and ")
    keys = [[w for w in _CAPITALISED.findall(part) if w.lower() not in STOP] for part in (first, second)]
    if not keys[0] or not keys[1]:
        return None
    return keys[0][-1], keys[1][-1], asked.group("attribute").lower()


def _side_text(name: str, other: str, evidence: str) -> str:
    """The evidence's sentences about `name`: from the first that names it up to the next that
    names `other`."""
    sentences = parted_sentences(evidence)
    own = []
    for sentence in sentences:
        if name in sentence and other not in sentence:
            own.append(sentence)
        elif own and other in sentence:
            break
        elif own:
            own.append(sentence)
    return " ".join(own)


# A word said as a people's or country's name: before another word ("an English screenwriter",
# "British-born author") or after "from"/"in" ("from Czechoslovakia").
_NATIONAL = re.compile(r"\b([A-Z][a-z]+)(?=(?:-born)?\s+[A-Za-z])|\b(?:from|in) (?:the )?([A-Z][a-z]+)")
# Words of those endings that name no people or country.
_NOT_NATIONAL = frozenset(
    "christian catholic islamic muslim jewish republican democratic victorian olympic atlantic pacific arctic "
    "baltic island latin".split()
)


def _values(text: str, attribute: str, asked: set[str]) -> set[str]:
    """What `text` gives for the attribute, each in one plain form; never a word of the question
    (the names compared)."""
    if attribute in ("nationality", "country"):
        words = {a or b for a, b in _NATIONAL.findall(text)}
        national = [w for w in words if _DEMONYM.match(w) and w not in asked and w.lower() not in _NOT_NATIONAL]
        return {w.lower()[:4] for w in national}  # a people and its country share four letters
    if attribute == "family":
        found = {w.lower() for w in re.findall(r"\b[A-Z][a-z]+aceae\b", text)}
        found |= {m.group(1).lower() for m in re.finditer(r"\b([A-Za-z][a-z]+)\s+family\b", text)}
        return found - STOP - {"same", "plant"}
    pattern = rf"\b([A-Z][a-z]+)\s+{attribute}\b"
    return {m.group(1).lower() for m in re.finditer(pattern, text, re.IGNORECASE) if m.group(1) not in asked}


def _side_values(one: str, two: str, attribute: str, asked: set[str], evidence: str) -> list[set[str]] | None:
    """What each side's own sentences give for the attribute (`_values`), or None when either gives
    none."""
    values = [_values(_side_text(a, b, evidence), attribute, asked) for a, b in ((one, two), (two, one))]
    return values if all(values) else None


# "Are both Oasis and Oingo Boingo American bands?": a yes/no question whose "both" asks a people.
_ASKS_BOTH = re.compile(r"^\W*(?:is|are|was|were|do|does|did)\b.*\bboth\b", re.IGNORECASE)
_COUNTRY_NAMES = {"usa": "amer", "us": "amer", "america": "amer", "uk": "brit", "britain": "brit"}
# A British person is English, Scottish, Welsh or from Northern Ireland.
_WITHIN = {"brit": {"brit", "engl", "scot", "wels", "nort"}}


def _both_people(question: str) -> tuple[str, str, str] | None:
    """(first name, second name, people) of "Are both A and B <people>…?", the people in four
    letters ("amer"), or None."""
    if _ASKS_BOTH.match(question) is None:
        return None
    for match in _CAPITALISED.finditer(question):
        word = match.group().rstrip("?.,")
        people = _COUNTRY_NAMES.get(word.lower()) or (word.lower()[:4] if _DEMONYM.match(word) else None)
        before = question[: match.start()]
        if people is None or " and " not in before or word.lower() in _NOT_NATIONAL:
            continue
        first, _, second = before.rpartition(" and ")
        keys = [[w for w in _CAPITALISED.findall(p) if w.lower() not in STOP] for p in (first, second)]
        if keys[0] and keys[1]:
            return keys[0][-1], keys[1][-1], people
    return None


def _both_answer(yes: bool, question: str, evidence: str) -> bool | None:
    """Whether "yes" (or "no") to "Are both A and B American…?" is right: each side's own sentences
    name its people; None when either names none."""
    asked = _both_people(question)
    if asked is None:
        return None
    one, two, people = asked
    names = {w for w in _CAPITALISED.findall(question) if w.lower()[:4] != people}
    values = _side_values(one, two, "nationality", names, evidence)
    if values is None:
        return None
    both = all(side & _WITHIN.get(people, {people}) for side in values)
    return both == yes


def same_attribute_answer(claim: str, question: str, evidence: str) -> bool | None:
    """Whether a bare "yes" or "no" to a "the same …?" or "both <people>?" question is right by the
    evidence: True or False, or None when the claim is no such answer or the evidence does not say
    enough."""
    bare = _BARE.match(claim)
    if bare is None or not question:
        return None
    sides = _sides(question)
    if sides is None:
        return _both_answer(bare.group(1).lower() == "yes", question, evidence)
    one, two, attribute = sides
    values = _side_values(one, two, attribute, set(_CAPITALISED.findall(question)), evidence)
    if values is None:
        return None
    same = bool(values[0] & values[1])
    return same == (bare.group(1).lower() == "yes")
