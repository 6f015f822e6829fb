"""PDF (.pdf) through pypdf: the text layer of every page; encrypted files only without a password.

Text drawn so that no reader sees it is left out: text rendering mode 3 or 7 (invisible), a
white fill colour, or a font size under half a point. A page that hides text this way is read
piece by piece from what pypdf shows its visitor, keeping only the visible pieces.
"""

from __future__ import annotations

from pathlib import Path

from rag.ingest.loaders.base import Extracted, Skip

__all__ = ["EXTENSIONS", "extract"]

EXTENSIONS = (".pdf",)


def extract(path: Path, data: bytes) -> Extracted:
    """Pages joined by blank lines, the title from the document's metadata, the invisible text apart."""
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
        pages, hidden = [], []
        for page in reader.pages:
            text, dropped = _visible_text(page)
            pages.append(text.strip())
            hidden += dropped
        title = None
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title).strip() or None
    except Skip:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Skip(f"unreadable PDF ({type(exc).__name__})") from None
    hidden_chars = sum(len(piece) for piece in hidden)
    note = f"dropped {hidden_chars} characters of invisible PDF text" if hidden else None
    return Extracted("\n\n".join(p for p in pages if p), title, note, "\n".join(hidden), parts=tuple(pages))


_WHITE_FILL = {b"g": [1], b"rg": [1, 1, 1], b"k": [0, 0, 0, 0]}
MIN_VISIBLE_POINTS = 0.5


def _visible_text(page) -> tuple[str, list[str]]:
    """The page's text without invisible pieces, and the pieces dropped."""
    state = {"mode": 0, "white": False}
    saved: list[dict] = []
    visible: list[str] = []
    dropped: list[str] = []

    def before(operator, operands, cm, tm) -> None:
        if operator == b"q":
            saved.append(dict(state))
        elif operator == b"Q" and saved:
            state.update(saved.pop())
        elif operator == b"Tr" and operands:
            try:
                state["mode"] = int(operands[0])
            except (TypeError, ValueError):
                pass  # a malformed operand draws as before; it must not cost the file its text
        elif operator in _WHITE_FILL:
            try:
                state["white"] = [float(x) for x in operands] == _WHITE_FILL[operator]
            except (TypeError, ValueError):
                state["white"] = False
        elif operator in (b"sc", b"scn", b"cs"):
            state["white"] = False

    def on_text(text, cm, tm, font_dict, font_size) -> None:
        if not text:
            return
        scale = abs(tm[0] * tm[3] - tm[1] * tm[2]) ** 0.5 * abs(cm[0] * cm[3] - cm[1] * cm[2]) ** 0.5
        invisible = state["mode"] in (3, 7) or state["white"] or (font_size or 0) * scale < MIN_VISIBLE_POINTS
        if invisible and text.strip():
            dropped.append(text.strip())
        else:
            visible.append(text)

    full = page.extract_text(visitor_operand_before=before, visitor_text=on_text) or ""
    return ("".join(visible), dropped) if dropped else (full, [])
