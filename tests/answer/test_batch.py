import json

import pytest

from rag.answer.batch import completed_ids, run_batch
from rag.errors import InputError
from rag.types import Answer


def fake_ask(question: str) -> Answer:
    if question == "explode":
        raise InputError("the question is empty")
    return Answer(
        question=question, text=f"echo {question}", refused=False, citations=(), passages=(), generator="echo"
    )


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_answers_and_carries_fields(tmp_path):
    questions, output = tmp_path / "q.jsonl", tmp_path / "out" / "a.jsonl"
    _write(
        questions,
        [json.dumps({"id": "1", "question": "one", "answers": ["x"]}), json.dumps({"id": 2, "question": "two"})],
    )
    report = run_batch(questions, output, fake_ask)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert report.answered == 2
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["answers"] == ["x"] and rows[0]["answer"] == "echo one"
    assert {"id", "question", "answer", "refused", "citations", "passages"} <= set(rows[0])


def test_bad_lines_reported_with_line_numbers(tmp_path):
    questions, output = tmp_path / "q.jsonl", tmp_path / "a.jsonl"
    _write(
        questions,
        [
            '{"id": "a", "question": "fine"}',
            "{not json",
            '["a list"]',
            '{"id": "b"}',
            '{"id": "c", "question": 5}',
            '{"id": "a", "question": "duplicate"}',
            '{"id": "d", "question": "explode"}',
            '{"id": "e", "question": "also fine"}',
        ],
    )
    report = run_batch(questions, output, fake_ask)
    assert report.answered == 2
    lines = sorted(report.bad_lines)
    assert any(":2: not valid JSON" in p for p in lines)
    assert any(":3: expected a JSON object" in p for p in lines)
    assert any(":4: 'question' must be non-empty text" in p for p in lines)
    assert any(":5: 'question'" in p for p in lines)
    assert any(":6: duplicate id 'a'" in p for p in lines)
    assert any(":7: the question is empty" in p for p in lines)


def test_resume_skips_done_and_repairs_half_line(tmp_path):
    questions, output = tmp_path / "q.jsonl", tmp_path / "a.jsonl"
    _write(questions, [json.dumps({"id": str(i), "question": f"q{i}"}) for i in range(5)])
    output.write_text(
        json.dumps({"id": "0", "answer": "done"})
        + "\n"
        + json.dumps({"id": "1", "answer": "done"})
        + "\n"
        + '{"id": "2", "ans',
        encoding="utf-8",
    )
    report = run_batch(questions, output, fake_ask)
    assert report.skipped_done == 2 and report.answered == 3
    ids = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert sorted(ids) == ["0", "1", "2", "3", "4"] and len(ids) == len(set(ids))
    assert completed_ids(output) == {"0", "1", "2", "3", "4"}


def test_unreadable_questions_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        run_batch(tmp_path / "missing.jsonl", tmp_path / "a.jsonl", fake_ask)
