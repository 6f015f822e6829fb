"""Crash safety (issue 7): SIGKILL `rag index`, `rag batch` and `rag eval` at random points.

The processes are the real `rag` command line (`python -m tests.support.fake_rag`, which only swaps in the
hash embedder so each start takes a second, not a model load). Kill points are drawn between 30 %
and 120 % of a measured uncut run (fsync and os.replace slowed by 30 ms each to widen the window
between writing a generation and switching CURRENT), so they land in start-up, chunking,
embedding and writing whatever the machine's speed. `RAG_KILL_TRIALS` sets the number of index trials (default 20).

After every kill: the index loads, `check_index` finds FAISS = BM25 = chunk records = manifest,
what a reader sees is exactly the old or exactly the new generation, and a re-run completes it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.index.generations import check_index, load_index
from tests.support.fake_rag import FAKE_RAG_ENV

TRIALS = int(os.environ.get("RAG_KILL_TRIALS", "20"))
ENV = {**FAKE_RAG_ENV, "RAG_GENERATOR": "extractive", "RAG_FAKE_EMBED_DELAY": "0.02"}
SLOW_IO = {"RAG_FAKE_IO_DELAY": "0.03"}  # ~0.5 s between the first fsync of a generation and CURRENT
WORDS = (
    "otter beaver heron river bank dam census bend willow reed salmon trout kingfisher flood "
    "spring autumn survey ranger count nest burrow meadow estuary tide"
).split()


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.support.fake_rag", *args]


def _run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(_cmd(*args), cwd=cwd, env={**ENV, **(env or {})}, capture_output=True, text=True, timeout=900)


def _timed_kill(args: list[str], cwd: Path, delay: float, env: dict | None = None) -> int | None:
    """Start `rag ARGS`, SIGKILL it after `delay` seconds; its return code if it finished first."""
    proc = subprocess.Popen(
        _cmd(*args), cwd=cwd, env={**ENV, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        return proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


def _write_doc(path: Path, rng: random.Random, sentences: int) -> None:
    text = ". ".join(" ".join(rng.choices(WORDS, k=12)).capitalize() for _ in range(sentences)) + "."
    path.write_text(f"{path.stem}\n\n{text}\n", encoding="utf-8")


def _mutate(corpus: Path, rng: random.Random, trial: int) -> None:
    """Add, edit and delete a few files so the next `rag index` has real work of every kind."""
    files = sorted(corpus.glob("*.txt"))
    for path in rng.sample(files, min(3, len(files))):
        path.unlink()
    for path in rng.sample(sorted(corpus.glob("*.txt")), 8):
        _write_doc(path, rng, rng.randint(2, 10))
    for i in range(10):
        _write_doc(corpus / f"t{trial:02d}_{i}.txt", rng, rng.randint(2, 10))


def _state(index_dir: Path) -> tuple[frozenset, frozenset]:
    index = load_index(index_dir)  # raises if a reader would see a broken index
    problems = check_index(index)
    assert problems == [], problems
    docs = frozenset((d, info.sha256) for d, info in index.manifest.documents.items())
    return docs, frozenset(c.chunk_id for c in index.chunks)


def _expected_docs(corpus: Path) -> frozenset:
    import hashlib

    return frozenset(
        (f"{corpus.name}/{p.name}", hashlib.sha256(p.read_bytes()).hexdigest())
        for p in corpus.glob("*.txt")
        if p.read_bytes().strip()
    )


def test_kill_index_at_random_points(tmp_path):
    rng = random.Random(7)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(400):
        _write_doc(corpus / f"d{i:03d}.txt", rng, rng.randint(2, 10))
    first = _run("index", "corpus", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    # Calibrate on an uncut run of one trial's work (it includes process start-up).
    _mutate(corpus, rng, 99)
    started = time.monotonic()
    assert _run("index", cwd=tmp_path, env=SLOW_IO).returncode == 0
    full = time.monotonic() - started
    outcomes = {"old": 0, "new": 0, "finished": 0}
    trial = 0
    while outcomes["old"] + outcomes["new"] < TRIALS:  # TRIALS kills that really cut a run short
        assert trial < 3 * TRIALS, outcomes
        before = _state(tmp_path / "index")
        _mutate(corpus, rng, trial)
        code = _timed_kill(["index"], tmp_path, rng.uniform(0.2, 1.1) * full, env=SLOW_IO)
        seen = _state(tmp_path / "index")
        rerun = _run("index", "--json", cwd=tmp_path)
        assert rerun.returncode == 0 and "Traceback" not in rerun.stderr, (trial, rerun.stderr)
        after = _state(tmp_path / "index")
        assert after[0] == _expected_docs(corpus), f"trial {trial}: re-run did not complete the index"
        assert seen in (before, after), f"trial {trial}: a half-updated index was visible"
        if code is not None:
            outcomes["finished"] += 1
            full *= 0.85  # this machine is faster now: kill earlier
        else:
            outcomes["new" if seen == after and seen != before else "old"] += 1
        leftovers = [p.name for p in (tmp_path / "index").iterdir() if p.name.startswith(".tmp-")]
        assert leftovers == [], f"trial {trial}: {leftovers} left after a completed run"
        trial += 1
    check = _run("index", "--check", cwd=tmp_path)
    assert check.returncode == 0 and check.stdout.startswith("ok: "), check.stderr
    print(
        f"kill loop: {TRIALS} kills in {trial} trials, killed with old index {outcomes['old']}, killed after the switch "
        f"{outcomes['new']}, finished before the kill {outcomes['finished']}; last kill window {full:.1f}s"
    )


def test_second_writer_is_refused_with_a_clear_message_and_nothing_breaks(tmp_path):
    rng = random.Random(3)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(150):
        _write_doc(corpus / f"d{i:03d}.txt", rng, 6)
    slow = {"RAG_FAKE_EMBED_DELAY": "0.5"}  # the first writer holds the lock for a few seconds
    first = subprocess.Popen(
        _cmd("index", "corpus"),
        cwd=tmp_path,
        env={**ENV, **slow},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp_path / "index" / ".lock"
    deadline = time.monotonic() + 300
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert first.poll() is None and time.monotonic() < deadline, "first writer never took the lock"
        time.sleep(0.05)
    second = _run("index", "corpus", cwd=tmp_path)
    out, err = first.communicate(timeout=900)
    assert first.returncode == 0, err
    assert second.returncode != 0 and "Traceback" not in second.stderr
    message = second.stderr.strip()
    assert len(message.splitlines()) == 1 and "is being written by pid" in message and "try again" in message
    docs, _ = _state(tmp_path / "index")
    assert docs == _expected_docs(corpus)


def _questions(path: Path, count: int) -> list[str]:
    ids = [f"q{i:03d}" for i in range(count)]
    lines = [
        json.dumps({"id": q, "question": f"Where does the otter census count {WORDS[i % len(WORDS)]}?"})
        for i, q in enumerate(ids)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def _answered_ids(path: Path, killed: bool = False) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if killed and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]  # a line cut by the kill; the next run repairs it
    rows = [json.loads(line) for line in text.splitlines()]  # every other line whole
    assert not any(r.get("failed") for r in rows)
    return [r["id"] for r in rows]


@pytest.fixture
def small_index(tmp_path) -> Path:
    rng = random.Random(5)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(20):
        _write_doc(corpus / f"d{i:03d}.txt", rng, 5)
    assert _run("index", "corpus", cwd=tmp_path).returncode == 0
    return tmp_path


@pytest.mark.parametrize("command", ["batch", "eval"])
def test_kill_batch_and_eval_midway_then_resume_without_duplicates_or_losses(command, small_index):
    work = small_index
    ids = _questions(work / "q.jsonl", 40)
    args = ["batch", "q.jsonl", "-o", "a.jsonl"] if command == "batch" else ["eval", "q.jsonl", "--out", "run"]
    answers = work / ("a.jsonl" if command == "batch" else "run/answers.jsonl")
    slow = {"RAG_FAKE_ASK_DELAY": "0.1"}
    rng = random.Random(11)
    kills = 0
    for _ in range(4):
        progress = len(answers.read_text().splitlines()) if answers.exists() else 0
        deadline = time.monotonic() + 300
        proc = subprocess.Popen(
            _cmd(*args), cwd=work, env={**ENV, **slow}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # Kill once it has written a few more answers (a random number), mid-question.
        target = progress + rng.randint(2, 6)
        while proc.poll() is None and (not answers.exists() or len(answers.read_text().splitlines()) < target):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.1))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        done = _answered_ids(answers, killed=True) if answers.exists() else []
        assert len(done) == len(set(done)) and set(done) <= set(ids)
    assert kills >= 3
    final = _run(*args, cwd=work)
    assert final.returncode == 0, final.stderr
    done = _answered_ids(answers)
    assert sorted(done) == ids, "lost or duplicated answers"
    if command == "eval":
        assert (work / "run" / "report.md").exists()
    again = _run(*args, cwd=work)
    assert ("answered 0" in again.stdout) and sorted(_answered_ids(answers)) == ids
