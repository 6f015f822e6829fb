"""Word (.docx) and PowerPoint (.pptx) files, through python-docx and python-pptx.

DOCX: paragraphs and tables in reading order, tables as one row per line with the header named
in each cell (`rag.ingest.loaders.tables`); the title from the core properties, else the first
heading. PPTX: one part per slide (its shapes' text, tables the same way, then its notes), so
citations carry the slide number; the title from the core properties, else the first slide's.
Legacy binary files (.doc/.ppt) and password-protected ones are OLE containers, not zip files:
they are skipped with a reason.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from rag.ingest.loaders.base import Extracted, Skip
from rag.ingest.loaders.tables import rows_as_text

__all__ = ["DOCX_EXTENSIONS", "PPTX_EXTENSIONS", "extract_docx", "extract_pptx"]

DOCX_EXTENSIONS = (".docx",)
PPTX_EXTENSIONS = (".pptx",)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_container(data: bytes, kind: str) -> None:
    if data.startswith(_OLE_MAGIC):
        raise Skip(f"password-protected or legacy binary {kind} file (save it as an unprotected .{kind.lower()}x)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Skip(f"not a {kind} file (corrupt or another format)")


def _core_title(package) -> str | None:
    try:
        title = package.core_properties.title
    except Exception:  # damaged docProps/core.xml: the body may still be fine
        return None
    return " ".join((title or "").split()) or None


def extract_docx(path: Path, data: bytes) -> Extracted:
    _check_container(data, "DOCX")
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        heading = None
        for child in document.element.body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                paragraph = Paragraph(child, document)
                text = " ".join(paragraph.text.split())
                if not text:
                    continue
                style = (paragraph.style.name if paragraph.style is not None else "") or ""
                if heading is None and (style.startswith("Heading") or style == "Title"):
                    heading = text
                blocks.append(text)
            elif tag == "tbl":
                table = Table(child, document)
                rows = [[cell.text for cell in row.cells] for row in table.rows]
                text = rows_as_text(rows)
                if text:
                    blocks.append(text)
        title = _core_title(document) or heading
    except Skip:
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors on broken parts
        raise Skip(f"unreadable DOCX ({type(exc).__name__})") from None
    return Extracted("\n\n".join(blocks), title)


def _shape_text(shape) -> list[str]:
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
        text = rows_as_text(rows)
        return [text] if text else []
    if getattr(shape, "shape_type", None) is not None and hasattr(shape, "shapes"):  # a group
        return [t for inner in shape.shapes for t in _shape_text(inner)]
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        lines = [" ".join(p.text.split()) for p in shape.text_frame.paragraphs]
        text = "\n".join(line for line in lines if line)
        return [text] if text else []
    return []


def extract_pptx(path: Path, data: bytes) -> Extracted:
    _check_container(data, "PPTX")
    try:
        from pptx import Presentation

        presentation = Presentation(io.BytesIO(data))
        slides: list[str] = []
        first_title = None
        for slide in presentation.slides:
            texts = [t for shape in slide.shapes for t in _shape_text(shape)]
            if first_title is None and slide.shapes.title is not None and slide.shapes.title.has_text_frame:
                first_title = " ".join(slide.shapes.title.text_frame.text.split()) or None
            if slide.has_notes_slide:
                notes = (
                    " ".join(slide.notes_slide.notes_text_frame.text.split())
                    if slide.notes_slide.notes_text_frame
                    else ""
                )
                if notes:
                    texts.append(f"Notes: {notes}")
            slides.append("\n".join(texts))
        title = _core_title(presentation) or first_title
    except Skip:
        raise
    except Exception as exc:
        raise Skip(f"unreadable PPTX ({type(exc).__name__})") from None
    return Extracted("\n\n".join(s for s in slides if s), title, parts=tuple(slides), part_label="slide")
