"""The default vector store: an embedded FAISS index, written into each index generation.

The index type follows the corpus size unless the user names one (`index_factory`):
exact `Flat` up to `ivf_threshold` chunks (200k by default), above that `IVF{nlist},Flat` with
nlist the power of two nearest 4*sqrt(N), trained on a sample; "auto-sq8" picks `IVF{nlist},SQ8`
(4x smaller) instead. Any FAISS factory string works too (e.g. "HNSW32").

Row ids are explicit (`add_with_ids`): IVF indexes carry ids natively, the others are wrapped in
`IndexIDMap2`, so row r is always `chunks[r]` of the generation.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.errors import IndexMismatchError
from rag.index.stores.base import SearchFilter, empty_result

__all__ = ["FaissStore", "resolve_factory", "AUTO_FACTORIES", "DEFAULT_IVF_THRESHOLD", "VECTORS_FILE"]

log = logging.getLogger(__name__)

AUTO_FACTORIES = ("auto", "auto-sq8")
DEFAULT_IVF_THRESHOLD = 200_000
VECTORS_FILE = "vectors.faiss"
# FAISS wants >= 39 training points per list; 64 per list keeps k-means quality at a bounded cost.
_TRAIN_PER_LIST = 64
# IVF files above this size are memory-mapped on load instead of read into RAM.
_MMAP_MIN_BYTES = 64 << 20


def resolve_factory(setting: str, n_vectors: int, ivf_threshold: int = DEFAULT_IVF_THRESHOLD) -> str:
    """The FAISS factory string for a corpus of `n_vectors`.

    Example:
        >>> resolve_factory("auto", 1_000_000)
        'IVF4096,Flat'
    """
    if setting not in AUTO_FACTORIES:
        return setting
    if n_vectors <= ivf_threshold:
        return "Flat"
    nlist = 2 ** round(math.log2(4 * math.sqrt(n_vectors)))
    # FAISS needs >= 39 training points per list (only binds when ivf_threshold is set very low).
    nlist = max(1, min(nlist, 2 ** int(math.log2(max(1, n_vectors // 39)))))
    return f"IVF{nlist},{'SQ8' if setting == 'auto-sq8' else 'Flat'}"


def _faiss():
    import faiss

    return faiss


def _has_native_ids(index) -> bool:
    faiss = _faiss()
    try:
        faiss.extract_index_ivf(index)
        return True
    except (RuntimeError, TypeError):
        return False


class FaissStore:
    """FAISS index with inner-product metric and explicit row ids.

    Example:
        >>> store = FaissStore.create(384, "Flat")
        >>> store.add(np.arange(len(vectors)), vectors, doc_ids)
        >>> scores, rows = store.search(query_vectors, k=10)
    """

    def __init__(self, index, doc_ids: Sequence[str] = ()) -> None:
        self._index = index
        self._docs: list[str] = []
        self._doc_number: dict[str, int] = {}
        self._rows: list[np.ndarray] = []
        self._owners: list[np.ndarray] = []
        self.nprobe: int | None = None
        self.ef_search: int | None = None
        if doc_ids:
            self._remember(np.arange(len(doc_ids), dtype=np.int64), doc_ids)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def create(cls, dim: int, factory: str, train_sample: np.ndarray | None = None) -> FaissStore:
        """An empty store of type `factory`; trained on `train_sample` when the type needs training."""
        faiss = _faiss()
        try:
            index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError:
            raise IndexMismatchError(f"index_factory {factory!r} is not a valid FAISS factory string") from None
        if not index.is_trained:
            if train_sample is None or len(train_sample) == 0:
                raise IndexMismatchError(
                    f"index_factory {factory!r} needs training vectors; index some documents first"
                )
            try:
                index.train(np.ascontiguousarray(train_sample, dtype=np.float32))
            except RuntimeError as exc:
                first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "training failed"
                raise IndexMismatchError(
                    f"index_factory {factory!r} cannot be trained on {len(train_sample)} vectors ({first}); "
                    "use a smaller nlist or 'auto'"
                ) from None
        if not _has_native_ids(index):
            index = faiss.IndexIDMap2(index)
        return cls(index)

    @classmethod
    def read(cls, path: Path, doc_ids: Sequence[str] = (), mmap: bool | None = None) -> FaissStore:
        """Load a written store; rows 0..n-1 belong to `doc_ids[row]`. Large IVF files are memory-mapped."""
        faiss = _faiss()
        if mmap is None:
            mmap = os.path.getsize(path) >= _MMAP_MIN_BYTES
        index = None
        if mmap:
            try:
                index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            except RuntimeError:
                index = None  # this index type cannot be mapped: read it into memory
        if index is None:
            index = faiss.read_index(str(path))
        return cls(index, doc_ids)

    # -- VectorStore --------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def is_ivf(self) -> bool:
        return _has_native_ids(self._index)

    def _remember(self, rows: np.ndarray, doc_ids: Sequence[str]) -> None:
        owners = np.empty(len(doc_ids), np.int32)
        for i, doc_id in enumerate(doc_ids):
            number = self._doc_number.get(doc_id)
            if number is None:
                number = self._doc_number[doc_id] = len(self._docs)
                self._docs.append(doc_id)
            owners[i] = number
        self._rows.append(np.asarray(rows, np.int64))
        self._owners.append(owners)

    def _row_table(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self._rows) > 1:
            self._rows = [np.concatenate(self._rows)]
            self._owners = [np.concatenate(self._owners)]
        if not self._rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        return self._rows[0], self._owners[0]

    def add(self, rows: np.ndarray, vectors: np.ndarray, doc_ids: Sequence[str]) -> None:
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if not len(rows) == len(vectors) == len(doc_ids):
            raise ValueError(f"{len(rows)} rows, {len(vectors)} vectors and {len(doc_ids)} document ids")
        if len(rows) == 0:
            return
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), rows)
        self._remember(rows, doc_ids)

    def _rows_of(self, where: SearchFilter) -> np.ndarray:
        """Row ids whose document passes the filter."""
        rows, owners = self._row_table()
        allowed = np.array([n for n, d in enumerate(self._docs) if where.matches(d)], np.int32)
        return rows[np.isin(owners, allowed)]

    def _is_hnsw(self) -> bool:
        inner = getattr(self._index, "index", self._index)
        return "HNSW" in type(_faiss().downcast_index(inner)).__name__

    def _params(self, selector, nprobe: int | None = None, ef_search: int | None = None):
        faiss = _faiss()
        nprobe = nprobe or self.nprobe
        ef_search = ef_search or self.ef_search
        if self.is_ivf:
            params = faiss.SearchParametersIVF()
            if nprobe:
                params.nprobe = int(nprobe)
        elif ef_search and self._is_hnsw():
            params = faiss.SearchParametersHNSW()
            params.efSearch = int(ef_search)
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        return params

    def search(self, queries: np.ndarray, k: int, where: SearchFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        selector = None
        limit = self.count
        if where is not None:
            allowed = self._rows_of(where)
            limit = int(allowed.size)
            selector = faiss.IDSelectorBatch(allowed)
        k = min(k, limit)
        if k <= 0:
            return empty_result(len(queries))
        scores, rows = self._index.search(queries, k, params=self._params(selector))
        if selector is not None and (rows < 0).any():
            # A narrow filter can empty the probed lists / the graph neighbourhood: search wider.
            if self.is_ivf:
                wider = self._params(selector, nprobe=faiss.extract_index_ivf(self._index).nlist)
                scores, rows = self._index.search(queries, k, params=wider)
            elif self._is_hnsw():
                wider = self._params(selector, ef_search=max(512, 8 * k))
                scores, rows = self._index.search(queries, k, params=wider)
        return _ties_by_row(scores, rows)

    def persist(self, directory: Path) -> None:
        _faiss().write_index(self._index, str(Path(directory) / VECTORS_FILE))

    def set_search_params(self, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Query-time knobs: IVF lists probed, HNSW candidate list length (None: left as it is;
        unset: the FAISS default)."""
        if nprobe is not None:
            self.nprobe = nprobe
        if ef_search is not None:
            self.ef_search = ef_search

    def drop_others(self) -> None:
        """Nothing to do: each generation holds its own FAISS file."""


def _ties_by_row(scores: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal scores ordered by row (FAISS's heap leaves them in any order), missing rows last."""
    for i in range(len(rows)):
        order = np.lexsort((np.where(rows[i] < 0, np.iinfo(np.int64).max, rows[i]), -scores[i]))
        scores[i], rows[i] = scores[i][order], rows[i][order]
    return scores, rows


def training_sample(vectors: np.ndarray, factory: str) -> np.ndarray | None:
    """A deterministic sample of `vectors` large enough to train `factory` (None when it needs none)."""
    if not factory.startswith("IVF") and "PQ" not in factory and "SQ" not in factory:
        return None
    nlist = 1
    head = factory.split(",")[0]
    if head.startswith("IVF"):
        digits = "".join(ch for ch in head[3:] if ch.isdigit())
        nlist = int(digits) if digits else 1
    size = min(len(vectors), max(_TRAIN_PER_LIST * nlist, 10_000))
    if size >= len(vectors):
        return np.ascontiguousarray(vectors, dtype=np.float32)
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)
