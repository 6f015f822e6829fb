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
from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, InputError
from rag.index import StoredIndex, index_lock, load_index, save_index
from rag.ingest import Checkpoint, batched_documents
from rag.lexical import LEXICAL_FORMAT
from rag.loaders import discover_files, load_file
from rag.stores import StoreConfig
from rag.text import printable
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
    resumed: int = 0  # documents whose vectors an interrupted run had already written
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
        if self.resumed:
            parts.append(f"resumed {self.resumed} documents embedded by an interrupted run")
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
        except (IndexMismatchError, IndexCorruptError):
            # --rebuild is what the message of either error advises: start from the files.
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
        to_embed: list[_Pending] = []  # loaded, chunked and embedded later, in batches
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
                if digest is None:
                    _unreadable(report, documents, doc_id, path, "cannot read the file", old)
                    continue
                to_embed.append(_Pending(doc_id, path, base, root_str, digest, old))
                # Kept only if it loads (see _stream); an unreadable file is moved to `skipped`.
                documents[doc_id] = {}
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
        will_change = bool(report.removed or to_embed)

        store_config = StoreConfig.from_settings(settings)
        factory_changed = previous is not None and _store_differs(previous, store_config, len(previous.chunks))
        # An older BM25 layout is rewritten from the stored chunks (no re-embedding).
        factory_changed = factory_changed or (
            previous is not None and previous.manifest.get("lexical_format") != LEXICAL_FORMAT
        )
        roots_changed = previous is None or previous.manifest.get("roots") != roots
        roots_changed = roots_changed or set(previous.manifest.get("excluded", [])) != excluded
        if previous is not None and not rebuild and not will_change and not factory_changed and not roots_changed:
            return _unchanged(report, previous, started)

        embedder = embedder or (embedder_factory or _default_embedder)(settings)
        chunker = Chunker(chunker_settings, embedder.count_tokens)
        if chunker_settings.chunk_size > embedder.max_tokens:
            raise IndexMismatchError(
                f"chunk_size {settings.chunk_size} is longer than embedder {settings.embedder!r} reads "
                f"({embedder.max_tokens} tokens); lower chunk_size"
            )
        dim = embedder.dimension
        checkpoint = Checkpoint.open(
            settings.index_dir, {"embedder": settings.embedder, "chunker": chunker_settings.as_dict()}, dim
        )
        fresh = _stream(to_embed, documents, report, checkpoint, embedder, chunker, settings, show_progress)
        if previous is not None and not rebuild and not report.changed and not factory_changed and not roots_changed:
            checkpoint.remove()  # every change was a file that could not be read
            return _unchanged(report, previous, started)

        # Assemble in document order so the row layout does not depend on what changed; vectors
        # are copied block by block into a memory-mapped file, never held all at once.
        old_source = previous_for_reuse
        counts = {
            d: (checkpoint.done[d].end - checkpoint.done[d].start) if d in fresh else len(old_rows.get(d, []))
            for d in documents
        }
        total = sum(counts.values())
        new_chunk_records = checkpoint.chunks(fresh)
        ck_vectors = checkpoint.vectors()
        embeddings = _scratch_matrix(checkpoint.directory / "assembled.npy", total, dim)
        chunks: list[Chunk] = []
        position = 0
        for doc_id in sorted(documents):
            if doc_id in fresh:
                done = checkpoint.done[doc_id]
                block = ck_vectors[done.start : done.end]
                chunks.extend(new_chunk_records.get(doc_id, []))
            elif old_source is not None and doc_id in old_rows:
                rows = old_rows[doc_id]
                block = (
                    old_source.embeddings[rows[0] : rows[-1] + 1] if _contiguous(rows) else old_source.embeddings[rows]
                )
                chunks.extend(old_source.chunks[i] for i in rows)
            else:
                continue
            embeddings[position : position + len(block)] = block
            position += len(block)
        del new_chunk_records
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
        del embeddings, ck_vectors
        checkpoint.remove()
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


@dataclass(frozen=True)
class _Pending:
    """A file to (re)index: loaded only when its batch comes."""

    doc_id: str
    path: Path
    base: Path
    root: str
    sha256: str
    old: dict | None


