"""Milvus as the vector store, through `pymilvus.MilvusClient`.

The URI picks the deployment: a local file path (`milvus.db`) runs milvus-lite embedded (tests,
small use), `http://host:19530` or a Zilliz Cloud endpoint a server or cluster, with a token read
from the environment variable named by the `milvus_token_env` setting (never stored in files).
Each index generation writes its own collection, so a reader never sees a half-written one; the
generation's manifest names the collection, and older generations' collections are dropped when
a new one goes live. Needs the `milvus` extra: `pip install -e '.[milvus]'`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.errors import ConfigError, IndexCorruptError
from rag.index.stores.base import SearchFilter, empty_result, folder_of

__all__ = ["MilvusStore", "collection_name", "COLLECTION_PREFIX"]

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "rag_"
_INSERT_BATCH = 2000
_DOC_FIELD_MAX = 1024


def collection_name(generation: str) -> str:
    """A valid Milvus collection name for an index generation directory name."""
    return COLLECTION_PREFIX + re.sub(r"[^0-9A-Za-z_]", "_", generation)


def _client(uri: str, token_env: str):
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise ConfigError(
            "vector_store 'milvus' needs pymilvus; install the extra: pip install -e '.[milvus]'"
        ) from None
    token = os.environ.get(token_env, "") if token_env else ""
    if "://" not in uri:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
    except Exception as exc:  # pymilvus raises MilvusException and plain connection errors
        raise ConfigError(f"cannot connect to Milvus at {uri}: {str(exc).splitlines()[0][:200]}") from None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MilvusStore:
    """One Milvus collection: primary key `row`, fields `doc_id`, `folder`, `vector` (IP metric).

    Example:
        >>> store = MilvusStore.create("index/milvus.db", "rag_gen_1", dim=384)
        >>> store.add(np.arange(len(vectors)), vectors, doc_ids)
        >>> store.search(query_vectors, k=10, where=SearchFilter(folders=("papers",)))
    """

    def __init__(self, client, collection: str, uri: str) -> None:
        self._client = client
        self.collection = collection
        self.uri = uri

    @classmethod
    def create(cls, uri: str, collection: str, dim: int, token_env: str = "") -> MilvusStore:
        from pymilvus import DataType

        client = _client(uri, token_env)
        if client.has_collection(collection):
            client.drop_collection(collection)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=_DOC_FIELD_MAX)
        schema.add_field("folder", DataType.VARCHAR, max_length=_DOC_FIELD_MAX)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = client.prepare_index_params()
        params.add_index("vector", index_type="FLAT", metric_type="IP")
        client.create_collection(collection, schema=schema, index_params=params)
        return cls(client, collection, uri)

    @classmethod
    def open(cls, uri: str, collection: str, token_env: str = "") -> MilvusStore:
        client = _client(uri, token_env)
        if not client.has_collection(collection):
            raise IndexCorruptError(f"Milvus collection {collection!r} is missing at {uri}; run `rag index --rebuild`")
        client.load_collection(collection)
        return cls(client, collection, uri)

    @property
    def count(self) -> int:
        result = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(result[0]["count(*)"])

    def add(self, rows: np.ndarray, vectors: np.ndarray, doc_ids: Sequence[str]) -> None:
        if not len(rows) == len(vectors) == len(doc_ids):
            raise ValueError(f"{len(rows)} rows, {len(vectors)} vectors and {len(doc_ids)} document ids")
        for start in range(0, len(rows), _INSERT_BATCH):
            end = start + _INSERT_BATCH
            block = np.asarray(vectors[start:end], dtype=np.float32)
            data = [
                {"row": int(r), "doc_id": d, "folder": folder_of(d), "vector": v.tolist()}
                for r, d, v in zip(rows[start:end], doc_ids[start:end], block, strict=True)
            ]
            self._client.insert(self.collection, data)

    @staticmethod
    def _expr(where: SearchFilter | None) -> str:
        if where is None:
            return ""
        parts = []
        if where.doc_ids is not None:
            parts.append(f"doc_id in [{', '.join(_quote(d) for d in where.doc_ids)}]")
        if where.folders is not None:
            wanted = [f.strip("/") for f in where.folders]
            if "" not in wanted:
                ors = [f"folder == {_quote(f)} or folder like {_quote(f + '/%')}" for f in wanted]
                parts.append("(" + " or ".join(ors) + ")" if ors else "false")
        return " and ".join(f"({p})" for p in parts)

    def search(self, queries: np.ndarray, k: int, where: SearchFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = np.asarray(queries, dtype=np.float32)
        if k <= 0 or len(queries) == 0:
            return empty_result(len(queries))
        results = self._client.search(
            self.collection,
            data=[q.tolist() for q in queries],
            limit=k,
            filter=self._expr(where),
            output_fields=["row"],
            search_params={"metric_type": "IP"},
        )
        width = max((len(r) for r in results), default=0)
        scores = np.full((len(queries), width), -np.inf, np.float32)
        rows = np.full((len(queries), width), -1, np.int64)
        for i, hits in enumerate(results):
            # Ties by row, as FAISS's exact search orders them, so both backends rank alike.
            ordered = sorted(hits, key=lambda h: (-round(float(h["distance"]), 5), int(h["entity"]["row"])))
            for j, hit in enumerate(ordered):
                scores[i, j] = float(hit["distance"])
                rows[i, j] = int(hit["entity"]["row"])
        return scores, rows

    def persist(self, directory: Path) -> None:
        self._client.flush(self.collection)
        self._client.load_collection(self.collection)

    def set_search_params(self, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Nothing to set: the collection's FLAT index searches exhaustively."""

    def drop_others(self) -> None:
        """Drop the collections of older index generations (this store's own stays)."""
        for name in self._client.list_collections():
            if name.startswith(COLLECTION_PREFIX + "gen_") and name != self.collection:
                self._client.drop_collection(name)
