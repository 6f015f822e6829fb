import numpy as np

from rag.models.verifier_features import Encoded
from rag.models.verifier_training.vectors import VectorStore


class _Encoder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts):
        self.seen += texts
        return [Encoded(np.full(4, len(t), np.float32), np.ones((len(t.split()), 4), np.float32)) for t in texts]


def test_vectors_are_stored_once_and_a_rerun_encodes_only_new_texts(tmp_path):
    first = _Encoder()
    store = VectorStore(tmp_path, shard_size=2)
    store.build(["a b", "c", "d e f"], first)
    assert sorted(first.seen) == ["a b", "c", "d e f"]
    again = _Encoder()
    resumed = VectorStore(tmp_path, shard_size=2)
    resumed.build(["a b", "c", "d e f", "g h"], again)
    assert again.seen == ["g h"]
    encoded = resumed["d e f"]
    assert encoded.tokens.shape == (3, 4) and encoded.tokens.dtype == np.float32
    assert float(encoded.vector[0]) == len("d e f")
