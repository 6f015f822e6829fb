import json
import random

from rag.models.verifier_training.data import (
    build,
    dialogue_pairs,
    document_pairs,
    read_pairs,
    summary_pairs,
    write_pairs,
)

ARTICLE = (
    "Beijing (CNN) China's exports rose 8.5% in March, the customs office said on Tuesday. "
    "Shipments of electric vehicles grew fastest, led by BYD and Geely. "
    "Imports fell 2.1% as demand for coal weakened in the north. "
    "The trade surplus reached 102 billion dollars, the largest since 2022. "
    "Analysts at Nomura said the figures beat forecasts. "
    "Officials expect the pace to slow in the second half of the year. "
    "The yuan was steady against the dollar after the data were published. "
    "Separately, the central bank kept its main lending rate unchanged at 3.45%."
)


def test_each_contradiction_comes_with_the_supported_claim_against_the_same_evidence():
    pairs = document_pairs(ARTICLE, "doc", random.Random(1), per_document=6)
    positives = [p for p in pairs if p.label == 1]
    assert positives and all(p.kind in ("copy", "clause") for p in positives)
    contradictions = [p for p in pairs if p.label == 0 and p.kind not in ("unrelated", "extra")]
    assert contradictions
    for contradiction in contradictions:
        assert contradiction.claim not in contradiction.evidence
        assert any(p.evidence == contradiction.evidence for p in positives), contradiction


def test_summary_sentences_are_kept_only_when_one_window_holds_their_facts():
    summary = "Exports from China climbed 8.5% in March, customs said. Tesla sold 900 cars in Peru."
    pairs = summary_pairs(ARTICLE, summary, "doc", random.Random(0))
    supported = [p for p in pairs if p.label == 1]
    assert [p.claim for p in supported] == ["Exports from China climbed 8.5% in March, customs said."]
    assert any(p.label == 0 for p in pairs)


def test_dialogue_pairs_take_the_last_user_turn_as_the_question():
    item = {
        "knowledge": "Zodiac is starring Jake Gyllenhaal",
        "dialogue_history": "[Human]: Do you like Iron Man [Assistant]: Sure do! [Human]: Was RDJ in Zodiac? ",
        "right_response": "Yes, with Jake Gyllenhaal.",
        "hallucinated_response": "Yes, with Tom Hanks.",
    }
    right, wrong = dialogue_pairs(item, "d:1")
    assert (right.label, wrong.label) == (1, 0)
    assert right.question == "Was RDJ in Zodiac?"


def test_build_keeps_validation_documents_apart_and_round_trips(tmp_path):
    halueval = tmp_path / "halueval"
    halueval.mkdir()
    with (halueval / "dataset_halueval_summarization.jsonl").open("w") as f:
        for n in range(30):
            f.write(
                json.dumps(
                    {"document": ARTICLE.replace("8.5", str(n + 1)), "right_summary": "x", "hallucinated_summary": "y"}
                )
                + "\n"
            )
    with (halueval / "dataset_halueval_dialogue.jsonl").open("w") as f:
        for n in range(20):
            f.write(
                json.dumps(
                    {
                        "knowledge": f"K{n} is big",
                        "dialogue_history": "[Human]: hi ",
                        "right_response": "a",
                        "hallucinated_response": "b",
                    }
                )
                + "\n"
            )
    train, validation = build(halueval, None, seed=5, news=30, dialogues=20, held_out=0.2)
    assert train and validation
    assert not {p.source for p in train} & {p.source for p in validation}
    again_train, _ = build(halueval, None, seed=5, news=30, dialogues=20, held_out=0.2)
    assert again_train == train
    write_pairs(train, tmp_path / "train.jsonl")
    assert read_pairs(tmp_path / "train.jsonl") == train
