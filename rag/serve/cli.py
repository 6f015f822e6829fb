"""`rag` command line: index, search, ask, chat, batch, serve, mcp.

Every `RagError` becomes one line on stderr and a non-zero exit code; no tracebacks.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from pathlib import Path

from rag.config import GENERATORS, RETRIEVAL_MODES, Settings, load_settings
from rag.errors import ConfigError, RagError
from rag.types import Answer, FinalAnswer, Hit, QuickAnswer, TextPiece

__all__ = ["main"]

log = logging.getLogger("rag")


def _generator_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-g", "--generator", choices=GENERATORS, help="answer writer (default: setting 'generator', 'auto')"
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Offline question answering over your documents, with citations."
    )
    parser.add_argument("--config", help="settings file (default: ./rag.toml if present)")
    parser.add_argument("--index-dir", help="index directory (default: setting index_dir, 'index')")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="index files or folders (incremental)")
    p.add_argument("paths", nargs="*", help="files or folders to add (default: the ones indexed before, or corpus_dir)")
    p.add_argument("--rebuild", action="store_true", help="forget the existing index and re-embed everything")
    p.add_argument(
        "--reembed",
        action="store_true",
        help="if the index was built with another embedder or chunker, re-embed its folders (else it is an error)",
    )
    p.add_argument("--check", action="store_true", help="only verify the index's consistency")
    p.add_argument(
        "--remove",
        metavar="PATH",
        action="append",
        help="stop indexing this folder or file: its documents leave the index",
    )
    p.add_argument(
        "--watch", action="store_true", help="after indexing, keep running and apply file changes as they happen"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser("search", help="show the passages retrieved for a query")
    p.add_argument("query")
    p.add_argument("-k", "--top-k", type=int, help="number of passages")
    p.add_argument("--explain", action="store_true", help="show dense, lexical, fused and reranked ranks")
    p.add_argument("--retrieval", choices=RETRIEVAL_MODES, help="override setting 'retrieval'")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("-k", "--top-k", type=int, help="number of passages given to the generator")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--verbose", dest="show_timings", action="store_true", help="print timings (retrieval, first token, total)"
    )
    _generator_option(p)

    p = sub.add_parser("chat", help="ask questions interactively")
    p.add_argument("-k", "--top-k", type=int)
    _generator_option(p)

    p = sub.add_parser("batch", help="answer a JSONL file of questions (resumable)")
    p.add_argument("questions", help='JSONL input: one {"id", "question"} object per line')
    p.add_argument("-o", "--output", required=True, help="JSONL output; ids already in it are skipped")
    p.add_argument("-k", "--top-k", type=int)
    _generator_option(p)

    p = sub.add_parser("finetune", help="fine-tune the embedder on your (question, passage) pairs")
    p.add_argument(
        "pairs", help='JSONL: {"question": ..., "passage": ...} per line (or RAGAS user_input/reference_contexts)'
    )
    p.add_argument("--out", required=True, help="folder for the new model; then set embedder = this folder")
    p.add_argument(
        "--base",
        help="sentence-transformers model to start from (default: the embedder setting, or all-MiniLM-L6-v2 "
        "when that is an ONNX model, which cannot be trained)",
    )
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=2e-5)

    from rag.serve.server_commands import add_parsers as add_server_parsers

    add_server_parsers(sub)

    from rag.serve.eval_commands import add_parsers as add_eval_parsers

    add_eval_parsers(sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "index_dir": args.index_dir,
        "top_k": getattr(args, "top_k", None),
        "generator": getattr(args, "generator", None),
        "retrieval": getattr(args, "retrieval", None),
    }
    return load_settings(args.config, overrides=overrides)


def _quiet_libraries() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _print_hits(hits: list[Hit], explain: bool = False) -> None:
    from rag.retrieve.retriever import explain as explain_hit

    for hit in hits:
        print(f"{hit.rank:>2}. score {hit.score:.3f}  {hit.chunk.source}  ({hit.chunk.chunk_id})")
        if explain:
            e = explain_hit(hit)
            ranks = "  ".join(
                f"{label} {'-' if e[key] is None else e[key]}"
                for label, key in (
                    ("dense rank", "dense_rank"),
                    ("lexical rank", "lexical_rank"),
                    ("fused rank", "fused_rank"),
                    ("rerank score", "reranked"),
                )
            )
            print(f"    similarity {e['similarity']:.3f}  BM25 {e['bm25'] if e['bm25'] is not None else '-'}  {ranks}")
        print(textwrap.indent(textwrap.fill(hit.chunk.text, 96), "    "))


def _print_answer(answer: Answer, streamed: str | None = None) -> None:
    if streamed is None:
        print(answer.text)
    elif streamed.strip() != answer.text:
        # Citation checking changed the text (renumbered or removed markers): show the checked one.
        print(f"\n\nChecked answer: {answer.text}")
    else:
        print()
    for sentence in answer.uncited:
        print(f"  (no citation: {sentence})")
    for part in answer.uncovered:
        print(f"Not in the documents: {part}")
    if answer.verdicts:
        print("\nChecked sentence by sentence:")
        for v in answer.verdicts:
            mark = "supported" if v.supported else "NOT SUPPORTED"
            print(f"  {mark:>13} {v.score:.2f}  {v.sentence}")
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            where = f"{c.location_text()}, " if c.page is not None else ""
            print(f"  [{c.marker}] {c.title} — {c.source} ({where}chars {c.quote_start}-{c.quote_end})")
    for note in answer.notes:
        log.info("note: %s", note)


def _cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.pipeline import RagPipeline
    from rag.retrieve.retriever import explain as explain_hit

    hits = RagPipeline.from_settings(settings).retrieve(args.query)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "rank": h.rank,
                        "score": h.score,
                        "chunk_id": h.chunk.chunk_id,
                        "source": h.chunk.source,
                        "title": h.chunk.title,
                        "text": h.chunk.text,
                        **({"explain": explain_hit(h)} if args.explain else {}),
                    }
                    for h in hits
                ],
                ensure_ascii=False,
            )
        )
    else:
        _print_hits(hits, explain=args.explain)
    return 0


def _stream_answer(pipeline, question: str, history: list[str] | None = None, timings: bool = False) -> None:
    """Print the quick answer (with an LLM generator), then the answer as it is written, then the
    checked version's sources."""
    streamed = []
    for event in pipeline.stream(question, history=history or ()):
        match event:
            case QuickAnswer(answer=quick):
                print(f"Quick answer: {quick.text}")
                if timings:
                    print(f"  ({' · '.join(quick.timing_summary())})")
                print("\nAnswer: ", end="", flush=True)
            case FinalAnswer(answer=answer):
                if answer.search_query:
                    print(f"\n  (searched for: {answer.search_query})")
                _print_answer(answer, "".join(streamed))
                if timings:
                    print(f"\nTimings: {' · '.join(answer.timing_summary())}")
            case TextPiece(text=text):
                streamed.append(text)
                print(text, end="", flush=True)


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.pipeline import RagPipeline

    pipeline = RagPipeline.from_settings(settings)
    if args.json:
        print(json.dumps(pipeline.ask(args.question).to_dict(), ensure_ascii=False))
    else:
        _stream_answer(pipeline, args.question, timings=args.show_timings or args.verbose)
    return 0


