"""PDF (.pdf) through pypdf: the text layer of every page; encrypted files only without a password."""

from __future__ import annotations

from pathlib import Path

from rag.ingest.loaders.base import Skip

__all__ = ["EXTENSIONS", "extract"]

EXTENSIONS = (".pdf",)


def extract(path: Path, data: bytes) -> tuple[str, str | None, str | None]:
    """(text, title, note): pages joined by blank lines; the title from the document's metadata."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise Skip("encrypted PDF (password required)")
            except Skip:
                raise
            except Exception:
                raise Skip("encrypted PDF that cannot be decrypted") from None
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = None
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title).strip() or None
    except Skip:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Skip(f"unreadable PDF ({type(exc).__name__})") from None
    return "\n\n".join(p for p in pages if p), title, None
