"""Bring the index in line with the files on disk: embed only what changed.

`rag.ingest.plan` decides what changed; this module loads, chunks and embeds the new and changed
documents in batches (through the resumable checkpoint), keeps the stored chunks and vectors of
the others, and writes the new generation. An index written with an older schema, BM25 layout or
vector store is rewritten from what it stores, without re-embedding and without loading a model.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, InputError
from rag.index.generations import StoredIndex, index_lock, load_index, save_index
from rag.index.manifest import DocumentRecord, Manifest
from rag.index.stores import StoreConfig
from rag.ingest.checkpoint import Checkpoint, batched_documents
from rag.ingest.chunking import Chunker, ChunkerSettings
from rag.ingest.loaders import load_file
from rag.ingest.plan import (
    IndexReport,
    Pending,
    UpdatePlan,
    layout_outdated,
    log_store_change,
    plan_update,
    record_unreadable,
)
from rag.ingest.screening import SCREENING_VERSION, screen_document
from rag.ingest.titles import TITLES_VERSION
from rag.models.embedders import Embedder, create_embedder
from rag.types import Chunk

__all__ = ["IndexReport", "remove_documents", "remove_root", "update_index"]

# Removal has its own module; re-exported here, where callers have always found it.
from rag.ingest.removal import remove_documents, remove_root  # noqa: E402

log = logging.getLogger(__name__)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def update_index(
    settings: Settings,
    paths: list[str | Path] | None = None,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    show_progress: bool = False,
    reembed: bool = False,
) -> IndexReport:
    """Index `paths` (added to the roots already indexed) into `settings.index_dir`.

    Args:
        settings: the configuration (index dir, embedder, chunker, factory string).
        paths: files or folders to add; with none, the roots recorded in the index are re-scanned
            (or `settings.corpus_dir` for a new index).
        rebuild: start from scratch: forget previous roots and re-embed everything.
        embedder: an embedder to use; otherwise one is created when something must be embedded.
        show_progress: draw progress bars on stderr.
        reembed: when the index was built with another embedder or chunker than the settings
            name, embed every document anew under the same roots (`make run` after the default
            embedder changed) instead of refusing.
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
        chunker_settings = ChunkerSettings(
            settings.chunk_size, settings.chunk_overlap, settings.embedder, settings.chunk_embedding
        )
        stale = False
        if previous is not None and not rebuild:
            try:
                previous.require_compatible(settings.embedder, chunker_settings.as_dict())
            except IndexMismatchError:
                if not reembed:
                    raise
                stale = True
                log.warning(
                    "the index was built with embedder %s and chunker %s; re-embedding its %d documents with %s and %s",
                    previous.manifest.embedder,
                    previous.manifest.chunker,
                    len(previous.manifest.documents),
                    settings.embedder,
                    chunker_settings.as_dict(),
                )
        reuse = None if rebuild or stale else previous
        plan = plan_update(None if rebuild else previous, paths, settings.corpus_dir, report, reembed=stale)

        retitled = _retitle(plan, previous, settings) if previous is not None and reuse is not None else False
        store_config = StoreConfig.from_settings(settings)
        outdated = previous is not None and (layout_outdated(previous, store_config) or retitled)
        roots_changed = (
            previous is None
            or previous.manifest.roots != tuple(plan.roots)
            or set(previous.manifest.excluded) != plan.excluded
            or previous.manifest.root_labels != plan.labels
            or bool(plan.reuse_from)
        )
        nothing_to_write = previous is not None and not rebuild and not stale and not outdated and not roots_changed
        if nothing_to_write and not report.removed and not plan.pending:
            return _unchanged(report, previous, started)

        # A model is loaded only when there is something to embed (or no vectors to take the size from).
        if embedder is None and (plan.pending or reuse is None):
            embedder = _default_embedder(settings)
        chunker = None
        if embedder is not None:
            chunker = Chunker(chunker_settings, embedder.count_tokens)
            if chunker_settings.chunk_size > embedder.max_tokens:
                raise IndexMismatchError(
                    f"chunk_size {settings.chunk_size} is longer than embedder {settings.embedder!r} reads "
                    f"({embedder.max_tokens} tokens); lower chunk_size"
                )
            dim = embedder.dimension
        else:
            assert reuse is not None
            dim = int(reuse.embeddings.shape[1])
        checkpoint = Checkpoint.open(
            settings.index_dir, {"embedder": settings.embedder, "chunker": chunker_settings.as_dict()}, dim
        )
        fresh: set[str] = set()
        if plan.pending:
            assert embedder is not None and chunker is not None
            fresh = _stream(plan, report, checkpoint, embedder, chunker, settings, show_progress)
        if nothing_to_write and not report.changed:
            checkpoint.remove()  # every change was a file that could not be read
            return _unchanged(report, previous, started)

        chunks, embeddings = _assemble(plan, fresh, checkpoint, reuse, dim)
        if reuse is not None and reuse.manifest.screening != SCREENING_VERSION:
            chunks = _rescreen(chunks, fresh, plan)
        documents = _kept_records(plan.documents)
        manifest = Manifest(
            embedder=settings.embedder,
            dimension=dim,
            chunker=chunker_settings.as_dict(),
            documents=documents,
            roots=tuple(plan.roots),
            excluded=tuple(sorted(plan.excluded)),
            updated_at=_now(),
            screening=SCREENING_VERSION,
            root_labels=dict(plan.labels),
            titles=TITLES_VERSION,
        )
        log_store_change(previous, store_config, len(chunks))
        save_index(settings.index_dir, manifest, chunks, embeddings, store_config)
        del embeddings
        checkpoint.remove()
        report.written = True
        report.chunk_count = len(chunks)
        report.document_count = len(documents)
        report.seconds = time.perf_counter() - started
        return report


