"""The title a reader would give a document: what the format says (HTML <title>, PDF metadata,
DOCX/PPTX core properties, a Markdown `# heading`), else a heading-like line at the top (or a
first line standing alone as its own paragraph, as a paper's title does), else the opening words
clipped at a word boundary. Page furniture (Advertisement, Share, bylines, kickers of one to three
words) is never a title.

A stated title is kept whole up to TITLE_CHARS: every chunk is embedded under it (`chunk_embedding
= "title+text"`), and clipping SciFact's paper titles at 80 characters cost 0.009 nDCG@10 on its
train split (eval/RESULTS.md, "Titles kept whole")."""

from __future__ import annotations

import re

__all__ = ["OPENING_CHARS", "TITLE_CHARS", "TITLES_VERSION", "document_title"]

TITLE_CHARS = 250
# Opening words of running text that stand in for a title are clipped shorter: a sentence, not a name.
OPENING_CHARS = 80
# Bumped when the rules change: `rag index` then re-titles stored documents without embedding.
TITLES_VERSION = 2

_FURNITURE = re.compile(
    r"^(advertisement|advert|sponsored( content)?|share( this)?( article| story| page)?|subscribe( now)?|"
    r"sign ?in|sign ?up|log ?in|menu|skip to (main )?content|close|search|home|print|e-?mail|comments?|"
    r"related( articles| stories)?|read more|most read|trending|newsletter|cookies?.*|"
    r"(updated|published|posted)\b.*|photo:.*|image:.*)$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(by|from)\s+\S+", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")


def _clean(line: str) -> str:
    return " ".join(line.split())


def _clip(text: str, limit: int = TITLE_CHARS) -> str:
    text = _clean(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


def _furniture(line: str) -> bool:
    return bool(_FURNITURE.match(line)) or bool(_BYLINE.match(line)) and len(line.split()) <= 6


def _is_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line)) or len(line.split()) > 20


def document_title(text: str, given: str | None, file_name: str) -> str:
    """The title for a document whose format gave `given` (or None) and whose text is `text`."""
    if given and _clean(given) and not _furniture(_clean(given)):
        return _clip(given)
    raw_lines = [raw.strip() for raw in text.splitlines()[:60]]
    # A line is its own paragraph when a blank line follows it and more text comes after.
    alone = {i for i, line in enumerate(raw_lines[:-1]) if line and not raw_lines[i + 1] and any(raw_lines[i + 2 :])}
    lines = [(line, i in alone) for i, line in enumerate(raw_lines) if line]
    short: str | None = None
    for raw, paragraph in lines[:12]:
        if raw.startswith("#"):
            heading = _clean(raw.lstrip("#"))
            if heading:
                return _clip(heading)
            continue
        line = _clean(raw)
        if _furniture(line):
            continue
        if _is_sentence(line):
            if short is not None:
                return _clip(short)
            if paragraph and len(line) <= TITLE_CHARS:
                return line.rstrip(".")  # a line standing alone at the top: a title that ends with a stop
            first = _FIRST_SENTENCE.match(line)
            sentence = first.group(1) if first else line
            return _clip(sentence.rstrip(".") if len(sentence) <= OPENING_CHARS else line, OPENING_CHARS)
        if len(line.split()) >= 4:
            return _clip(line)
        short = short or line  # a one-to-three word line: a kicker, unless nothing better comes
    return _clip(short) if short else file_name
