"""Offline retrieval-augmented question answering with checked citations.

The public face of the package; everything else is reached through its stage package
(`rag.ingest`, `rag.index`, `rag.retrieve`, `rag.answer`, `rag.evaluate`, `rag.serve`).

Example:
    >>> from rag import RagPipeline, load_settings, index_folder
    >>> settings = load_settings(overrides={"corpus_dir": "seeds"})
    >>> index_folder(settings)
    >>> RagPipeline.from_settings(settings).ask("Who is the chief economist at CITIC Securities?").text
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.answer.pipeline import RagPipeline
    from rag.config import Settings, load_settings
    from rag.errors import RagError
    from rag.ingest.update import update_index as index_folder
    from rag.types import Answer, Chunk, Citation, Document, Hit

__all__ = [
    "Answer",
    "Chunk",
    "Citation",
    "Document",
    "Hit",
    "RagError",
    "RagPipeline",
    "Settings",
    "index_folder",
    "load_settings",
]
__version__ = "0.1.0"

# Loaded on first use, so `import rag.errors` (and `rag --help`) does not pull in numpy and the models.
_PUBLIC = {
    "Answer": ("rag.types", "Answer"),
    "Chunk": ("rag.types", "Chunk"),
    "Citation": ("rag.types", "Citation"),
    "Document": ("rag.types", "Document"),
    "Hit": ("rag.types", "Hit"),
    "RagError": ("rag.errors", "RagError"),
    "RagPipeline": ("rag.answer.pipeline", "RagPipeline"),
    "Settings": ("rag.config", "Settings"),
    "load_settings": ("rag.config", "load_settings"),
    "index_folder": ("rag.ingest.update", "update_index"),
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _PUBLIC[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value
