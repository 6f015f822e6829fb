"""Keep the index in line with its folders while they change (`rag index --watch`, `watch = true`).

A `FolderWatcher` listens for file-system events under the indexed roots (watchdog) and, once
they have been quiet for `debounce_s`, runs the ordinary incremental update (`update_index`):
new and changed files are embedded, deleted and renamed ones leave the index, everything else
is kept as stored. A burst of events (1,000 files copied in) becomes one update. A file modified
less than `settle_s` ago is still being written: the update waits for it rather than index half
of it. When another writer holds the index lock, the update is retried after `retry_s`; an
update that fails leaves the last good generation live (writes are atomic) and the watcher
goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rag.config import Settings
from rag.errors import IndexLockedError, IndexNotFoundError, RagError
from rag.index.generations import load_index
from rag.ingest.loaders import SUPPORTED_EXTENSIONS
from rag.ingest.plan import IndexReport
from rag.ingest.update import update_index
from rag.models.embedders import Embedder, create_embedder

__all__ = ["FolderWatcher"]

log = logging.getLogger(__name__)


class FolderWatcher:
    """Apply file changes under the index's roots to the index, in a background thread.

    Args:
        settings: the configuration (index dir, embedder, chunker).
        embedder: the embedder to reuse (a long-running front end passes its own); else one is
            created on the first change.
        on_update: called with each update's report (from the watcher's thread).
        debounce_s: quiet time after the last event before an update starts.
        settle_s: a file modified more recently than this is still being written.
        retry_s: wait before retrying when another writer holds the lock.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        on_update: Callable[[IndexReport], None] | None = None,
        debounce_s: float = 1.0,
        settle_s: float = 1.0,
        retry_s: float = 2.0,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.on_update = on_update
        self.debounce_s = debounce_s
        self.settle_s = settle_s
        self.retry_s = retry_s
        self._index_dir = Path(settings.index_dir).resolve()
        self._changed: set[Path] = set()
        self._last_event = 0.0
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None
        self._roots: tuple[str, ...] = ()
        self.updates = 0

    # -- life cycle

    def start(self, catch_up: bool = False) -> None:
        """Start watching the roots the index records. `catch_up`: also apply, first, what changed
        while nothing was watching (otherwise run `update_index` before)."""
        self._schedule(self._indexed_roots())
        if catch_up:
            with self._wake:
                self._changed.update(Path(root) for root in self._roots)
        self._thread = threading.Thread(target=self._run, name="rag-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; an update in progress finishes first (or leaves the last generation)."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=60)

    @property
    def roots(self) -> tuple[str, ...]:
        return self._roots

    def _indexed_roots(self) -> tuple[str, ...]:
        try:
            return tuple(load_index(self.settings.index_dir).manifest.roots)
        except IndexNotFoundError:
            return (str(Path(self.settings.corpus_dir).resolve()),)

    def _schedule(self, roots: tuple[str, ...]) -> None:
        from watchdog.observers import Observer

        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        observer = Observer()
        handler = _Handler(self)
        for root in roots:
            path = Path(root)
            if path.is_dir():
                observer.schedule(handler, str(path), recursive=True)
            elif path.parent.is_dir():
                observer.schedule(handler, str(path.parent), recursive=False)
            else:
                log.warning("not watching %s: it does not exist", root)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._roots = roots
        log.info("watching %s", ", ".join(roots))

    # -- events

    def notice(self, path: str) -> None:
        """Record a change at `path` (called by the observer's thread)."""
        p = Path(path)
        if not self._relevant(p):
            return
        with self._wake:
            self._changed.add(p)
            self._last_event = time.monotonic()
            self._wake.notify_all()

    def _relevant(self, path: Path) -> bool:
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):
            return False
        if resolved == self._index_dir or self._index_dir in resolved.parents:
            return False  # the index's own writes
        if any(part.startswith(".") for part in path.parts[-1:]):
            return False  # hidden files: editors' swap files, uploads being copied in
        # A folder (renamed or deleted with its files) or a file of a type the loaders read.
        return not path.suffix or path.suffix.lower() in SUPPORTED_EXTENSIONS or path.is_dir()

    def _still_written(self, paths: set[Path]) -> bool:
        now = time.time()
        for path in paths:
            try:
                if now - path.stat().st_mtime < self.settle_s:
                    return True
            except OSError:
                continue  # gone: a deletion, nothing to wait for
        return False

    # -- the update loop

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                while not self._changed and not self._stop.is_set():
                    self._wake.wait(timeout=1.0)
                if self._stop.is_set():
                    return
                quiet = time.monotonic() - self._last_event
                if quiet < self.debounce_s:
                    self._wake.wait(timeout=self.debounce_s - quiet)
                    continue
                batch = set(self._changed)
            if self._still_written(batch):
                self._stop.wait(self.settle_s / 2)
                continue
            with self._wake:
                self._changed -= batch
            if not self._update(batch):
                with self._wake:
                    self._changed |= batch
                self._stop.wait(self.retry_s)

    def _update(self, batch: set[Path]) -> bool:
        """One incremental update; False when it must be retried (the index is locked)."""
        if self.embedder is None:
            s = self.settings
            self.embedder = create_embedder(s.embedder, s.embed_batch_size, s.device, s.model_threads)
        try:
            report = update_index(self.settings, embedder=self.embedder)
        except IndexLockedError as exc:
            log.info("%s; retrying in %.0f s", exc, self.retry_s)
            return False
        except RagError as exc:
            log.warning("index not updated after %d changes: %s", len(batch), exc)
            return True
        self.updates += 1
        if self.on_update is not None:
            self.on_update(report)
        roots = self._indexed_roots()
        if roots != self._roots:
            self._schedule(roots)
        return True


class _Handler:
    """watchdog event handler: every created, modified, deleted or moved path is noticed."""

    def __init__(self, watcher: FolderWatcher) -> None:
        self.watcher = watcher

    def dispatch(self, event) -> None:
        if event.event_type not in ("created", "modified", "deleted", "moved", "closed"):
            return  # opened, closed_no_write: nothing changed
        self.watcher.notice(event.src_path)
        dest = getattr(event, "dest_path", "")
        if dest:
            self.watcher.notice(dest)
