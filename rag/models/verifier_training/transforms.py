"""Claim transformations in the FactCC manner: each takes a sentence the evidence supports and
returns a variant that it no longer supports (one detail changed), or one it still supports
(a clause dropped), or None when the sentence offers nothing to change.

Swapped-in values come from the same document, so a contradiction reuses words that are on topic
(and often in the evidence itself): word overlap alone cannot tell it from the original.
"""

from __future__ import annotations

import random
import re

from rag.models.verifier_conflicts import names_reordered

__all__ = [
    "numbers_in",
    "names_in",
    "swap_number",
    "swap_name",
    "flip_direction",
    "toggle_negation",
    "swap_roles",
    "drop_clause",
    "CONTRADICTIONS",
]

_NUMBER = re.compile(r"(?<![\w.])\d(?:[\d,]*\d)?(?:\.\d+)?(?!\w)")
_YEAR = re.compile(r"^(1[5-9]|20)\d\d$")
# A run of capitalised words (optionally joined by "of", "de", "and", "&", "-"), not at the start.
_NAME = re.compile(
    r"(?<=[\w,;:)] )(?:[A-Z][\w'\-]*[a-z\d][\w'\-]*|[A-Z]{2,})(?:\s+(?:of|de|and|&|for)?\s*[A-Z][\w'\-]+)*"
)
_NOT_NAMES = frozenset(
    "I The A An In On At By For With From As It He She They We You This That These Those But And Or "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mr Mrs Ms Dr".split()
)

_DIRECTIONS = [
    ("rose", "fell"),
    ("rise", "fall"),
    ("rises", "falls"),
    ("rising", "falling"),
    ("risen", "fallen"),
    ("increased", "decreased"),
    ("increase", "decrease"),
    ("increases", "decreases"),
    ("increasing", "decreasing"),
    ("higher", "lower"),
    ("highest", "lowest"),
    ("more", "less"),
    ("most", "least"),
    ("before", "after"),
    ("above", "below"),
    ("gained", "lost"),
    ("grew", "shrank"),
    ("growth", "decline"),
    ("expanded", "contracted"),
    ("larger", "smaller"),
    ("largest", "smallest"),
    ("bigger", "smaller"),
    ("first", "last"),
    ("earlier", "later"),
    ("positive", "negative"),
    ("improved", "worsened"),
    ("accelerated", "slowed"),
    ("strengthened", "weakened"),
    ("won", "lost"),
    ("upregulated", "downregulated"),
    ("enhanced", "reduced"),
    ("promotes", "inhibits"),
    ("activates", "suppresses"),
    ("allowed", "banned"),
    ("approved", "rejected"),
    ("supported", "opposed"),
    ("maximum", "minimum"),
    ("majority", "minority"),
    ("younger", "older"),
    ("cheaper", "dearer"),
    ("boost", "cut"),
    ("up", "down"),
]
_OPPOSITE = {a: b for a, b in _DIRECTIONS} | {b: a for a, b in _DIRECTIONS}
_DIRECTION_WORD = re.compile(r"\b(" + "|".join(sorted(_OPPOSITE, key=len, reverse=True)) + r")\b", re.IGNORECASE)

_AUXILIARY = re.compile(
    r"\b(is|are|was|were|has|have|had|will|would|can|could|should|does|did|do|may|must)\b(?! not\b| no\b|n't)"
)
_NEGATED = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could|should|does|did|do|may|must) not\b")
_CONTRACTED = re.compile(r"\b(is|are|was|were|has|have|had|would|could|should|does|did|do)n't\b")
_CLAUSE = re.compile(
    r",\s+(?:which|who|where|while|although|though|as|after|before|when|according to)\b[^,.;]*(?=[,.;])"
)


def numbers_in(text: str) -> list[str]:
    return _NUMBER.findall(text)


def names_in(text: str) -> list[str]:
    return [m for m in _NAME.findall(text) if m not in _NOT_NAMES]


def _replace_once(text: str, old: str, new: str) -> str:
    index = text.find(old)
    return text if index < 0 else text[:index] + new + text[index + len(old) :]


def _numeric(value: str) -> float | None:
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return None


