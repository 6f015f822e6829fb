"""Questions that ask two things: is each part answered, and is a part the documents do not answer named?

Usage:
    python eval/two_part_eval.py [--generator extractive] [--questions eval/two_part_questions.jsonl]
        [--out eval/results/two_part.json]

Each line of the questions file has `question`, `parts` (each part as a standalone question),
`answerable` (per part), `answers` (per part: strings any of which counts) and the seeds are the
corpus (the index in settings, built from seeds/ if missing). Reported per part kind:
- answerable parts: answered (the answer contains a reference string), and named as not covered
  by mistake;
- absent parts: named as not covered (`Answer.uncovered` holds a part), and the share of
  questions answered wrongly as a whole (refused although a part is answerable).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answer.pipeline import RagPipeline  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.errors import IndexNotFoundError  # noqa: E402
from rag.evaluate.metrics import contains_any  # noqa: E402
from rag.index.generations import load_index  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402
from rag.retrieve.questions import question_parts  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def run(questions: list[dict], pipeline: RagPipeline) -> dict:
    counts = {"answerable": 0, "answered": 0, "named_by_mistake": 0, "absent": 0, "absent_named": 0}
    split = refused_with_answer = 0
    items = []
    for row in questions:
        answer = pipeline.ask(row["question"])
        parts = question_parts(row["question"])
        split += len(parts) == len(row["parts"])
        named = (
            [i for i, part in enumerate(parts) if part in answer.uncovered] if len(parts) == len(row["parts"]) else []
        )
        item = {"id": row["id"], "answer": answer.text, "uncovered": list(answer.uncovered), "parts": []}
        for i, answerable in enumerate(row["answerable"]):
            if answerable:
                counts["answerable"] += 1
                answered = not answer.refused and contains_any(answer.text, row["answers"][i])
                counts["answered"] += answered
                counts["named_by_mistake"] += i in named
                item["parts"].append({"answerable": True, "answered": answered, "named": i in named})
            else:
                counts["absent"] += 1
                counts["absent_named"] += i in named
                item["parts"].append({"answerable": False, "named": i in named})
        refused_with_answer += answer.refused and any(row["answerable"])
        items.append(item)
    return {
        "questions": len(questions),
        "split_into_their_parts": _ratio(split, len(questions)),
        "answerable_parts": counts["answerable"],
        "answered": _ratio(counts["answered"], counts["answerable"]),
        "answerable_named_not_covered": _ratio(counts["named_by_mistake"], counts["answerable"]),
        "absent_parts": counts["absent"],
        "absent_named_not_covered": _ratio(counts["absent_named"], counts["absent"]),
        "refused_although_a_part_is_answerable": _ratio(refused_with_answer, len(questions)),
        "items": items,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(REPO / "eval" / "two_part_questions.jsonl"))
    parser.add_argument("--generator", default="extractive")
    parser.add_argument("--config")
    parser.add_argument("--out", default=str(REPO / "eval" / "results" / "two_part.json"))
    args = parser.parse_args(argv)
    settings = load_settings(args.config, overrides={"generator": args.generator})
    try:
        load_index(settings.index_dir)
    except IndexNotFoundError:
        update_index(settings, [REPO / "seeds"])
    questions = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line.strip()]
    report = {"generator": args.generator, "embedder": settings.embedder, **run(questions, RagPipeline(settings))}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "items"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