def _unchanged(report: IndexReport, previous: StoredIndex, started: float) -> IndexReport:
    report.chunk_count = len(previous.chunks)
    report.document_count = len(previous.manifest.documents)
    report.seconds = time.perf_counter() - started
    return report


def _assemble(
    plan: UpdatePlan, fresh: set[str], checkpoint: Checkpoint, reuse: StoredIndex | None, dim: int
) -> tuple[list[Chunk], np.ndarray]:
    """Chunks and vectors of the new generation, in document order so the row layout does not
    depend on what changed; vectors are copied block by block into a memory-mapped file, never
    held all at once. Fresh documents come from the checkpoint, the others from `reuse`."""
    old_rows: dict[str, list[int]] = {}
    if reuse is not None:
        for row, chunk in enumerate(reuse.chunks):
            old_rows.setdefault(chunk.doc_id, []).append(row)
    counts = {
        d: (checkpoint.done[d].end - checkpoint.done[d].start)
        if d in fresh
        else len(old_rows.get(plan.reuse_from.get(d, d), []))
        for d in plan.documents
    }
    new_chunk_records = checkpoint.chunks(fresh)
    ck_vectors = checkpoint.vectors()
    embeddings = _scratch_matrix(checkpoint.directory / "assembled.npy", sum(counts.values()), dim)
    chunks: list[Chunk] = []
    position = 0
    for doc_id in sorted(plan.documents):
        stored = plan.reuse_from.get(doc_id, doc_id)
        if doc_id in fresh:
            done = checkpoint.done[doc_id]
            block = ck_vectors[done.start : done.end]
            chunks.extend(new_chunk_records.get(doc_id, []))
        elif reuse is not None and stored in old_rows:
            rows = old_rows[stored]
            block = reuse.embeddings[rows[0] : rows[-1] + 1] if _contiguous(rows) else reuse.embeddings[rows]
            title = plan.documents[doc_id].title if plan.documents[doc_id] is not None else None
            if stored == doc_id:
                chunks.extend(_titled(reuse.chunks[i], title) for i in rows)
            else:  # the same text under a new id: its chunks renamed, its vectors as stored
                chunks.extend(_titled(_renamed(reuse.chunks[i], doc_id), title) for i in rows)
        else:
            continue
        embeddings[position : position + len(block)] = block
        position += len(block)
    return chunks, embeddings


def _rescreen(chunks: list[Chunk], fresh: set[str], plan: UpdatePlan) -> list[Chunk]:
    """Kept chunks screened again by the current rules (the index was screened by others, or
    by none), their documents' flagged counts updated; no re-embedding."""
    by_document: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_document.setdefault(chunk.doc_id, []).append(chunk)
    screened = [
        chunk
        for doc_id, group in by_document.items()
        for chunk in (group if doc_id in fresh else screen_document(group))
    ]
    flagged: dict[str, int] = {}
    for chunk in screened:
        flagged[chunk.doc_id] = flagged.get(chunk.doc_id, 0) + chunk.flagged
    for doc_id, record in plan.documents.items():
        if record is not None and doc_id not in fresh and record.flagged != flagged.get(doc_id, 0):
            plan.documents[doc_id] = replace(record, flagged=flagged.get(doc_id, 0))
    return screened


def _titled(chunk: Chunk, title: str | None) -> Chunk:
    return chunk if title is None or chunk.title == title else replace(chunk, title=title)


def _retitle(plan: UpdatePlan, previous: StoredIndex, settings: Settings) -> bool:
    """Titles of kept documents by the current rules, for an index titled by older ones: each file
    is read again for its title only; nothing is embedded. An index whose chunks were embedded
    under their titles (`chunk_embedding = "title+text"`) keeps its titles until files change.
    True when the index must be rewritten."""
    if previous.manifest.titles == TITLES_VERSION:
        return False
    if settings.chunk_embedding != "text":
        return False
    pending = {item.doc_id for item in plan.pending}
    for doc_id, record in list(plan.documents.items()):
        if record is None or doc_id in pending or record.duplicate_of:
            continue
        path = Path(record.path)
        base = Path(record.root).parent if Path(record.root).is_file() else Path(record.root)
        try:
            title = load_file(path, base).title
        except (InputError, ValueError):
            continue  # unreadable now: the stored title stays
        if title != record.title:
            plan.documents[doc_id] = replace(record, title=title)
    return True


