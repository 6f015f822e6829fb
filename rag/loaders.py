"""Turn files into `Document`s: .txt, .md, .pdf (pypdf) and .html (text only).

Files that cannot be read are skipped with a one-line reason; loading never raises for a bad file.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError
from rag.text import printable
from rag.types import Document

__all__ = ["SUPPORTED_EXTENSIONS", "MAX_FILE_BYTES", "LoadResult", "discover_files", "load_file", "load_paths"]

log = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".pdf", ".html", ".htm")
_TITLE_MAX = 200
# Larger files are skipped unread, so memory stays bounded; 50 MB of text is ~25,000 pages and
# would take hours to embed on a laptop CPU (82 chunks/s measured by `make bench`).
MAX_FILE_BYTES = 50 * 2**20


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


class _Skip(Exception):
    """A file that cannot be used; the message says why."""


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


def _decode_text(data: bytes) -> tuple[str, str | None]:
    """Decode bytes to text; returns (text, note) where note names a fallback encoding used."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "decoded as UTF-16"
        except UnicodeDecodeError:
            raise _Skip("invalid UTF-16 text") from None
    if b"\x00" in data[:8192]:
        raise _Skip("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "not valid UTF-8, decoded as Windows-1252"
    except UnicodeDecodeError:
        raise _Skip("not valid UTF-8 or Windows-1252 text") from None


def _pdf_text(path: Path) -> tuple[str, str | None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise _Skip("encrypted PDF (password required)")
            except _Skip:
                raise
            except Exception:
                raise _Skip("encrypted PDF that cannot be decrypted") from None
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = None
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title).strip() or None
    except _Skip:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _Skip(f"unreadable PDF ({type(exc).__name__})") from None
    return "\n\n".join(p for p in pages if p), title


def _html_text(data: bytes) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    text, _ = _decode_text(data)
    soup = BeautifulSoup(text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line), title or None


def _first_line_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:_TITLE_MAX]
    return fallback


def load_file(path: Path, root: Path) -> Document:
    """Load one file; raises `InputError` with a one-line reason when the file is unusable."""
    try:
        return _load(path, root)
    except _Skip as exc:
        raise InputError(f"{printable(path)}: {exc}") from None


def _load(path: Path, root: Path) -> Document:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _Skip(
                f"too large ({size / 2**20:.0f} MB; files over {MAX_FILE_BYTES // 2**20} MB are not indexed, "
                "split it into smaller files)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise _Skip("file disappeared before it could be read") from None
    except PermissionError:
        raise _Skip("permission denied") from None
    except IsADirectoryError:
        raise _Skip("is a directory") from None
    except OSError as exc:
        raise _Skip(f"cannot read ({exc.strerror or exc})") from None
    if not data.strip():
        raise _Skip("empty file")
    suffix = path.suffix.lower()
    title: str | None = None
    note: str | None = None
    if suffix == ".pdf":
        text, title = _pdf_text(path)
    elif suffix in (".html", ".htm"):
        text, title = _html_text(data)
    else:
        text, note = _decode_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _Skip("no extractable text")
    if note:
        log.warning("%s: %s", printable(path), note)
    rel = path.relative_to(root).as_posix()
    return Document(
        doc_id=rel,
        source=rel,
        title=(title or _first_line_title(text, path.name))[:_TITLE_MAX],
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        path=str(path.resolve()),
    )


def load_paths(paths: list[Path]) -> LoadResult:
    """Load every supported file under `paths`; unusable files go to `skipped` with a reason.

    A file given directly has its parent as root, so its id is its file name; files under a
    directory get ids relative to that directory.
    """
    result = LoadResult()
    seen: dict[str, str] = {}
    for given in paths:
        if not given.exists():
            raise InputError(f"{given}: no such file or directory")
        root = given.parent if given.is_file() else given
        for path in discover_files(given):
            try:
                doc = _load(path, root)
            except _Skip as exc:
                log.warning("skipped %s: %s", printable(path), exc)
                result.skipped.append((str(path), str(exc)))
                continue
            if doc.doc_id in seen and seen[doc.doc_id] != doc.path:
                raise InputError(
                    f"{path}: document id {doc.doc_id!r} is already taken by {seen[doc.doc_id]}; "
                    "rename one of them or index them into separate index directories"
                )
            seen[doc.doc_id] = doc.path
            result.documents.append(doc)
    return result
