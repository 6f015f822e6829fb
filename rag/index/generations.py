"""The persisted index: FAISS vectors + chunk records + manifest, written atomically.

Layout of the index directory:
    CURRENT              name of the live generation (replaced atomically with os.replace)
    gen-<stamp>/         manifest.json, chunks.jsonl, embeddings.npy, vectors.faiss, lexical/ (BM25)
    .lock                held while a writer runs

manifest.json is read and written by `rag.index.manifest` (its schema versions are listed there);
each chunks.jsonl line is one chunk record with its sentence spans (`chunk_to_json`).

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

from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError
from rag.index.lexical import LEXICAL_DIR, LEXICAL_FORMAT, LexicalIndex, lexical_text
from rag.index.manifest import SCHEMA_VERSION, DocumentRecord, Manifest
from rag.index.stores import FaissStore, SearchFilter, StoreConfig, VectorStore, build_store, open_store
from rag.types import Chunk

__all__ = [
    "SCHEMA_VERSION",
    "Manifest",
    "DocumentRecord",
    "VectorStore",
    "FaissStore",
    "SearchFilter",
    "StoreConfig",
    "StoredIndex",
    "load_index",
    "save_index",
    "index_lock",
    "live_generation",
    "check_index",
    "chunk_to_json",
    "chunk_from_json",
]

_CURRENT = "CURRENT"


@dataclass
class StoredIndex:
    """A loaded generation: manifest, chunk records (row order = vector order), vectors."""

    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    embeddings: np.ndarray
    store: VectorStore
    lexical: LexicalIndex

    @property
    def embedder_name(self) -> str:
        return self.manifest.embedder

    def require_compatible(self, embedder_name: str, chunker: dict | None = None) -> None:
        """Refuse to serve queries embedded by another model, or to mix chunkers."""
        built_with = self.manifest.embedder
        if built_with != embedder_name:
            raise IndexMismatchError(
                f"the index in {self.path.parent} was built with embedder {built_with!r} but settings "
                f"say {embedder_name!r}; run `rag index --rebuild` or change the setting back"
            )
        if chunker is not None and self.manifest.chunker != chunker:
            raise IndexMismatchError(
                f"the index in {self.path.parent} was built with chunker {self.manifest.chunker} "
                f"but settings say {chunker}; run `rag index --rebuild` or change the settings back"
            )


def chunk_to_json(chunk: Chunk) -> str:
    """One chunks.jsonl line (without a newline), sentence spans included."""
    record = {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "title": chunk.title,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "spans": [list(span) for span in chunk.spans or ()],
    }
    if chunk.flags:
        record["flags"] = list(chunk.flags)
    if chunk.pages:
        record["pages"] = [list(page) for page in chunk.pages]
        if chunk.page_label != "page":
            record["page_label"] = chunk.page_label
    return json.dumps(record, ensure_ascii=False)


def chunk_from_json(line: str) -> Chunk:
    """The chunk of one chunks.jsonl line; a record written before spans were stored (schema < 3)
    gets them computed by `Chunk`.

    Raises:
        ValueError, TypeError, KeyError: the line is not a chunk record.
    """
    record = json.loads(line)
    spans = record.pop("spans", None)
    if spans is not None:
        spans = tuple((int(start), int(end)) for start, end in spans)
    flags = tuple(str(flag) for flag in record.pop("flags", ()))
    pages = tuple((int(begins), int(number)) for begins, number in record.pop("pages", ()))
    return Chunk(**record, spans=spans, flags=flags, pages=pages)


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


def live_generation(index_dir: str | Path) -> str | None:
    """The name of the generation a reader would load now (None: no index yet); one small read,
    so a long-running reader can ask before every question whether a writer replaced its index."""
    gen = _current_generation(Path(index_dir))
    return None if gen is None else gen.name


def load_index(index_dir: str | Path) -> StoredIndex:
    """Load the live generation of an index directory.

    A writer deletes the generation it replaced once CURRENT names the new one, so a reader in
    another process can lose its files mid-read; it then reads the generation CURRENT names now.

    Args:
        index_dir: the index directory (holding CURRENT). Query-time knobs (IVF lists probed,
            HNSW candidates) are those recorded when it was built; `RetrievalOptions` may change them.

    Raises:
        IndexNotFoundError: nothing has been indexed there yet.
        IndexMismatchError: the index was written with a schema version this program cannot read.
        IndexCorruptError: files are missing or disagree with each other.
    """
    index_dir = Path(index_dir)
    gen = _current_generation(index_dir)
    if gen is None:
        raise IndexNotFoundError(f"no index in {index_dir}/; build one with `rag index [PATHS]`")
    for _ in range(_READ_ATTEMPTS - 1):
        try:
            return _load_generation(index_dir, gen)
        except IndexCorruptError:
            now = _current_generation(index_dir)
            if now is None or now == gen:
                raise
            gen = now
    return _load_generation(index_dir, gen)


# Each retry follows a writer that finished while the previous read ran; writers hold a lock and
# take far longer than a read, so more than a couple in a row means something else is wrong.
_READ_ATTEMPTS = 4


def _load_generation(index_dir: Path, gen: Path) -> StoredIndex:
    manifest = Manifest.read(gen / "manifest.json")
    try:
        with (gen / "chunks.jsonl").open(encoding="utf-8") as fh:
            chunks = [chunk_from_json(line) for line in fh]
        embeddings = np.load(gen / "embeddings.npy", mmap_mode="r")
        store = open_store(manifest.vector_store, gen, index_dir, [c.doc_id for c in chunks])
        if manifest.lexical_format != LEXICAL_FORMAT:
            # Built before this BM25 layout: rebuilt in memory here, on disk by the next `rag index`.
            lexical = build_lexical(chunks)
        else:
            lexical = LexicalIndex.read(gen / LEXICAL_DIR)
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
    if index.manifest.chunk_count != n_chunks:
        problems.append(f"manifest says {index.manifest.chunk_count} chunks, found {n_chunks}")
    per_doc: dict[str, int] = {}
    for chunk in index.chunks:
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
    expected = {doc_id: record.chunks for doc_id, record in index.manifest.documents.items()}
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
    manifest: Manifest,
    chunks: list[Chunk],
    embeddings: np.ndarray,
    store_config: StoreConfig | None = None,
) -> Path:
    """Write a new generation in the current schema and make it live atomically. Call with
    `index_lock` held.

    Args:
        manifest: what the writer knows (embedder, chunker, roots, documents); the schema version,
            counts and the store's entry are filled in here.
        store_config: the vector store to write (default: FAISS, its type picked by corpus size).
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    if embeddings.shape[0] != len(chunks):
        raise ValueError(f"{embeddings.shape[0]} embeddings for {len(chunks)} chunks")
    config = store_config or StoreConfig()
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
    manifest = manifest.replace(
        schema_version=SCHEMA_VERSION,
        chunk_count=len(chunks),
        index_factory=config.index_factory,
        index_type=entry["index_type"],
        vector_store=entry,
        lexical_format=LEXICAL_FORMAT,
    )
    build_lexical(chunks).write(tmp / LEXICAL_DIR)
    manifest.write(tmp / "manifest.json")
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
    store.drop_others()
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
