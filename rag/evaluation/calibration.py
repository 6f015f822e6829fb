"""Judge calibration on HaluEval QA: the right answer should be judged supported by the
knowledge passage, the hallucinated answer not. Results are cached in a JSON file that reports read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from rag.errors import InputError
from rag.evaluation.judges import Judge
from rag.evaluation.metrics import auroc
from rag.jsonl import iter_jsonl_objects

__all__ = ["CALIBRATION_FILE", "read_halueval", "claim_text", "calibrate", "load_calibration", "save_calibration"]

CALIBRATION_FILE = Path(__file__).resolve().parent.parent.parent / "eval" / "judge_calibration.json"
SCHEMA_VERSION = 1


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
    the overlap judge's held-out AUROC was 0.670 that way (eval/RESULTS.md). `question` is kept
    in the signature for judges that may want it.
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
            verdict = judge.judge(claim_text(item["question"], answer), [item["knowledge"]])
            scores.append(verdict.score)
            labels.append(label)
            correct += verdict.supported == label
        if progress:
            progress(n, correct)
    area = auroc(scores, labels)
    return {
        "items": len(items),
        "decisions": len(scores),
        "accuracy": round(correct / len(scores), 6) if scores else None,
        "auroc": round(area, 6) if area is not None else None,
    }


def load_calibration(path: Path = CALIBRATION_FILE) -> dict:
    """The cached calibrations by judge name ({} when the file is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data.get("judges", {}) if isinstance(data, dict) else {}


def save_calibration(judge_name: str, result: dict, path: Path = CALIBRATION_FILE) -> None:
    """Store one judge's calibration next to the others (atomic replace)."""
    judges = load_calibration(path)
    judges[judge_name] = result
    data = {"schema_version": SCHEMA_VERSION, "judges": dict(sorted(judges.items()))}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
