"""Answer a JSONL file of questions, one JSON object per line, resumable after a kill."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError, RagError
from rag.types import Answer

__all__ = ["BatchReport", "read_questions", "completed_ids", "run_batch"]

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    answered: int = 0
    skipped_done: int = 0
    bad_lines: list[str] = field(default_factory=list)


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
    """Ids already answered in `output`; a half-written last line (from a kill) is cut off."""
    if not output.exists():
        return set()
    data = output.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        log.warning("%s: dropping a half-written last line from an interrupted run", output)
        with output.open("r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    done = set()
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        try:
            record = json.loads(line)
            done.add(str(record["id"]))
        except (json.JSONDecodeError, KeyError, TypeError):
            log.warning("%s:%d: unreadable answer line left in place", output, number)
    return done


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
    done = completed_ids(output)
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
            except RagError:
                raise
            out.write(json.dumps(answer_record(record, answer), ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
            report.answered += 1
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    return report
