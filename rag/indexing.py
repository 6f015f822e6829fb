"""Bring the index in line with the files on disk: embed only what changed.

Unchanged documents (same SHA-256 of the raw bytes) keep their chunks and vectors; changed ones
are re-chunked and re-embedded; documents whose files are gone are dropped. A document that was
indexed before but cannot be read now keeps its previous chunks (with a warning), so a bad read
never deletes data.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.chunking import Chunker, ChunkerSettings
from rag.config import Settings
from rag.embeddings import Embedder, create_embedder
from rag.errors import IndexMismatchError, IndexNotFoundError, InputError
from rag.index import StoredIndex, index_lock, load_index, save_index
from rag.lexical import LEXICAL_FORMAT
from rag.loaders import discover_files, load_file
from rag.stores import StoreConfig
from rag.types import Chunk

__all__ = ["IndexReport", "remove_documents", "update_index"]

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept_unreadable: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0
    chunk_count: int = 0
    document_count: int = 0
    written: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        parts = [
            f"{self.document_count} documents, {self.chunk_count} chunks",
            f"added {len(self.added)}",
            f"updated {len(self.updated)}",
            f"removed {len(self.removed)}",
            f"unchanged {self.unchanged}",
            f"embedded {self.chunks_embedded} chunks",
        ]
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)} unreadable files")
        return ", ".join(parts) + f" in {self.seconds:.1f}s"


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _chunker_settings(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(settings.chunk_size, settings.chunk_overlap, settings.embedder)


def update_index(
    settings: Settings,
    paths: list[str | Path] | None = None,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    embedder_factory: Callable[[Settings], Embedder] | None = None,
    show_progress: bool = False,
) -> IndexReport:
    """Index `paths` (added to the roots already indexed) into `settings.index_dir`.

    Args:
        settings: the configuration (index dir, embedder, chunker, factory string).
        paths: files or folders to add; with none, the roots recorded in the index are re-scanned
            (or `settings.corpus_dir` for a new index).
        rebuild: start from scratch: forget previous roots and re-embed everything.
        embedder: an embedder to use; otherwise one is created on first need.
        show_progress: draw progress bars on stderr.
    """
    started = time.perf_counter()
    report = IndexReport()
    with index_lock(settings.index_dir):
        previous: StoredIndex | None = None
        try:
            previous = load_index(settings.index_dir)
        except IndexNotFoundError:
            previous = None
        except IndexMismatchError:
            if not rebuild:
                raise
        chunker_settings = _chunker_settings(settings)
        if previous is not None and not rebuild:
            previous.require_compatible(settings.embedder, chunker_settings.as_dict())
        if rebuild:
            previous_for_reuse = None
        else:
            previous_for_reuse = previous

        roots = [] if previous_for_reuse is None else list(previous_for_reuse.manifest.get("roots", []))
        for p in paths or []:
            resolved = str(Path(p).resolve())
            if not Path(resolved).exists():
                raise InputError(f"{p}: no such file or directory")
            if resolved not in roots:
                roots.append(resolved)
        if not roots:
            corpus = Path(settings.corpus_dir)
            if not corpus.exists():
                raise InputError(f"{corpus}: no such file or directory (set corpus_dir or pass PATHS)")
            roots.append(str(corpus.resolve()))

        old_docs: dict = {} if previous_for_reuse is None else previous_for_reuse.manifest["documents"]
        old_rows: dict[str, list[int]] = {}
        if previous_for_reuse is not None:
            for row, chunk in enumerate(previous_for_reuse.chunks):
                old_rows.setdefault(chunk.doc_id, []).append(row)

        # Documents removed by the user stay out of re-scans until they are indexed again by name.
        excluded = set() if previous_for_reuse is None else set(previous_for_reuse.manifest.get("excluded", []))
        for p in paths or []:
            if Path(p).is_file():
                excluded.discard(Path(p).name)
        documents: dict[str, dict] = {}
        owners: dict[str, str] = {}
        to_embed = []  # (doc_id, Document)
        missing_roots = []
        for root_str in roots:
            root = Path(root_str)
            if not root.exists():
                missing_roots.append(root_str)
                continue
            base = root.parent if root.is_file() else root
            for path in discover_files(root):
                doc_id = path.relative_to(base).as_posix()
                if doc_id in excluded:
                    continue
                if doc_id in owners and owners[doc_id] != str(path.resolve()):
                    raise InputError(
                        f"{path}: document id {doc_id!r} is already taken by {owners[doc_id]}; "
                        "rename one of them or use separate index directories"
                    )
                if doc_id in owners:
                    continue  # the same file reached through two roots
                owners[doc_id] = str(path.resolve())
                digest = _sha256(path)
                old = old_docs.get(doc_id)
                if old is not None and digest == old["sha256"]:
                    documents[doc_id] = old
                    report.unchanged += 1
                    continue
                try:
                    doc = load_file(path, base)
                except InputError as exc:
                    reason = str(exc).split(": ", 1)[-1]
                    if old is not None:
                        log.warning("%s: %s; keeping the previously indexed version", path, reason)
                        documents[doc_id] = old
                        report.kept_unreadable.append(doc_id)
                    else:
                        log.warning("skipped %s: %s", path, reason)
                    report.skipped.append((str(path), reason))
                    continue
                documents[doc_id] = {
                    "source": doc.source,
                    "title": doc.title,
                    "sha256": doc.sha256,
                    "path": doc.path,
                    "root": root_str,
                    "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                }
                to_embed.append(doc)
                (report.updated if old is not None else report.added).append(doc_id)
        for root_str in missing_roots:
            kept = [d for d, info in old_docs.items() if info.get("root") == root_str]
            log.warning(
                "%s not found; keeping its %d indexed documents (run `rag index --rebuild` to drop them)",
                root_str,
                len(kept),
            )
            for doc_id in kept:
                documents.setdefault(doc_id, old_docs[doc_id])
        report.removed = sorted(set(old_docs) - set(documents))

        store_config = StoreConfig.from_settings(settings)
        factory_changed = previous is not None and _store_differs(previous, store_config, len(previous.chunks))
        # An older BM25 layout is rewritten from the stored chunks (no re-embedding).
        factory_changed = factory_changed or (
            previous is not None and previous.manifest.get("lexical_format") != LEXICAL_FORMAT
        )
        roots_changed = previous is None or previous.manifest.get("roots") != roots
        roots_changed = roots_changed or set(previous.manifest.get("excluded", [])) != excluded
        if previous is not None and not rebuild and not report.changed and not factory_changed and not roots_changed:
            report.chunk_count = len(previous.chunks)
            report.document_count = len(previous.manifest["documents"])
            report.seconds = time.perf_counter() - started
            return report

        embedder = embedder or (embedder_factory or _default_embedder)(settings)
        chunker = Chunker(chunker_settings, embedder.count_tokens)
        if chunker_settings.chunk_size > embedder.max_tokens:
            raise IndexMismatchError(
                f"chunk_size {settings.chunk_size} is longer than embedder {settings.embedder!r} reads "
                f"({embedder.max_tokens} tokens); lower chunk_size"
            )
        new_chunks: list[Chunk] = []
        for doc in to_embed:
            pieces = list(chunker.split(doc))
            documents[doc.doc_id]["chunks"] = len(pieces)
            new_chunks.extend(pieces)
        new_vectors = embedder.embed_documents([c.text for c in new_chunks], show_progress=show_progress)
        report.chunks_embedded = len(new_chunks)

        # Assemble in document order so the row layout does not depend on what changed.
        new_rows: dict[str, list[int]] = {}
        for i, chunk in enumerate(new_chunks):
            new_rows.setdefault(chunk.doc_id, []).append(i)
        chunks: list[Chunk] = []
        parts: list[np.ndarray] = []
        for doc_id in sorted(documents):
            if doc_id in new_rows:
                rows = new_rows[doc_id]
                chunks.extend(new_chunks[i] for i in rows)
                parts.append(new_vectors[rows])
            elif previous_for_reuse is not None and doc_id in old_rows:
                rows = old_rows[doc_id]
                chunks.extend(previous_for_reuse.chunks[i] for i in rows)
                parts.append(np.asarray(previous_for_reuse.embeddings[rows]))
        dim = embedder.dimension
        embeddings = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
        documents = {k: v for k, v in documents.items() if v.get("chunks")}
        manifest = {
            "embedder": {"name": settings.embedder, "dimension": dim},
            "chunker": chunker_settings.as_dict(),
            "roots": roots,
            "excluded": sorted(excluded),
            "documents": documents,
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _log_type_change(previous, store_config, len(chunks))
        save_index(settings.index_dir, manifest, chunks, embeddings, settings.index_factory, store_config)
        report.written = True
        report.chunk_count = len(chunks)
        report.document_count = len(documents)
        report.seconds = time.perf_counter() - started
        return report


def remove_documents(settings: Settings, doc_ids: list[str]) -> IndexReport:
    """Drop documents from the index (no re-embedding); later re-scans skip them.

    Raises:
        InputError: a doc id is not in the index.
    """
    started = time.perf_counter()
    with index_lock(settings.index_dir):
        index = load_index(settings.index_dir)
        documents = dict(index.manifest["documents"])
        unknown = [d for d in doc_ids if d not in documents]
        if unknown:
            raise InputError(f"not in the index: {', '.join(unknown)}")
        keep = [i for i, c in enumerate(index.chunks) if c.doc_id not in set(doc_ids)]
        for doc_id in doc_ids:
            del documents[doc_id]
        manifest = {
            **index.manifest,
            "documents": documents,
            "excluded": sorted(set(index.manifest.get("excluded", [])) | set(doc_ids)),
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        embeddings = (
            np.asarray(index.embeddings[keep]) if keep else np.zeros((0, index.embeddings.shape[1]), np.float32)
        )
        store_config = StoreConfig.from_settings(settings)
        _log_type_change(index, store_config, len(keep))
        save_index(
            settings.index_dir,
            manifest,
            [index.chunks[i] for i in keep],
            embeddings,
            settings.index_factory,
            store_config,
        )
    return IndexReport(
        removed=sorted(doc_ids),
        chunk_count=len(keep),
        document_count=len(documents),
        written=True,
        seconds=time.perf_counter() - started,
    )


def _stored_type(index: StoredIndex) -> tuple[str, str]:
    entry = index.manifest.get("vector_store", {})
    return entry.get("backend", "faiss"), index.manifest.get("index_type", index.manifest.get("index_factory", ""))


def _store_differs(index: StoredIndex, config: StoreConfig, n_chunks: int) -> bool:
    """Whether the store must be rebuilt (no re-embedding) to follow the settings."""
    entry = index.manifest.get("vector_store", {})
    if _stored_type(index) != (config.backend, config.index_type(n_chunks)):
        return True
    if config.backend == "milvus":
        return entry.get("uri", "") != config.milvus_uri
    return (
        entry.get("nprobe", config.nprobe) != config.nprobe
        or entry.get("hnsw_ef_search", config.hnsw_ef_search) != config.hnsw_ef_search
    )


def _log_type_change(previous: StoredIndex | None, config: StoreConfig, n_chunks: int) -> None:
    if previous is None:
        return
    before = _stored_type(previous)
    after = (config.backend, config.index_type(n_chunks))
    if before != after:
        log.warning(
            "%d chunks: vector store rebuilt as %s %s (was %s %s)", n_chunks, after[0], after[1], before[0], before[1]
        )


def _default_embedder(settings: Settings) -> Embedder:
    return create_embedder(settings.embedder, batch_size=settings.embed_batch_size, device=settings.device)
