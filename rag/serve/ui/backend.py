"""State shared by every browser session of the web UI: one embedder, the loaded index, generators.

`UiBackend` answers through `RagPipeline` (nothing here retrieves or prompts on its own), adds
uploads and removes documents.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.answer.generators import Generator, create_generator, local_generator_available
from rag.answer.pipeline import RagPipeline
from rag.config import Settings
from rag.errors import ConfigError, IndexLockedError, IndexNotFoundError, InputError
from rag.index.generations import StoredIndex, load_index
from rag.ingest.update import IndexReport, remove_documents, update_index
from rag.models.embedders import Embedder, create_embedder
from rag.models.locked import LockedEmbedder
from rag.serve.ui.render import document_rows
from rag.serve.ui.uploads import MAX_UPLOAD_BYTES, default_uploads_dir, is_inside, validate_upload
from rag.types import Answer, Hit, StreamEvent

__all__ = ["ChatOptions", "UiBackend"]

log = logging.getLogger("rag.serve.ui")


@dataclass(frozen=True)
class ChatOptions:
    """Per-question choices made in the page."""

    generator: str = "extractive"
    top_k: int | None = None
    hosted_base_url: str | None = None
    hosted_model: str | None = None


class UiBackend:
    """State shared by every browser session: settings, one embedder, the loaded index, generators.

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
        self.settings = settings
        self.uploads_dir = Path(uploads_dir) if uploads_dir is not None else default_uploads_dir(settings)
        self.max_upload_bytes = max_upload_bytes
        self._embedder: LockedEmbedder | None = LockedEmbedder(embedder) if embedder is not None else None
        self._index: StoredIndex | None = None
        self._generators: dict[tuple, Generator] = {}
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()

    # -- components, loaded on first use

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                s = self.settings
                self._embedder = LockedEmbedder(
                    create_embedder(s.embedder, s.embed_batch_size, s.device, s.model_threads)
                )
            return self._embedder

    def warm_up(self) -> None:
        """Load the embedding model now (it otherwise loads on the first question), and a local
        LLM with its fixed system prompt already read, so the first answer is as fast as the rest."""
        _ = self.embedder().dimension
        if self.default_generator() == "local":
            self._generator(self._settings_for(ChatOptions(generator="local"))).warm_up()

    def index(self) -> StoredIndex:
        with self._lock:
            if self._index is None:
                index = load_index(self.settings.index_dir)
                index.require_compatible(self.settings.embedder)
                self._index = index
            return self._index

    def reload(self) -> None:
        """Forget the loaded index; the next question reads the live generation from disk."""
        with self._lock:
            self._index = None

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

    def generator_choices(self) -> list[str]:
        """Generators the page may offer: extractive always, local when installed, hosted."""
        local = ["local"] if local_generator_available(self.settings) else []
        return ["extractive", *local, "hosted"]

    def default_generator(self) -> str:
        choices = self.generator_choices()
        wanted = self.settings.generator
        if wanted == "auto":
            wanted = "local" if "local" in choices else "extractive"
        return wanted if wanted in choices else "extractive"

    def _settings_for(self, options: ChatOptions) -> Settings:
        if options.generator not in ("extractive", "local", "hosted"):
            raise ConfigError(f"unknown generator {options.generator!r}; choose extractive, local or hosted")
        if options.generator == "local" and "local" not in self.generator_choices():
            raise ConfigError("the local generator is not installed here: pip install -e '.[local]'")
        changes: dict = {"generator": options.generator, "top_k": options.top_k}
        if options.generator == "hosted":
            changes["hosted_base_url"] = (options.hosted_base_url or "").strip() or None
            changes["hosted_model"] = (options.hosted_model or "").strip() or None
        try:
            return self.settings.replace(**changes)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad setting: {exc}") from None

    def _generator(self, settings: Settings) -> Generator:
        key = (settings.generator, settings.hosted_base_url, settings.hosted_model)
        if settings.generator != "hosted":
            key = (settings.generator,)
        with self._lock:
            if key not in self._generators:
                if len(self._generators) > 8:  # hosted endpoints typed in the page: keep a few
                    for old_key in [k for k in self._generators if k[0] == "hosted"]:
                        self._generators.pop(old_key)
                self._generators[key] = create_generator(settings, self.embedder())
            return self._generators[key]

    def pipeline(self, options: ChatOptions) -> RagPipeline:
        """A pipeline for one question, sharing the loaded embedder, index and generator."""
        settings = self._settings_for(options)
        embedder = self.embedder()
        index = self.index()
        return RagPipeline(settings=settings, embedder=embedder, generator=self._generator(settings), index=index)

    # -- questions

    def stream(
        self, question: str, previous: Sequence[str] = (), options: ChatOptions | None = None
    ) -> Iterator[StreamEvent]:
        """Answer `question` (a follow-up is searched together with the earlier question); the final
        event's answer carries the user's question and the `search_query` that was used."""
        options = options or ChatOptions(generator=self.default_generator())
        yield from self.pipeline(options).stream(question, options.top_k, history=previous)

    def ask(self, question: str, previous: Sequence[str] = (), options: ChatOptions | None = None) -> Answer:
        options = options or ChatOptions(generator=self.default_generator())
        return self.pipeline(options).ask(question, options.top_k, history=previous)

    def retrieve(self, query: str, k: int | None = None) -> list[Hit]:
        return self.pipeline(ChatOptions(generator="extractive", top_k=k)).retrieve(query, k)

    def ranking_description(self) -> str:
        """How the playground's passages are ranked, in words."""
        s = self.settings
        if s.retrieval == "hybrid":
            how = f"ranked by hybrid search (BM25 + dense, {s.fusion} fusion)"
        else:
            how = f"ranked by {s.retrieval} search"
        return how + (f", reranked by {s.reranker}" if s.reranker else "")

    # -- documents

    def documents(self) -> list[list]:
        try:
            manifest = self.index().manifest
        except IndexNotFoundError:
            return []
        return document_rows(manifest.documents, self.uploads_dir)

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
            documents = self.index().manifest.documents
            excluded = set(self.index().manifest.excluded)
        except IndexNotFoundError:
            documents, excluded = {}, set()
        for path, name in files:
            try:
                safe = validate_upload(path, name, self.max_upload_bytes)
            except InputError as exc:
                problems.append(str(exc))
                continue
            owner = documents.get(safe)
            if owner is not None and not is_inside(owner.path, self.uploads_dir):
                problems.append(
                    f"{safe}: a document with this name is already indexed from {owner.source}; rename the file"
                )
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
            paths: list[str | Path] = [self.uploads_dir] + [t for t, _ in placed if t.name in excluded]
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
        done = set(report.added) | set(report.updated) | {Path(p).name for p in skipped}
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
