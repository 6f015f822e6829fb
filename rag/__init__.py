"""Offline retrieval-augmented question answering with checked citations."""

from rag.config import Settings, load_settings
from rag.errors import RagError
from rag.pipeline import RagPipeline
from rag.types import Answer, Chunk, Citation, Document, Hit

__all__ = ["Answer", "Chunk", "Citation", "Document", "Hit", "RagError", "RagPipeline", "Settings", "load_settings"]
__version__ = "0.1.0"
