"""rag.ingest.watch: file changes under a watched root reach the index (hash embedder)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.errors import IndexLockedError
from rag.index.generations import check_index, index_lock, load_index
from rag.ingest.update import update_index
from rag.ingest.watch import FolderWatcher
from tests.support.fake_rag import FAKE_RAG_ENV
from tests.support.paths import REPO


def wait_for(condition, timeout: float = 15.0) -> float:
    """Seconds until `condition()` held; fails the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def documents(settings) -> set[str]:
    try:
        return set(load_index(settings.index_dir).manifest.documents)
    except Exception:
        return set()


@pytest.fixture
def watcher(settings, embedder):
    update_index(settings, embedder=embedder)
    reports = []
    w = FolderWatcher(settings, embedder=embedder, on_update=reports.append, debounce_s=0.2, settle_s=0.2, retry_s=0.2)
    w.reports = reports
    w.start()
    yield w
    w.stop()


def test_created_modified_renamed_and_deleted_files_reach_the_index(watcher, settings, corpus):
    (corpus / "tea.txt").write_text("Tea\n\nOolong tea comes from Fujian province.\n", encoding="utf-8")
    wait_for(lambda: "corpus/tea.txt" in documents(settings))
    (corpus / "tea.txt").write_text("Tea\n\nPu-erh tea comes from Yunnan province.\n", encoding="utf-8")
    wait_for(lambda: any("Yunnan" in c.text for c in load_index(settings.index_dir).chunks))
    os.replace(corpus / "tea.txt", corpus / "yunnan-tea.txt")
    wait_for(lambda: {"corpus/yunnan-tea.txt"} <= documents(settings) and "corpus/tea.txt" not in documents(settings))
    (corpus / "yunnan-tea.txt").unlink()
    wait_for(lambda: "corpus/yunnan-tea.txt" not in documents(settings))
    assert documents(settings) == {"corpus/apples.txt", "corpus/rivers.md", "corpus/chips.html"}
    assert check_index(load_index(settings.index_dir)) == []


def test_a_new_subfolder_and_files_of_other_types(watcher, settings, corpus):
    (corpus / "notes").mkdir()
    (corpus / "notes" / "a.md").write_text("# A\n\nAlpha is the first letter.\n", encoding="utf-8")
    (corpus / "notes" / "ignored.bin").write_bytes(b"\x00\x01")
    wait_for(lambda: "corpus/notes/a.md" in documents(settings))
    assert not any("ignored" in d for d in documents(settings))


def test_a_burst_of_files_ends_in_one_consistent_index(watcher, settings, corpus):
    for i in range(300):
        (corpus / f"burst-{i:04d}.txt").write_text(f"Item {i}\n\nItem number {i} is filed here.\n", encoding="utf-8")
    wait_for(lambda: len(documents(settings)) == 303, timeout=60)
    time.sleep(0.5)
    assert len(watcher.reports) <= 3  # batched, not one update per file
    assert check_index(load_index(settings.index_dir)) == []


def test_a_file_still_being_written_is_indexed_whole(watcher, settings, corpus):
    path = corpus / "growing.txt"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Growing\n\nThe first half is here.")
        fh.flush()
        for _ in range(6):  # keeps being written for longer than the debounce and settle times
            time.sleep(0.1)
            fh.write(" More text.")
            fh.flush()
        fh.write(" The second half ends the file.\n")
    wait_for(lambda: "corpus/growing.txt" in documents(settings))
    time.sleep(1.0)  # any later update would have run by now
    text = " ".join(c.text for c in load_index(settings.index_dir).chunks if c.doc_id == "corpus/growing.txt")
    assert "second half ends the file" in text


def test_a_locked_index_is_retried_not_skipped(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    w = FolderWatcher(settings, embedder=embedder, debounce_s=0.1, settle_s=0.1, retry_s=0.2)
    w.start()
    try:
        with index_lock(settings.index_dir):
            (corpus / "late.txt").write_text("Late\n\nThis file waited for the lock.\n", encoding="utf-8")
            time.sleep(1.0)
            assert "corpus/late.txt" not in documents(settings)
        wait_for(lambda: "corpus/late.txt" in documents(settings))
    finally:
        w.stop()


def test_the_watcher_holds_the_writer_lock_while_it_updates(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    with index_lock(settings.index_dir), pytest.raises(IndexLockedError, match="wait for it to finish"):
        update_index(settings, embedder=embedder)


def test_rag_index_watch_applies_changes_and_stops_on_ctrl_c(tmp_path: Path):
    root, index_dir, proc = _start_watch(tmp_path)
    try:
        wait_for(lambda: (index_dir / "CURRENT").exists(), timeout=30)
        time.sleep(0.5)  # the observer is running once the first update is written
        (root / "second.txt").write_text("Second\n\nThe Kunlun mountains are in the west.\n", encoding="utf-8")
        seconds = wait_for(
            lambda: (
                "docs/second.txt" in set(load_index(index_dir).manifest.documents)
                if (index_dir / "CURRENT").exists()
                else False
            ),
            timeout=10,
        )
        assert seconds < 10
        (root / "first.txt").unlink()
        wait_for(lambda: "docs/first.txt" not in set(load_index(index_dir).manifest.documents), timeout=10)
    finally:
        proc.send_signal(2)  # Ctrl-C
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.startswith("indexed: ") and out.count("indexed: ") >= 3
    assert "watching" in err and "Traceback" not in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_rag_index_watch_stops_cleanly_even_when_started_with_ctrl_c_ignored(tmp_path: Path, signum):
    """`nohup rag index --watch` and `cmd &` in a script start it with SIGINT ignored."""
    root, index_dir, proc = _start_watch(tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        wait_for(lambda: (index_dir / "CURRENT").exists(), timeout=30)
        time.sleep(0.5)
    finally:
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopping" in err and "Traceback" not in err


def _start_watch(tmp_path: Path, **popen) -> tuple[Path, Path, subprocess.Popen]:
    """`rag index --watch docs` (the fake-model CLI) on a folder holding one file."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "first.txt").write_text("First\n\nThe first file.\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_rag", "--index-dir", str(index_dir), "index", "--watch", str(root)],
        env=FAKE_RAG_ENV,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
    return root, index_dir, proc
