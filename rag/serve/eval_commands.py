"""The evaluation subcommands (answers and retrieval); registered by `rag.serve.cli`.

- `rag eval QUESTIONS.jsonl [--out DIR] [--judge verifier|overlap|llm|nli] [-g GEN] [-k K]` (a file
  of answers written elsewhere, RAGAS `response` + `retrieved_contexts`, is scored without answering)
- `rag eval compare RUN_A RUN_B` (also `rag eval-compare RUN_A RUN_B`)
- `rag eval-retrieval --beir DIR [--split S] [--finetune-split S]` (retrieval on a BEIR dataset, `rag.evaluate.beir`)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from rag.config import DEFAULT_JUDGE, FUSIONS, GENERATORS, JUDGES, RETRIEVAL_MODES, Settings
from rag.errors import InputError

__all__ = ["add_parsers", "COMMANDS"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the evaluation subcommands to the `rag` parser."""
    p = sub.add_parser(
        "eval",
        help="answer and score a question file; `rag eval compare RUN_A RUN_B` compares two runs",
        description="Answer every question through the pipeline (resumable), score it and write a report. "
        "A file whose lines already carry an answer (`answer`/`response` with `contexts`/`retrieved_contexts`) "
        "is scored as it is, without answering. "
        "`rag eval compare RUN_A RUN_B` shows per-metric differences with paired-bootstrap significance.",
    )
    p.add_argument("target", nargs="+", metavar="QUESTIONS.jsonl | compare RUN_A RUN_B")
    p.add_argument("--out", help="run folder (default eval/runs/<UTC stamp>/); re-using one skips answered ids")
    p.add_argument(
        "--judge",
        choices=JUDGES,
        default=DEFAULT_JUDGE,
        help="faithfulness judge (verifier: the shipped claim verifier, docs/verifier.md)",
    )
    p.add_argument(
        "--nli-model", default=os.environ.get("RAG_NLI_MODEL"), help="CrossEncoder NLI model path (judge nli)"
    )
    p.add_argument("-k", "--top-k", type=int, help="passages retrieved per question")
    p.add_argument("-g", "--generator", choices=GENERATORS, help="answer writer")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("eval-compare", help="compare two eval runs (paired bootstrap)")
    p.add_argument("run_a")
    p.add_argument("run_b")
    _add_beir_parser(sub)


def _add_beir_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-retrieval", help="score retrieval on a BEIR dataset (nDCG@10, recall@100)")
    p.add_argument("--beir", required=True, metavar="DIR", help="folder with corpus.jsonl, queries.jsonl, qrels/")
    p.add_argument("--split", default="test", help="qrels split to score (default: test)")
    p.add_argument("--beir-index-dir", help="where to index the corpus (default: <index_dir>/beir/<name>)")
    p.add_argument("--retrieval", choices=RETRIEVAL_MODES, help="override setting 'retrieval'")
    p.add_argument("--fusion", choices=FUSIONS, help="override setting 'fusion'")
    p.add_argument("--dense-weight", type=float, help="override setting 'dense_weight'")
    p.add_argument("--max-queries", type=int, help="score only the first N judged queries")
    p.add_argument(
        "--finetune-split",
        metavar="SPLIT",
        help="first fine-tune the embedder on this split's (query, relevant document) pairs (e.g. train), "
        "then index and score --split with it",
    )
    p.add_argument("--finetune-epochs", type=int, default=1)
    p.add_argument("--out", help="write the full result (per-query metrics) as JSON here")


def _compare(run_a: str, run_b: str) -> int:
    from rag.evaluate.compare import compare_runs, format_comparison

    print(format_comparison(compare_runs(Path(run_a), Path(run_b))))
    return 0


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.target[0] == "compare" and not Path("compare").exists():
        if len(args.target) != 3:
            raise InputError("usage: rag eval compare RUN_A RUN_B")
        return _compare(args.target[1], args.target[2])
    if len(args.target) != 1:
        raise InputError("give one question file (or: rag eval compare RUN_A RUN_B)")
    from rag.evaluate.report import markdown_table
    from rag.evaluate.runner import default_out_dir, run_eval

    out = Path(args.out) if args.out else default_out_dir()
    result = run_eval(
        Path(args.target[0]), out, settings, args.judge, nli_model=args.nli_model, progress=sys.stderr.isatty()
    )
    if args.json:
        print(json.dumps(result.summary, sort_keys=True))
    else:
        print(markdown_table(result.summary))
        print(f"answered {result.answered}, already answered {result.skipped} -> {out}/report.md")
    return 0


def _cmd_eval_compare(args: argparse.Namespace, settings: Settings) -> int:
    return _compare(args.run_a, args.run_b)


def _cmd_eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluate.beir.finetune import finetune_on_split
    from rag.evaluate.beir.retrieval import evaluate_beir

    settings = settings.replace(retrieval=args.retrieval, fusion=args.fusion, dense_weight=args.dense_weight)
    index_dir = args.beir_index_dir
    if args.finetune_split:
        if args.finetune_split == args.split:
            raise InputError("--finetune-split must differ from --split (training on the judgements you score)")
        base = Path(index_dir) if index_dir else Path(settings.index_dir) / "beir" / Path(args.beir).name
        tag = f"ft-{args.finetune_split}-e{args.finetune_epochs}"
        model = finetune_on_split(
            settings, args.beir, args.finetune_split, base / f"embedder-{tag}", args.finetune_epochs
        )
        settings = settings.replace(embedder=model)
        index_dir = str(base / tag)
    result = evaluate_beir(
        settings,
        args.beir,
        split=args.split,
        index_dir=index_dir,
        max_queries=args.max_queries,
        show_progress=sys.stderr.isatty(),
    )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")
    m, lat = result.metrics, result.latency_ms
    print(
        f"{result.dataset} ({result.split}, {result.queries} queries, retrieval={settings.retrieval}"
        + (
            f", fusion={settings.fusion}, dense_weight={settings.dense_weight}"
            if settings.retrieval == "hybrid"
            else ""
        )
        + f"): nDCG@10 {m['ndcg@10']:.4f}  recall@100 {m['recall@100']:.4f}  MRR@10 {m['mrr@10']:.4f}  "
        f"latency p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms"
    )
    return 0


COMMANDS: dict[str, Callable] = {
    "eval": _cmd_eval,
    "eval-compare": _cmd_eval_compare,
    "eval-retrieval": _cmd_eval_retrieval,
}