def _renamed(chunk: Chunk, doc_id: str) -> Chunk:
    return replace(chunk, doc_id=doc_id, source=doc_id, chunk_id=Chunk.make_id(doc_id, chunk.start))


def _kept_records(documents: dict[str, DocumentRecord | None]) -> dict[str, DocumentRecord]:
    """The records of the new generation: documents with chunks, and copies of those (titled
    after their original, which was only loaded now); a copy of a file that could not be read
    goes with it."""
    kept = {k: v for k, v in documents.items() if v is not None and v.chunks}
    for doc_id, record in documents.items():
        if record is not None and record.duplicate_of and record.duplicate_of in kept:
            original = kept[record.duplicate_of]
            kept[doc_id] = replace(record, title=original.title, pages=original.pages, page_label=original.page_label)
    return kept


def _contiguous(rows: list[int]) -> bool:
    return rows[-1] - rows[0] + 1 == len(rows)


def _scratch_matrix(path: Path, rows: int, dim: int) -> np.ndarray:
    if rows == 0:
        return np.zeros((0, dim), np.float32)
    return np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, dim))


def _stream(
    plan: UpdatePlan,
    report: IndexReport,
    checkpoint: Checkpoint,
    embedder: Embedder,
    chunker: Chunker,
    settings: Settings,
    show_progress: bool,
) -> set[str]:
    """Load, chunk and embed the plan's pending documents in batches into the checkpoint, filling
    in their records; returns the doc ids it holds."""
    from tqdm.auto import tqdm

    documents = plan.documents
    fresh: set[str] = set()

    def prepare(item: Pending) -> list[Chunk] | None:
        done = checkpoint.reusable(item.doc_id, item.sha256)
        if done is not None:  # embedded by an interrupted earlier run
            documents[item.doc_id] = done.info
            fresh.add(item.doc_id)
            report.resumed += 1
            progress.update(1)
            return None
        try:
            doc = replace(load_file(item.path, item.base), doc_id=item.doc_id, source=item.doc_id)
        except InputError as exc:
            for changed in (report.added, report.updated):
                if item.doc_id in changed:
                    changed.remove(item.doc_id)
            reason = str(exc).split(": ", 1)[-1]
            record_unreadable(report, documents, item.doc_id, item.path, reason, item.old)
            for copy_id, copy in list(documents.items()):  # its byte-identical copies fail alike
                if copy is not None and copy.duplicate_of == item.doc_id:
                    for changed in (report.added, report.updated):
                        if copy_id in changed:
                            changed.remove(copy_id)
                    record_unreadable(report, documents, copy_id, Path(copy.path), reason, None)
            progress.update(1)
            return None
        pieces = screen_document(list(chunker.split(doc)), doc.hidden)
        documents[item.doc_id] = DocumentRecord(
            source=doc.source,
            title=doc.title,
            sha256=item.sha256,
            path=doc.path,
            root=item.root,
            indexed_at=_now(),
            chunks=len(pieces),
            flagged=sum(chunk.flagged for chunk in pieces),
            notes=doc.notes,
            pages=len(doc.pages),
            page_label=doc.page_label,
        )
        return pieces

    batch_chunks = max(settings.embed_batch_size * 16, 16)
    started = time.perf_counter()
    with tqdm(
        total=len(plan.pending), unit="doc", desc="indexing", disable=not show_progress, smoothing=0.1
    ) as progress:

        def store(batch: list) -> None:
            texts = [chunker.settings.embedding_text(c) for _, pieces in batch for c in pieces]
            vectors = embedder.embed_documents(texts) if texts else np.zeros((0, checkpoint.dim), np.float32)
            checkpoint.append(
                [(item.doc_id, item.sha256, documents[item.doc_id], pieces) for item, pieces in batch], vectors
            )
            fresh.update(item.doc_id for item, _ in batch)
            report.chunks_embedded += len(texts)
            progress.update(len(batch))
            rate = report.chunks_embedded / max(time.perf_counter() - started, 1e-9)
            progress.set_postfix(chunks=report.chunks_embedded, chunks_per_s=f"{rate:.0f}")

        # The next batch is loaded, chunked and screened while this one is embedded and stored: the
        # embedder keeps every core busy only while it runs (bench/results.json, index_to_encode_ratio).
        with ThreadPoolExecutor(1, thread_name_prefix="embed") as embedding:
            stored = None
            for batch in batched_documents(plan.pending, prepare, batch_chunks):
                if stored is not None:
                    stored.result()
                stored = embedding.submit(store, batch)
            if stored is not None:
                stored.result()
    return fresh


def _default_embedder(settings: Settings) -> Embedder:
    return create_embedder(
        settings.embedder, batch_size=settings.embed_batch_size, device=settings.device, threads=settings.model_threads
    )
