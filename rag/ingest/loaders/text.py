"""Plain text and Markdown (.txt, .md, .markdown): decoded, never interpreted."""

from __future__ import annotations

from pathlib import Path

from rag.ingest.loaders.base import Extracted, Skip

__all__ = ["EXTENSIONS", "decode_text", "extract"]

EXTENSIONS = (".txt", ".md", ".markdown")


def decode_text(data: bytes) -> tuple[str, str | None]:
    """Decode bytes to text; returns (text, note) where note names a fallback encoding used."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "decoded as UTF-16"
        except UnicodeDecodeError:
            raise Skip("invalid UTF-16 text") from None
    if b"\x00" in data[:8192]:
        raise Skip("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "not valid UTF-8, decoded as Windows-1252"
    except UnicodeDecodeError:
        raise Skip("not valid UTF-8 or Windows-1252 text") from None


def extract(path: Path, data: bytes) -> Extracted:
    """The decoded text; a text file has no title of its own."""
    text, note = decode_text(data)
    return Extracted(text, None, note)
