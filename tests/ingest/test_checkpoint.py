import numpy as np

from rag.index.manifest import DocumentRecord
from rag.ingest.checkpoint import Checkpoint
from rag.types import Chunk

STATE = {"embedder": "e", "chunker": {"chunk_size": 10, "chunk_overlap": 2, "tokenizer": "e"}}


def _chunks(doc_id: str) -> list[Chunk]:
    computed = Chunk(f"{doc_id}:0", doc_id, doc_id, "T", "First one. Second one.", 0, 22)
    given = Chunk(f"{doc_id}:30", doc_id, doc_id, "T", "abcdef", 30, 36, ((0, 2), (3, 6)))
    return [computed, given]


def test_chunks_and_records_round_trip_with_spans(tmp_path):
    record = DocumentRecord(source="a.txt", title="T", sha256="s", path="/a.txt", root="/", indexed_at="now", chunks=2)
    checkpoint = Checkpoint.open(tmp_path, STATE, dim=4)
    checkpoint.append([("a.txt", "s", record, _chunks("a.txt"))], np.ones((2, 4), np.float32))
    assert checkpoint.chunks({"a.txt"}) == {"a.txt": _chunks("a.txt")}
    # What a killed run leaves is resumed: same records, same spans.
    resumed = Checkpoint.open(tmp_path, STATE, dim=4)
    done = resumed.reusable("a.txt", "s")
    assert done is not None and done.info == record and (done.start, done.end) == (0, 2)
    chunks = resumed.chunks({"a.txt"})["a.txt"]
    assert chunks == _chunks("a.txt") and chunks[0].spans == ((0, 10), (11, 22)) and chunks[1].spans == ((0, 2), (3, 6))
    assert resumed.vectors().shape == (2, 4)
    assert Checkpoint.open(tmp_path, {**STATE, "embedder": "other"}, dim=4).done == {}
