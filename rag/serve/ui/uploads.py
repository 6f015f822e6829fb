"""Checks on files uploaded through the web UI: a safe stored name, allowed extensions, a size cap."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from rag.config import Settings
from rag.errors import InputError

__all__ = [
    "UPLOAD_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "UPLOADS_DIRNAME",
    "default_uploads_dir",
    "sanitize_filename",
    "validate_upload",
    "is_inside",
]

UPLOAD_EXTENSIONS = (".txt", ".md", ".pdf", ".html", ".htm", ".docx", ".pptx", ".csv", ".png", ".jpg", ".jpeg")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOADS_DIRNAME = "uploads"
_MAX_NAME_CHARS = 120


def default_uploads_dir(settings: Settings) -> Path:
    """Uploaded files live in `uploads/` next to the index directory."""
    return Path(settings.index_dir).expanduser().resolve().parent / UPLOADS_DIRNAME


def sanitize_filename(name: str) -> str:
    """A safe file name for an uploaded file: no folders, no hidden names, a plain character set.

    Raises:
        InputError: nothing usable is left, or the extension is not allowed.

    Example:
        >>> sanitize_filename("../../etc/My Report (1).TXT")
        'My_Report_1.txt'
    """
    base = re.split(r"[\\/]", str(name))[-1]
    base = unicodedata.normalize("NFKC", base)
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = "." + ext.lower() if ext else ""
    if ext not in UPLOAD_EXTENSIONS:
        shown = ext or "no extension"
        raise InputError(f"{base or name!r}: {shown} files are not accepted; use {', '.join(UPLOAD_EXTENSIONS)}")
    stem = re.sub(r"[^\w.\-]+", "_", stem)  # letters of any script, digits, _ . -
    stem = re.sub(r"_+", "_", stem).strip("._-")
    if not stem:
        raise InputError(f"{base!r}: the file name has no usable characters; rename it")
    return stem[: _MAX_NAME_CHARS - len(ext)] + ext


def validate_upload(path: str | Path, name: str | None = None, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Check an uploaded file and return the sanitised name it will be stored under.

    Raises:
        InputError: bad extension or name, empty, too large, or not a readable file.
    """
    path = Path(path)
    safe = sanitize_filename(name if name is not None else path.name)
    if path.is_symlink():  # a link could copy any file on the server into the uploads
        raise InputError(f"{safe}: links are not accepted; upload the file itself")
    try:
        size = path.stat().st_size
    except OSError:
        raise InputError(f"{safe}: the uploaded file cannot be read") from None
    if not path.is_file():
        raise InputError(f"{safe}: not a regular file")
    if size == 0:
        raise InputError(f"{safe}: the file is empty")
    if size > max_bytes:
        raise InputError(f"{safe}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB upload limit")
    return safe


def is_inside(path: str | Path, folder: Path) -> bool:
    """Whether `path` lies under `folder` once links are resolved (an unreadable path is not)."""
    try:
        return Path(path).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
