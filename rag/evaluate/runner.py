"""`rag eval`: answer a question file through the pipeline (via `run_batch`, resumable), score, report."""

from __future__ import annotations

import json
import logging
import platform
import time
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from rag.config import DEFAULT_JUDGE, Settings
from rag.errors import GeneratorError, InputError
from rag.evaluate.calibration_store import CALIBRATION_FILE, load_calibration
from rag.evaluate.dataset import EvalItem, external_record, read_eval_items, write_batch_questions
from rag.evaluate.judges import Judge, NLIJudge, create_judge
from rag.evaluate.report import summarize, write_report
from rag.evaluate.scoring import score_item

__all__ = ["EvalResult", "run_eval", "score_answers", "default_out_dir"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalResult:
    out: Path
    summary: dict
    answered: int
    skipped: int


def default_out_dir() -> Path:
    return Path("eval") / "runs" / time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def _read_answers(path: Path) -> dict[str, dict]:
    answers: dict[str, dict] = {}
    if not path.exists():
        return answers
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            record = json.loads(line)
            answers[str(record["id"])] = record
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(f"{path}:{number}: unreadable answer record") from None
    return answers


def score_answers(
    items: list[EvalItem], answers: dict[str, dict], judge: Judge, embedder, k: int, progress: bool = False
) -> list[dict]:
    """Item records (question, answer, passages, metrics, reasons) in question-file order."""
    records = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), desc="scoring", unit="q")
    for item in items:
        answer = answers.get(item.id)
        if answer is None:
            raise InputError(f"no answer recorded for question {item.id!r}; re-run to answer it")
        scored = score_item(item, answer, judge, embedder, k)
        records.append(
            {
                "id": item.id,
                "question": item.question,
                "answerable": item.answerable,
                "answer": answer.get("answer", ""),
                "answers": list(item.answers),
                "reference": item.reference,
                "sources": list(item.sources),
                "citations": [
                    {key: c[key] for key in ("marker", "chunk_id", "page", "pages", "slide", "slides") if key in c}
                    for c in answer.get("citations", [])
                ],
                "passages": [
                    {"rank": p["rank"], "chunk_id": p["chunk_id"], "score": p["score"], "text": p["text"]}
                    for p in answer.get("passages", [])
                ],
                **scored,
                "faithfulness": scored["metrics"].get("faithfulness"),
            }
        )
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    return records


def run_eval(
    questions: Path,
    out: Path,
    settings: Settings,
    judge_name: str = DEFAULT_JUDGE,
    nli_model: str | None = None,
    progress: bool = False,
    pipeline=None,
    calibration_file: Path | Traversable = CALIBRATION_FILE,
) -> EvalResult:
    """Answer (skipping ids already answered in `out`), score and write the report into `out`.

    A file of answers written elsewhere (`answer`/`response` with `contexts`) is scored as it is:
    no index is read and no generator is called."""
    from rag.answer.batch import run_batch
    from rag.answer.pipeline import RagPipeline

    items = read_eval_items(questions)
    if judge_name == "nli":
        NLIJudge(nli_model)  # fail before answering anything when no model path is given
    if items[0].response is not None:
        return _score_external(items, questions, out, settings, judge_name, nli_model, progress, calibration_file)
    write_batch_questions(items, out / "questions.jsonl")
    pipeline = pipeline or RagPipeline.from_settings(settings)
    batch = run_batch(out / "questions.jsonl", out / "answers.jsonl", pipeline.ask, progress=progress)
    if batch.bad_lines:
        raise InputError(batch.bad_lines[0])
    if batch.stopped or batch.failed:
        reason = batch.stopped or f"{len(batch.failed)} questions failed (first: {batch.failed[0]})"
        raise GeneratorError(f"{reason}; nothing scored, re-run with --out {out} to retry the failed ones")
    pipeline.load()
    judge = create_judge(judge_name, settings, pipeline.embedder, nli_model=nli_model)
    answers = _read_answers(out / "answers.jsonl")
    records = score_answers(items, answers, judge, pipeline.embedder, settings.top_k, progress=progress)
    generators = sorted({a.get("generator", "?") for a in answers.values() if a["id"] in {i.id for i in items}})
    metadata = {"generator": ", ".join(generators), "index_dir": settings.index_dir}
    summary = _report(records, judge, settings.top_k, questions, settings, metadata, out, calibration_file)
    return EvalResult(out, summary, batch.answered, batch.skipped_done)


def _report(
    records: list[dict],
    judge: Judge,
    k: int,
    questions: Path,
    settings: Settings,
    metadata: dict,
    out: Path,
    calibration_file: Path | Traversable,
) -> dict:
    """Summarise the scored records and write the run's report; the summary."""
    judge_info = {"name": judge.name, "calibration": load_calibration(calibration_file).get(judge.name)}
    summary = summarize(records, judge_info, k)
    metadata = {
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "questions": str(questions),
        "generator": metadata["generator"],
        "embedder": settings.embedder,
        **metadata,
        "python": platform.python_version(),
    }
    write_report(records, summary, metadata, out)
    return summary


def _score_external(
    items: list[EvalItem],
    questions: Path,
    out: Path,
    settings: Settings,
    judge_name: str,
    nli_model: str | None,
    progress: bool,
    calibration_file: Path | Traversable,
) -> EvalResult:
    from rag.models.embedders import create_embedder

    embedder = create_embedder(settings.embedder, settings.embed_batch_size, settings.device, settings.model_threads)
    judge = create_judge(judge_name, settings, embedder, nli_model=nli_model)
    answers = {item.id: external_record(item) for item in items}
    k = max([len(item.contexts) for item in items] + [1])
    records = score_answers(items, answers, judge, embedder, k, progress=progress)
    metadata = {"generator": "external (answers read from the file)"}
    summary = _report(records, judge, k, questions, settings, metadata, out, calibration_file)
    return EvalResult(out, summary, 0, 0)
