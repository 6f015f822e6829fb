"""What the format loaders share: the reason a file is skipped, and the fallback title."""

from __future__ import annotations

__all__ = ["Skip", "TITLE_MAX", "first_line_title"]

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
