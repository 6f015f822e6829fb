"""PDF (.pdf) through pypdf: the text layer of every page; encrypted files only without a password.

Text drawn so that no reader sees it is left out: text rendering mode 3 or 7 (invisible), a
white fill colour, or a font size under half a point. A page that hides text this way is read
piece by piece from what pypdf shows its visitor, keeping only the visible pieces.

Tables (pdfplumber, on pages that draw ruling lines) are added after their page's text as one
row per line, each cell named by its column header, so a number in a cell is retrieved with
what it means. A page with no text layer (a scan) is read by Tesseract OCR when it is installed
(`rag.ingest.loaders.ocr`); the document's note says how many pages were, or could not be.
"""

from __future__ import annotations

from pathlib import Path

from rag.ingest.loaders.base import Extracted, Skip
from rag.ingest.loaders.tables import rows_as_text

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
        pages, hidden, pictured = [], [], []
        for page in reader.pages:
            text, dropped = _visible_text(page)
            pages.append(text.strip())
            hidden += dropped
            pictured.append(not pages[-1] and _has_images(page))
        title = None
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title).strip() or None
    except Skip:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Skip(f"unreadable PDF ({type(exc).__name__})") from None
    notes = []
    if hidden:
        notes.append(f"dropped {sum(len(piece) for piece in hidden)} characters of invisible PDF text")
    pages = _with_tables(path, pages)
    pages, ocr_note = _read_scans(path, pages, pictured)
    if ocr_note:
        notes.append(ocr_note)
    note = "; ".join(notes) or None
    return Extracted("\n\n".join(p for p in pages if p), title, note, "\n".join(hidden), parts=tuple(pages))


def _with_tables(path: Path, pages: list[str]) -> list[str]:
    """Each page's text followed by its tables' rows (pages without ruling lines are skipped
    unopened by the table finder). A file pdfplumber cannot read keeps its text as it is."""
    try:
        import pdfplumber
    except ImportError:
        return pages
    out = list(pages)
    try:
        with pdfplumber.open(str(path)) as pdf:
            for i, page in enumerate(pdf.pages[: len(pages)]):
                if not (page.lines or page.rects):
                    continue
                rows = [rows_as_text(table) for table in page.extract_tables()]
                rows = [r for r in rows if r]
                if rows:
                    out[i] = "\n\n".join([out[i], *rows]) if out[i] else "\n\n".join(rows)
    except Exception:  # pdfminer's own errors on odd files: the text layer still stands
        return pages
    return out


def _has_images(page) -> bool:
    try:
        return bool(page.images)
    except Exception:  # an image pypdf cannot decode still makes the page a picture
        return True


def _read_scans(path: Path, pages: list[str], pictured: list[bool]) -> tuple[list[str], str | None]:
    """Pages that are pictures (no text layer, an image) read by OCR, and the note for the
    document list. Without Tesseract, a file of nothing but such pages is skipped with the
    package to install; a few such pages among text ones are named in the note."""
    from rag.ingest.loaders.ocr import INSTALL_HINT, ocr_png, pdf_page_png, tesseract_available

    scans = [i for i, is_picture in enumerate(pictured) if is_picture]
    if not scans:
        return pages, None
    if not tesseract_available():
        if not any(text.strip() for text in pages):
            raise Skip(f"no text layer (scanned pages); {INSTALL_HINT}")
        return pages, f"{len(scans)} of {len(pages)} pages are scans without a text layer, not read: {INSTALL_HINT}"
    out = list(pages)
    read = 0
    for i in scans:
        try:
            text = ocr_png(pdf_page_png(path, i)).strip()
        except Exception:  # a page that will not render or OCR: left empty, the others go on
            continue
        if text:
            out[i] = text
            read += 1
    if not read:
        return pages, None
    return out, f"text of {read} scanned page{'s' if read > 1 else ''} read by OCR (Tesseract)"


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
