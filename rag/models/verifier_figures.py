"""Figures a claim gives that the evidence states in other words: rounded ("about 1.3 billion"
for "1,338 million", "30%" for "29.6%", "nearly a quarter" for "24.6 percent"), or worked out
from two of its figures where the claim says how ("8 points higher" from 12 and 20; "a combined
30" from 12 and 18; "three times as many" from 5 and 15).

A claim's figure counts as the evidence's when it is the evidence's rounded (within half a unit
of its own last significant digit) and within 5 % of it, or within 10 % where the claim says it is
approximate ("about", "nearly", "more than"…): "130 firms" is not "135 firms", "about 130" is.
Years are never rounded: "1970" is not "1974". Used by `rag.models.verifier_features` beside
`years_apart` (counts of years worked out).
"""

from __future__ import annotations

import re
from decimal import Decimal

from rag.mentions import numbers

__all__ = ["rounded", "worked_out"]

_HEDGE = re.compile(
    r"\b(?:about|around|roughly|approximately|nearly|almost|some|close to|just (?:under|over|below|above)"
    r"|more than|less than|fewer than|over|under|upwards of|an estimated|estimated|circa|approx)\b",
    re.IGNORECASE,
)
_CLOSE = Decimal("0.05")
_HEDGED_CLOSE = Decimal("0.10")


def _rounds(value: Decimal, other: Decimal) -> bool:
    """Whether `value` is `other` rounded at `value`'s last significant digit."""
    place = Decimal(1).scaleb(value.normalize().as_tuple().exponent)
    return abs(value - other) < place / 2


def _year(value: Decimal) -> bool:
    return value == value.to_integral_value() and 1000 <= value <= 2100


def _figures(text: str, years: bool = False) -> dict[str, Decimal]:
    """The plain figures among `numbers(text)` (not "5G"), each with its value; years left out
    unless `years`."""
    values = {n: Decimal(n) for n in numbers(text) if re.fullmatch(r"-?\d+(?:\.\d+)?", n)}
    return values if years else {n: v for n, v in values.items() if not _year(v)}


def rounded(claim: str, evidence: str) -> set[str]:
    """The claim's figures (as `numbers` writes them) that round one of the evidence's."""
    stated = [v for v in _figures(evidence).values() if v != 0]
    tolerance = _HEDGED_CLOSE if _HEDGE.search(claim) else _CLOSE
    return {
        figure
        for figure, value in _figures(claim).items()
        if value != 0
        and any(
            other != value
            and abs(value - other) / abs(other) <= tolerance
            and (tolerance == _HEDGED_CLOSE or _rounds(value, other))
            for other in stated
        )
    }


# Words that say a figure is a difference, a sum or a multiple of others.
_DIFFERENCE = re.compile(
    r"\b(?:more|fewer|less|later|earlier|after|before|apart|gap|difference|differ\w*|increase\w*|decrease\w*"
    r"|up|down|rose|risen|fell|fallen|grew|grown|dropped|higher|lower|longer|shorter|older|younger|between"
    r"|ahead|behind|larger|smaller|bigger)\b",
    re.IGNORECASE,
)
_SUM = re.compile(r"\b(?:total\w*|combined|together|in all|altogether|sum|jointly)\b", re.IGNORECASE)
_MULTIPLE = re.compile(r"\b(?:times|twice|double\w*|triple\w*|half|halved)\b", re.IGNORECASE)


def worked_out(claim: str, evidence: str) -> set[str]:
    """The claim's figures that are the difference, sum or ratio of two of the evidence's, where
    the claim says it counts so (see the module)."""
    # Years are left out: what two years are apart is `years_apart`'s, and a sum of years is nothing.
    stated = sorted(set(_figures(evidence).values()))
    pairs = [(a, b) for i, a in enumerate(stated) for b in stated[i + 1 :]]
    results: set[Decimal] = set()
    if _DIFFERENCE.search(claim):
        results |= {b - a for a, b in pairs}
    if _SUM.search(claim):
        results |= {a + b for a, b in pairs}
    if _MULTIPLE.search(claim):
        results |= {b / a for a, b in pairs if a != 0 and (b / a) == (b / a).to_integral_value()}
    return {n for n, value in _figures(claim, years=True).items() if value in results}
