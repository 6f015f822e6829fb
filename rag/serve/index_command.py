"""`rag index`: update the index (incremental), check it, remove a root, or keep watching its
folders; registered by `rag.serve.cli`."""

from __future__ import annotations

import argparse
import json
import sys

from rag.config import Settings
from rag.index.manifest import Manifest

__all__ = ["cmd_index"]


def _store_name(manifest: Manifest) -> str:
    backend = "Milvus" if manifest.store_backend == "milvus" else "FAISS"
    return f"{backend} ({manifest.index_type})" if manifest.index_type else backend


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from rag.index.generations import check_index, load_index

    if args.check:
        index = load_index(settings.index_dir)
        problems = check_index(index)
        for problem in problems:
            print(f"problem: {problem}", file=sys.stderr)
        if not problems:
            print(
                f"ok: {len(index.manifest.documents)} documents, {len(index.chunks)} chunks; "
                f"{_store_name(index.manifest)} vectors, BM25, embeddings and manifest consistent"
            )
        return 1 if problems else 0
    from rag.ingest.update import remove_root, update_index

    if args.remove:
        for root in args.remove:
            removed = remove_root(settings, root)
            print(f"removed {root}: {len(removed.removed)} documents; index: {removed.document_count} documents")
        if not args.paths and not args.watch:
            return 0
    embedder = None
    if args.watch:  # loaded once, so each change is indexed within seconds
        from rag.models.embedders import create_embedder

        _stop_on_signals()  # before the first update, which can take minutes on a large folder

        embedder = create_embedder(
            settings.embedder, settings.embed_batch_size, settings.device, settings.model_threads
        )
    report = update_index(
        settings,
        args.paths,
        rebuild=args.rebuild,
        embedder=embedder,
        show_progress=sys.stderr.isatty(),
        reembed=args.reembed,
    )
    if args.json:
        print(json.dumps({**report.__dict__}, default=list))
    else:
        print(("indexed: " if report.written else "index up to date: ") + report.summary())
    if args.watch:
        return _watch(settings, embedder, json_lines=args.json)
    return 0 if report.document_count else 1


def _watch(settings: Settings, embedder, json_lines: bool) -> int:
    """Apply file changes until Ctrl-C, printing one line per update."""
    import time

    from rag.ingest.watch import FolderWatcher

    def show(report) -> None:
        if json_lines:
            print(json.dumps({**report.__dict__}, default=list), flush=True)
        else:
            print(f"{time.strftime('%H:%M:%S')} indexed: {report.summary()}", flush=True)

    watcher = FolderWatcher(settings, embedder=embedder, on_update=show)
    watcher.start()
    print(f"watching {', '.join(watcher.roots)} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        watcher.stop()
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the watcher cleanly, also when the parent started it with SIGINT
    ignored (`nohup`, `cmd &` in a script), which the interpreter would otherwise inherit."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