def _unreadable(report: IndexReport, documents: dict, doc_id: str, path: Path, reason: str, old: dict | None) -> None:
    if old is not None:
        log.warning("%s: %s; keeping the previously indexed version", printable(path), reason)
        documents[doc_id] = old
        report.kept_unreadable.append(doc_id)
    else:
        log.warning("skipped %s: %s", printable(path), reason)
        documents.pop(doc_id, None)
    report.skipped.append((str(path), reason))


def _unchanged(report: IndexReport, previous: StoredIndex, started: float) -> IndexReport:
    report.chunk_count = len(previous.chunks)
    report.document_count = len(previous.manifest["documents"])
    report.seconds = time.perf_counter() - started
    return report


def _contiguous(rows: list[int]) -> bool:
    return rows[-1] - rows[0] + 1 == len(rows)


def _scratch_matrix(path: Path, rows: int, dim: int) -> np.ndarray:
    if rows == 0:
        return np.zeros((0, dim), np.float32)
    return np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, dim))


def _stream(
    pending: list[_Pending],
    documents: dict,
    report: IndexReport,
    checkpoint: Checkpoint,
    embedder: Embedder,
    chunker: Chunker,
    settings: Settings,
    show_progress: bool,
) -> set[str]:
    """Load, chunk and embed `pending` in batches into the checkpoint; returns the doc ids it holds."""
    from tqdm.auto import tqdm

    fresh: set[str] = set()

    def prepare(item: _Pending) -> list[Chunk] | None:
        done = checkpoint.reusable(item.doc_id, item.sha256)
        if done is not None:  # embedded by an interrupted earlier run
            documents[item.doc_id] = done.info
            fresh.add(item.doc_id)
            report.resumed += 1
            progress.update(1)
            return None
        try:
            doc = load_file(item.path, item.base)
        except InputError as exc:
            for changed in (report.added, report.updated):
                if item.doc_id in changed:
                    changed.remove(item.doc_id)
            _unreadable(report, documents, item.doc_id, item.path, str(exc).split(": ", 1)[-1], item.old)
            progress.update(1)
            return None
        pieces = list(chunker.split(doc))
        documents[item.doc_id] = {
            "source": doc.source,
            "title": doc.title,
            "sha256": item.sha256,
            "path": doc.path,
            "root": item.root,
            "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "chunks": len(pieces),
        }
        return pieces

    batch_chunks = max(settings.embed_batch_size * 16, 16)
    started = time.perf_counter()
    with tqdm(total=len(pending), unit="doc", desc="indexing", disable=not show_progress, smoothing=0.1) as progress:
        for batch in batched_documents(pending, prepare, batch_chunks):
            texts = [c.text for _, pieces in batch for c in pieces]
            vectors = embedder.embed_documents(texts) if texts else np.zeros((0, checkpoint.dim), np.float32)
            checkpoint.append(
                [(item.doc_id, item.sha256, documents[item.doc_id], pieces) for item, pieces in batch], vectors
            )
            fresh.update(item.doc_id for item, _ in batch)
            report.chunks_embedded += len(texts)
            progress.update(len(batch))
            rate = report.chunks_embedded / max(time.perf_counter() - started, 1e-9)
            progress.set_postfix(chunks=report.chunks_embedded, chunks_per_s=f"{rate:.0f}")
    return fresh


def _stored_type(index: StoredIndex) -> tuple[str, str]:
    entry = index.manifest.get("vector_store", {})
    return entry.get("backend", "faiss"), index.manifest.get("index_type", index.manifest.get("index_factory", ""))


def _store_differs(index: StoredIndex, config: StoreConfig, n_chunks: int) -> bool:
    """Whether the store must be rebuilt (no re-embedding) to follow the settings."""
    entry = index.manifest.get("vector_store", {})
    if _stored_type(index) != (config.backend, config.index_type(n_chunks)):
        return True
    # nprobe / ef_search are query-time knobs (RetrievalOptions): no rebuild for them.
    return config.backend == "milvus" and entry.get("uri", "") != config.milvus_uri


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
