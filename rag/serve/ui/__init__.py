"""Everything the web UI (`app.py`) needs that is not Gradio, one module per job.

- `backend`: `UiBackend`, the state shared by every browser session, and `ChatOptions`.
- `uploads`: `sanitize_filename`, `validate_upload` (allowed extensions, size cap).
- `render`: `sources_html` (cited passages with the quote highlighted), `chat_text`, `quick_text`,
  `writing_text`, `format_error`.
- `documents`: the Documents tab's table, searched, sorted and paged on the server.
- `playground`: the Retrieval playground's table and the `/search` records.
- `export`: the conversation as Markdown.

The embedder shared between sessions is `rag.models.locked.LockedEmbedder`.
"""

from __future__ import annotations

from rag.retrieve.questions import standalone_query
from rag.serve.ui.backend import ChatOptions, UiBackend
from rag.serve.ui.documents import SORTABLE, DocumentPage, DocumentQuery, document_page, document_table_html
from rag.serve.ui.export import conversation_markdown, export_folder, session_key, write_conversation
from rag.serve.ui.playground import PLAYGROUND_MODES, hit_records, hits_table_html
from rag.serve.ui.render import (
    EMPTY_SOURCES,
    SEARCHING_SOURCES,
    chat_text,
    error_sources_html,
    format_error,
    quick_text,
    sources_html,
    writing_text,
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
    "writing_text",
    "EMPTY_SOURCES",
    "SEARCHING_SOURCES",
    "error_sources_html",
    "page_asset",
    "format_error",
    "standalone_query",
    "SORTABLE",
    "DocumentPage",
    "DocumentQuery",
    "document_page",
    "document_table_html",
    "conversation_markdown",
    "export_folder",
    "write_conversation",
    "session_key",
    "PLAYGROUND_MODES",
    "hit_records",
    "hits_table_html",
]


def page_asset(name: str) -> str:
    """A file of the page's own styles or script (`assets/`), read from the installed package."""
    from importlib.resources import files

    return files("rag.serve.ui").joinpath("assets", name).read_text(encoding="utf-8")
