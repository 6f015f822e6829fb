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
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError
from rag.index.generations import StoredIndex
from rag.index.lexical import LEXICAL_FORMAT
from rag.index.manifest import SCHEMA_VERSION, DocumentRecord
from rag.index.stores import StoreConfig
from rag.ingest.loaders import discover_files
from rag.ingest.screening import SCREENING_VERSION
from rag.text import printable

__all__ = ["IndexReport", "Pending", "UpdatePlan", "plan_update", "record_unreadable", "layout_outdated"]

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
    in once it is loaded (or dropped if it cannot be)."""

    roots: list[str]
    excluded: set[str]
    documents: dict[str, DocumentRecord | None]
    pending: list[Pending]


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

    The roots are those `previous` recorded plus `paths`; with neither, `corpus_dir`. Fills the
    report's added/updated/removed/unchanged lists and the files skipped so far. With `reembed`,
    `previous` gives only its roots and removed files: every document is embedded anew.

    Raises:
        InputError: a path does not exist, or two files would get the same document id.
    """
    roots = [] if previous is None else list(previous.manifest.roots)
    for p in paths or []:
        resolved = str(Path(p).resolve())
        if not Path(resolved).exists():
            raise InputError(f"{p}: no such file or directory")
        if resolved not in roots:
            roots.append(resolved)
    if not roots:
        corpus = Path(corpus_dir)
        if not corpus.exists():
            raise InputError(f"{corpus}: no such file or directory (set corpus_dir or pass PATHS)")
        roots.append(str(corpus.resolve()))

    old_docs = {} if previous is None or reembed else previous.manifest.documents
    # Documents removed by the user stay out of re-scans until they are indexed again by name.
    excluded = set() if previous is None else set(previous.manifest.excluded)
    for p in paths or []:
        if Path(p).is_file():
            excluded.discard(Path(p).name)
    documents: dict[str, DocumentRecord | None] = {}
    owners: dict[str, str] = {}
    pending: list[Pending] = []
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
            if old is not None and digest == old.sha256:
                documents[doc_id] = old
                report.unchanged += 1
                continue
            if digest is None:
                record_unreadable(report, documents, doc_id, path, "cannot read the file", old)
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
            documents.setdefault(doc_id, old_docs[doc_id])
    report.removed = sorted(set(old_docs) - set(documents))
    return UpdatePlan(roots, excluded, documents, pending)


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
