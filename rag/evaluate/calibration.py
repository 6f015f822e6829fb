"""Judge calibration on HaluEval QA: the right answer should be judged supported by the
knowledge passage, the hallucinated answer not; and on labelled claims reworded by other writers
(`calibrate_claims`: eval/verifier_written.jsonl), where copied words decide nothing. Results are
cached in a JSON file that reports read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag.errors import InputError
from rag.evaluate.judges import Judge
from rag.evaluate.metrics import auroc
from rag.jsonl import iter_jsonl_objects

__all__ = ["read_halueval", "claim_text", "calibrate", "calibrate_claims"]


def read_halueval(path: Path) -> list[dict]:
    """Items with question, knowledge, right_answer, hallucinated_answer, in file order."""
    items = []
    for number, record in iter_jsonl_objects(path):
        missing = [k for k in ("question", "knowledge", "right_answer", "hallucinated_answer") if k not in record]
        if missing:
            raise InputError(f"{path}:{number}: missing {', '.join(missing)}")
        items.append(record)
    return items


def claim_text(question: str, answer: str) -> str:
    """The claim judged for a QA pair: the answer alone, as answer sentences are judged in `rag eval`.

    Prefixing the question (whose words come from the evidence) drowned the answer's own words:
    the overlap judge separated far worse that way (eval/RESULTS.md). The question goes to the
    judge apart (`Judge.judge(..., question=)`), for the verifier, which reads the two together.
    """
    return answer.strip()


def calibrate(
    judge: Judge, items: list[dict], progress: Callable[[int, int], None] | None = None
) -> dict[str, float | int | None]:
    """Accuracy (over 2 decisions per item) and AUROC of the judge's score on right vs hallucinated.

    `progress(items done, correct decisions so far)` is called after each item."""
    scores: list[float] = []
    labels: list[bool] = []
    correct = 0
    for n, item in enumerate(items, start=1):
        for answer, label in ((item["right_answer"], True), (item["hallucinated_answer"], False)):
            verdict = judge.judge(claim_text(item["question"], answer), [item["knowledge"]], question=item["question"])
            scores.append(verdict.score)
            labels.append(label)
            correct += verdict.supported == label
        if progress:
            progress(n, correct)
    return {"items": len(items), "decisions": len(scores), **_measured(scores, labels, correct)}


def calibrate_claims(judge: Judge, items: list[dict]) -> dict[str, float | int | None]:
    """Accuracy and AUROC of the judge on labelled (claim, evidence) pairs: `label` "supported"
    or not, an optional `question` the claim answers (the verifier sets' format)."""
    scores: list[float] = []
    labels: list[bool] = []
    correct = 0
    for item in items:
        verdict = judge.judge(item["claim"], [item["evidence"]], question=item.get("question", ""))
        label = item["label"] == "supported"
        scores.append(verdict.score)
        labels.append(label)
        correct += verdict.supported == label
    return {"pairs": len(scores), **_measured(scores, labels, correct)}


def _measured(scores: list[float], labels: list[bool], correct: int) -> dict[str, float | None]:
    area = auroc(scores, labels)
    return {
        "accuracy": round(correct / len(scores), 6) if scores else None,
        "auroc": round(area, 6) if area is not None else None,
    }
