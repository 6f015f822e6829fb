"""HTML (.html, .htm): the visible text, one line per block; scripts and styles dropped."""

from __future__ import annotations

from pathlib import Path

from rag.ingest.loaders.text import decode_text

__all__ = ["EXTENSIONS", "extract"]

EXTENSIONS = (".html", ".htm")


def extract(path: Path, data: bytes) -> tuple[str, str | None, str | None]:
    """(text, title, note): the title is the page's <title>."""
    from bs4 import BeautifulSoup

    text, _ = decode_text(data)
    soup = BeautifulSoup(text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line), title or None, None
