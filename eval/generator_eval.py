"""Answer quality and latency of a generator through the real pipeline.

Usage:
    python eval/generator_eval.py --generator local [--limit N] [--out FILE]
        (seed set: eval/seed_questions.jsonl over seeds/)
    python eval/generator_eval.py --squad2 ../shared/data/squad2 --generator extractive [--limit N]
        (SQuAD 2.0 sample: paragraphs written out as files and indexed in a temporary dir)

Reports, per generator: answer correctness (answer contains a reference answer, over answerable
questions), refusal rate on unanswerable questions, false-refusal rate on answerable ones, the
share of answer sentences with a valid citation, citations pointing to a relevant source, and
time to first token / total time p50 and p95. With --limit, answerable and unanswerable questions
are interleaved so a prefix keeps both kinds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answer.citations import answer_sentences  # noqa: E402
from rag.answer.pipeline import RagPipeline  # noqa: E402
from rag.answer.verification import cited_numbering, verify_answer  # noqa: E402
from rag.config import Settings, load_settings  # noqa: E402
from rag.evaluate.metrics import contains_any, mean  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402
from rag.models.verifier import create_verifier  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _interleave(questions: list[dict]) -> list[dict]:
    yes = [q for q in questions if q.get("answerable", True)]
    no = [q for q in questions if not q.get("answerable", True)]
    out = []
    for i in range(max(len(yes), len(no))):
        out.extend(x[i] for x in (yes, no) if i < len(x))
    return out


def _squad2(data_dir: Path, workdir: Path) -> tuple[list[dict], Path]:
    corpus = workdir / "squad2_paragraphs"
    corpus.mkdir()
    for line in (data_dir / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        (corpus / f"{p['_id'].replace('/', '_')}.txt").write_text(f"{p['title']}\n\n{p['text']}\n", encoding="utf-8")
    questions = []
    for line in (data_dir / "dev_sample400.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        q["sources"] = [f"{c.replace('/', '_')}.txt" for c in q["context_ids"]]
        questions.append(q)
    return questions, corpus


def _pct(values: list[float]) -> dict:
    if len(values) < 2:
        return {"p50": round(values[0], 1) if values else None, "p95": None}
    q = statistics.quantiles(values, n=20, method="inclusive")
    return {"p50": round(statistics.median(values), 1), "p95": round(q[18], 1)}


def _speed(answer) -> dict:
    """Quick-answer time, prompt size and generation speed of one answer (LLM generators)."""
    t, usage = answer.timings_ms, answer.usage
    out = {
        "quick_ms": t.get("quick"),
        **{
            k: usage.get(k)
            for k in (
                "prompt_tokens",
                "cached_tokens",
                "completion_tokens",
                "refusal_probability",
                "refusal_threshold",
                "evidence_score",
                "extractive_refused",
            )
        },
    }
    if usage.get("completion_tokens") and "first_token" in t and t["generate"] > t["first_token"]:
        out["tokens_per_s"] = usage["completion_tokens"] / ((t["generate"] - t["first_token"]) / 1000)
    return out


def _present(items: list[dict], key: str) -> list[float]:
    return [i[key] for i in items if i.get(key) is not None]


def _verdicts(pipeline: RagPipeline, answer, question: str) -> dict:
    """The claim verifier's verdict on each sentence of an answer, so that what an unsupported
    sentence should do can be decided from the recorded runs (eval/verdict_policy.py). When the
    pipeline did not verify the answer (`verify_answers` off), they are computed here, after the
    answer and outside its timings, with the pipeline's verifier."""
    if answer.refused:
        return {}
    if answer.verdicts:
        verdicts = answer.verdicts
        # The pipeline's timings are marks since the question came; verifying follows generation.
        verify_ms = answer.timings_ms["verify"] - answer.timings_ms.get("generate", 0.0)
    else:
        started = time.perf_counter()
        if pipeline.verifier is None:
            pipeline.verifier = create_verifier(pipeline.settings.verifier)
        numbering = cited_numbering(answer.citations, answer.passages)
        verdicts = verify_answer(answer.text, answer.passages, pipeline.verifier, question, numbering)
        verify_ms = (time.perf_counter() - started) * 1000
    return {"verdicts": [[v.sentence, v.score, v.supported] for v in verdicts], "verify_ms": verify_ms}


