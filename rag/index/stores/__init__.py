"""Vector stores behind retrieval: FAISS (embedded, default) and Milvus (milvus-lite or a cluster).

`StoreConfig` says which backend and how; `build_store` fills a new store for an index generation
from its (memory-mapped) embeddings, `open_store` reopens the one a generation's manifest names.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index.stores.base import SearchFilter, VectorStore, empty_result, folder_of
from rag.index.stores.faiss_store import (
    AUTO_FACTORIES,
    DEFAULT_IVF_THRESHOLD,
    VECTORS_FILE,
    FaissStore,
    resolve_factory,
    training_sample,
)

__all__ = [
    "VectorStore",
    "SearchFilter",
    "FaissStore",
    "StoreConfig",
    "STORES",
    "AUTO_FACTORIES",
    "build_store",
    "open_store",
    "resolve_factory",
    "empty_result",
    "folder_of",
]

log = logging.getLogger(__name__)

STORES = ("faiss", "milvus")
_ADD_BATCH = 50_000


@dataclass(frozen=True)
class StoreConfig:
    """Which vector store a generation is written to (see the `vector_store` settings)."""

    backend: str = "faiss"
    index_factory: str = "auto"
    ivf_threshold: int = DEFAULT_IVF_THRESHOLD
    nprobe: int = 16
    hnsw_ef_search: int = 128
    milvus_uri: str = ""  # "" = milvus.db inside the index directory (milvus-lite)
    milvus_token_env: str = "MILVUS_TOKEN"

    def __post_init__(self) -> None:
        if self.backend not in STORES:
            raise ValueError(f"vector store {self.backend!r}; choose one of {', '.join(STORES)}")

    @classmethod
    def from_settings(cls, settings) -> StoreConfig:
        return cls(
            backend=settings.vector_store,
            index_factory=settings.index_factory,
            ivf_threshold=settings.ivf_threshold,
            nprobe=settings.nprobe,
            hnsw_ef_search=settings.hnsw_ef_search,
            milvus_uri=settings.milvus_uri,
            milvus_token_env=settings.milvus_token_env,
        )

    def index_type(self, n_vectors: int) -> str:
        """What a corpus of `n_vectors` is stored as: a FAISS factory string, or "milvus"."""
        if self.backend == "milvus":
            return "milvus"
        return resolve_factory(self.index_factory, n_vectors, self.ivf_threshold)

    def milvus_location(self, index_dir: Path) -> str:
        return self.milvus_uri or str(Path(index_dir).resolve() / "milvus.db")


def build_store(
    config: StoreConfig, gen_dir: Path, index_dir: Path, embeddings: np.ndarray, doc_ids: Sequence[str]
) -> tuple[VectorStore, dict]:
    """Fill a new store with `embeddings` (rows 0..n-1), persist it; returns it and its manifest entry.

    `embeddings` may be a memory map: vectors are added in blocks, never copied whole.
    """
    n, dim = int(embeddings.shape[0]), int(embeddings.shape[1])
    index_type = config.index_type(n)
    entry = {"backend": config.backend, "index_type": index_type}
    if config.backend == "milvus":
        from rag.index.stores.milvus_store import MilvusStore, collection_name

        uri = config.milvus_location(index_dir)
        name = collection_name(Path(gen_dir).name.removeprefix(".tmp-"))
        store: VectorStore = MilvusStore.create(uri, name, dim, token_env=config.milvus_token_env)
        entry.update({"uri": config.milvus_uri, "collection": name, "token_env": config.milvus_token_env})
    else:
        sample = training_sample(embeddings, index_type)
        if sample is not None and index_type.startswith("IVF"):
            log.info("training %s on %d of %d vectors", index_type, len(sample), n)
        store = FaissStore.create(dim, index_type, train_sample=sample)
        store.set_search_params(nprobe=config.nprobe, ef_search=config.hnsw_ef_search)
        entry.update({"nprobe": config.nprobe, "hnsw_ef_search": config.hnsw_ef_search})
    for start in range(0, n, _ADD_BATCH):
        end = min(n, start + _ADD_BATCH)
        block = np.ascontiguousarray(embeddings[start:end], dtype=np.float32)
        store.add(np.arange(start, end, dtype=np.int64), block, doc_ids[start:end])
    store.persist(gen_dir)
    return store, entry


def open_store(entry: dict, gen_dir: Path, index_dir: Path, doc_ids: Sequence[str]) -> VectorStore:
    """Reopen the store a generation's manifest entry names (a missing entry = FAISS, as before)."""
    if entry.get("backend", "faiss") == "milvus":
        from rag.index.stores.milvus_store import MilvusStore

        uri = entry.get("uri") or str(Path(index_dir).resolve() / "milvus.db")
        return MilvusStore.open(uri, entry["collection"], token_env=entry.get("token_env", ""))
    store = FaissStore.read(Path(gen_dir) / VECTORS_FILE, doc_ids)
    store.set_search_params(nprobe=entry.get("nprobe"), ef_search=entry.get("hnsw_ef_search"))
    return store
