"""Answer a JSONL file of questions, one JSON object per line, resumable after a kill.

A question whose generator fails (endpoint down, timeout, 5xx, broken stream, garbage JSON) is
written as `{"id": ..., "failed": true, "error": "..."}` and the run goes on; the next run drops
those lines (atomically) and retries them, so each id ends up in the output once.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import GeneratorError, InputError, RagError
from rag.types import Answer

__all__ = ["BatchReport", "MAX_CONSECUTIVE_FAILURES", "read_questions", "completed_ids", "run_batch"]

log = logging.getLogger(__name__)

# Stop when this many questions in a row fail: the endpoint is down, not one question bad.
MAX_CONSECUTIVE_FAILURES = 10


@dataclass
class BatchReport:
    answered: int = 0
    skipped_done: int = 0
    bad_lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # ids whose answer failed; a re-run retries them
    retried: int = 0  # failed ids of an earlier run taken up again
    stopped: str | None = None  # why the run stopped early, if it did


def read_questions(path: Path, problems: list[str]) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record) for every usable line; unusable lines go to `problems`."""
    try:
        fh = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    seen: set[str] = set()
    with fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: not valid JSON ({exc.msg})")
                continue
            if not isinstance(record, dict):
                problems.append(f"{where}: expected a JSON object, got {type(record).__name__}")
                continue
            qid, question = record.get("id"), record.get("question")
            if isinstance(qid, int) and not isinstance(qid, bool):
                qid = str(qid)
            if not isinstance(qid, str) or not qid:
                problems.append(f"{where}: missing or non-text 'id'")
                continue
            if not isinstance(question, str) or not question.strip():
                problems.append(f"{where}: 'question' must be non-empty text")
                continue
            if qid in seen:
                problems.append(f"{where}: duplicate id {qid!r}, skipped")
                continue
            seen.add(qid)
            yield number, {**record, "id": qid}


def completed_ids(output: Path) -> set[str]:
    """Ids already answered in `output`.

    A half-written last line (from a kill) is cut off, and lines of failed answers are dropped
    (the file is rewritten atomically) so that the caller retries them.
    """
    return _prepare_output(output)[0]


def _prepare_output(output: Path) -> tuple[set[str], int]:
    """(ids answered, failed lines dropped) after repairing `output` for a resumed run."""
    if not output.exists():
        return set(), 0
    data = output.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        log.warning("%s: dropping a half-written last line from an interrupted run", output)
        with output.open("r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    done: set[str] = set()
    kept: list[bytes] = []
    failed = 0
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            record = json.loads(raw.decode("utf-8", errors="replace"))
            qid = str(record["id"])
        except (json.JSONDecodeError, KeyError, TypeError):
            log.warning("%s:%d: unreadable answer line left in place", output, number)
            kept.append(raw)
            continue
        if record.get("failed"):
            failed += 1
            continue
        done.add(qid)
        kept.append(raw)
    if failed:
        tmp = output.with_name(f".{output.name}.tmp")
        with tmp.open("wb") as fh:
            fh.writelines(kept)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, output)
        log.warning("%s: retrying %d questions that failed in an earlier run", output, failed)
    return done, failed


def answer_record(record: dict, answer: Answer) -> dict:
    """Input fields carried through, the answer's fields on top."""
    return {**record, **answer.to_dict(), "id": record["id"]}


def run_batch(
    questions: Path,
    output: Path,
    ask: Callable[[str], Answer],
    progress: bool = False,
) -> BatchReport:
    """Answer every question not yet in `output`, appending one line per answer."""
    report = BatchReport()
    done, report.retried = _prepare_output(output)
    records = list(read_questions(questions, report.bad_lines))
    for problem in report.bad_lines:
        log.warning("%s", problem)
    todo = [(n, r) for n, r in records if r["id"] not in done]
    report.skipped_done = len(records) - len(todo)
    if output.parent and not output.parent.exists():
        output.parent.mkdir(parents=True, exist_ok=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="answering", unit="q")
    in_a_row = 0
    with output.open("a", encoding="utf-8") as out:
        for number, record in todo:
            try:
                answer = ask(record["question"])
            except InputError as exc:
                message = f"{questions}:{number}: {exc}"
                log.warning("%s", message)
                report.bad_lines.append(message)
                if bar:
                    bar.update(1)
                continue
            except GeneratorError as exc:
                message = " ".join(str(exc).split())
                log.warning("%s:%d: question %r failed: %s", questions, number, record["id"], message)
                line = {**record, "id": record["id"], "failed": True, "error": message}
                _append(out, line)
                report.failed.append(record["id"])
                in_a_row += 1
                if bar:
                    bar.update(1)
                if in_a_row >= MAX_CONSECUTIVE_FAILURES:
                    report.stopped = (
                        f"stopped after {in_a_row} failed questions in a row (last: {message}); "
                        "fix the generator and re-run to continue"
                    )
                    break
                continue
            except RagError:
                raise
            in_a_row = 0
            _append(out, answer_record(record, answer))
            report.answered += 1
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    return report


def _append(out, record: dict) -> None:
    """One whole line, on disk before the next question starts."""
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    os.fsync(out.fileno())
