"""What the format loaders share: the reason a file is skipped, the fallback title, and the
removal of characters no reader sees."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Extracted",
    "Skip",
    "TITLE_MAX",
    "first_line_title",
    "format_characters",
    "smuggled_text",
    "strip_invisible",
]


@dataclass(frozen=True)
class Extracted:
    """What a format loader read: the text a reader sees, the title, a note for the user (a
    fallback encoding, hidden text dropped) and the hidden text itself, which is screened for
    instructions but never indexed."""

    text: str
    title: str | None = None
    note: str | None = None
    hidden: str = ""
    # A paged format's text page by page (PDF pages, PPTX slides; "" for an empty page): the
    # document's text is then the parts joined, and each part's range is kept for citations.
    parts: tuple[str, ...] = ()
    part_label: str = "page"


TITLE_MAX = 200


class Skip(Exception):
    """A file that cannot be used; the message says why (shown to the user after the path)."""


def first_line_title(text: str, fallback: str) -> str:
    """The first non-empty line (Markdown heading marks stripped), else `fallback`."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:TITLE_MAX]
    return fallback


# Joiners that shape Arabic, Indic and emoji text; between two ASCII characters they only hide.
_JOINERS = {"\u200c", "\u200d"}
_TAG_ASCII = re.compile("[\U000e0020-\U000e007e]")


def format_characters(text: str) -> set[str]:
    """The Unicode format characters (category Cf) that occur in `text`. Each distinct character
    is looked up once, so a long text costs one pass in C, not one lookup per character."""
    return {ch for ch in set(text) if not ch.isascii() and unicodedata.category(ch) == "Cf"}


def smuggled_text(text: str) -> str:
    """ASCII spelled in Unicode tag characters (U+E0020-E007E), which render as nothing."""
    return "".join(chr(ord(ch) - 0xE0000) for ch in _TAG_ASCII.findall(text))


def strip_invisible(text: str) -> tuple[str, int]:
    """`text` without Unicode format characters (zero-width spaces and joiners, bidi overrides,
    tag characters, soft hyphens): they render as nothing, so words split or spelled by them
    ("ig\u200bnore", ASCII smuggled as tag characters) are not what a reader sees. Returns the text
    and how many were removed. A zero-width (non-)joiner between two non-ASCII characters shapes
    its script and is kept."""
    found = format_characters(text)
    if not found:
        return text, 0
    removed = 0

    def drop(match: re.Match) -> str:
        nonlocal removed
        i = match.start()
        ch = match.group()
        if ch in _JOINERS and 0 < i < len(text) - 1 and not text[i - 1].isascii() and not text[i + 1].isascii():
            return ch
        removed += 1
        return ""

    stripped = re.sub("[" + "".join(re.escape(ch) for ch in sorted(found)) + "]", drop, text)
    return (stripped, removed) if removed else (text, 0)
