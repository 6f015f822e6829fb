"""Benchmarks of the long-running doors (called by bench/run.py, sections `api` and `watch`).

- api: what the OpenAI-compatible API adds to an answer. The same seed questions are answered
  in turn through `RagService.ask` directly and through `rag serve`'s app with the openai client
  on loopback (extractive writer, warm), so their ratio is the HTTP + JSON overhead.
- watch: how soon a watched folder's change is answerable: seconds from writing a file to the
  index generation that holds it (default debounce and settle times, 1 s each), one file at a
  time, and for 1,000 files written in a burst (updates used, total seconds).
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from rag.config import load_settings
from rag.index.generations import live_generation, load_index
from rag.ingest.update import update_index
from rag.ingest.watch import FolderWatcher
from rag.models.embedders import create_embedder
from rag.serve.openai_api import create_app, serving_in_background
from rag.serve.service import ChatOptions, RagService

REPO = Path(__file__).resolve().parent.parent


def _percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "n": len(ordered)}


def bench_api(rounds: int) -> dict:
    import openai

    settings = load_settings(overrides={"generator": "extractive"})
    update_index(settings)
    service = RagService(settings)
    questions = [
        json.loads(line)["question"]
        for line in (REPO / "eval" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    options = ChatOptions(generator="extractive")
    direct_ms, api_ms, first_chunk_ms = [], [], []
    with serving_in_background(create_app(service)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        service.ask(questions[0], options=options)  # warm
        client.chat.completions.create(model="rag", messages=[{"role": "user", "content": questions[0]}])
        for _ in range(rounds):
            for q in questions:
                messages = [{"role": "user", "content": q}]
                t = time.perf_counter()
                service.ask(q, options=options)
                direct_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                client.chat.completions.create(model="rag", messages=messages)
                api_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                for chunk in client.chat.completions.create(model="rag", messages=messages, stream=True):
                    if chunk.choices and chunk.choices[0].delta.content:
                        first_chunk_ms.append((time.perf_counter() - t) * 1000)
                        break
    direct, api = _percentiles(direct_ms), _percentiles(api_ms)
    return {
        "questions": len(direct_ms),
        "direct_ask": direct,
        "api_chat_completion": api,
        "api_stream_first_content": _percentiles(first_chunk_ms),
        "api_over_direct_p50": round(api["p50_ms"] / direct["p50_ms"], 3),
    }


def bench_watch(files: int = 5, burst: int = 1000) -> dict:
    settings_dir = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    try:
        docs = settings_dir / "docs"
        shutil.copytree(REPO / "seeds", docs)
        settings = load_settings(overrides={"index_dir": str(settings_dir / "index"), "corpus_dir": str(docs)})
        embedder = create_embedder(settings.embedder)
        update_index(settings, embedder=embedder)
        watcher = FolderWatcher(settings, embedder=embedder)
        watcher.start()
        try:
            single = []
            for i in range(files):
                name = f"single-{i}.txt"
                started = time.perf_counter()
                (docs / name).write_text(
                    f"Note {i}\n\nThe lantern of pier {i} was relit on Monday.\n", encoding="utf-8"
                )
                # Documents are named under their folder ("docs/single-0.txt").
                while f"{docs.name}/{name}" not in load_index(settings.index_dir).manifest.documents:
                    time.sleep(0.02)
                single.append(time.perf_counter() - started)
            before, updates_before = live_generation(settings.index_dir), watcher.updates
            started = time.perf_counter()
            for i in range(burst):
                (docs / f"burst-{i:04d}.txt").write_text(
                    f"Ledger {i}\n\nShelf {i} of the archive holds {i * 3} folders.\n", encoding="utf-8"
                )
            written = time.perf_counter() - started
            while len(load_index(settings.index_dir).manifest.documents) < 5 + files + burst:
                time.sleep(0.05)
            burst_s = time.perf_counter() - started
            assert live_generation(settings.index_dir) != before
        finally:
            watcher.stop()
        return {
            "single_file_to_index_s": {
                "p50": round(statistics.median(single), 2),
                "max": round(max(single), 2),
                "n": len(single),
            },
            "burst": {
                "files": burst,
                "write_s": round(written, 2),
                "to_index_s": round(burst_s, 2),
                "updates": watcher.updates - updates_before,
            },
            "debounce_s": watcher.debounce_s,
            "settle_s": watcher.settle_s,
        }
    finally:
        shutil.rmtree(settings_dir, ignore_errors=True)