def _altered_number(value: str, rng: random.Random) -> str:
    """A plausible different number: another year for a year, else scaled or nudged."""
    number = _numeric(value)
    if number is None:
        return value
    if _YEAR.match(value):
        return str(int(number) + rng.choice([-3, -2, -1, 1, 2, 3]))
    if "." in value:
        decimals = len(value.split(".")[1])
        changed = number * rng.choice([0.5, 0.7, 1.3, 1.5, 2.0]) + rng.choice([0.1, 0.3])
        return f"{changed:.{decimals}f}"
    integer = int(number)
    if integer < 10:
        return str(rng.choice([n for n in range(2, 13) if n != integer]))
    changed = int(integer * rng.choice([0.4, 0.6, 0.75, 1.3, 1.5, 2, 3]))
    if changed == integer:
        changed += rng.choice([1, 2, 3])
    return f"{changed:,}" if "," in value else str(changed)


def swap_number(sentence: str, document_numbers: list[str], rng: random.Random) -> str | None:
    """One number changed: to another number of the same document of the same kind (year for year),
    else to an altered value."""
    numbers = numbers_in(sentence)
    if not numbers:
        return None
    old = rng.choice(numbers)
    same_kind = [
        n
        for n in document_numbers
        if _numeric(n) != _numeric(old) and bool(_YEAR.match(n)) == bool(_YEAR.match(old)) and n not in numbers
    ]
    new = rng.choice(same_kind) if same_kind and rng.random() < 0.5 else _altered_number(old, rng)
    if _numeric(new) == _numeric(old):
        return None
    return _replace_once(sentence, old, new)


def swap_name(sentence: str, document_names: list[str], rng: random.Random) -> str | None:
    """One name changed to another name of the same document that the sentence does not use."""
    names = names_in(sentence)
    others = sorted({n for n in document_names if n not in sentence and not any(n in m or m in n for m in names)})
    if not names or not others:
        return None
    return _replace_once(sentence, rng.choice(names), rng.choice(others))


def flip_direction(sentence: str, rng: random.Random) -> str | None:
    """One direction word turned into its opposite (rose → fell, before → after, more → less)."""
    matches = list(_DIRECTION_WORD.finditer(sentence))
    if not matches:
        return None
    match = rng.choice(matches)
    word = match.group(1)
    opposite = _OPPOSITE[word.lower()]
    if word[0].isupper():
        opposite = opposite.capitalize()
    return sentence[: match.start(1)] + opposite + sentence[match.end(1) :]


def toggle_negation(sentence: str, rng: random.Random) -> str | None:
    """Negate the first auxiliary verb, or remove a negation that is there."""
    negated = _NEGATED.search(sentence) or _CONTRACTED.search(sentence)
    if negated:
        return sentence[: negated.start()] + negated.group(1) + sentence[negated.end() :]
    auxiliary = _AUXILIARY.search(sentence)
    if auxiliary:
        return sentence[: auxiliary.end()] + " not" + sentence[auxiliary.end() :]
    for verb, negative in ((r"\bsaid\b", "denied"), (r"\bagreed\b", "refused"), (r"\bconfirmed\b", "denied")):
        if re.search(verb, sentence):
            return re.sub(verb, negative, sentence, count=1)
    return None


def swap_roles(sentence: str, rng: random.Random) -> str | None:
    """Two different names in the sentence exchange places (who did what to whom)."""
    names = list(dict.fromkeys(names_in(sentence)))
    if len(names) < 2:
        return None
    first, second = rng.sample(names, 2)
    if first in second or second in first:
        return None
    marker = "\x00"
    swapped = sentence.replace(first, marker).replace(second, first).replace(marker, second)
    # Two names of one list ("Germany, Austria and the United States") exchange nothing.
    return swapped if swapped != sentence and names_reordered([first, second], swapped, sentence) else None


def drop_clause(sentence: str, rng: random.Random) -> str | None:
    """A relative or subordinate clause removed: what is left is still supported."""
    clauses = list(_CLAUSE.finditer(sentence))
    if not clauses:
        return None
    clause = rng.choice(clauses)
    shorter = sentence[: clause.start()] + sentence[clause.end() :]
    return shorter if len(shorter.split()) >= 6 else None


# Contradiction makers taking (sentence, document numbers, document names, rng).
CONTRADICTIONS = {
    "number": lambda s, nums, names, rng: swap_number(s, nums, rng),
    "entity": lambda s, nums, names, rng: swap_name(s, names, rng),
    "direction": lambda s, nums, names, rng: flip_direction(s, rng),
    "negation": lambda s, nums, names, rng: toggle_negation(s, rng),
    "role_swap": lambda s, nums, names, rng: swap_roles(s, rng),
}
