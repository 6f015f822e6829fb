"""Find passages written to instruct the model that reads them (OWASP LLM01, indirect injection).

A document is data: text in it that addresses an AI assistant, overrides its rules, fakes a
system message, orders a fixed reply, asks for secrets or tells it which sources to trust is an
attack on whoever retrieves it. `screen` scores every window of two consecutive sentences of a
chunk (and its title and file name, which reach the prompt too) against families of patterns;
a window whose families add up to `FLAG_AT` flags the chunk, and with it every chunk of its
document (a source that tries to instruct the model is not evidence). Flagged chunks are kept in
the index and shown to users, but never given to a generator (`rag.answer.pipeline`).

Matching reads a folded copy of the text: NFKC, zero-width and bidi controls removed, Cyrillic
and Greek look-alike letters mapped to Latin, lower case, so "іgnоre" (Cyrillic і and о) reads
"ignore". A family matched in a sentence that *discusses* attacks ("attackers write phrases such
as ...") counts half, so articles about prompt injection stay answerable.

`SCREENING_VERSION` is recorded in the manifest; when the rules change, the next `rag index`
screens the stored chunks again without re-embedding.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace

from rag.ingest.instruction_patterns import FAMILIES
from rag.ingest.loaders.base import format_characters
from rag.types import Chunk

__all__ = [
    "SCREENING_VERSION",
    "FLAG_AT",
    "SAME_DOCUMENT",
    "HIDDEN_INSTRUCTION",
    "Screening",
    "fold",
    "screen",
    "screen_chunk",
    "screen_document",
    "screen_text",
]

SCREENING_VERSION = 2
FLAG_AT = 1.0
# The flag of a chunk whose own text passed, held back with its document: an instruction split
# across chunks ("the request is stated in the closing paragraph") leaves its rest in them.
SAME_DOCUMENT = "instruction:same-document"
HIDDEN_INSTRUCTION = "instruction:hidden-text"

# Cyrillic and Greek letters that render like Latin ones (the confusables that spell English words).
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝвкмнтАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwbkmhtABEKMHOPCTXIJSabeikvoptuxABEZHIKMNOPTYX",
)
_CYRILLIC_GREEK = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z]")


def fold(text: str) -> str:
    """The text as the patterns read it: NFKC, format controls out, look-alikes Latin, lower case."""
    text = unicodedata.normalize("NFKC", text)
    for ch in format_characters(text):
        text = text.replace(ch, "")
    return " ".join(text.translate(_LOOKALIKES).lower().split())


def _mixed_script(text: str) -> bool:
    """A word that mixes Latin with Cyrillic or Greek letters (a homoglyph disguise)."""
    return any(_LATIN.search(word) and _CYRILLIC_GREEK.search(word) for word in text.split() if len(word) > 2)


_COMPILED = {
    family: (weight, tuple(re.compile(p, re.MULTILINE) for p in patterns))
    for family, (weight, patterns) in FAMILIES.items()
}
# Words of a sentence that talks about attacks rather than making one.
_DISCUSSION = re.compile(
    r"\b(?:attacks?|attackers?|adversar\w*|malicious|injections?|jailbreaks?|hackers?|researchers?|such as|"
    r"for example|e\.g\.|phrases? like|known as|so-called|owasp)\b"
)
# Code is shown, not given; quoted speech and block quotes too when the text frames them as an
# example or a report ("try messages like ...", "the most common test string is ...").
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.S)
_QUOTED = re.compile(r'"[^"\n]{3,}"|“[^”]{3,}”|«[^»]{3,}»|^[ \t]*>.*$', re.M)
_TOPIC = re.compile(r"\bprompt[- ]injections?\b|\bjailbreak(?:s|ing)?\b|\binjection attacks?\b|\bred[- ]team", re.I)
_FRAMING = re.compile(
    r"\b(?:such as|like|e\.g\.|for example|for instance|example|examples|variant|phrases?|strings?|payloads?|"
    r"test|tests|sample|says|said|wrote|reads|called|messages?|sentences?|label|decide|quoted?|typed?)\b",
    re.I,
)
MENTIONED_SHARE = 0.3
REPEAT_FACTOR = 1.7
_NEGATED_LEAK = re.compile(
    r"\b(?:do not|don't|never|must not|should not|not to|cannot|can't|won't|avoid)\b(?:\W+\w+){0,6}?\W+"
    r"(?:reveal|print|show|repeat|output|disclose|leak|display|dump)"
)
_URL = re.compile(r"(?:https?://|www\.)\S+")
_MIXED_SCRIPT_WEIGHT = 0.5


@dataclass(frozen=True)
class Screening:
    """What `screen_text` found: the best window's score, its families, and that window's text."""

    score: float
    families: tuple[str, ...]
    excerpt: str

    @property
    def flagged(self) -> bool:
        return self.score >= FLAG_AT


_CLEAN = Screening(0.0, (), "")


def _families(folded: str) -> dict[str, float]:
    found = {}
    discussing = bool(_DISCUSSION.search(_URL.sub(" ", folded)))
    for family, (weight, patterns) in _COMPILED.items():
        matched = sum(1 for p in patterns if p.search(folded))
        if matched:
            # A second, different pattern of the family is more evidence ("from now on" and "stay in character").
            weight *= 1.0 if matched == 1 else REPEAT_FACTOR
            if family == "leak" and _NEGATED_LEAK.search(folded):
                weight *= 0.5
            found[family] = weight * (0.5 if discussing else 1.0)
    return found


def _blank(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _sentence_families(sentence: str, unquoted: str) -> dict[str, float]:
    """Families of one sentence; those found only inside quotes or code count `MENTIONED_SHARE`."""
    said = _families(fold(unquoted)) if unquoted != sentence else None
    found = _families(fold(sentence))
    if said is None:
        return found
    return {family: said.get(family, weight * MENTIONED_SHARE) for family, weight in found.items()}


def screen_text(text: str, spans: list[tuple[int, int]] | None = None, title: str = "") -> Screening:
    """Score `text` by its most instruction-like window of two consecutive sentences.

    Args:
        text: the passage (or a title, a file name).
        spans: its sentences as (start, end) offsets, when the caller has them; otherwise
            lines and sentence punctuation split it.
        title: the document's title; one about prompt injection frames every quote in the text.
    """
    if spans is None:
        spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+?(?:[.!?。！？](?=\s)|$)", text, re.MULTILINE)]
        spans = [span for span in spans if text[span[0] : span[1]].strip()]
    if not spans:
        return _CLEAN
    no_code = _blank(_CODE, text)
    no_quotes = _blank(_QUOTED, no_code)
    sentences = [text[start:end] for start, end in spans]
    unquoted = []
    on_the_topic = bool(_TOPIC.search(no_quotes) or _TOPIC.search(title))
    for i, (start, end) in enumerate(spans):
        framed = (
            on_the_topic
            or _FRAMING.search(no_quotes[start:end])
            or (i > 0 and _FRAMING.search(no_quotes[spans[i - 1][0] : spans[i - 1][1]]))
        )
        unquoted.append((no_quotes if framed else no_code)[start:end])
    mixed = [_mixed_script(s) for s in sentences]
    per_sentence = [_sentence_families(s, u) for s, u in zip(sentences, unquoted, strict=True)]
    best = _CLEAN
    for i in range(len(sentences)):
        window = dict(per_sentence[i])
        is_mixed = mixed[i]
        if i + 1 < len(sentences):
            for family, weight in per_sentence[i + 1].items():
                window[family] = max(weight, window.get(family, 0.0))
            is_mixed = is_mixed or mixed[i + 1]
        score = round(sum(window.values()) + (_MIXED_SCRIPT_WEIGHT if is_mixed else 0.0), 2)
        if score > best.score:
            families = tuple(sorted(window)) + (("mixed-script",) if is_mixed else ())
            excerpt = " ".join(sentences[i : i + 2]).strip()
            best = Screening(score, families, excerpt[:300])
    return best


@functools.lru_cache(maxsize=256)
def _screen_label(label: str) -> Screening:
    """A title or file name screened once for all the chunks that share it."""
    return screen_text(label)


def screen(chunk: Chunk) -> Screening:
    """The chunk's text, title and file name (as words) screened; the highest score wins."""
    name = re.sub(r"[_\-.]+", " ", chunk.source.rsplit("/", 1)[-1])
    candidates = (
        screen_text(chunk.text, list(chunk.spans or ()), chunk.title),
        _screen_label(chunk.title),
        _screen_label(name),
    )
    return max(candidates, key=lambda s: s.score)


