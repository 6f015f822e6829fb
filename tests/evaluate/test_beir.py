import json

import pytest

from rag.errors import InputError
from rag.evaluate.beir.data import load_beir, materialize_corpus
from rag.evaluate.beir.finetune import judged_pairs
from rag.evaluate.beir.retrieval import doc_ranking, score_rankings
from rag.serve.cli import main

DOCS = [
    ("d1", "Aspirin", "Aspirin lowers the risk of heart attack in adults over fifty."),
    ("d2", "Vitamin D", "Vitamin D deficiency is linked to bone fractures in older women."),
    ("d3", "Malaria", "Artemisinin combination therapy cures most malaria infections."),
    ("d/4", "Sleep", "Short sleep duration raises blood pressure in teenagers."),
]
QUERIES = [("q1", "aspirin prevents heart attacks"), ("q2", "malaria is cured by artemisinin"), ("q3", "unjudged")]


def _dataset(root, qrels="query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq2\td/4\t0\n"):
    root.mkdir()
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in DOCS), encoding="utf-8"
    )
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in QUERIES), encoding="utf-8"
    )
    (root / "qrels").mkdir()
    (root / "qrels" / "test.tsv").write_text(qrels, encoding="utf-8")
    return root


def test_load_keeps_judged_relevant_pairs(tmp_path):
    data = load_beir(_dataset(tmp_path / "ds"), "test")
    assert data.qrels == {"q1": {"d1"}, "q2": {"d3"}} and list(data.queries) == ["q1", "q2"]


def test_bad_datasets_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="splits available: test"):
        load_beir(_dataset(tmp_path / "a"), "train")
    with pytest.raises(InputError, match="score 'x' is not an integer"):
        load_beir(_dataset(tmp_path / "b", "q1\td1\tx\n"), "test")
    with pytest.raises(InputError, match="not in queries.jsonl"):
        load_beir(_dataset(tmp_path / "c", "q9\td1\t1\n"), "test")


def test_corpus_files_round_trip_ids(tmp_path):
    data = load_beir(_dataset(tmp_path / "ds"), "test")
    assert materialize_corpus(data, tmp_path / "files") == 4
    names = sorted(p.name for p in (tmp_path / "files").iterdir())
    assert names == ["d%2F4.txt", "d1.txt", "d2.txt", "d3.txt"]
    assert doc_ranking(["d3.txt", "d%2F4.txt", "d3.txt"]) == ["d3", "d/4"]
    assert (tmp_path / "files" / "d1.txt").read_text().startswith("Aspirin\n\n")


def test_scores_hand_computed():
    metrics, per_query = score_rankings({"a": ["x", "r", "y"], "b": ["z"]}, {"a": {"r"}, "b": {"q"}})
    # a: relevant at rank 2 -> nDCG 1/log2(3) = 0.6309, MRR 0.5; b: not found -> 0.
    assert metrics["ndcg@10"] == round((1 / 1.5849625007211562) / 2, 4)
    assert metrics["mrr@10"] == 0.25 and metrics["recall@100"] == 0.5 and metrics["hit@10"] == 0.5
    assert per_query[0]["top10"] == ["x", "r", "y"]


@pytest.mark.slow
def test_eval_retrieval_cli_with_real_embedder(tmp_path, capsys):
    ds = _dataset(tmp_path / "ds")
    out = tmp_path / "result.json"
    code = main(["--index-dir", str(tmp_path / "idx"), "eval-retrieval", "--beir", str(ds), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "nDCG@10" in printed and "retrieval=hybrid" in printed
    result = json.loads(out.read_text())
    assert result["queries"] == 2 and result["metrics"]["hit@10"] == 1.0
    assert [q["top10"][0] for q in result["per_query"]] == ["d1", "d3"]


def test_finetune_split_must_differ_from_scored_split(tmp_path, capsys):
    ds = _dataset(tmp_path / "ds")
    code = main(["--index-dir", str(tmp_path / "idx"), "eval-retrieval", "--beir", str(ds), "--finetune-split", "test"])
    assert code == 2 and "must differ" in capsys.readouterr().err


def test_judged_pairs_pair_each_query_with_its_relevant_documents(tmp_path):
    data = load_beir(_dataset(tmp_path / "ds"), "test")
    assert judged_pairs(data, ["q2", "q1"]) == [
        (
            "malaria is cured by artemisinin",
            "Malaria\n\nArtemisinin combination therapy cures most malaria infections.",
        ),
        ("aspirin prevents heart attacks", "Aspirin\n\nAspirin lowers the risk of heart attack in adults over fifty."),
    ]
