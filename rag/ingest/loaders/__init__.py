"""Turn files into `Document`s: one module per format family, dispatched by file suffix.

    text.py   .txt .md .markdown (decoded: UTF-8, UTF-16 with a BOM, else Windows-1252)
    html.py   .html .htm (visible text, via BeautifulSoup)
    pdf.py    .pdf (the text layer, via pypdf; page by page)
    office.py .docx (python-docx), .pptx (python-pptx; slide by slide)
    csv_rows.py .csv (rows, each cell named by its header; tables.py formats rows for all of them)
    image.py  .png .jpg .jpeg .tif .tiff (Tesseract OCR, `ocr.py`, also for scanned PDF pages)

A file that cannot be used raises `InputError` with a one-line reason (`load_file`); the indexer
skips it, or keeps its previously indexed version, and goes on.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.errors import InputError
from rag.ingest.loaders import csv_rows, html, image, office, pdf, text
from rag.ingest.loaders.base import Extracted, Skip, smuggled_text, strip_invisible
from rag.ingest.titles import document_title
from rag.text import printable
from rag.types import Document

__all__ = ["SUPPORTED_EXTENSIONS", "MAX_FILE_BYTES", "discover_files", "load_file"]

log = logging.getLogger(__name__)

_Extractor = Callable[[Path, bytes], Extracted]
_EXTRACTORS: dict[str, _Extractor] = {
    **{suffix: text.extract for suffix in text.EXTENSIONS},
    **{suffix: pdf.extract for suffix in pdf.EXTENSIONS},
    **{suffix: html.extract for suffix in html.EXTENSIONS},
    **{suffix: office.extract_docx for suffix in office.DOCX_EXTENSIONS},
    **{suffix: office.extract_pptx for suffix in office.PPTX_EXTENSIONS},
    **{suffix: csv_rows.extract for suffix in csv_rows.EXTENSIONS},
    **{suffix: image.extract for suffix in image.EXTENSIONS},
}
SUPPORTED_EXTENSIONS = tuple(_EXTRACTORS)
# Larger files are skipped unread, so memory stays bounded; 50 MB of text is ~25,000 pages and
# would take hours to embed on a laptop CPU.
MAX_FILE_BYTES = 50 * 2**20


def discover_files(root: Path) -> Iterator[Path]:
    """Supported files under `root` (or `root` itself), in sorted order, hidden entries skipped."""
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
                continue
            path = Path(dirpath) / name
            problem = _not_a_plain_file(path)
            if problem:
                log.warning("skipped %s: %s", printable(path), problem)
                continue
            yield path


def _not_a_plain_file(path: Path) -> str | None:
    """Why `path` must not even be opened (link loop, FIFO, device...), or None.

    A FIFO would block the reader forever and a link loop makes `Path.resolve` raise, so these
    are left out before anything opens them.
    """
    try:
        if path.is_symlink():
            path.resolve(strict=True)
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None  # a broken link or a file gone since listing: reported by whoever reads it
    except RuntimeError:
        return "symbolic link loop"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"cannot read ({exc.strerror or exc})"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def load_file(path: Path, root: Path) -> Document:
    """Load one file; raises `InputError` with a one-line reason when the file is unusable."""
    try:
        return _load(path, root)
    except Skip as exc:
        raise InputError(f"{printable(path)}: {exc}") from None


def _load(path: Path, root: Path) -> Document:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Skip(
                f"too large ({size / 2**20:.0f} MB; files over {MAX_FILE_BYTES // 2**20} MB are not indexed, "
                "split it into smaller files)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise Skip("file disappeared before it could be read") from None
    except PermissionError:
        raise Skip("permission denied") from None
    except IsADirectoryError:
        raise Skip("is a directory") from None
    except OSError as exc:
        raise Skip(f"cannot read ({exc.strerror or exc})") from None
    if not data.strip():
        raise Skip("empty file")
    # Any other suffix (a file named directly) is read as text.
    extract = _EXTRACTORS.get(path.suffix.lower(), text.extract)
    extracted = extract(path, data)
    content, title, note = extracted.text, extracted.title, extracted.note
    hidden = "\n".join(t for t in (extracted.hidden, smuggled_text(content), smuggled_text(title or "")) if t)
    pages: tuple[tuple[int, int], ...] = ()
    if extracted.parts:
        content, pages, invisible = _join_parts(extracted.parts)
    else:
        content, invisible = strip_invisible(_unix_newlines(content))
    if title:
        title, in_title = strip_invisible(title)
        invisible += in_title
    if not content.strip():
        raise Skip("no extractable text")
    notes = tuple(n for n in (note, _invisible_note(invisible)) if n)
    for line in notes:
        log.warning("%s: %s", printable(path), line)
    rel = path.relative_to(root).as_posix()
    return Document(
        doc_id=rel,
        source=rel,
        title=document_title(content, title, path.name),
        text=content,
        sha256=hashlib.sha256(data).hexdigest(),
        path=str(path.resolve()),
        notes=notes,
        hidden=hidden,
        pages=pages,
        page_label=extracted.part_label if pages else "page",
    )


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _join_parts(parts: tuple[str, ...]) -> tuple[str, tuple[tuple[int, int], ...], int]:
    """The parts cleaned one by one and joined by blank lines, each part's (start, end) in the
    joined text (an empty part: an empty range where it would be), and the invisible characters
    removed."""
    pieces: list[str] = []
    ranges: list[tuple[int, int]] = []
    invisible = 0
    position = 0
    for part in parts:
        cleaned, removed = strip_invisible(_unix_newlines(part))
        cleaned = cleaned.strip()
        invisible += removed
        if cleaned:
            if pieces:
                position += 2  # the blank line between parts
            pieces.append(cleaned)
            ranges.append((position, position + len(cleaned)))
            position += len(cleaned)
        else:
            ranges.append((position, position))
    return "\n\n".join(pieces), tuple(ranges), invisible


def _invisible_note(count: int) -> str | None:
    if not count:
        return None
    return f"removed {count} invisible character{'s' if count > 1 else ''} (zero-width, bidi or tag controls)"
