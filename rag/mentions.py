"""Whether a text names a name or states a number, however it spells them.

Shared by the answer checks (`rag.answer.grounding`) and the claim verifier's features: a
restated sentence writes "the NDRC" for "the National Development and Reform Commission",
"Iranian" for "Iran", "1.3 trillion" for "1,300 billion" and "2026-2030" for "2026-30", and none
of these is a missing name or a changed number.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

__all__ = ["MONTH", "plain", "numbers", "figures_beside", "mentions", "names_acronym", "names_name"]

_DASHES = re.compile("[\u2010-\u2015\u2212]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def plain(text: str) -> str:
    """`text` with typographic dashes and quotes as ASCII ones ("Five‑Year" → "Five-Year")."""
    return _DASHES.sub("-", text).translate(_QUOTES)


# ---- numbers

# A month's name, in full or cut short ("Sept.", "March").
MONTH = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?",
    re.IGNORECASE,
)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# "one" is left out: it is mostly a pronoun ("one of the industries").
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "twice": 2,
    "double": 2,
    "doubled": 2,
    "doubles": 2,
    "doubling": 2,
    "triple": 3,
    "tripled": 3,
    "triples": 3,
    "tripling": 3,
    "quadruple": 4,
    "quadrupled": 4,
    "twofold": 2,
    "threefold": 3,
    "fourfold": 4,
    "dozen": 12,
    "decade": 10,
}
# Ordinals as their figure ("the Fifteenth Five-Year Plan" is the 15th); "first" and "second" are
# left out: they mostly order things or measure time ("the first time", "a second").
_ORDINALS = {
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "hundredth": 100,
}
_UNITS = {w: _NUMBER_WORDS[w] for w in "two three four five six seven eight nine".split()}
_TENS = {w: n for w, n in _NUMBER_WORDS.items() if n in (20, 30, 40, 50, 60, 70, 80, 90)}
# "twenty-five", "ninety one", "twenty-first": one figure, not a ten and a unit.
_COMPOUND = re.compile(
    r"\b("
    + "|".join(_TENS)
    + r")[\s-](one|first|"
    + "|".join(_UNITS)
    + "|"
    + "|".join(w for w, n in _ORDINALS.items() if n < 10)
    + r")\b",
    re.IGNORECASE,
)
# A fraction as the percentage it is ("four-fifths" of something is 80 percent of it).
_DENOMINATORS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fifth": 5,
    "fifths": 5,
    "tenth": 10,
    "tenths": 10,
}
_FRACTION = re.compile(
    r"\b(one|a|" + "|".join(_UNITS) + r")([\s-])(" + "|".join(_DENOMINATORS) + r")\b(\s+of\b)?", re.IGNORECASE
)
# A share said as "X in Y" ("nine in ten", "1 in 4", "two out of three") is the percentage it is.
# "3 in 10 minutes" is a count in a time.
_SHARE = re.compile(
    r"\b(\d{1,3}|one|" + "|".join(_UNITS) + r")\s+(?:in|out\s+of)\s+(\d{1,4}|" + "|".join(_UNITS) + r"|ten|a\s+hundred)"
    r"\b(?![.,]?\d)(?!\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|games?|matches)\b)",
    re.IGNORECASE,
)
_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SCALED = re.compile(
    r"(\d+(?:[.,]\d+)*|\b(?:" + "|".join(w for w in _NUMBER_WORDS if w != "hundred") + r"))"
    r"\s+(hundred|thousand|million|billion|trillion)\b",
    re.IGNORECASE,
)
# "2026-30": the second year written with its last two digits.
_YEAR_RANGE = re.compile(r"\b(1[5-9]|20)(\d\d)\s*-\s*(\d\d)\b(?![.,]?\d)")
_WORD = re.compile(r"[A-Za-z]+")


def _figure(text: str) -> Decimal | None:
    word = _NUMBER_WORDS.get(text.lower())
    if word is not None:
        return Decimal(word)
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _canonical(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def numbers(text: str) -> set[str]:
    """The numbers `text` states, each in one canonical form: digits without thousands separators,
    number words as digits, a figure with its scale word multiplied out ("1.3 trillion" and
    "1,300 billion" both "1300000000000"), and the second year of "2026-30" in full."""
    text = plain(text)
    found: set[str] = set()
    taken: list[tuple[int, int]] = []
    for m in _SCALED.finditer(text):
        figure = _figure(m.group(1))
        if figure is not None:
            found.add(_canonical(figure * _SCALES[m.group(2).lower()]))
            taken.append(m.span())
    for m in _YEAR_RANGE.finditer(text):
        if int(m.group(3)) > int(m.group(2)):
            found.add(m.group(1) + m.group(3))
            taken.append(m.span(3))

    def free(start: int) -> bool:
        return not any(begin <= start < end for begin, end in taken)

    for m in _COMPOUND.finditer(text):
        if free(m.start()):
            unit = m.group(2).lower()
            found.add(str(_TENS[m.group(1).lower()] + (_UNITS.get(unit) or _ORDINALS.get(unit) or 1)))
            taken.append(m.span())
    for m in _FRACTION.finditer(text):
        numerator, denominator = m.group(1).lower(), m.group(3).lower()
        # "a third party" is no fraction; "a third of" and "one-third" are.
        if free(m.start()) and (numerator not in ("one", "a") or m.group(2) == "-" or m.group(4)):
            share = Decimal(100 * _UNITS.get(numerator, 1)) / _DENOMINATORS[denominator]
            found.add(_canonical(share.quantize(Decimal(1))))
            taken.append(m.span())

    for m in _SHARE.finditer(text):
        part = _figure("1" if m.group(1).lower() == "one" else m.group(1))  # "one" is no number word
        whole = _figure("100" if m.group(2).lower().startswith("a") else m.group(2))
        if free(m.start()) and part is not None and whole is not None and 0 < part < whole <= 1000:
            found.add(_canonical((100 * part / whole).quantize(Decimal(1))))
            taken.append(m.span())
    for m in _NUMBER.finditer(text):
        if free(m.start()):
            figure = _figure(m.group(0).rstrip("."))
            found.add(m.group(0).replace(",", "") if figure is None else _canonical(figure))
    for m in _WORD.finditer(text):
        word = m.group(0).lower()
        figure = _NUMBER_WORDS.get(word) or _ORDINALS.get(word)
        if figure is not None and free(m.start()):
            found.add(str(figure))
    return found


# A figure and the word after it ("242 Rhodes", "5% growth"); a figure run into the word before
# it ("Manhattan.55 Hudson Yards") counts, a decimal's second half does not.
_FIGURE_WORD = re.compile(r"(?<![\w,])(?<!\d\.)(\d[\d,]*(?:\.\d+)?|[A-Za-z]+)(\s*%)?\s+([A-Za-z][A-Za-z'\-]+)")


def figures_beside(text: str) -> set[tuple[str, str]]:
    """(figure, the lower-cased word right after it) for each figure `text` states by itself, in
    the canonical form of `numbers` ("percent" after a "%"; a scale word is part of the figure,
    not the word after it, so none is paired)."""
    found = set()
    for m in _FIGURE_WORD.finditer(plain(text)):
        figure = _figure(m.group(1))
        word = "percent" if m.group(2) else m.group(3).lower()
        if figure is not None and figure.is_finite() and word not in _SCALES:
            found.add((_canonical(figure), word))
    return found


# ---- names

# A demonym's ending: "Chinese", "Indian", "Korean", "British", "Israeli"; and "Western" for
# "the West".
_DEMONYM = re.compile(r"(?:ese|ian|an|ish|i|ern)$")
# Demonyms that do not share their country's first four letters.
_DEMONYM_COUNTRY = {
    "irish": "ireland",
    "french": "france",
    "dutch": "netherlands",
    "welsh": "wales",
    "scottish": "scotland",
    "scots": "scotland",
    "english": "england",
    "spanish": "spain",
    "danish": "denmark",
    "swiss": "switzerland",
    "greek": "greece",
    "polish": "poland",
    "finnish": "finland",
}
# The same table read from the country: "Ireland" is named by "the Irish linen industry".
_COUNTRY_DEMONYMS = {
    country: re.compile(r"\b(?:" + "|".join(d for d, c in _DEMONYM_COUNTRY.items() if c == country) + r")\b")
    for country in set(_DEMONYM_COUNTRY.values())
}
# Words an acronym skips: "CPC" is the Communist Party of China.
_ACRONYM_SKIPS = frozenset("of and the for in on to at &".split())
# Words that never start a spelled-out acronym's words ("an important" is not "AI").
_FUNCTION_WORDS = frozenset(
    """a an as is are was were be been it its this that these those he she they we you his her their
    our or but if so not no by with from into than then there here which who whom what when where how
    has have had do does did can could will would should may might must also just such""".split()
)
_ACRONYM = re.compile(r"[A-Z][A-Z&]{1,7}s?")
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_NAME_SKIPS = frozenset("a an the of and for in on at to by with from de la le von van der".split())


# Countries an acronym names, written as their demonym ("a US firm": "an American firm").
_ACRONYM_DEMONYMS = {"US": "american", "USA": "american", "UK": "british"}


def names_acronym(acronym: str, text: str) -> bool:
    """Whether `text` writes `acronym` or spells it out ("US": "United States", "FIFO":
    "first-in, first-out", "CPC": "Communist Party of China"; a plural "EVs": "electric vehicles")."""
    letters = acronym[:-1] if acronym.endswith("s") and acronym[:-1].isupper() else acronym
    if re.search(r"\b" + re.escape(letters) + r"s?\b", text):
        return True
    demonym = _ACRONYM_DEMONYMS.get(letters)
    if demonym and re.search(rf"\b{demonym}s?\b", text, re.IGNORECASE):
        return True
    # "Chinese People's Political Consultative Conference" spells "CPPCC": a possessive adds no letter.
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"'s\b", "", plain(text)))]
    words = [w for w in words if w in _ACRONYM_SKIPS or w not in _FUNCTION_WORDS]
    letters = letters.lower()
    spelled = ("".join(w[0] for w in words), "".join(w[0] for w in words if w not in _ACRONYM_SKIPS))
    return any(letters in initials for initials in spelled)


def names_name(name: str, text: str) -> bool:
    """Whether `text` names `name` as a claim writes it (capitalised): `mentions`, or an acronym it
    spells out, or the name's words close together, each as `mentions` would allow ("Iran's
    Islamic Revolution" in "the Iranian Islamic Revolution"; not "South Bay" in "south central
    Maine in Penobscot Bay")."""
    name = plain(name).strip()
    if _ACRONYM.fullmatch(name):
        return names_acronym(name, text)
    lowered = plain(text).lower()
    if mentions(lowered, name.lower().removesuffix("'s")):
        return True
    # "the Orioles-White Sox game" names the Baltimore Orioles and the Chicago White Sox, apart.
    parts = [part for part in name.split("-") if part[:1].isupper()]
    if len(parts) > 1 and all(names_name(part, text) for part in parts):
        return True
    words = [w.removesuffix("'s") for w in _NAME_WORD.findall(name) if w.lower() not in _NAME_SKIPS]
    acronyms = [w for w in words if _ACRONYM.fullmatch(w)]
    if not words or not all(names_acronym(w, text) for w in acronyms):
        return False
    rest = [_unaccented(w.lower()) for w in words if w not in acronyms]
    if not rest:
        return True
    tokens = re.findall(r"[a-z0-9]+", _unaccented(lowered))
    places = [[i for i, token in enumerate(tokens) if _same_word(word, token)] for word in rest]
    if not all(places):
        return False
    reach = len(rest)  # one word between two of them at most ("Edmond de Rothschild")
    return any(all(any(abs(i - anchor) <= reach for i in found) for found in places) for anchor in places[0])