def evaluate(pipeline: RagPipeline, questions: list[dict]) -> dict:
    items = []
    for n, q in enumerate(questions, start=1):
        answer = pipeline.ask(q["question"])
        sentences = [] if answer.refused else answer_sentences(answer.text)
        relevant = set(q.get("sources") or [])
        item = {
            "id": q["id"],
            "answerable": q.get("answerable", True),
            "answer": answer.text,
            "refused": answer.refused,
            "correct": contains_any(answer.text, q.get("answers") or []) if q.get("answerable", True) else None,
            "sentences": len(sentences),
            "uncited": len(answer.uncited),
            "cites_relevant": (
                any(c.source.rsplit("/", 1)[-1] in relevant for c in answer.citations)
                if relevant and answer.citations
                else None
            ),
            "first_token_ms": answer.timings_ms.get("first_token", answer.timings_ms["total"]),
            "total_ms": answer.timings_ms["total"],
            "notes": list(answer.notes),
            **_speed(answer),
            **_verdicts(pipeline, answer, q["question"]),
        }
        if answer.quick is not None:
            item["quick_answer"] = answer.quick.text
            item["quick_refused"] = answer.quick.refused
            item["quick_correct"] = (
                contains_any(answer.quick.text, q.get("answers") or []) if q.get("answerable", True) else None
            )
        items.append(item)
        print(
            f"[{n}/{len(questions)}] {q['id']} refused={answer.refused} correct={item['correct']} "
            f"{item['total_ms'] / 1000:.1f}s :: {answer.text[:100]!r}",
            file=sys.stderr,
            flush=True,
        )
    answerable = [i for i in items if i["answerable"]]
    unanswerable = [i for i in items if not i["answerable"]]
    sentences = sum(i["sentences"] for i in items)
    return {
        "questions": len(items),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "correct_on_answerable": mean([i["correct"] for i in answerable]),
        "refusal_on_unanswerable": mean([float(i["refused"]) for i in unanswerable]),
        "false_refusal": mean([float(i["refused"]) for i in answerable]),
        "cited_sentence_share": (sentences - sum(i["uncited"] for i in items)) / sentences if sentences else None,
        "cites_relevant_source": mean([float(i["cites_relevant"]) for i in items if i["cites_relevant"] is not None]),
        "first_token_ms": _pct([i["first_token_ms"] for i in items]),
        "total_ms": _pct([i["total_ms"] for i in items]),
        "quick_ms": _pct(_present(items, "quick_ms")),
        "quick_correct_on_answerable": mean([i["quick_correct"] for i in answerable if "quick_correct" in i]),
        "prompt_tokens": _pct(_present(items, "prompt_tokens")),
        "tokens_per_s": _pct(_present(items, "tokens_per_s")),
        "items": items,
    }


def load_question_set(args: argparse.Namespace, workdir: Path) -> tuple[list[dict], Path, str]:
    """(questions, corpus folder, dataset name) from --questions/--corpus or --squad2, answerable
    and unanswerable questions interleaved, the first --skip left out and the rest cut to --limit."""
    if args.squad2:
        questions, corpus = _squad2(Path(args.squad2), workdir)
        dataset = "squad2-sample400"
    else:
        lines = Path(args.questions).read_text(encoding="utf-8").splitlines()
        questions = [json.loads(x) for x in lines if x.strip()]
        corpus, dataset = Path(args.corpus), Path(args.questions).stem
    skip = getattr(args, "skip", 0) or 0
    end = skip + args.limit if args.limit else None
    return _interleave(questions)[skip:end], corpus, dataset


def eval_settings(args: argparse.Namespace, workdir: Path, corpus: Path) -> Settings:
    """Settings for a run over `corpus`, indexed in `workdir`, with the command-line overrides
    the script has (--generator, and where defined --top-k, --evidence-budget, --refusal-threshold)."""
    overrides = {"index_dir": str(workdir / "index"), "corpus_dir": str(corpus), "generator": args.generator}
    for name in ("top_k", "evidence_budget", "refusal_threshold"):
        overrides[name] = getattr(args, name, None)
    if getattr(args, "no_refusal_evidence", False):
        overrides["refusal_evidence"] = False
    return load_settings(overrides=overrides)


def warm(pipeline: RagPipeline, question: str) -> RagPipeline:
    """Load the models and cache the LLM's fixed prompt prefix before anything is timed."""
    pipeline.warm_up()
    pipeline.retrieve(question)
    return pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="extractive")
    parser.add_argument("--questions", default=str(REPO / "eval" / "seed_questions.jsonl"))
    parser.add_argument("--corpus", default=str(REPO / "seeds"))
    parser.add_argument("--squad2", help="SQuAD 2.0 sample folder (paragraphs.jsonl, dev_sample400.jsonl)")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N (interleaved) questions")
    parser.add_argument("--top-k", type=int)
    parser.add_argument("--evidence-budget", type=int, help="override setting evidence_budget (0 = whole passages)")
    parser.add_argument("--refusal-threshold", type=float, help="override setting refusal_threshold")
    parser.add_argument(
        "--no-refusal-evidence",
        action="store_true",
        help="hold every answer to --refusal-threshold itself (record runs for eval/calibrate_refusal.py)",
    )
    parser.add_argument("--out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        questions, corpus, dataset = load_question_set(args, Path(tmp))
        settings = eval_settings(args, Path(tmp), corpus)
        update_index(settings)
        result = {
            "dataset": dataset,
            "generator": args.generator,
            "top_k": settings.top_k,
            "evidence_budget": settings.evidence_budget,
            "refusal_threshold": settings.refusal_threshold,
            "refusal_evidence": settings.refusal_evidence,
            **evaluate(warm(RagPipeline.from_settings(settings), questions[0]["question"]), questions),
        }
    summary = {k: v for k, v in result.items() if k != "items"}
    print(json.dumps(summary, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
