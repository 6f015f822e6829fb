"""Evaluation question files: our JSONL format and RAGAS field names, validated line by line.

Fields (one JSON object per line): `id` (optional: `line-N` when a line has none, as RAGAS
samples have none), `question` (RAGAS: `user_input`), optional `answers`
(list of acceptable short answers, or one string), `reference` (long-form reference answer),
`sources` (document ids that hold the answer), `relevant_chunk_ids`, `reference_contexts`
(RAGAS: passage texts that hold the answer), `answerable` (false = not in the documents).

A line may instead bring an answer already written by some system, to be scored without answering
again: `answer` (RAGAS: `response`), the passages it was written from as `contexts` (RAGAS:
`retrieved_contexts`), `[n]` markers in it pointing into them, and optionally `refused`. A file
holds one kind of line or the other.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.errors import InputError
from rag.jsonl import iter_jsonl_objects

__all__ = ["EvalItem", "read_eval_items", "write_batch_questions", "external_record"]


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    reference: str | None = None
    sources: tuple[str, ...] = ()
    relevant_chunk_ids: tuple[str, ...] = ()
    reference_contexts: tuple[str, ...] = ()
    answerable: bool = True
    # An answer written elsewhere (None: the pipeline answers the question).
    response: str | None = None
    contexts: tuple[str, ...] = ()
    refused: bool = False

    def to_dict(self) -> dict:
        record = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if self.response is None:
            for key in ("response", "contexts", "refused"):
                record.pop(key)
        return record


def _text_list(record: dict, key: str, where: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: {key!r} must be a list of strings")
    return tuple(v for v in value if v.strip())


def _parse(record: object, where: str, number: int) -> EvalItem:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
    qid = record.get("id", f"line-{number}")
    if isinstance(qid, int) and not isinstance(qid, bool):
        qid = str(qid)
    if not isinstance(qid, str) or not qid.strip():
        raise InputError(f"{where}: missing or non-text 'id'")
    question = record.get("question", record.get("user_input"))
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"{where}: 'question' (or 'user_input') must be non-empty text")
    reference = record.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise InputError(f"{where}: 'reference' must be text")
    answerable = record.get("answerable", True)
    if not isinstance(answerable, bool):
        raise InputError(f"{where}: 'answerable' must be true or false, got {answerable!r}")
    response = record.get("answer", record.get("response"))
    if response is not None and not isinstance(response, str):
        raise InputError(f"{where}: 'answer' (or 'response') must be text")
    contexts = record.get("contexts", record.get("retrieved_contexts"))
    if contexts is not None and response is None:
        raise InputError(f"{where}: 'contexts' given without the 'answer' (or 'response') written from them")
    refused = record.get("refused", False)
    if not isinstance(refused, bool):
        raise InputError(f"{where}: 'refused' must be true or false, got {refused!r}")
    return EvalItem(
        id=qid,
        question=question.strip(),
        answers=_text_list(record, "answers", where),
        reference=reference.strip() if reference and reference.strip() else None,
        sources=_text_list(record, "sources", where),
        relevant_chunk_ids=_text_list(record, "relevant_chunk_ids", where),
        reference_contexts=_text_list(record, "reference_contexts", where),
        answerable=answerable,
        response=response,
        contexts=_text_list(record, "contexts" if "contexts" in record else "retrieved_contexts", where),
        refused=refused,
    )


def read_eval_items(path: Path) -> list[EvalItem]:
    """All items of a question file; the first bad line raises one `InputError` naming file:line.

    Example:
        >>> items = read_eval_items(Path("eval/seed_questions.jsonl"))
        >>> items[0].id, items[0].answerable
        ('seed-001', True)
    """
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, record in iter_jsonl_objects(path):
        where = f"{path}:{number}"
        item = _parse(record, where, number)
        if item.id in seen:
            raise InputError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        if items and (item.response is None) != (items[0].response is None):
            first = "answers to score" if items[0].response is not None else "questions to answer"
            raise InputError(
                f"{where}: the file starts with {first} but this line is not; put questions to answer "
                "and answers to score (lines with 'answer'/'response') in separate files"
            )
        items.append(item)
    if not items:
        raise InputError(f"{path}: no questions in the file")
    return items


def write_batch_questions(items: list[EvalItem], path: Path) -> None:
    """The normalized question file `run_batch` reads (RAGAS names already mapped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(item.to_dict(), ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    tmp.replace(path)


def external_record(item: EvalItem) -> dict:
    """An answer written by another system, in the shape `rag batch` writes: its contexts become
    ranked passages `context-1`…, its in-range `[n]` markers citations of them."""
    from rag.text import marker_numbers

    passages = [
        {"rank": n, "chunk_id": f"context-{n}", "doc_id": "", "source": "", "score": None, "text": text}
        for n, text in enumerate(item.contexts, start=1)
    ]
    markers = sorted({m for m in marker_numbers(item.response or "") if 1 <= m <= len(passages)})
    return {
        "id": item.id,
        "question": item.question,
        "answer": item.response or "",
        "refused": item.refused,
        "generator": "external",
        "passages": passages,
        "citations": [{"marker": m, "chunk_id": f"context-{m}", "quote": ""} for m in markers],
    }
