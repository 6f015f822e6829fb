"""Choose the local LLM's `refusal_threshold` from measured refusal probabilities.

Usage:
    python eval/generator_eval.py --squad2 ../shared/data/squad2 --generator local --limit 80 \\
        --refusal-threshold 0.99 --out eval/results/squad2_local_refusal_p.json
    python eval/generator_eval.py --generator local --refusal-threshold 0.99 \\
        --out eval/results/seed_local_refusal_p.json
    python eval/calibrate_refusal.py --calibrate eval/results/squad2_local_refusal_p.json \\
        --check eval/results/seed_local_refusal_p.json

Run at threshold 0.99, every answer records the probability p the model gave the refusal's
first token, and (unless p >= 0.99) the answer it writes when it is not allowed to refuse. The
outcome at any lower threshold t follows without running the model again: refused when p >= t
(or when the retrieval gate or the model's own text refused), else the recorded answer. The
threshold is chosen on the calibration set (maximising the mean of answer correctness on
answerable and refusal rate on unanswerable questions) and reported, unchanged, on the check set.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.generators.base import finish_generation  # noqa: E402


def outcome(item: dict, threshold: float) -> tuple[bool, bool]:
    """(refused, correct) of one recorded answer at `threshold`. The recorded text is read again
    by `finish_generation`, so runs made before a change to it are judged by today's rules."""
    p = item.get("refusal_probability")
    refused = item["refused"] or finish_generation(item["answer"]).refused
    if p is not None:
        refused = refused or p >= threshold
    correct = bool(item.get("correct")) and not refused
    return refused, correct


def scores(items: list[dict], threshold: float) -> dict:
    answerable = [i for i in items if i["answerable"]]
    unanswerable = [i for i in items if not i["answerable"]]
    results = [outcome(i, threshold) for i in answerable]
    correct = sum(c for _, c in results) / len(answerable) if answerable else None
    false_refusal = sum(r for r, _ in results) / len(answerable) if answerable else None
    refused = sum(outcome(i, threshold)[0] for i in unanswerable) / len(unanswerable) if unanswerable else None
    balanced = (correct + refused) / 2 if correct is not None and refused is not None else None
    return {
        "threshold": threshold,
        "correct_on_answerable": correct,
        "false_refusal": false_refusal,
        "refusal_on_unanswerable": refused,
        "balanced": balanced,
    }


def sweep(items: list[dict]) -> list[dict]:
    grid = [round(0.02 * n, 2) for n in range(1, 50)]
    return [scores(items, t) for t in grid]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", required=True, help="generator_eval output (threshold 0.99) to choose on")
    parser.add_argument("--check", nargs="*", default=[], help="further outputs to report at the chosen threshold")
    parser.add_argument("--out", help="write the sweep and the choice as JSON")
    args = parser.parse_args()
    calibration = json.loads(Path(args.calibrate).read_text(encoding="utf-8"))["items"]
    table = sweep(calibration)
    best = max(table, key=lambda row: (row["balanced"], -abs(row["threshold"] - 0.5)))
    greedy = scores(calibration, 0.5)
    report = {"calibration_set": args.calibrate, "chosen": best, "greedy_equivalent": greedy, "sweep": table}
    print(f"calibration {args.calibrate}: chosen threshold {best['threshold']}")
    print(json.dumps({"chosen": best, "at_0.5": greedy}, indent=1))
    report["checks"] = {}
    for path in args.check:
        items = json.loads(Path(path).read_text(encoding="utf-8"))["items"]
        report["checks"][path] = {"chosen": scores(items, best["threshold"]), "at_0.5": scores(items, 0.5)}
        print(f"check {path}:")
        print(json.dumps(report["checks"][path], indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
