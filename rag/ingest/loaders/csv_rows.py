"""CSV files (.csv): one line per row, each cell named by its column header."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rag.ingest.loaders.base import Extracted, Skip
from rag.ingest.loaders.tables import rows_as_text
from rag.ingest.loaders.text import decode_text

__all__ = ["EXTENSIONS", "extract"]

EXTENSIONS = (".csv",)


def extract(path: Path, data: bytes) -> Extracted:
    text, note = decode_text(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise Skip(f"unreadable CSV ({exc})") from None
    return Extracted(rows_as_text(rows), None, note)
