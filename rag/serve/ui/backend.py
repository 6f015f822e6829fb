"""State shared by every browser session of the web UI: the `RagService` plus uploads and removals.

`UiBackend` answers through `RagService` (nothing here retrieves or prompts on its own), adds
uploads and removes documents.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

from rag.config import Settings
from rag.errors import IndexLockedError, IndexNotFoundError, InputError
from rag.index.generations import load_index
from rag.ingest.plan import root_label
from rag.ingest.update import IndexReport, remove_documents, update_index
from rag.models.embedders import Embedder
from rag.serve.service import ChatOptions, RagService
from rag.serve.ui.documents import DocumentPage, DocumentQuery, document_page
from rag.serve.ui.uploads import MAX_UPLOAD_BYTES, default_uploads_dir, is_inside, validate_upload

__all__ = ["ChatOptions", "UiBackend"]

log = logging.getLogger("rag.serve.ui")


class UiBackend(RagService):
    """State shared by every browser session: the `RagService` plus uploads and removals.

    Args:
        settings: the configuration; `index_dir` and `corpus_dir` as for the CLI.
        uploads_dir: where uploaded files are kept (default: `uploads/` next to the index).
        embedder: an embedder to use instead of the one named in settings (tests pass a fake).
        max_upload_bytes: size cap per uploaded file.
    """

    def __init__(
        self,
        settings: Settings,
        uploads_dir: str | Path | None = None,
        embedder: Embedder | None = None,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
    ) -> None:
        super().__init__(settings, embedder)
        self.uploads_dir = Path(uploads_dir) if uploads_dir is not None else default_uploads_dir(settings)
        self.max_upload_bytes = max_upload_bytes
        self._write_lock = threading.Lock()

    def ensure_index(self) -> IndexReport | None:
        """Build the index from `settings.corpus_dir` when there is none yet."""
        try:
            load_index(self.settings.index_dir)
            return None
        except IndexNotFoundError:
            pass
        log.info("no index in %s; indexing %s", self.settings.index_dir, self.settings.corpus_dir)
        with self._write_lock:
            report = update_index(self.settings, embedder=self.embedder(), show_progress=True)
        self.reload()
        log.info("indexed: %s", report.summary())
        return report

    # -- documents

    def documents(self, query: DocumentQuery | None = None) -> DocumentPage:
        """One page of the indexed documents (an empty page when nothing is indexed yet)."""
        try:
            documents = self.index().manifest.documents
        except IndexNotFoundError:
            documents = {}
        return document_page(documents, query)

    def _writing(self):
        if not self._write_lock.acquire(blocking=False):
            raise IndexLockedError("another upload or removal is running; try again when it has finished")
        return self._write_lock

    def add_files(self, files: Sequence[tuple[str | Path, str]], show_progress: bool = False) -> str:
        """Copy uploaded files (temporary path, original name) into the uploads folder and index them.

        A file that fails a check, or that the loaders cannot read, is reported and left out;
        nothing of it stays on disk or in the index. Returns a message for the page.

        Raises:
            RagError: the index could not be updated (nothing was changed).
        """
        problems: list[str] = []
        accepted: list[tuple[Path, str]] = []
        try:
            manifest = self.index().manifest
            excluded, labels = set(manifest.excluded), manifest.root_labels
        except IndexNotFoundError:
            excluded, labels = set(), {}
        uploads_root = str(self.uploads_dir.resolve())
        label = labels.get(uploads_root) or root_label(uploads_root, set(labels.values()))
        for path, name in files:
            try:
                safe = validate_upload(path, name, self.max_upload_bytes)
            except InputError as exc:
                problems.append(str(exc))
                continue
            if safe in [s for _, s in accepted]:
                problems.append(f"{safe}: given twice; only the first one is used")
                continue
            accepted.append((Path(path), safe))
        if not accepted:
            return "\n".join(problems) or "No file given."
        lock = self._writing()
        placed: list[tuple[Path, Path | None]] = []  # (target, backup of the file it replaced)
        try:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            for src, safe in accepted:
                target = self.uploads_dir / safe
                backup = None
                if target.exists():
                    backup = self.uploads_dir / f".backup-{uuid.uuid4().hex}-{safe}"
                    os.replace(target, backup)
                partial = self.uploads_dir / f".part-{uuid.uuid4().hex}-{safe}"
                shutil.copyfile(src, partial)
                os.replace(partial, target)
                placed.append((target, backup))
            # A name removed from the index earlier is excluded from re-scans until named again.
            paths: list[str | Path] = [self.uploads_dir] + [t for t, _ in placed if f"{label}/{t.name}" in excluded]
            try:
                report = update_index(self.settings, paths, embedder=self.embedder(), show_progress=show_progress)
            except BaseException:
                for target, backup in placed:
                    _restore(target, backup)
                raise
            skipped = {str(Path(p).resolve()): reason for p, reason in report.skipped}
            for target, backup in placed:
                reason = skipped.get(str(target.resolve()))
                if reason is not None:
                    problems.append(f"{target.name}: not added ({reason})")
                    _restore(target, backup)
                elif backup is not None:
                    backup.unlink(missing_ok=True)
        finally:
            lock.release()
            self.reload()
        lines = []
        if report.added:
            lines.append("Added: " + ", ".join(report.added))
        if report.updated:
            lines.append("Updated: " + ", ".join(report.updated))
        done = {d.split("/", 1)[-1] for d in report.added + report.updated} | {Path(p).name for p in skipped}
        unchanged = [t.name for t, _ in placed if t.name not in done]
        if unchanged:
            lines.append("Already indexed, unchanged: " + ", ".join(unchanged))
        lines.extend(problems)
        lines.append(f"Index: {report.document_count} documents, {report.chunk_count} chunks.")
        return "\n".join(lines)

    def remove(self, doc_id: str) -> str:
        """Remove a document from the index; an uploaded file is deleted too."""
        if not doc_id:
            raise InputError("choose a document to remove")
        info = self.index().manifest.documents.get(doc_id)
        if info is None:
            raise InputError(f"not in the index: {doc_id}")
        lock = self._writing()
        try:
            report = remove_documents(self.settings, [doc_id])
            path = Path(info.path)
            if is_inside(path, self.uploads_dir) and path.is_file():
                path.unlink()
        finally:
            lock.release()
            self.reload()
        return f"Removed {doc_id}. Index: {report.document_count} documents, {report.chunk_count} chunks."


def _restore(target: Path, backup: Path | None) -> None:
    target.unlink(missing_ok=True)
    if backup is not None:
        os.replace(backup, target)
