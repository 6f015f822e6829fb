"""`rag eval` on answers written by another system (RAGAS fields): scored, never re-answered."""

import json

import pytest

from rag.errors import InputError
from rag.evaluate.dataset import external_record, read_eval_items
from rag.evaluate.runner import run_eval

LINES = [
    {
        "id": "q1",
        "user_input": "Where was the Fuji apple developed?",
        "response": "The Fuji apple was developed in Japan [1]. It is the sweetest apple on Mars [2].",
        "retrieved_contexts": ["The Fuji apple was developed in Japan in the 1930s.", "Apples grow on trees."],
        "reference": "It was developed in Japan.",
        "answers": ["Japan"],
    },
    {
        "id": "q2",
        "question": "How long is the Yangtze?",
        "answer": "The Yangtze flows for 6,300 kilometres.",
        "contexts": ["The Yangtze is the longest river in Asia. It flows for 6,300 kilometres."],
    },
]


def _write(path, lines):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_lines_without_an_id_are_named_by_their_line(tmp_path):
    # RAGAS samples carry no id.
    lines = [{k: v for k, v in line.items() if k != "id"} for line in LINES]
    items = read_eval_items(_write(tmp_path / "a.jsonl", lines))
    assert [item.id for item in items] == ["line-1", "line-2"]
    with pytest.raises(InputError, match="duplicate id 'line-2'"):
        read_eval_items(_write(tmp_path / "b.jsonl", [{**lines[0], "id": "line-2"}, lines[1]]))


def test_external_lines_become_answer_records_with_in_range_citations(tmp_path):
    items = read_eval_items(_write(tmp_path / "a.jsonl", LINES))
    record = external_record(items[0])
    assert [p["chunk_id"] for p in record["passages"]] == ["context-1", "context-2"]
    assert [c["marker"] for c in record["citations"]] == [1, 2]
    assert record["generator"] == "external"
    assert external_record(items[1])["citations"] == []


def test_scored_without_index_or_generator(tmp_path, settings, monkeypatch, embedder):
    import rag.answer.pipeline
    import rag.models.embedders

    def no_pipeline(*args, **kwargs):
        raise AssertionError("the pipeline must not be built for external answers")

    monkeypatch.setattr(rag.answer.pipeline.RagPipeline, "from_settings", no_pipeline)
    monkeypatch.setattr(rag.models.embedders, "create_embedder", lambda *a, **k: embedder)
    result = run_eval(_write(tmp_path / "a.jsonl", LINES), tmp_path / "run", settings, judge_name="overlap")
    items = [json.loads(line) for line in (tmp_path / "run" / "items.jsonl").read_text().splitlines()]
    assert [i["id"] for i in items] == ["q1", "q2"]
    first, second = items
    assert first["faithfulness"] == 0.5  # the Mars sentence is not in its context
    assert second["faithfulness"] == 1.0
    assert first["metrics"]["contains_answer"] == 1.0
    assert first["metrics"]["citation_precision"] is not None
    assert (tmp_path / "run" / "report.md").is_file() and result.answered == 0


def test_a_file_mixing_questions_and_answers_is_refused(tmp_path):
    mixed = _write(tmp_path / "m.jsonl", [LINES[0], {"id": "q3", "question": "Who?"}])
    with pytest.raises(InputError, match=r"m.jsonl:2: .*separate files"):
        read_eval_items(mixed)
    with pytest.raises(InputError, match="contexts' given without the 'answer'"):
        read_eval_items(_write(tmp_path / "c.jsonl", [{"id": "x", "question": "Who?", "contexts": ["a"]}]))
    with pytest.raises(InputError, match="'answer' \\(or 'response'\\) must be text"):
        read_eval_items(_write(tmp_path / "n.jsonl", [{"id": "x", "question": "Who?", "answer": 3}]))


@pytest.mark.slow
def test_rag_eval_scores_a_ragas_file_with_the_shipped_verifier_and_no_index(tmp_path, monkeypatch):
    from rag.serve.cli import main

    def no_generator(*args, **kwargs):
        raise AssertionError("no generator may be created for external answers")

    monkeypatch.setattr("rag.answer.generators.create_generator", no_generator)
    lines = [
        {**LINES[0], "response": "The Fuji apple was developed in Japan [1]. It was developed in Chile [1]."},
        LINES[1],
    ]
    out = tmp_path / "run"
    args = ["--index-dir", str(tmp_path / "no-index"), "eval", str(_write(tmp_path / "r.jsonl", lines))]
    assert main([*args, "--judge", "verifier", "--out", str(out)]) == 0
    items = {i["id"]: i for i in map(json.loads, (out / "items.jsonl").read_text().splitlines())}
    assert items["q1"]["faithfulness"] == 0.5 and items["q2"]["faithfulness"] == 1.0
    verdicts = items["q1"]["sentences"]
    assert [v["supported"] for v in verdicts] == [True, False]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["judge"]["name"] == "verifier" and summary["judge"]["calibration"]["accuracy"] > 0.5
