"""Choose the local LLM's refusal gate from measured refusal probabilities.

Usage:
    python eval/generator_eval.py --squad2 ../shared/data/squad2 --generator local --limit 200 \\
        --refusal-threshold 0.99 --no-refusal-evidence --out eval/results/squad2_local_refusal_p.json
    python eval/generator_eval.py --generator local --refusal-threshold 0.99 --no-refusal-evidence \\
        --out eval/results/seed_local_refusal_p.json
    python eval/calibrate_refusal.py --calibrate eval/results/squad2_local_refusal_p.json \\
        --check eval/results/seed_local_refusal_p.json --out eval/refusal_calibration.json

Run at threshold 0.99 with the evidence switched off, every answer records the probability p the
model gave the refusal's first token, the extractive evidence (best sentence score, whether the
extractive answer refused) and, unless p >= 0.99, the answer it writes when it may not refuse.
The outcome of any gate follows without running the model again: refused when p reaches the
answer's threshold (or when the retrieval gate, the grounding checks or the model's own text
refused), else the recorded answer.

Two gates are fitted on the calibration set and reported, unchanged, on the check sets:
- `p alone`: one threshold on p (the setting `refusal_threshold` with `refusal_evidence = false`);
- `with evidence` (`--evidence`, the default): a logistic regression of "unanswerable" on logit(p),
  the best sentence score and the extractive refusal gives the weights of `rag/answer/refusal.py`, and the
  threshold is then chosen with those weights.
A threshold is chosen by the mean of answer correctness on answerable and refusal rate on
unanswerable questions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answer.generators.base import finish_generation  # noqa: E402
from rag.answer.refusal import REFERENCE_SENTENCE_SCORE, RefusalEvidence, logit, threshold_for  # noqa: E402

GRID = [round(0.01 * n, 2) for n in range(1, 100)]


def _evidence(item: dict) -> RefusalEvidence | None:
    if item.get("evidence_score") is None:
        return None
    return RefusalEvidence(item["evidence_score"], bool(item.get("extractive_refused")))


def outcome(item: dict, threshold: float, weights: dict[str, float] | None = None) -> tuple[bool, bool]:
    """(refused, correct) of one recorded answer under a gate: `threshold` on p, moved per
    answer by the evidence when `weights` are given. The recorded text is read again by
    `finish_generation`, so runs made before a change to it are judged by today's rules."""
    p = item.get("refusal_probability")
    refused = item["refused"] or finish_generation(item["answer"]).refused
    if p is not None:
        if weights is not None:
            threshold = threshold_for(threshold, _evidence(item), **weights)
        refused = refused or p >= threshold
    correct = bool(item.get("correct")) and not refused
    return refused, correct


def scores(items: list[dict], threshold: float, weights: dict[str, float] | None = None) -> dict:
    answerable = [i for i in items if i["answerable"]]
    unanswerable = [i for i in items if not i["answerable"]]
    results = [outcome(i, threshold, weights) for i in answerable]
    correct = sum(c for _, c in results) / len(answerable) if answerable else None
    false_refusal = sum(r for r, _ in results) / len(answerable) if answerable else None
    refused = sum(outcome(i, threshold, weights)[0] for i in unanswerable) / len(unanswerable) if unanswerable else None
    balanced = (correct + refused) / 2 if correct is not None and refused is not None else None
    return {
        "threshold": threshold,
        "correct_on_answerable": correct,
        "false_refusal": false_refusal,
        "refusal_on_unanswerable": refused,
        "balanced": balanced,
    }


def choose(items: list[dict], weights: dict[str, float] | None = None) -> tuple[dict, list[dict]]:
    """The best threshold on the grid (ties: the one nearest 0.5), and the whole sweep."""
    table = [scores(items, t, weights) for t in GRID]
    return max(table, key=lambda row: (row["balanced"], -abs(row["threshold"] - 0.5))), table


def fit_weights(items: list[dict], l2: float = 1.0, steps: int = 5000, rate: float = 0.1) -> dict[str, float]:
    """Evidence weights of `rag/answer/refusal.py` from a logistic regression of "unanswerable" on
    logit(p), the best sentence score and the extractive refusal, expressed per unit of logit(p)."""
    rows = [i for i in items if i.get("refusal_probability") is not None and _evidence(i) is not None]
    if len(rows) < 10:
        raise SystemExit(
            "calibration set has too few answers with evidence features (record with --no-refusal-evidence)"
        )
    x = np.array(
        [[logit(i["refusal_probability"]), i["evidence_score"], float(bool(i["extractive_refused"]))] for i in rows]
    )
    y = np.array([0.0 if i["answerable"] else 1.0 for i in rows])
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / std
    w, b = np.zeros(3), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) + l2 * w) / len(y)
        b -= rate * float((p - y).mean())
    raw = w / std  # coefficients on the unscaled features
    if raw[0] <= 0:
        raise SystemExit("the model's refusal probability does not rise with unanswerable questions here")
    return {
        "sentence_weight": round(float(-raw[1] / raw[0]), 3),
        "extractive_refused_weight": round(float(raw[2] / raw[0]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", required=True, help="generator_eval output (threshold 0.99) to choose on")
    parser.add_argument("--check", nargs="*", default=[], help="further outputs to report at the chosen gates")
    parser.add_argument("--no-evidence", action="store_true", help="fit only the threshold on p")
    parser.add_argument("--out", help="write the sweeps and the choices as JSON")
    args = parser.parse_args()
    calibration = json.loads(Path(args.calibrate).read_text(encoding="utf-8"))["items"]
    gates: dict[str, dict[str, float] | None] = {"p_alone": None}
    if not args.no_evidence:
        gates["with_evidence"] = fit_weights(calibration)
    report: dict = {"calibration_set": args.calibrate, "reference_sentence_score": REFERENCE_SENTENCE_SCORE}
    for name, weights in gates.items():
        best, table = choose(calibration, weights)
        report[name] = {"weights": weights, "chosen": best, "sweep": table, "checks": {}}
        print(f"{name}: weights {weights}, threshold {best['threshold']} on {args.calibrate}")
        print(" ", {k: round(v, 3) for k, v in best.items() if k != "threshold"})
        for path in args.check:
            items = json.loads(Path(path).read_text(encoding="utf-8"))["items"]
            result = scores(items, best["threshold"], weights)
            report[name]["checks"][path] = result
            print(f"  check {path}:", {k: round(v, 3) for k, v in result.items() if k != "threshold"})
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
