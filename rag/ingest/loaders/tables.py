"""Table rows as text a reader and a retriever can use: each cell named by its column header,
`Region: East; Revenue: 4.2`, one row per line (shared by the DOCX, PPTX, CSV and PDF loaders)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["rows_as_text"]


def _clean(cell: object) -> str:
    return " ".join(str(cell if cell is not None else "").split())


def rows_as_text(rows: Sequence[Sequence[object]]) -> str:
    """The first non-empty row is the header; every later row becomes `header: value; ...`
    (a cell under an empty header keeps its column number). A table of one row is that row."""
    cleaned = [[_clean(cell) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return ""
    header, body = cleaned[0], cleaned[1:]
    if not body:
        return "; ".join(cell for cell in header if cell)
    lines = []
    for row in body:
        named = [
            f"{header[i] if i < len(header) and header[i] else f'column {i + 1}'}: {cell}"
            for i, cell in enumerate(row)
            if cell
        ]
        if named:
            lines.append("; ".join(named))
    return "\n".join(lines)
