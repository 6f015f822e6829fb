"""`rag eval` subcommands (answer-level evaluation); registered by `rag.cli`.

- `rag eval QUESTIONS.jsonl [--out DIR] [--judge overlap|llm|nli] [-g GEN] [-k K]`
- `rag eval compare RUN_A RUN_B` (also `rag eval-compare RUN_A RUN_B`)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from rag.config import GENERATORS, Settings
from rag.errors import InputError

__all__ = ["add_parsers", "COMMANDS"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the evaluation subcommands to the `rag` parser."""
    p = sub.add_parser(
        "eval",
        help="answer and score a question file; `rag eval compare RUN_A RUN_B` compares two runs",
        description="Answer every question through the pipeline (resumable), score it and write a report. "
        "`rag eval compare RUN_A RUN_B` shows per-metric differences with paired-bootstrap significance.",
    )
    p.add_argument("target", nargs="+", metavar="QUESTIONS.jsonl | compare RUN_A RUN_B")
    p.add_argument("--out", help="run folder (default eval/runs/<UTC stamp>/); re-using one skips answered ids")
    p.add_argument("--judge", choices=("overlap", "llm", "nli"), default="overlap", help="faithfulness judge")
    p.add_argument(
        "--nli-model", default=os.environ.get("RAG_NLI_MODEL"), help="CrossEncoder NLI model path (judge nli)"
    )
    p.add_argument("-k", "--top-k", type=int, help="passages retrieved per question")
    p.add_argument("-g", "--generator", choices=GENERATORS, help="answer writer")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("eval-compare", help="compare two eval runs (paired bootstrap)")
    p.add_argument("run_a")
    p.add_argument("run_b")


def _compare(run_a: str, run_b: str) -> int:
    from rag.evaluation.compare import compare_runs, format_comparison

    print(format_comparison(compare_runs(Path(run_a), Path(run_b))))
    return 0


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.target[0] == "compare" and not Path("compare").exists():
        if len(args.target) != 3:
            raise InputError("usage: rag eval compare RUN_A RUN_B")
        return _compare(args.target[1], args.target[2])
    if len(args.target) != 1:
        raise InputError("give one question file (or: rag eval compare RUN_A RUN_B)")
    from rag.evaluation.report import markdown_table
    from rag.evaluation.runner import default_out_dir, run_eval

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


COMMANDS: dict[str, Callable] = {"eval": _cmd_eval, "eval-compare": _cmd_eval_compare}