def _same_word(word: str, token: str) -> bool:
    if word == token:
        return True
    if len(word) >= 4 and word[:4] == token[:4] and (_DEMONYM.search(word) or _DEMONYM.search(token)):
        return True  # "Iran" / "Iranian", "Britain" / "British"
    if _DEMONYM_COUNTRY.get(word) == token or _DEMONYM_COUNTRY.get(token) == word:
        return True
    return len(word) >= 6 and len(token) >= 5 and _near_spelling(word, token)


def mentions(lowered_text: str, name: str) -> bool:
    """Whether a lower-cased text names `name` (lower-cased); a demonym ("Chinese", "Indian") also
    counts when it names its country ("China", "India"), which shares its first four letters.
    Accents aside ("Liege", "Liège"), a name of six letters or more also counts when spelled one
    letter off ("Sigimund", "Sigismund") or with another ending ("Designated", "Designation")."""
    if name in lowered_text:
        return True
    # The demonym is the name's last word, its other words written out: "South Korean" for "South
    # Korea"; not "World War III" for "World War II", nor "Ronald Reagan" for any "Ronald".
    last = name.rsplit(" ", 1)[-1]
    if len(last) >= 4 and last.isalpha() and _DEMONYM.search(last):
        if re.search(r"\b" + re.escape(name[: len(name) - len(last) + 4]), lowered_text) is not None:
            return True
    if name in _DEMONYM_COUNTRY and _DEMONYM_COUNTRY[name] in lowered_text:
        return True
    if name in _COUNTRY_DEMONYMS and _COUNTRY_DEMONYMS[name].search(lowered_text):
        return True
    name, text = _unaccented(name), _unaccented(lowered_text)
    if name in text:
        return True
    if len(name) < 6 or not name.isalpha():
        return False
    return any(_near_spelling(name, word) for word in set(re.findall(r"[a-z]{5,}", text)))


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
