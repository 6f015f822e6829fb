"""The persisted index: FAISS vectors + chunk records + manifest, written atomically.

Layout of the index directory:
    CURRENT              name of the live generation (replaced atomically with os.replace)
    gen-<stamp>/         manifest.json, chunks.jsonl, embeddings.npy, vectors.faiss, lexical/ (BM25)
    .lock                held while a writer runs

A writer builds a new generation in a temporary directory, renames it into place and then
switches CURRENT; a reader only ever sees a complete generation, so killing a writer at any
point leaves the previous index loadable.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError, RagError
from rag.lexical import LEXICAL_DIR, LEXICAL_FORMAT, LexicalIndex, lexical_text
from rag.stores import FaissStore, SearchFilter, StoreConfig, VectorStore, build_store, open_store
from rag.types import Chunk

__all__ = [
    "SCHEMA_VERSION",
    "VectorStore",
    "FaissStore",
    "SearchFilter",
    "StoreConfig",
    "StoredIndex",
    "load_index",
    "save_index",
    "index_lock",
    "check_index",
]

# 2 added the BM25 index (lexical/); a version-1 index is still read, its BM25 index built in memory.
SCHEMA_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_CURRENT = "CURRENT"


@dataclass
class StoredIndex:
    """A loaded generation: manifest, chunk records (row order = vector order), vectors."""

    path: Path
    manifest: dict
    chunks: list[Chunk]
    embeddings: np.ndarray
    store: VectorStore
    lexical: LexicalIndex

    @property
    def embedder_name(self) -> str:
        return self.manifest["embedder"]["name"]

    def require_compatible(self, embedder_name: str, chunker: dict | None = None) -> None:
        """Refuse to serve queries embedded by another model, or to mix chunkers."""
        built_with = self.manifest["embedder"]["name"]
        if built_with != embedder_name:
            raise IndexMismatchError(
                f"the index in {self.path.parent} was built with embedder {built_with!r} but settings "
                f"say {embedder_name!r}; run `rag index --rebuild` or change the setting back"
            )
        if chunker is not None and self.manifest["chunker"] != chunker:
            raise IndexMismatchError(
                f"the index in {self.path.parent} was built with chunker {self.manifest['chunker']} "
                f"but settings say {chunker}; run `rag index --rebuild` or change the settings back"
            )


def chunk_to_json(chunk: Chunk) -> str:
    """One chunks.jsonl line."""
    return json.dumps(
        {
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "source": chunk.source,
            "title": chunk.title,
            "start": chunk.start,
            "end": chunk.end,
            "text": chunk.text,
        },
        ensure_ascii=False,
    )


def _current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / _CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexCorruptError(f"{pointer}: cannot read ({exc.strerror})") from None
    if not name or "/" in name or name.startswith("."):
        raise IndexCorruptError(f"{pointer} is damaged; run `rag index --rebuild`")
    return index_dir / name


def load_index(index_dir: str | Path, nprobe: int | None = None) -> StoredIndex:
    """Load the live generation of an index directory.

    Args:
        index_dir: the index directory (holding CURRENT).
        nprobe: IVF lists to probe per query (default: the value recorded when it was built).

    Raises:
        IndexNotFoundError: nothing has been indexed there yet.
        IndexMismatchError: the index was written with another schema version.
        IndexCorruptError: files are missing or disagree with each other.
    """
    index_dir = Path(index_dir)
    gen = _current_generation(index_dir)
    if gen is None:
        raise IndexNotFoundError(f"no index in {index_dir}/; build one with `rag index [PATHS]`")
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{gen}/manifest.json unreadable ({exc}); run `rag index --rebuild`") from None
    version = manifest.get("schema_version")
    if version not in _READABLE_VERSIONS:
        raise IndexMismatchError(
            f"the index in {index_dir}/ has schema version {version}, this program reads version "
            f"{SCHEMA_VERSION}; run `rag index --rebuild`"
        )
    try:
        chunks = []
        with (gen / "chunks.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                chunks.append(Chunk(**record))
        embeddings = np.load(gen / "embeddings.npy", mmap_mode="r")
        store = open_store(manifest.get("vector_store", {}), gen, index_dir, [c.doc_id for c in chunks], nprobe)
        if manifest.get("lexical_format") != LEXICAL_FORMAT:
            # Built before this BM25 layout: rebuilt in memory here, on disk by the next `rag index`.
            lexical = build_lexical(chunks)
        else:
            lexical = LexicalIndex.read(gen / LEXICAL_DIR)
    except RagError:
        raise
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(
            f"index files in {gen} unreadable ({type(exc).__name__}); run `rag index --rebuild`"
        ) from None
    index = StoredIndex(path=gen, manifest=manifest, chunks=chunks, embeddings=embeddings, store=store, lexical=lexical)
    problems = check_index(index)
    if problems:
        raise IndexCorruptError(f"index in {index_dir}/ is inconsistent: {problems[0]}; run `rag index --rebuild`")
    return index


def check_index(index: StoredIndex) -> list[str]:
    """Consistency problems, empty when FAISS, BM25, chunk records, embeddings and manifest agree."""
    problems = []
    n_chunks = len(index.chunks)
    if index.store.count != n_chunks:
        problems.append(f"the vector store holds {index.store.count} vectors but there are {n_chunks} chunk records")
    if index.lexical.count != n_chunks:
        problems.append(f"the BM25 index holds {index.lexical.count} rows but there are {n_chunks} chunk records")
    if index.embeddings.shape[0] != n_chunks:
        problems.append(f"{index.embeddings.shape[0]} stored embeddings for {n_chunks} chunks")
    if index.manifest.get("chunk_count") != n_chunks:
        problems.append(f"manifest says {index.manifest.get('chunk_count')} chunks, found {n_chunks}")
    per_doc: dict[str, int] = {}
    for chunk in index.chunks:
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
    documents = index.manifest.get("documents", {})
    expected = {doc_id: info.get("chunks") for doc_id, info in documents.items()}
    if per_doc != {k: v for k, v in expected.items() if v}:
        problems.append("chunk records do not match the manifest's documents")
    ids = [c.chunk_id for c in index.chunks]
    if len(set(ids)) != len(ids):
        problems.append("duplicate chunk ids")
    return problems


def build_lexical(chunks: list[Chunk]) -> LexicalIndex:
    """The BM25 index for chunk records, row i = chunks[i]."""
    return LexicalIndex.build([lexical_text(c.title, c.text) for c in chunks])


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_index(
    index_dir: str | Path,
    manifest: dict,
    chunks: list[Chunk],
    embeddings: np.ndarray,
    factory: str,
    store_config: StoreConfig | None = None,
) -> Path:
    """Write a new generation and make it live atomically. Call with `index_lock` held.

    Args:
        factory: the `index_factory` setting ("auto" picks the FAISS type by corpus size).
        store_config: the vector store to write (default: FAISS with `factory`).
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    if embeddings.shape[0] != len(chunks):
        raise ValueError(f"{embeddings.shape[0]} embeddings for {len(chunks)} chunks")
    config = store_config or StoreConfig(index_factory=factory)
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(chunk_to_json(chunk) + "\n")
    _write_embeddings(tmp / "embeddings.npy", embeddings)
    # The store is filled from the written file, block by block (bounded memory at any size).
    stored = np.load(tmp / "embeddings.npy", mmap_mode="r")
    store, entry = build_store(config, tmp, index_dir, stored, [c.doc_id for c in chunks])
    del stored
    manifest = {
        **manifest,
        "schema_version": SCHEMA_VERSION,
        "chunk_count": len(chunks),
        "index_factory": factory,
        "index_type": entry["index_type"],
        "vector_store": entry,
        "lexical_format": LEXICAL_FORMAT,
    }
    build_lexical(chunks).write(tmp / LEXICAL_DIR)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # Everything on disk before the generation becomes visible.
    for f in tmp.rglob("*"):
        if f.is_file():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(tmp / LEXICAL_DIR)
    _fsync_dir(tmp)
    gen = index_dir / name
    os.replace(tmp, gen)
    pointer_tmp = index_dir / f".{_CURRENT}.tmp"
    with pointer_tmp.open("w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer_tmp, index_dir / _CURRENT)
    _fsync_dir(index_dir)
    _remove_stale(index_dir, keep=name)
    drop_others = getattr(store, "drop_others", None)
    if drop_others is not None:
        drop_others(entry["collection"])
    return gen


def _write_embeddings(path: Path, embeddings: np.ndarray, block: int = 65_536) -> None:
    """Save as .npy block by block, so a memory-mapped input is never loaded whole."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=tuple(embeddings.shape))
    for start in range(0, embeddings.shape[0], block):
        out[start : start + block] = embeddings[start : start + block]
    out.flush()
    del out


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Drop old generations and leftovers of killed writers (only call with the lock held)."""
    for entry in index_dir.iterdir():
        if entry.name == keep or not entry.is_dir():
            continue
        if entry.name.startswith(("gen-", ".tmp-gen-")):
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def index_lock(index_dir: str | Path) -> Iterator[None]:
    """Exclusive writer lock; a second writer is refused with a clear message."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise IndexLockedError(
                f"{index_dir}/ is being written by {holder}; wait for it to finish and try again"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
