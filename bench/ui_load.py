"""Latency of the UI's `/ask` API under N concurrent gradio_client clients on 127.0.0.1.

    nice -n 19 .venv/bin/python bench/ui_load.py --clients 20 --generator extractive --out bench/ui_load.json

Starts the app in this process on a copy of seeds/ (real packaged embedder), sends every client
the seed questions the extractive generator answers, and writes p50/p95/max latency, errors and
"queue is full" replies to `--out`. With `--generator local` it shows the queue behaviour of the
local LLM (answers are serialised by the model; expect long waits on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=2, help="questions each client asks in turn")
    parser.add_argument("--generator", default="extractive", choices=("extractive", "local"))
    parser.add_argument("--concurrency", type=int, default=4, help="Gradio queue workers (RAG_UI_CONCURRENCY)")
    parser.add_argument("--out", default="bench/ui_load.json")
    args = parser.parse_args(argv)

    from tests.test_load import _questions

    from app import build_app
    from rag.config import load_settings
    from rag.serve.ui import UiBackend
    from tests.support.load_client import percentile, run_clients

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "seeds", work / "seeds")
        settings = load_settings(
            env={},
            overrides={
                "index_dir": str(work / "index"),
                "corpus_dir": str(work / "seeds"),
                "generator": args.generator,
            },
        )
        backend = UiBackend(settings, uploads_dir=work / "uploads")
        backend.ensure_index()
        backend.warm_up()
        demo = build_app(settings, backend, concurrency=args.concurrency)
        _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
        try:
            questions = _questions()
            jobs = [questions[i % len(questions)] for i in range(args.clients * args.per_client)]
            started = time.perf_counter()
            results = run_clients(url, jobs, clients=args.clients, generator=args.generator)
            wall = time.perf_counter() - started
        finally:
            demo.close()
    ok = sorted(r["seconds"] for r in results if not r["error"])
    errors = [r["error"] for r in results if r["error"]]
    figures = {
        "generator": args.generator,
        "clients": args.clients,
        "requests": len(results),
        "queue_workers": args.concurrency,
        "answered": len(ok),
        "busy": sum("queue is full" in e.lower() for e in errors),
        "errors": [e for e in errors if "queue is full" not in e.lower()][:5],
        "p50_s": round(percentile(ok, 50), 3),
        "p95_s": round(percentile(ok, 95), 3),
        "max_s": round(ok[-1], 3) if ok else None,
        "wall_s": round(wall, 1),
        "cpus": os.cpu_count(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = Path(args.out)
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps(figures, indent=2) + "\n")
    tmp_out.replace(out)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
