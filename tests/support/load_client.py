"""Many gradio_client clients asking the UI's `/ask` API at once (tests/test_load.py, bench/ui_load.py)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

__all__ = ["percentile", "run_clients"]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values) + 0.4999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_clients(url: str, jobs: list[dict], clients: int, generator: str = "extractive") -> list[dict]:
    """Send `jobs` (dicts with `question`) over `clients` separate gradio_client connections.

    Job i goes to client i % clients; each client asks its jobs one after another. Returns one
    record per job: job, answer (dict or None), error (one-line text or None), seconds, started, finished.
    """
    from gradio_client import Client

    connections = [Client(url, verbose=False) for _ in range(clients)]
    queues: list[list[dict]] = [jobs[i::clients] for i in range(clients)]

    def serve(index: int) -> list[dict]:
        out = []
        for job in queues[index]:
            started = time.perf_counter()
            answer, error = None, None
            try:
                answer = connections[index].predict(job["question"], 0, generator, "", api_name="/ask")
            except Exception as exc:  # recorded: the caller decides what is acceptable
                error = " ".join(f"{type(exc).__name__}: {exc}".split())
            finished = time.perf_counter()
            out.append(
                {
                    "job": job,
                    "answer": answer,
                    "error": error,
                    "seconds": finished - started,
                    "started": started,
                    "finished": finished,
                }
            )
        return out

    with ThreadPoolExecutor(max_workers=clients) as pool:
        per_client = list(pool.map(serve, range(clients)))
    return [record for records in per_client for record in records]
