"""One exception family; every message tells the user what went wrong and what to do."""

from __future__ import annotations

__all__ = [
    "RagError",
    "ConfigError",
    "IndexNotFoundError",
    "IndexMismatchError",
    "IndexCorruptError",
    "IndexLockedError",
    "ModelNotFoundError",
    "InputError",
    "GeneratorError",
]


class RagError(Exception):
    """Base class. `str(err)` is a one-line message fit to show a user."""


class ConfigError(RagError):
    """A setting in rag.toml or a RAG_* variable is unknown or has a bad value."""


class IndexNotFoundError(RagError):
    """No index has been built in the configured directory."""


class IndexMismatchError(RagError):
    """The index was built with another embedder, chunker or schema version."""


class IndexCorruptError(RagError):
    """The index files disagree with each other or cannot be read."""


class IndexLockedError(RagError):
    """Another process is writing the index."""


class ModelNotFoundError(RagError):
    """A model could not be loaded from the configured name or path."""


class InputError(RagError):
    """A question, file or argument given by the user is unusable."""


class GeneratorError(RagError):
    """A language-model endpoint or model failed to produce an answer."""
