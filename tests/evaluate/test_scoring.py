import json

import pytest

from rag.errors import InputError
from rag.evaluate.dataset import EvalItem, read_eval_items
from rag.evaluate.judges import OverlapJudge
from rag.evaluate.report import summarize
from rag.evaluate.scoring import cited_sentences, score_item

P1 = "The Yangtze flows for 6,300 kilometres. It is the longest river in Asia."
P2 = "Apples grow on trees in orchards."


def _record(answer: str, citations: list[tuple[int, str]], refused: bool = False) -> dict:
    return {
        "answer": answer,
        "refused": refused,
        "citations": [{"marker": m, "chunk_id": c} for m, c in citations],
        "passages": [
            {
                "rank": 1,
                "chunk_id": "apples.txt:0",
                "doc_id": "apples.txt",
                "source": "apples.txt",
                "score": 0.9,
                "text": P2,
            },
            {
                "rank": 2,
                "chunk_id": "rivers.md:0",
                "doc_id": "rivers.md",
                "source": "rivers.md",
                "score": 0.8,
                "text": P1,
            },
        ],
    }


ITEM = EvalItem(
    "q1",
    "How long is the Yangtze?",
    answers=("6,300 kilometres",),
    reference="The Yangtze is 6,300 km long.",
    sources=("rivers.md",),
)
JUDGE = OverlapJudge(None, threshold=0.6)


def test_supported_cited_answer_hand_computed():
    scored = score_item(
        ITEM, _record("The Yangtze flows for 6,300 kilometres [1].", [(1, "rivers.md:0")]), JUDGE, None, k=2
    )
    m = scored["metrics"]
    assert (m["hit_at_k"], m["mrr"], scored["first_relevant_rank"]) == (1.0, 0.5, 2)
    assert m["ndcg_at_10"] == pytest.approx(1 / 1.5849625)  # 1/log2(3)
    assert m["contains_answer"] == 1.0 and m["exact_match"] == 0.0
    # "yangtze flows for 6300 kilometres" vs "6300 kilometres": precision 2/5, recall 1
    assert m["token_f1"] == pytest.approx(2 * 0.4 / 1.4, abs=1e-6)
    assert (m["faithfulness"], m["citation_recall"], m["citation_precision"]) == (1.0, 1.0, 1.0)
    assert m["refusal_correct"] == 1.0
    assert m["semantic_similarity"] is None and scored["reasons"]["semantic_similarity"] == "no embedder"


def test_wrong_citation_is_unfaithful_and_imprecise():
    scored = score_item(
        ITEM, _record("The Yangtze flows for 6,300 kilometres [1].", [(1, "apples.txt:0")]), JUDGE, None, k=2
    )
    assert scored["metrics"]["faithfulness"] == 0.0
    assert scored["metrics"]["citation_precision"] == 0.0


def test_uncited_sentence_counts_against_citation_recall_not_grounding():
    scored = score_item(ITEM, _record("The Yangtze flows for 6,300 kilometres.", []), JUDGE, None, k=2)
    m = scored["metrics"]
    assert m["faithfulness"] == 1.0  # checked against all passages
    assert m["citation_recall"] == 0.0
    assert m["citation_precision"] is None and scored["reasons"]["citation_precision"] == "no citations"


def test_refused_and_empty_answers_and_unanswerable_items():
    refused = score_item(ITEM, _record("I could not find this in the documents.", [], refused=True), JUDGE, None, k=2)
    assert refused["metrics"]["contains_answer"] == 0.0 and refused["metrics"]["refusal_correct"] == 0.0
    assert refused["metrics"]["faithfulness"] is None and refused["reasons"]["faithfulness"] == "answer refused"
    empty = score_item(ITEM, _record("", []), JUDGE, None, k=2)
    assert empty["metrics"]["token_f1"] == 0.0 and empty["reasons"]["faithfulness"] == "empty answer"
    unanswerable = EvalItem("q2", "Who owns the moon?", answerable=False)
    scored = score_item(
        unanswerable, _record("I could not find this in the documents.", [], refused=True), JUDGE, None, k=2
    )
    assert scored["metrics"]["refusal_correct"] == 1.0
    assert scored["reasons"]["contains_answer"] == "unanswerable question"
    assert scored["reasons"]["hit_at_k"].startswith("no sources")
    assert all(v is None or isinstance(v, float) for v in scored["metrics"].values())


