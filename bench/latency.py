"""Answer latency and quality of the local LLM per configuration, in one warm process.

For each configuration (evidence budget in prompt tokens, 0 = whole passages) every question of
the set is answered through the real pipeline; the same run records time to the quick answer,
time to the first LLM token, total time (p50/p95), prompt tokens, generation tokens/s, answer
correctness, refusals and citation validity, so a speed-up can never hide a quality loss.

Usage:
    python bench/latency.py [--budgets 0,150,250,400] [--limit N] [--out bench/latency_results.json]
    python bench/latency.py --squad2 ../shared/data/squad2 --limit 40 ...

The model is loaded and its fixed system prompt cached before timing (a warm process, as in the
UI). Configurations run in turn on the same questions; `--rounds 2` alternates them twice to
expose drift from other load on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))

from generator_eval import eval_settings, evaluate, load_question_set, warm  # noqa: E402

from rag.answer.pipeline import RagPipeline  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402

_SUMMARY_KEYS = (
    "correct_on_answerable",
    "false_refusal",
    "refusal_on_unanswerable",
    "cited_sentence_share",
    "cites_relevant_source",
    "quick_correct_on_answerable",
    "quick_ms",
    "first_token_ms",
    "total_ms",
    "prompt_tokens",
    "tokens_per_s",
)


def _pair(summary: dict, key: str, scale: float = 1.0, digits: int = 1) -> str:
    v = summary[key]
    return "/".join("—" if v[p] is None else f"{v[p] / scale:.{digits}f}" for p in ("p50", "p95"))


def _share(summary: dict, key: str) -> str:
    return "—" if summary[key] is None else f"{summary[key]:.3f}"


def _table(results: list[dict]) -> str:
    head = (
        "| evidence budget | correct | false refusals | refused unanswerable | cited sentences | quick answer p50/p95 ms "
        "| first token p50/p95 s | total p50/p95 s | prompt tokens p50 | tokens/s p50 |"
    )
    rows = [head, "|" + "---|" * 10]
    for r in results:
        s = r["summary"]
        rows.append(
            f"| {r['evidence_budget'] or 'whole passages'} | {_share(s, 'correct_on_answerable')} "
            f"| {_share(s, 'false_refusal')} | {_share(s, 'refusal_on_unanswerable')} "
            f"| {_share(s, 'cited_sentence_share')} | {_pair(s, 'quick_ms', 1, 0)} | {_pair(s, 'first_token_ms', 1000)} "
            f"| {_pair(s, 'total_ms', 1000)} | {s['prompt_tokens']['p50']} | {s['tokens_per_s']['p50']} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="0,250", help="evidence budgets to compare, comma-separated")
    parser.add_argument("--generator", default="local")
    parser.add_argument("--questions", default=str(REPO / "eval" / "seed_questions.jsonl"))
    parser.add_argument("--corpus", default=str(REPO / "seeds"))
    parser.add_argument("--squad2", help="SQuAD 2.0 sample folder instead of the seed set")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--refusal-threshold", type=float, help="override setting refusal_threshold")
    parser.add_argument("--out", default=str(REPO / "bench" / "latency_results.json"))
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        questions, corpus, dataset = load_question_set(args, Path(tmp))
        settings = eval_settings(args, Path(tmp), corpus)
        update_index(settings)
        started = time.perf_counter()
        pipeline = warm(RagPipeline.from_settings(settings), questions[0]["question"])
        warm_up_s = time.perf_counter() - started
        results: dict[int, list[dict]] = {b: [] for b in budgets}
        for _ in range(args.rounds):
            for budget in budgets:
                pipeline.settings = settings.replace(evidence_budget=budget)
                print(f"-- evidence_budget={budget}", file=sys.stderr, flush=True)
                results[budget].append(evaluate(pipeline, questions))
    report = []
    for budget in budgets:
        runs = results[budget]
        items = [item for run in runs for item in run["items"]]
        report.append(
            {
                "evidence_budget": budget,
                "summary": {k: runs[-1][k] for k in _SUMMARY_KEYS} if len(runs) == 1 else _merge(runs, items),
                "items": items,
            }
        )
    table = _table(report)
    print(table)
    out = {
        "dataset": dataset,
        "generator": args.generator,
        "questions": len(questions),
        "rounds": args.rounds,
        "warm_up_s": round(warm_up_s, 2),
        "refusal_threshold": settings.refusal_threshold,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "table": table,
        "configurations": report,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


def _merge(runs: list[dict], items: list[dict]) -> dict:
    """Summary over several rounds: shares averaged, latency percentiles over all answers."""
    from generator_eval import _pct, _present

    merged = {}
    for key in _SUMMARY_KEYS:
        if isinstance(runs[0][key], dict):  # latency percentiles: the items carry the same key
            merged[key] = _pct(_present(items, key))
        else:
            values = [r[key] for r in runs if r[key] is not None]
            merged[key] = sum(values) / len(values) if values else None
    return merged


if __name__ == "__main__":
    main()
