"""Record what the pipeline answers, so a refactor can prove it changed nothing.

Usage:
    python eval/behaviour_snapshot.py --generator extractive --out /tmp/before.jsonl
        (the 69 seed questions over seeds/, then the 400 SQuAD 2.0 sample questions)
    python eval/behaviour_snapshot.py --generator local --limit 15 --out /tmp/before-local.jsonl
        (the first 15 questions of each set: 30 answers from the local LLM)
    python eval/behaviour_snapshot.py --diff /tmp/before.jsonl /tmp/after.jsonl

Each line holds one question's answer text, refusal, citations (passage, quote and offsets),
notes, uncited sentences, the passages retrieved and the quick answer; timings are left out.
`--diff` prints every question whose record differs and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answer.pipeline import RagPipeline  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _record(dataset: str, qid: str, answer) -> dict:
    def citations(a) -> list:
        return [[c.marker, c.chunk_id, c.quote_start, c.quote_end, c.quote] for c in a.citations]

    return {
        "dataset": dataset,
        "id": qid,
        "answer": answer.text,
        "refused": answer.refused,
        "citations": citations(answer),
        "notes": list(answer.notes),
        "uncited": list(answer.uncited),
        "passages": [h.chunk.chunk_id for h in answer.passages],
        "quick": None
        if answer.quick is None
        else {"answer": answer.quick.text, "refused": answer.quick.refused, "citations": citations(answer.quick)},
    }


def _question_sets(squad2: Path, workdir: Path) -> list[tuple[str, Path, list[dict]]]:
    seed = [json.loads(x) for x in (REPO / "eval" / "seed_questions.jsonl").read_text().splitlines() if x.strip()]
    sets = [("seed", REPO / "seeds", seed)]
    if squad2 != Path(""):
        if not (squad2 / "paragraphs.jsonl").is_file():
            raise SystemExit(f"no SQuAD 2.0 sample in {squad2} (pass --squad2 '' to leave it out)")
        corpus = workdir / "squad2_paragraphs"
        corpus.mkdir()
        for line in (squad2 / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines():
            p = json.loads(line)
            name = f"{p['_id'].replace('/', '_')}.txt"
            (corpus / name).write_text(f"{p['title']}\n\n{p['text']}\n", encoding="utf-8")
        questions = [json.loads(x) for x in (squad2 / "dev_sample400.jsonl").read_text().splitlines() if x.strip()]
        sets.append(("squad2", corpus, questions))
    return sets


def snapshot(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, open(args.out, "w", encoding="utf-8") as out:
        for dataset, corpus, questions in _question_sets(Path(args.squad2), Path(tmp)):
            if args.limit:
                questions = questions[: args.limit]
            index_dir = Path(tmp) / f"index-{dataset}"
            settings = load_settings(
                overrides={"index_dir": str(index_dir), "corpus_dir": str(corpus), "generator": args.generator}
            )
            update_index(settings)
            pipeline = RagPipeline.from_settings(settings)
            for n, q in enumerate(questions, start=1):
                record = _record(dataset, q["id"], pipeline.ask(q["question"]))
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
                print(f"[{dataset} {n}/{len(questions)}] {record['answer'][:80]!r}", file=sys.stderr, flush=True)


def diff(before: Path, after: Path) -> int:
    def load(path: Path) -> dict:
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        return {(r["dataset"], r["id"]): r for r in rows}

    old, new = load(before), load(after)
    changed = 0
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            changed += 1
            print(f"{key[0]} {key[1]}:\n  before {json.dumps(old.get(key))}\n  after  {json.dumps(new.get(key))}")
    print(f"{changed} of {len(old.keys() | new.keys())} questions differ")
    return 1 if changed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="extractive")
    parser.add_argument(
        "--squad2", default=str(REPO.parent / "shared" / "data" / "squad2"), help="SQuAD 2.0 sample folder ('': none)"
    )
    parser.add_argument("--limit", type=int, help="the first N questions of each set")
    parser.add_argument("--out")
    parser.add_argument("--diff", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.diff:
        raise SystemExit(diff(Path(args.diff[0]), Path(args.diff[1])))
    if not args.out:
        parser.error("--out is required when recording")
    snapshot(args)


if __name__ == "__main__":
    main()
