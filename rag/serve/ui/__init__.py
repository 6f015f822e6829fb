"""Everything the web UI (`app.py`) needs that is not Gradio, one module per job.

- `backend`: `UiBackend`, the state shared by every browser session, and `ChatOptions`.
- `uploads`: `sanitize_filename`, `validate_upload` (allowed extensions, size cap).
- `render`: `sources_html` (cited passages with the quote highlighted), `chat_text`, `quick_text`,
  `hit_rows`, `document_rows`, `format_error`.

The embedder shared between sessions is `rag.models.locked.LockedEmbedder`.
"""

from __future__ import annotations

from rag.retrieve.followup import standalone_query
from rag.serve.ui.backend import ChatOptions, UiBackend
from rag.serve.ui.render import (
    DOCUMENT_HEADERS,
    HIT_HEADERS,
    chat_text,
    document_rows,
    format_error,
    hit_rows,
    quick_text,
    sources_html,
)
from rag.serve.ui.uploads import (
    MAX_UPLOAD_BYTES,
    UPLOAD_EXTENSIONS,
    UPLOADS_DIRNAME,
    default_uploads_dir,
    sanitize_filename,
    validate_upload,
)
from rag.types import FinalAnswer, QuickAnswer, TextPiece

__all__ = [
    "UPLOAD_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "UPLOADS_DIRNAME",
    "ChatOptions",
    "UiBackend",
    "QuickAnswer",
    "TextPiece",
    "FinalAnswer",
    "default_uploads_dir",
    "sanitize_filename",
    "validate_upload",
    "sources_html",
    "chat_text",
    "quick_text",
    "hit_rows",
    "document_rows",
    "format_error",
    "standalone_query",
    "HIT_HEADERS",
    "DOCUMENT_HEADERS",
]
