import json

import pytest

from rag.errors import InputError
from rag.models.finetune import make_batches, read_pairs


def test_read_pairs_accepts_both_shapes_and_names_bad_lines(tmp_path):
    good = tmp_path / "pairs.jsonl"
    good.write_text(
        json.dumps({"question": "q1", "passage": "p1"})
        + "\n\n"
        + json.dumps({"user_input": "q2", "reference_contexts": ["p2", "p3"]})
        + "\n",
        encoding="utf-8",
    )
    assert read_pairs(good) == [("q1", "p1"), ("q2", "p2"), ("q2", "p3")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "q1", "passage": "p1"}) + "\n" + json.dumps({"question": "q"}) + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl:2: 'passage'"):
        read_pairs(bad)
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"question": "q", "passage": "p"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="at least 2"):
        read_pairs(one)


def test_batches_never_repeat_a_passage_and_cover_every_pair():
    pairs = [(f"q{i}", f"p{i % 5}") for i in range(20)]
    batches = list(make_batches(pairs, 4, seed=0))
    assert all(len({p for _, p in b}) == len(b) for b in batches)
    assert sorted(x for b in batches for x in b) == sorted(pairs)
    assert batches == list(make_batches(pairs, 4, seed=0))


@pytest.mark.slow
def test_finetune_real_model_moves_questions_to_their_passages(tmp_path):
    import numpy as np

    from rag.config import TRAINABLE_EMBEDDER as DEFAULT_EMBEDDER
    from rag.models.embedders import create_embedder
    from rag.models.finetune import finetune_embedder

    pairs = [
        ("What colour is a zorblat?", "Zorblats are bright orange."),
        ("Where do quenfish live?", "Quenfish live in cold mountain lakes."),
        ("How tall is a vimtree?", "A vimtree grows to forty metres."),
        ("Who feeds the glimbats?", "The glimbats are fed by the night keeper."),
    ]
    base = create_embedder(DEFAULT_EMBEDDER)

    def margin(embedder):
        q = embedder.embed_queries([a for a, _ in pairs])
        p = embedder.embed_documents([b for _, b in pairs])
        sims = q @ p.T
        return float(np.mean(np.diag(sims)) - np.mean(sims[~np.eye(len(pairs), dtype=bool)]))

    report = finetune_embedder(DEFAULT_EMBEDDER, pairs, tmp_path / "model", epochs=3, batch_size=4, learning_rate=1e-4)
    assert report.steps == 3 and (tmp_path / "model" / "rag_finetune.json").exists()
    tuned = create_embedder(str(tmp_path / "model"))
    assert margin(tuned) > margin(base)