def _cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.pipeline import RagPipeline

    pipeline = RagPipeline.from_settings(settings)
    history: list[str] = []
    print("Ask a question about your documents (empty line or Ctrl-D to quit).")
    while True:
        try:
            question = input("\n? ")
        except EOFError:
            print()
            return 0
        if not question.strip() or question.strip().lower() in ("exit", "quit"):
            return 0
        try:
            _stream_answer(pipeline, question, history)
            history.append(question)
        except RagError as exc:
            print(f"error: {exc}", file=sys.stderr)


def _cmd_batch(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.batch import run_batch
    from rag.answer.pipeline import RagPipeline

    pipeline = RagPipeline.from_settings(settings)
    report = run_batch(Path(args.questions), Path(args.output), pipeline.ask, progress=sys.stderr.isatty())
    failed = f", failed {len(report.failed)} (re-run to retry)" if report.failed else ""
    print(
        f"answered {report.answered}, already done {report.skipped_done}, "
        f"bad lines {len(report.bad_lines)}{failed} -> {args.output}"
    )
    if report.stopped:
        print(f"error: {report.stopped}", file=sys.stderr)
    # Non-zero only when failures left the run with nothing done.
    return 1 if report.stopped or (report.failed and not report.answered) else 0


def _cmd_finetune(args: argparse.Namespace, settings: Settings) -> int:
    from rag.config import TRAINABLE_EMBEDDER
    from rag.models.catalog import ONNX_MODELS
    from rag.models.finetune import finetune_embedder, read_pairs

    pairs = read_pairs(args.pairs)
    base = args.base or settings.embedder
    if base in ONNX_MODELS or (Path(base).expanduser() / "model.onnx").is_file():
        if args.base:
            raise ConfigError(
                f"{base!r} is an ONNX model, which cannot be fine-tuned; pass a sentence-transformers model"
            )
        print(f"{base} is an ONNX model, which cannot be fine-tuned; fine-tuning {TRAINABLE_EMBEDDER}", file=sys.stderr)
        base = TRAINABLE_EMBEDDER
    report = finetune_embedder(
        base,
        pairs,
        args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        show_progress=sys.stderr.isatty(),
    )
    print(
        f"fine-tuned {report.base} on {report.pairs} pairs ({report.steps} steps, final loss "
        f"{report.losses[-1]:.4f}, {report.seconds:.0f}s) -> {report.output}\n"
        f'use it: set embedder = "{report.output}" in rag.toml, then `rag index --rebuild`'
    )
    return 0


def _commands() -> dict:
    from rag.serve.eval_commands import COMMANDS as EVAL_COMMANDS
    from rag.serve.index_command import cmd_index
    from rag.serve.server_commands import COMMANDS as SERVER_COMMANDS

    return {
        "index": cmd_index,
        "search": _cmd_search,
        "ask": _cmd_ask,
        "chat": _cmd_chat,
        "batch": _cmd_batch,
        "finetune": _cmd_finetune,
        **SERVER_COMMANDS,
        **EVAL_COMMANDS,
    }


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    _quiet_libraries()
    try:
        settings = _settings(args)
        return _commands()[args.command](args, settings)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # disk full, permissions, a file that vanished: one line, no traceback
        if args.verbose:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line here, the traceback with -v
        if args.verbose:
            raise
        message = " ".join(str(exc).split())[:300]
        print(f"error: internal error ({type(exc).__name__}: {message}); run with -v for details", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
