"""The `VectorStore` protocol: what retrieval needs from a vector database, whatever the backend.

Rows are int64 ids chosen by the caller; the index layer uses a chunk's position in the generation's
`chunks.jsonl`, so row r of every backend is `chunks[r]`. Vectors are L2-normalized and scored by
inner product (= cosine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["SearchFilter", "VectorStore", "empty_result", "folder_of"]


def folder_of(doc_id: str) -> str:
    """A document's source folder ("" at the root of what was indexed)."""
    parent = PurePosixPath(doc_id).parent.as_posix()
    return "" if parent == "." else parent


@dataclass(frozen=True)
class SearchFilter:
    """Restrict a search to some documents and/or source folders (both: a row must match both).

    Example:
        >>> SearchFilter(folders=("papers",)).matches("papers/2024/a.pdf")
        True
    """

    doc_ids: tuple[str, ...] | None = None
    folders: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.doc_ids is not None and isinstance(self.doc_ids, str):
            raise ValueError(f"doc_ids must be a sequence of ids, got the string {self.doc_ids!r}")
        if self.folders is not None and isinstance(self.folders, str):
            raise ValueError(f"folders must be a sequence of folders, got the string {self.folders!r}")

    def matches(self, doc_id: str) -> bool:
        if self.doc_ids is not None and doc_id not in self.doc_ids:
            return False
        if self.folders is not None:
            folder = folder_of(doc_id)
            wanted = [f.strip("/") for f in self.folders]
            return any(f == "" or folder == f or folder.startswith(f + "/") for f in wanted)
        return True


def empty_result(n_queries: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((n_queries, 0), np.float32), np.zeros((n_queries, 0), np.int64)


@runtime_checkable
class VectorStore(Protocol):
    """Nearest-neighbour search over normalized vectors (inner product = cosine)."""

    @property
    def count(self) -> int: ...

    def add(self, rows: np.ndarray, vectors: np.ndarray, doc_ids: Sequence[str]) -> None:
        """Store `vectors[i]` under id `rows[i]`, owned by document `doc_ids[i]` (for filters)."""
        ...

    def search(self, queries: np.ndarray, k: int, where: SearchFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (len(queries), <=k), best first; missing rows are -1."""
        ...

    def persist(self, directory: Path) -> None:
        """Make everything added so far durable: FAISS writes into the generation `directory`,
        Milvus flushes its collection (server side) and leaves the directory alone."""
        ...

    def set_search_params(self, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Query-time knobs: IVF lists probed, HNSW candidate list length; None leaves one as it is.
        A backend without such knobs ignores them."""
        ...

    def drop_others(self) -> None:
        """Drop what older index generations left in the backend (Milvus: their collections),
        once this store's generation is live. A store kept inside its generation has nothing to do."""
        ...
