"""Calibrate the faithfulness judges on HaluEval QA and cache the result in rag/evaluate/judge_calibration.json (package data).

Usage:
    python eval/calibrate_judges.py --judge overlap   # tune on items 0-249, measure on 250-499
    python eval/calibrate_judges.py --judge llm --limit 40   # local 1.5B model, items 250-289 (slow)
    python eval/calibrate_judges.py --judge nli --nli-model PATH [--limit N]

The verifier and the overlap judge are also measured on the unread half of
eval/verifier_written.jsonl (claims reworded by other writers), which reports show beside the
HaluEval figure. The overlap judge's weights and threshold are grid-searched on the first half
(tuning split) and its accuracy/AUROC are reported on the second half only; the chosen values are
printed so they can be set as DEFAULT_WEIGHTS / DEFAULT_THRESHOLD in rag/evaluation/judges.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.config import load_settings  # noqa: E402
from rag.evaluate.calibration import calibrate, calibrate_claims, claim_text, read_halueval  # noqa: E402
from rag.evaluate.calibration_store import save_calibration  # noqa: E402
from rag.evaluate.judges import OverlapJudge, create_judge, overlap_features  # noqa: E402
from rag.evaluate.metrics import auroc  # noqa: E402
from rag.jsonl import iter_jsonl_objects  # noqa: E402
from rag.models.embedders import create_embedder  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "halueval" / "qa_sample500.jsonl"
SPLIT = 250
WRITTEN = Path(__file__).resolve().parent / "verifier_written.jsonl"


def _features(items: list[dict], embedder) -> list[tuple[dict, bool]]:
    """Overlap features of both answers of each item; the knowledge is embedded once per item."""
    from rag.text import split_sentences

    rows = []
    for item in items:
        sentences = [s.text for s in split_sentences(item["knowledge"])] or [item["knowledge"]]
        claims = [
            claim_text(item["question"], item["right_answer"]),
            claim_text(item["question"], item["hallucinated_answer"]),
        ]
        vectors = embedder.embed_documents(sentences + claims)
        for claim, vector, label in zip(claims, vectors[len(sentences) :], (True, False), strict=True):
            features = overlap_features(claim, [item["knowledge"]])
            features["similarity"] = max(0.0, min(1.0, float((vectors[: len(sentences)] @ vector).max())))
            rows.append((features, label))
    return rows


def _evaluate(judge: OverlapJudge, rows: list[tuple[dict, bool]]) -> tuple[float, float]:
    scores = [round(judge.score(f), 6) for f, _ in rows]
    labels = [y for _, y in rows]
    accuracy = sum((s >= judge.threshold) == y for s, y in zip(scores, labels, strict=True)) / len(rows)
    return accuracy, auroc(scores, labels) or 0.0


_KEYS = ("words", "window", "numbers", "names", "similarity")


def _matrix(rows: list[tuple[dict, bool]]):
    import numpy as np

    values = np.array([[f.get(k) if f.get(k) is not None else np.nan for k in _KEYS] for f, _ in rows])
    return values, np.array([y for _, y in rows])


def _best_threshold(scores, labels) -> tuple[float, float]:
    import numpy as np

    best = (-1.0, 0.0)
    for threshold in np.unique(np.round(scores, 3)):
        acc = float(np.mean((scores >= threshold) == labels))
        if acc > best[0]:
            best = (acc, float(threshold))
    return best


def tune_overlap(items: list[dict], embedder) -> dict:
    import numpy as np

    tune_rows, test_rows = _features(items[:SPLIT], embedder), _features(items[SPLIT:], embedder)
    tune_x, tune_y = _matrix(tune_rows)
    defined = ~np.isnan(tune_x)
    filled = np.nan_to_num(tune_x)
    best = None
    grid = [0.0, 0.1, 0.2, 0.3, 0.4]
    for w in itertools.product(grid, repeat=5):
        if sum(w) == 0:
            continue
        weight = np.array(w)
        denom = (defined * weight).sum(axis=1)
        scores = np.where(denom > 0, (filled * weight).sum(axis=1) / np.where(denom > 0, denom, 1), 0.0)
        acc, threshold = _best_threshold(scores, tune_y)
        if best is None or acc > best[0]:
            best = (acc, dict(zip(_KEYS, w, strict=True)), round(threshold, 3))
    _, weights, threshold = best
    judge = OverlapJudge(embedder, weights=weights, threshold=threshold)
    tune_acc, tune_auc = _evaluate(judge, tune_rows)
    test_acc, test_auc = _evaluate(judge, test_rows)
    return {
        "judge": "overlap",
        "weights": weights,
        "threshold": threshold,
        "tuned_on": f"items 1-{SPLIT}",
        "measured_on": f"items {SPLIT + 1}-{len(items)}",
        "items": len(items) - SPLIT,
        "decisions": 2 * (len(items) - SPLIT),
        "accuracy": round(test_acc, 6),
        "auroc": round(test_auc, 6),
        "tuning_accuracy": round(tune_acc, 6),
        "tuning_auroc": round(tune_auc, 6),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judge", choices=("verifier", "overlap", "llm", "nli"), default="overlap")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=40, help="items for llm/nli, taken from the held-out half")
    parser.add_argument("--nli-model")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "rag" / "evaluate" / "judge_calibration.json",
    )
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    items = read_halueval(args.data)
    settings = load_settings()
    embedder = create_embedder(settings.embedder, batch_size=settings.embed_batch_size, device=settings.device)
    if args.judge == "overlap":
        result = tune_overlap(items, embedder)
        name = "overlap"
    elif args.judge == "verifier":
        # Nothing of the verifier was tuned on HaluEval QA (its threshold comes from its own
        # validation pairs), so every item measures it.
        judge = create_judge("verifier", settings, embedder)
        result = calibrate(judge, items)
        result.update({"judge": judge.name, "measured_on": f"items 1-{len(items)}", "claim": "question + answer"})
        name = judge.name
    else:
        judge = create_judge(args.judge, settings, embedder, nli_model=args.nli_model)
        subset = items[SPLIT : SPLIT + args.limit]
        result = calibrate(
            judge,
            subset,
            progress=lambda n, ok: print(f"{n}/{len(subset)} correct {ok}/{2 * n}", file=sys.stderr, flush=True),
        )
        result.update({"judge": judge.name, "measured_on": f"items {SPLIT + 1}-{SPLIT + len(subset)}"})
        name = judge.name
    if args.judge in ("verifier", "overlap") and WRITTEN.is_file():
        # HaluEval QA's hallucinated answers share few words with the knowledge; claims reworded
        # by other writers (the unread half of the written set) say how far a judge reads meaning.
        written = [item for _, item in iter_jsonl_objects(WRITTEN) if item.get("split") == "test"]
        judge = (
            create_judge(args.judge, settings, embedder)
            if args.judge == "verifier"
            else OverlapJudge(embedder, threshold=result["threshold"], weights=result["weights"])
        )
        result["reworded"] = {**calibrate_claims(judge, written), "data": f"{WRITTEN.name} (test half)"}
    result["data"] = args.data.name
    result["command"] = "python " + " ".join(["eval/calibrate_judges.py", *sys.argv[1:]])
    print(json.dumps(result, indent=2, sort_keys=True))
    if not args.no_save:
        save_calibration(name, result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