def test_chunk_ids_and_reference_contexts_as_relevance():
    by_chunk = EvalItem("q", "?", relevant_chunk_ids=("rivers.md:0",))
    assert score_item(by_chunk, _record("", []), JUDGE, None, k=1)["metrics"]["hit_at_k"] == 0.0
    by_context = EvalItem("q", "?", reference_contexts=("Apples grow on trees.",))
    assert score_item(by_context, _record("", []), JUDGE, None, k=1)["metrics"]["hit_at_k"] == 1.0


def test_cited_sentences_maps_markers_to_passage_text():
    record = _record("Apples grow on trees [1]. The Yangtze is long [2][1].", [(1, "apples.txt:0"), (2, "rivers.md:0")])
    assert cited_sentences(record) == [("Apples grow on trees.", [P2]), ("The Yangtze is long.", [P1, P2])]


def test_summary_has_intervals_and_abstention():
    items = []
    for i, (refused, answerable) in enumerate([(True, False), (False, True), (True, True), (False, False)]):
        items.append(
            {
                "id": str(i),
                "refused": refused,
                "answerable": answerable,
                "metrics": dict.fromkeys(
                    (
                        "hit_at_k",
                        "recall_at_k",
                        "mrr",
                        "ndcg_at_10",
                        "exact_match",
                        "token_f1",
                        "contains_answer",
                        "semantic_similarity",
                        "faithfulness",
                        "citation_recall",
                        "citation_precision",
                        "refusal_correct",
                    ),
                    1.0,
                ),
            }
        )
    summary = summarize(items, {"name": "overlap", "calibration": None}, k=5)
    assert summary["refusal"]["abstention_precision"]["mean"] == 0.5
    assert summary["refusal"]["abstention_recall"]["mean"] == 0.5
    assert summary["metrics"]["mrr"] == {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 4}
    assert "NaN" not in json.dumps(summary)


def test_question_file_formats_and_errors(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        json.dumps({"id": 7, "user_input": "Who?", "reference": "Ming Ming.", "reference_contexts": ["ctx"]})
        + "\n\n"
        + json.dumps({"id": "b", "question": "What?", "answers": "one", "answerable": False})
        + "\n",
        encoding="utf-8",
    )
    first, second = read_eval_items(path)
    assert (first.id, first.question, first.reference, first.reference_contexts) == (
        "7",
        "Who?",
        "Ming Ming.",
        ("ctx",),
    )
    assert second.answers == ("one",) and second.answerable is False
    bad_cases = {
        "{not json": "q.jsonl:1: not valid JSON",
        '{"id": "a"}': "q.jsonl:1: 'question' (or 'user_input') must be non-empty",
        '{"id": "a", "question": "x", "answers": [1]}': "'answers' must be a list of strings",
        '{"id": "a", "question": "x", "answerable": "no"}': "'answerable' must be true or false",
        '{"id": "a", "question": "x"}\n{"id": "a", "question": "y"}': "q.jsonl:2: duplicate id 'a'",
        "": "no questions",
    }
    for text, message in bad_cases.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
            read_eval_items(path)
    with pytest.raises(InputError, match="cannot read"):
        read_eval_items(tmp_path / "missing.jsonl")


