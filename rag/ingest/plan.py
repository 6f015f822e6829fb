"""What an index update has to do: scan the roots and compare the files with the manifest.

Unchanged documents (same SHA-256 of the raw bytes) keep their manifest records, and with them
their chunks and vectors; new and changed ones are listed to be loaded, chunked and embedded;
documents whose files are gone are dropped. A document that was indexed before but cannot be read
now keeps its previous record (with a warning), so a bad read never deletes data. Applying the
plan is `rag.ingest.update`'s job.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.errors import InputError
from rag.index.generations import StoredIndex
from rag.index.lexical import LEXICAL_FORMAT
from rag.index.manifest import SCHEMA_VERSION, DocumentRecord
from rag.index.stores import StoreConfig
from rag.ingest.loaders import discover_files
from rag.ingest.screening import SCREENING_VERSION
from rag.text import printable

__all__ = [
    "IndexReport",
    "Pending",
    "UpdatePlan",
    "plan_update",
    "record_unreadable",
    "layout_outdated",
    "log_store_change",
    "root_label",
]

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


@dataclass(frozen=True)
class Pending:
    """A file to (re)index: loaded only when its batch comes."""

    doc_id: str
    path: Path
    base: Path
    root: str
    sha256: str
    old: DocumentRecord | None


@dataclass
class UpdatePlan:
    """The roots to index and, per document id, its record; None marks a pending document, filled
    in once it is loaded (or dropped if it cannot be).

    `labels` maps each root to the first part of its documents' ids. `reuse_from` maps a kept
    document to the id its chunks and vectors are stored under in the previous generation when
    that differs (an index written with the old ids, a file renamed or moved, a copy whose
    original is gone): they are reused under the new id, not embedded again.
    """

    roots: list[str]
    excluded: set[str]
    documents: dict[str, DocumentRecord | None]
    pending: list[Pending]
    labels: dict[str, str] = field(default_factory=dict)
    reuse_from: dict[str, str] = field(default_factory=dict)


def root_label(root: str, taken: set[str]) -> str:
    """A label for a new root, unique among `taken`: its folder's name (a file root: the name of
    the folder holding it), then `name-2`, `name-3`, ..."""
    path = Path(root)
    name = (path.parent.name if path.is_file() else path.name) or "root"
    name = name.replace("/", "_")
    label, n = name, 1
    while label in taken:
        n += 1
        label = f"{name}-{n}"
    return label


def _labels(roots: list[str], previous: dict[str, str]) -> dict[str, str]:
    labels = {root: previous[root] for root in roots if root in previous}
    for root in roots:
        if root not in labels:
            labels[root] = root_label(root, set(labels.values()))
    return labels


def _legacy_ids(old_docs: dict[str, DocumentRecord], labels: dict[str, str]) -> dict[str, str]:
    """new id -> old id for an index written before ids named their root."""
    return {f"{labels[record.root]}/{doc_id}": doc_id for doc_id, record in old_docs.items() if record.root in labels}


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def plan_update(
    previous: StoredIndex | None,
    paths: list[str | Path] | None,
    corpus_dir: str,
    report: IndexReport,
    reembed: bool = False,
) -> UpdatePlan:
    """Compare the files under the roots with `previous` (None: index everything anew).

    The roots are those `previous` recorded plus `paths`; with neither, `corpus_dir`. A file named
    in `paths` that lies under a root already indexed is not a root of its own: it is only taken
    out of the documents removed by the user. Fills the report's added/updated/removed/unchanged
    lists and the files skipped so far. With `reembed`, `previous` gives only its roots and
    removed files: every document is embedded anew.

    A document's id is its root's label and its path under the root (`seeds/000_….txt`). Byte-
    identical files are embedded once: the first found is the document, the others point to it
    (`DocumentRecord.duplicate_of`).

    Raises:
        InputError: a path does not exist.
    """
    manifest = previous.manifest if previous is not None else None
    roots = [] if manifest is None else list(manifest.roots)
    explicit_files: list[Path] = []
    for p in paths or []:
        resolved = Path(p).resolve()
        if not resolved.exists():
            raise InputError(f"{p}: no such file or directory")
        if resolved.is_file() and any(Path(r).is_dir() and Path(r) in resolved.parents for r in roots):
            explicit_files.append(resolved)
        elif str(resolved) not in roots:
            roots.append(str(resolved))
    if not roots:
        corpus = Path(corpus_dir)
        if not corpus.exists():
            raise InputError(f"{corpus}: no such file or directory (set corpus_dir or pass PATHS)")
        roots.append(str(corpus.resolve()))
    labels = _labels(roots, {} if manifest is None else manifest.root_labels)

    old_docs = {} if manifest is None or reembed else dict(manifest.documents)
    excluded = set() if manifest is None else set(manifest.excluded)
    stored_as: dict[str, str] = {}  # id in this plan -> id in the previous generation
    if manifest is not None and manifest.documents and not manifest.root_labels:
        legacy = _legacy_ids(manifest.documents, labels)
        old_docs = {new: old_docs[old] for new, old in legacy.items() if old in old_docs}
        stored_as = dict(legacy)
        excluded = {f"{label}/{doc_id}" for doc_id in excluded for label in labels.values()}
    # Vectors of the previous generation by content: a renamed or moved file reuses them.
    by_content = {
        record.sha256: stored_as.get(doc_id, doc_id)
        for doc_id, record in old_docs.items()
        if record.chunks and not record.duplicate_of
    }
    documents: dict[str, DocumentRecord | None] = {}
    reuse_from: dict[str, str] = {}
    seen_paths: set[str] = set()
    first_with: dict[tuple[str, str], str] = {}  # (sha256, suffix) -> the document it names
    pending: list[Pending] = []
    missing_roots = []
    for root_str in roots:
        root = Path(root_str)
        if not root.exists():
            missing_roots.append(root_str)
            continue
        base = root.parent if root.is_file() else root
        for path in discover_files(root):
            resolved = str(path.resolve())
            if resolved in seen_paths:
                continue  # the same file reached through two roots: the first one names it
            seen_paths.add(resolved)
            doc_id = f"{labels[root_str]}/{path.relative_to(base).as_posix()}"
            if path.resolve() in explicit_files:
                excluded.discard(doc_id)
            if doc_id in excluded:
                continue
            if doc_id in documents:
                log.warning("skipped %s: document id %r is already taken; rename the file", printable(path), doc_id)
                report.skipped.append((str(path), f"document id {doc_id!r} is already taken"))
                continue
            digest = _sha256(path)
            old = old_docs.get(doc_id)
            if digest is None:
                record_unreadable(report, documents, doc_id, path, "cannot read the file", old)
                continue
            # Same bytes and same type: the same loader reads the same text, so it is embedded once.
            original = first_with.get((digest, path.suffix.lower()))
            if original is not None:
                first = documents.get(original)  # None while it waits to be loaded: titled after
                documents[doc_id] = DocumentRecord(
                    source=doc_id,
                    title=first.title if first is not None else path.name,
                    sha256=digest,
                    path=resolved,
                    root=root_str,
                    duplicate_of=original,
                )
                if old is None:
                    report.added.append(doc_id)
                elif old.sha256 != digest or old.duplicate_of != original:
                    report.updated.append(doc_id)
                else:
                    report.unchanged += 1
                continue
            first_with[(digest, path.suffix.lower())] = doc_id
            if old is not None and digest == old.sha256 and old.chunks and not old.duplicate_of:
                documents[doc_id] = old
                if stored_as.get(doc_id, doc_id) != doc_id:
                    reuse_from[doc_id] = stored_as[doc_id]
                report.unchanged += 1
                continue
            if digest in by_content:
                donor = by_content[digest]
                donor_record = manifest.documents[donor] if manifest is not None else None
                if donor_record is not None:
                    documents[doc_id] = replace(
                        donor_record, source=doc_id, path=resolved, root=root_str, duplicate_of=""
                    )
                    reuse_from[doc_id] = donor
                    (report.updated if old is not None else report.added).append(doc_id)
                    continue
            pending.append(Pending(doc_id, path, base, root_str, digest, old))
            # Kept only if it loads; an unreadable file is moved to `skipped`.
            documents[doc_id] = None
            (report.updated if old is not None else report.added).append(doc_id)
    for root_str in missing_roots:
        kept = [d for d, record in old_docs.items() if record.root == root_str]
        log.warning(
            "%s not found; keeping its %d indexed documents (run `rag index --rebuild` to drop them)",
            root_str,
            len(kept),
        )
        for doc_id in kept:
            if doc_id not in documents:
                documents[doc_id] = old_docs[doc_id]
                if stored_as.get(doc_id, doc_id) != doc_id:
                    reuse_from[doc_id] = stored_as[doc_id]
    report.removed = sorted(set(old_docs) - set(documents))
    return UpdatePlan(roots, excluded, documents, pending, labels, reuse_from)


def record_unreadable(
    report: IndexReport,
    documents: dict[str, DocumentRecord | None],
    doc_id: str,
    path: Path,
    reason: str,
    old: DocumentRecord | None,
) -> None:
    """A file that cannot be read: its previous version stays if it had one, else it is left out."""
    if old is not None:
        log.warning("%s: %s; keeping the previously indexed version", printable(path), reason)
        documents[doc_id] = old
        report.kept_unreadable.append(doc_id)
    else:
        log.warning("skipped %s: %s", printable(path), reason)
        documents.pop(doc_id, None)
    report.skipped.append((str(path), reason))


def layout_outdated(index: StoredIndex, config: StoreConfig) -> bool:
    """Whether the generation must be rewritten from its stored chunks and vectors (no
    re-embedding): an older schema, BM25 layout or instruction screening, or a vector store the
    settings no longer name."""
    manifest = index.manifest
    if manifest.schema_version != SCHEMA_VERSION or manifest.lexical_format != LEXICAL_FORMAT:
        return True
    if manifest.screening != SCREENING_VERSION:
        return True
    if manifest.stored_type != (config.backend, config.index_type(len(index.chunks))):
        return True
    # nprobe / ef_search are query-time knobs (RetrievalOptions): no rebuild for them.
    return config.backend == "milvus" and manifest.vector_store.get("uri", "") != config.milvus_uri


def log_store_change(previous: StoredIndex | None, config: StoreConfig, n_chunks: int) -> None:
    """Say so when the vector store's type changes with the corpus size (Flat to IVF, say)."""
    if previous is None:
        return
    before = previous.manifest.stored_type
    after = (config.backend, config.index_type(n_chunks))
    if before != after:
        log.warning(
            "%d chunks: vector store rebuilt as %s %s (was %s %s)", n_chunks, after[0], after[1], before[0], before[1]
        )
