"""The title a reader would give a document: what the format says (HTML <title>, PDF metadata,
DOCX/PPTX core properties, a Markdown `# heading`), else a heading-like line at the top, else the
opening words clipped at a word boundary. Page furniture (Advertisement, Share, bylines, kickers
of one to three words) is never a title."""

from __future__ import annotations

import re

__all__ = ["TITLE_CHARS", "TITLES_VERSION", "document_title"]

TITLE_CHARS = 80
# Bumped when the rules change: `rag index` then re-titles stored documents without embedding.
TITLES_VERSION = 1

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


def _clip(text: str) -> str:
    text = _clean(text)
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


def _furniture(line: str) -> bool:
    return bool(_FURNITURE.match(line)) or bool(_BYLINE.match(line)) and len(line.split()) <= 6


def _is_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line)) or len(line.split()) > 20


def document_title(text: str, given: str | None, file_name: str) -> str:
    """The title for a document whose format gave `given` (or None) and whose text is `text`."""
    if given and _clean(given) and not _furniture(_clean(given)):
        return _clip(given)
    lines = [line for line in (raw.strip() for raw in text.splitlines()[:60]) if line]
    short: str | None = None
    for raw in lines[:12]:
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
            first = _FIRST_SENTENCE.match(line)
            sentence = first.group(1) if first else line
            return _clip(sentence.rstrip(".") if len(sentence) <= TITLE_CHARS else line)
        if len(line.split()) >= 4:
            return _clip(line)
        short = short or line  # a one-to-three word line: a kicker, unless nothing better comes
    return _clip(short) if short else file_name
