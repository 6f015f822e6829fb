"""The Documents tab's table: one page of the indexed documents, searched and sorted on the server.

An index of 10,000 documents is never sent to the browser whole: `document_page` filters the
manifest by a search text (title or source), sorts by one column and returns one page of rows,
with the totals the tab shows above the table.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from rag.index.manifest import DocumentRecord

__all__ = [
    "DOCUMENT_COLUMNS",
    "SORTABLE",
    "DocumentQuery",
    "DocumentPage",
    "document_page",
    "document_table_html",
]

# (key, header, tooltip); the key names the column in `DocumentQuery.sort`.
DOCUMENT_COLUMNS = (
    ("title", "title", "the document's own title, else its first heading-like line"),
    ("source", "source", "the document's id: its root folder and path inside it (what citations name)"),
    ("format", "format", "the file's type"),
    ("pages", "pages", "pages (PDF) or slides (PPTX); empty for formats without pages"),
    ("chunks", "chunks", "passages the document was cut into for search"),
    ("indexed", "indexed at", "when its text was last embedded"),
    ("ocr", "OCR", "its text, or part of it, was read from images by Tesseract OCR"),
    ("notes", "notes", "what the loader dropped or held back, copies, warnings"),
)
SORTABLE = tuple(key for key, _, _ in DOCUMENT_COLUMNS if key != "notes")


@dataclass(frozen=True)
class DocumentQuery:
    """Which documents to show: those whose title or source contains `search` (any case), sorted
    by column `sort`, page `page` (from 1) of `page_size` rows."""

    search: str = ""
    sort: str = "source"
    descending: bool = False
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        if self.sort not in SORTABLE:
            raise ValueError(f"sort by one of {', '.join(SORTABLE)}, not {self.sort!r}")
        if self.page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {self.page_size}")


@dataclass(frozen=True)
class DocumentRow:
    doc_id: str
    title: str
    format: str
    pages: int
    page_label: str
    chunks: int
    indexed: str
    ocr: bool
    notes: str


@dataclass(frozen=True)
class DocumentPage:
    """One page of the table and the counts around it."""

    rows: tuple[DocumentRow, ...]
    matching: int  # documents that match the search
    page: int  # the page shown (clamped to the pages there are)
    pages: int
    page_size: int
    documents: int  # in the whole index
    chunks: int

    @property
    def ids(self) -> list[str]:
        return [row.doc_id for row in self.rows]

    def summary(self) -> str:
        """ "2,000 documents · 2,140 chunks" and, when searching or paging, what is shown."""
        counts = f"**{self.documents:,} documents · {self.chunks:,} chunks**"
        if not self.rows:
            return f"{counts} · no document matches" if self.documents else f"{counts} · nothing indexed yet"
        first = (self.page - 1) * self.page_size + 1
        shown = f"{first:,}–{first + len(self.rows) - 1:,} of {self.matching:,}"
        matched = " matching" if self.matching != self.documents else ""
        return f"{counts} · showing {shown}{matched} · page {self.page} of {self.pages}"


def _notes(info: DocumentRecord) -> str:
    parts = []
    if info.duplicate_of:
        parts.append(f"copy of {info.duplicate_of} (embedded once, cited as that one)")
    if info.flagged:
        parts.append(f"held back: {info.flagged} of {info.chunks} chunks read as instructions to an AI")
    return "; ".join(parts + list(info.notes))


def _row(doc_id: str, info: DocumentRecord) -> DocumentRow:
    suffix = PurePosixPath(info.source or doc_id).suffix.lower().lstrip(".")
    return DocumentRow(
        doc_id=doc_id,
        title=info.title,
        format=suffix or "text",
        pages=info.pages,
        page_label=info.page_label,
        chunks=info.chunks,
        indexed=info.indexed_at.replace("T", " ")[:16],
        ocr=any("OCR" in note for note in info.notes),
        notes=_notes(info),
    )


def _sort_key(sort: str):
    if sort == "source":
        return lambda row: row.doc_id.lower()
    if sort in ("pages", "chunks", "ocr"):
        return lambda row: (getattr(row, sort), row.doc_id.lower())
    return lambda row: (str(getattr(row, sort)).lower(), row.doc_id.lower())


def document_page(documents: Mapping[str, DocumentRecord], query: DocumentQuery | None = None) -> DocumentPage:
    """The rows of `query`'s page of `documents` (the manifest's), with the counts."""
    query = query or DocumentQuery()
    needle = " ".join(query.search.split()).lower()
    rows = [
        _row(doc_id, info)
        for doc_id, info in documents.items()
        if not needle or needle in info.title.lower() or needle in doc_id.lower()
    ]
    rows.sort(key=_sort_key(query.sort), reverse=query.descending)
    pages = max(1, math.ceil(len(rows) / query.page_size))
    page = min(max(1, query.page), pages)
    start = (page - 1) * query.page_size
    return DocumentPage(
        rows=tuple(rows[start : start + query.page_size]),
        matching=len(rows),
        page=page,
        pages=pages,
        page_size=query.page_size,
        documents=len(documents),
        chunks=sum(info.chunks for info in documents.values()),
    )


def document_table_html(page: DocumentPage) -> str:
    """The page's rows as a table that wraps its text to the width it is given."""
    heads = "".join(
        f'<th class="rag-col-{key}" title="{html.escape(tip)}">{html.escape(name)}</th>'
        for key, name, tip in DOCUMENT_COLUMNS
    )
    body = []
    for row in page.rows:
        pages = f"{row.pages} {row.page_label}{'s' if row.pages != 1 else ''}" if row.pages else ""
        cells = [
            f'<td class="rag-col-title">{html.escape(row.title)}</td>',
            f'<td class="rag-col-source"><code>{html.escape(row.doc_id)}</code></td>',
            f"<td>{html.escape(row.format)}</td>",
            f"<td>{pages}</td>",
            f'<td class="rag-num">{row.chunks}</td>',
            f"<td>{html.escape(row.indexed)}</td>",
            f"<td>{'yes' if row.ocr else ''}</td>",
            f'<td class="rag-col-notes">{html.escape(row.notes)}</td>',
        ]
        body.append(f'<tr data-doc="{html.escape(row.doc_id)}">{"".join(cells)}</tr>')
    if not body:
        body.append(f'<tr><td colspan="{len(DOCUMENT_COLUMNS)}" class="rag-meta">No documents to show.</td></tr>')
    return (
        '<div class="rag-table-wrap"><table class="rag-table rag-documents">'
        f"<thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
