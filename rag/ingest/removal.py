"""Take documents out of the index without re-embedding anything: one document (`rag.serve.ui`'s
remove button), or a whole root (`rag index --remove PATH`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.errors import InputError
from rag.index.generations import index_lock, load_index, save_index
from rag.index.stores import StoreConfig
from rag.ingest.plan import IndexReport, log_store_change

__all__ = ["remove_documents", "remove_root"]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def remove_documents(settings: Settings, doc_ids: list[str]) -> IndexReport:
    """Drop documents from the index (no re-embedding); later re-scans skip them.

    Raises:
        InputError: a doc id is not in the index.
    """
    started = time.perf_counter()
    with index_lock(settings.index_dir):
        index = load_index(settings.index_dir)
        documents = dict(index.manifest.documents)
        unknown = [d for d in doc_ids if d not in documents]
        if unknown:
            raise InputError(f"not in the index: {', '.join(unknown)}")
        keep = [i for i, c in enumerate(index.chunks) if c.doc_id not in set(doc_ids)]
        for doc_id in doc_ids:
            del documents[doc_id]
        manifest = index.manifest.replace(
            documents=documents,
            excluded=tuple(sorted(set(index.manifest.excluded) | set(doc_ids))),
            updated_at=_now(),
        )
        embeddings = (
            np.asarray(index.embeddings[keep]) if keep else np.zeros((0, index.embeddings.shape[1]), np.float32)
        )
        store_config = StoreConfig.from_settings(settings)
        log_store_change(index, store_config, len(keep))
        save_index(settings.index_dir, manifest, [index.chunks[i] for i in keep], embeddings, store_config)
    return IndexReport(
        removed=sorted(doc_ids),
        chunk_count=len(keep),
        document_count=len(documents),
        written=True,
        seconds=time.perf_counter() - started,
    )


def remove_root(settings: Settings, root: str | Path) -> IndexReport:
    """Stop indexing a folder (or file) given to `rag index` before: its documents leave the
    index (no re-embedding), and re-scans no longer visit it.

    Raises:
        InputError: `root` is not one of the index's roots.
    """
    started = time.perf_counter()
    wanted = str(Path(root).resolve())
    with index_lock(settings.index_dir):
        index = load_index(settings.index_dir)
        manifest = index.manifest
        if wanted not in manifest.roots:
            known = ", ".join(manifest.roots) or "none"
            raise InputError(f"{root} is not an indexed folder (indexed: {known})")
        gone = {doc_id for doc_id, record in manifest.documents.items() if record.root == wanted}
        documents = {
            doc_id: record
            for doc_id, record in manifest.documents.items()
            if doc_id not in gone and record.duplicate_of not in gone
        }
        keep = [i for i, c in enumerate(index.chunks) if c.doc_id in documents]
        label = manifest.root_labels.get(wanted, "")
        updated = manifest.replace(
            documents=documents,
            roots=tuple(r for r in manifest.roots if r != wanted),
            root_labels={r: lab for r, lab in manifest.root_labels.items() if r != wanted},
            excluded=tuple(e for e in manifest.excluded if not (label and e.startswith(f"{label}/"))),
            updated_at=_now(),
        )
        embeddings = (
            np.asarray(index.embeddings[keep]) if keep else np.zeros((0, index.embeddings.shape[1]), np.float32)
        )
        save_index(
            settings.index_dir,
            updated,
            [index.chunks[i] for i in keep],
            embeddings,
            StoreConfig.from_settings(settings),
        )
    return IndexReport(
        removed=sorted(set(manifest.documents) - set(documents)),
        chunk_count=len(keep),
        document_count=len(documents),
        written=True,
        seconds=time.perf_counter() - started,
    )