def test_cli_errors_are_one_line(tmp_path, capsys):
    from rag.serve.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n', encoding="utf-8")
    assert main(["--index-dir", str(tmp_path / "none"), "eval", str(bad), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "bad.jsonl:1" in err and "\n" not in err
    assert main(["eval", "compare", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip() == "error: usage: rag eval compare RUN_A RUN_B"
    assert main(["eval", "compare", str(tmp_path / "x"), str(tmp_path / "y")]) == 2
    assert "no items.jsonl" in capsys.readouterr().err
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "a", "question": "Who?"}\n', encoding="utf-8")
    assert (
        main(["--index-dir", str(tmp_path / "none"), "eval", str(good), "--judge", "nli", "--out", str(tmp_path / "r")])
        == 2
    )
    assert (
        capsys.readouterr().err.strip() == "error: the nli judge needs a CrossEncoder NLI model: pass --nli-model PATH"
    )


def test_quick_answer_is_scored_next_to_the_answer():
    record = _record("I could not find this in the documents.", [], refused=True)
    record["quick_answer"] = {"answer": "It flows for 6,300 kilometres [1].", "refused": False, "citations": []}
    m = score_item(ITEM, record, JUDGE, None, k=2)["metrics"]
    assert (m["contains_answer"], m["refusal_correct"]) == (0.0, 0.0)
    assert (m["quick_contains_answer"], m["quick_refusal_correct"]) == (1.0, 1.0)
    unanswerable = EvalItem("q2", "Who owns the moon?", answerable=False)
    scored = score_item(unanswerable, record, JUDGE, None, k=2)
    assert scored["metrics"]["quick_refusal_correct"] == 0.0
    assert scored["reasons"]["quick_contains_answer"] == "unanswerable question"
    plain = score_item(ITEM, _record("It flows for 6,300 kilometres [1].", [(1, "rivers.md:0")]), JUDGE, None, k=2)
    assert plain["metrics"]["quick_contains_answer"] is None
    assert plain["reasons"]["quick_refusal_correct"].startswith("no quick answer")


def test_records_with_sentence_spans_are_judged_from_the_spans():
    """Our own records carry each passage's sentence spans: the judge reads those (the same
    verdicts as from plain text), and a record of another system (text only) still works."""
    from rag.text import split_sentences

    plain = _record("The Yangtze flows for 6,300 kilometres [1].", [(1, "rivers.md:0")])
    spanned = json.loads(json.dumps(plain))
    for passage in spanned["passages"]:
        passage["spans"] = [[s.start, s.end] for s in split_sentences(passage["text"])]
    assert score_item(ITEM, spanned, JUDGE, None, k=2) == score_item(ITEM, plain, JUDGE, None, k=2)
    ((claim, cited),) = cited_sentences(spanned)
    assert [s.text for s in cited[0].sentences] == [
        "The Yangtze flows for 6,300 kilometres.",
        "It is the longest river in Asia.",
    ]
    # The sentences come from the stored spans, not from splitting the text again.
    spanned["passages"][1]["spans"] = [[0, 39]]
    ((_, cited),) = cited_sentences(spanned)
    assert [s.text for s in cited[0].sentences] == ["The Yangtze flows for 6,300 kilometres."]


class _RecordingJudge:
    name = "recording"

    def __init__(self) -> None:
        self.whole_answers: list[bool] = []

    def judge(self, claim, evidence, question="", whole_answer=True):
        self.whole_answers.append(whole_answer)
        return JUDGE.judge(claim, evidence, question)


def test_only_a_one_sentence_answer_is_judged_as_the_whole_answer():
    judge = _RecordingJudge()
    score_item(ITEM, _record("The Yangtze flows for 6,300 kilometres [1].", [(1, "rivers.md:0")]), judge, None, k=2)
    two = "The Yangtze flows for 6,300 kilometres [1]. It is the longest river in Asia [1]."
    score_item(ITEM, _record(two, [(1, "rivers.md:0")]), judge, None, k=2)
    assert judge.whole_answers[0] is True and set(judge.whole_answers[1:]) == {False}
