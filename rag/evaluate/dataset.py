"""Evaluation question files: our JSONL format and RAGAS field names, validated line by line.

Fields (one JSON object per line): `id`, `question` (RAGAS: `user_input`), optional `answers`
(list of acceptable short answers, or one string), `reference` (long-form reference answer),
`sources` (document ids that hold the answer), `relevant_chunk_ids`, `reference_contexts`
(RAGAS: passage texts that hold the answer), `answerable` (false = not in the documents).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.errors import InputError
from rag.jsonl import iter_jsonl_objects

__all__ = ["EvalItem", "read_eval_items", "write_batch_questions"]


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

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _text_list(record: dict, key: str, where: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: {key!r} must be a list of strings")
    return tuple(v for v in value if v.strip())


def _parse(record: object, where: str) -> EvalItem:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
    qid = record.get("id")
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
    return EvalItem(
        id=qid,
        question=question.strip(),
        answers=_text_list(record, "answers", where),
        reference=reference.strip() if reference and reference.strip() else None,
        sources=_text_list(record, "sources", where),
        relevant_chunk_ids=_text_list(record, "relevant_chunk_ids", where),
        reference_contexts=_text_list(record, "reference_contexts", where),
        answerable=answerable,
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
        item = _parse(record, where)
        if item.id in seen:
            raise InputError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
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