def screen_chunk(chunk: Chunk) -> Chunk:
    """The chunk with `flags` set from `screen` (none when it is not flagged)."""
    result = screen(chunk)
    flags = tuple(f"instruction:{family}" for family in result.families) if result.flagged else ()
    return chunk if flags == chunk.flags else replace(chunk, flags=flags)


def screen_document(chunks: list[Chunk], hidden: str = "") -> list[Chunk]:
    """The chunks of one document screened; when any is flagged, all are (`SAME_DOCUMENT`).

    `hidden` is the text the loader dropped because no reader sees it: a page that hides an
    instruction to an AI is an attack page, so all its chunks are flagged `HIDDEN_INSTRUCTION`
    (kept when stored chunks are screened again, their hidden text long gone).
    """
    screened = [screen_chunk(chunk) for chunk in chunks]
    hides = (hidden and screen_text(hidden).flagged) or any(HIDDEN_INSTRUCTION in c.flags for c in chunks)
    if hides:
        return [replace(chunk, flags=(HIDDEN_INSTRUCTION, *chunk.flags)) for chunk in screened]
    if not any(chunk.flagged for chunk in screened):
        return screened
    return [chunk if chunk.flagged else replace(chunk, flags=(SAME_DOCUMENT,)) for chunk in screened]
