"""The words the claim verifier reads: tokens, stems, names; shared by its features and its
conflict checks."""

from __future__ import annotations

import re

from rag.text import split_sentences

__all__ = [
    "NAME",
    "NUMBER",
    "STOP",
    "TOKEN",
    "WORD",
    "claim_names",
    "names_in",
    "parted_sentences",
    "possessives_parted",
    "stem",
    "stems",
    "words_of",
]

TOKEN = re.compile(r"[A-Za-z0-9][\w'\-]*")
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+(?:[.,]\d+)*")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A hyphen joins two capitalised parts of a name ("Hewlett-Packard", "Israel-Lebanon"); in
# "AI-driven" or "US-led" only the capitalised part is a name.
# A capitalised word, accented letters included ("Míchel Salgado", "Björn Skifs"), and its digits
# ("SOX9", "CCL2": another digit names another gene).
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ](?:[^\W_]|')+"
NAME = re.compile(rf"\b{_CAPITALISED}(?:-{_CAPITALISED})*(?:\s+{_CAPITALISED}(?:-{_CAPITALISED})*)*")
STOP = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being this that
    these those it its he she they them his her their we our you your i me my what which who whom whose
    when where why how do does did have has had so than too very can could should would will shall may
    might must about into over under then there here also just such s t said says say per via
    according""".split()
)


_stemmer = None

# Irregular verbs' past forms as their base ("wrote" and "written" say "write"); left out are forms
# that are also common words of their own ("found", "left", "saw", "felt", "lay", "bore", "rose",
# "ground", "wound", "spoke", "bit", "fed").
_IRREGULAR = {
    past: base
    for base, forms in (
        entry.strip().split(":")
        for entry in """write:wrote written|begin:began begun|sing:sang sung|win:won|teach:taught|buy:bought|
        bring:brought|think:thought|catch:caught|fight:fought|seek:sought|lead:led|hold:held|
        build:built|send:sent|spend:spent|lend:lent|make:made|take:took taken|give:gave given|
        go:went gone|come:came|become:became|know:knew known|grow:grew grown|throw:threw thrown|
        draw:drew drawn|fly:flew flown|choose:chose chosen|drive:drove driven|ride:rode ridden|
        rise:risen|fall:fell fallen|eat:ate eaten|speak:spoken|break:broke broken|steal:stole stolen|
        freeze:froze frozen|forget:forgot forgotten|get:got gotten|run:ran|swim:swam swum|
        drink:drank drunk|ring:rang rung|sink:sank sunk|shrink:shrank shrunk|tell:told|sell:sold|
        meet:met|keep:kept|sleep:slept|sweep:swept|weep:wept|
        lose:lost|mean:meant|pay:paid|say:said|stand:stood|understand:understood|hear:heard|
        sit:sat|shoot:shot|strike:struck|hang:hung|dig:dug|stick:stuck|bite:bitten|hide:hid hidden|
        shake:shook shaken|wake:woke woken|wear:wore worn|tear:tore torn|swear:swore sworn|
        bear:borne|slay:slew slain|forbid:forbade forbidden|forgive:forgave forgiven|
        overcome:overcame|undertake:undertook undertaken|withdraw:withdrew withdrawn|
        overthrow:overthrew overthrown|mistake:mistook mistaken|arise:arose arisen|
        flee:fled|deal:dealt|dream:dreamt|learn:learnt|burn:burnt|spell:spelt|light:lit|
        see:seen|do:done|tread:trod trodden|shine:shone|sow:sown|sew:sewn|show:shown""".split("|")
    )
    for past in forms.split()
    if past != base
}


def stem(word: str) -> str:
    """The Snowball (English) stem of a lower-cased word."""
    global _stemmer
    if _stemmer is None:
        import Stemmer

        _stemmer = Stemmer.Stemmer("english")
    return _stemmer.stemWord(_IRREGULAR.get(word, word))


def words_of(text: str) -> list[str]:
    """The words and numbers of `text`, lower-cased, a possessive "'s" dropped."""
    return [w.lower().removesuffix("'s") for w in WORD.findall(text)]


def stems(text: str) -> list[str]:
    """Content words of `text`, lower-cased and stemmed, in order."""
    return [stem(w) for w in words_of(text) if w not in STOP and not NUMBER.fullmatch(w)]


def names_in(text: str) -> list[str]:
    """The names of `text`: capitalised runs, not at a sentence's start, not stopwords."""
    sentences = split_sentences(text)
    starts = {s.start for s in sentences}
    return [m.group(0) for m in NAME.finditer(text) if m.start() not in starts and m.group(0).lower() not in STOP]


_POSSESSIVE = re.compile(r"(?<=\w)['’]s\s+(?=[A-Z])")


# A long word in "-ally", "-ously", "-ively"… opening a sentence is an adverb ("Asymptotically,"),
# however rarely it is written ("Sally" and "Italy" are short or end otherwise).
_ADVERB = re.compile(r"[A-Z][a-z]{3,}(?:ally|ously|ively|ently|antly|edly|ingly)")


def claim_names(text: str, lower_case: frozenset[str] = frozenset()) -> list[str]:
    """The names a claim states: `names_in`, and the names that open its sentences ("Timothy
    Olyphant directed…", "The United States is…"). An opening word that is an article, a stopword
    or a word usually written lower-case (`lower_case`: "Many", "Young") is only capitalised for
    its place (so is a long adverb, `_ADVERB`), so the name is the rest of the run, if any."""
    starts = {s.start for s in split_sentences(text)}
    found = []
    for m in NAME.finditer(text):
        name = m.group(0)
        if m.start() in starts:
            first, _, rest = name.partition(" ")
            if first.lower() in STOP or first.lower() in lower_case or _ADVERB.fullmatch(first):
                if not rest:
                    continue
                name = rest
        if name.lower() not in STOP:
            found.append(name)
    return found


def possessives_parted(names: list[str]) -> list[str]:
    """`names` as an evidence may write them: a possessive parts two names ("the Communist Party's
    Central Committee" is "the Central Committee of the Communist Party")."""
    return [part for name in names for part in _POSSESSIVE.split(name) if part.lower() not in STOP]


# Sentences often run together in scraped text: "…with Nicolas Roeg.Peter Bogdanovich is…".
# After an acronym too ("…and MSNBC.Mia Tyler is…"), not inside initials ("J.R.R. Tolkien").
_RUN_TOGETHER = re.compile(r"(?<=[a-z0-9\"')\]])\.(?=[A-Z])|(?<=[A-Z]{2})\.(?=[A-Z][a-z])")


def parted_sentences(text: str) -> list[str]:
    """The sentences of `text`, those run together ("…film director.Richard Wallace (…)") parted."""
    return [sentence.text for sentence in split_sentences(_RUN_TOGETHER.sub(". ", text))]
