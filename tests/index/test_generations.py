import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError
from rag.index import generations
from rag.index.generations import (
    SCHEMA_VERSION,
    DocumentRecord,
    Manifest,
    check_index,
    chunk_from_json,
    chunk_to_json,
    index_lock,
    load_index,
    save_index,
)
from rag.index.stores import FaissStore, StoreConfig, training_sample
from rag.text import split_sentences
from rag.types import Chunk


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(f"d.txt:{i * 10}", "d.txt", "d.txt", "D", f"text {i}", i * 10, i * 10 + 6) for i in range(n)]


def _vectors(n: int, dim: int = 8) -> np.ndarray:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _manifest(n: int) -> Manifest:
    return Manifest(
        embedder="e",
        dimension=8,
        chunker={"chunk_size": 10, "chunk_overlap": 2, "tokenizer": "e"},
        documents={"d.txt": DocumentRecord(chunks=n, sha256="x")},
    )


def test_round_trip_and_search(tmp_path):
    vectors = _vectors(5)
    save_index(tmp_path, _manifest(5), _chunks(5), vectors, StoreConfig(index_factory="Flat"))
    index = load_index(tmp_path)
    assert [c.chunk_id for c in index.chunks] == [c.chunk_id for c in _chunks(5)]
    assert index.manifest.schema_version == SCHEMA_VERSION == 3
    assert index.manifest.documents == {"d.txt": DocumentRecord(chunks=5, sha256="x")}
    assert (index.manifest.chunk_count, index.manifest.index_type, index.manifest.index_factory) == (5, "Flat", "Flat")
    scores, rows = index.store.search(vectors[3:4], 2)
    assert rows[0][0] == 3 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    assert check_index(index) == []


def test_new_generation_replaces_old(tmp_path):
    save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3))
    save_index(tmp_path, _manifest(4), _chunks(4), _vectors(4))
    assert len(load_index(tmp_path).chunks) == 4
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("gen-")]) == 1


def test_half_written_generation_is_ignored(tmp_path):
    save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3))
    # What a writer killed before switching CURRENT leaves behind:
    (tmp_path / ".tmp-gen-x").mkdir()
    (tmp_path / ".tmp-gen-x" / "chunks.jsonl").write_text("{broken")
    (tmp_path / "gen-later").mkdir()
    assert len(load_index(tmp_path).chunks) == 3
    save_index(tmp_path, _manifest(2), _chunks(2), _vectors(2))
    assert not (tmp_path / ".tmp-gen-x").exists() and not (tmp_path / "gen-later").exists()


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFoundError, match="rag index"):
        load_index(tmp_path / "none")


def test_older_schema_refused(tmp_path):
    gen = save_index(tmp_path, _manifest(2), _chunks(2), _vectors(2))
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["schema_version"] = 0
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="schema version 0"):
        load_index(tmp_path)


def test_inconsistent_files_detected(tmp_path):
    gen = save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3))
    lines = (gen / "chunks.jsonl").read_text().splitlines()
    (gen / "chunks.jsonl").write_text("\n".join(lines[:2]) + "\n")
    with pytest.raises(IndexCorruptError, match="inconsistent"):
        load_index(tmp_path)


def test_damaged_pointer(tmp_path):
    save_index(tmp_path, _manifest(1), _chunks(1), _vectors(1))
    (tmp_path / "CURRENT").write_text("../../etc")
    with pytest.raises(IndexCorruptError):
        load_index(tmp_path)


def test_other_factory_strings(tmp_path):
    vectors = _vectors(300, 16)
    store = FaissStore.create(16, "HNSW16", train_sample=training_sample(vectors, "HNSW16"))
    store.add(np.arange(300), vectors, ["d.txt"] * 300)
    assert store.count == 300
    with pytest.raises(IndexMismatchError, match="not a valid FAISS"):
        FaissStore.create(8, "NoSuchIndex")


def _sentences_chunk(text: str, spans=None) -> Chunk:
    return Chunk("d.txt:0", "d.txt", "d.txt", "D", text, 0, len(text), spans)


def test_spans_round_trip_through_save_and_load(tmp_path):
    text = "The Yangtze is long. It flows east.\nDams hold it back."
    computed = _sentences_chunk(text)
    assert computed.spans == tuple((s.start, s.end) for s in split_sentences(text))
    assert len(computed.spans) == 3
    # Spans are read back as written, not computed again (these are deliberately not sentences).
    odd = Chunk("e.txt:0", "e.txt", "e.txt", "E", "abcdef", 0, 6, ((0, 2), (3, 6)))
    manifest = Manifest(
        embedder="e",
        dimension=8,
        chunker={"chunk_size": 10, "chunk_overlap": 2, "tokenizer": "e"},
        documents={"d.txt": DocumentRecord(chunks=1), "e.txt": DocumentRecord(chunks=1)},
    )
    gen = save_index(tmp_path, manifest, [computed, odd], _vectors(2))
    records = [json.loads(line) for line in (gen / "chunks.jsonl").read_text().splitlines()]
    assert [r["spans"] for r in records] == [[list(s) for s in computed.spans], [[0, 2], [3, 6]]]
    loaded = load_index(tmp_path)
    assert loaded.chunks == [computed, odd]
    assert loaded.chunks[1].spans == ((0, 2), (3, 6)) and isinstance(loaded.chunks[0].spans[0], tuple)
    assert [s.text for s in loaded.chunks[0].sentences] == [
        "The Yangtze is long.",
        "It flows east.",
        "Dams hold it back.",
    ]


def test_record_without_spans_gets_them_computed():
    chunk = _sentences_chunk("One. Two three.")
    line = json.loads(chunk_to_json(chunk))
    del line["spans"]
    assert chunk_from_json(json.dumps(line)) == chunk
    assert chunk_from_json(chunk_to_json(chunk)) == chunk


def test_version_2_index_loads_with_computed_spans(tmp_path):
    text = "Apples grow on trees. The Fuji apple was developed in Japan."
    gen = save_index(tmp_path, _manifest(1), [_sentences_chunk(text)], _vectors(1))
    lines = [json.loads(line) for line in (gen / "chunks.jsonl").read_text().splitlines()]
    for record in lines:
        del record["spans"]
    (gen / "chunks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["schema_version"] = 2
    (gen / "manifest.json").write_text(json.dumps(manifest))
    old = load_index(tmp_path)
    assert old.manifest.schema_version == 2 and check_index(old) == []
    assert old.chunks[0].spans == tuple((s.start, s.end) for s in split_sentences(text))


def test_manifest_json_round_trip_and_old_keys():
    manifest = _manifest(3).replace(roots=("/c",), excluded=("x.txt",), vector_store={"backend": "faiss"})
    assert Manifest.from_json(json.loads(json.dumps(manifest.to_json()))) == manifest
    # A version-1 manifest: no excluded list, store entry, index type or BM25 format.
    v1 = {
        "embedder": {"name": "e", "dimension": 8},
        "chunker": {"chunk_size": 10, "chunk_overlap": 2, "tokenizer": "e"},
        "roots": ["/c"],
        "documents": {"d.txt": {"source": "d.txt", "sha256": "x", "chunks": 2}},
        "updated_at": "2025-01-01T00:00:00+0000",
        "schema_version": 1,
        "chunk_count": 2,
        "index_factory": "auto",
    }
    old = Manifest.from_json(v1)
    assert old.excluded == () and old.vector_store == {} and old.lexical_format is None
    assert old.stored_type == ("faiss", "auto") and old.documents["d.txt"].chunks == 2


def test_embedder_mismatch_message(tmp_path):
    save_index(tmp_path, _manifest(1), _chunks(1), _vectors(1))
    with pytest.raises(IndexMismatchError, match="built with embedder 'e'"):
        load_index(tmp_path).require_compatible("other-model")


def _hold_lock(path: str, ready, release) -> None:
    with index_lock(Path(path)):
        ready.set()
        release.wait(10)


def test_second_writer_is_refused(tmp_path):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    proc = multiprocessing.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    proc.start()
    try:
        assert ready.wait(10)
        with pytest.raises(IndexLockedError, match="being written by pid"):
            with index_lock(tmp_path):
                pass
    finally:
        release.set()
        proc.join(10)
    with index_lock(tmp_path):
        pass


def test_a_reader_whose_generation_is_replaced_mid_read_loads_the_new_one(tmp_path, monkeypatch):
    save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3))
    real_read = generations.LexicalIndex.read
    writes = []

    def read_while_a_writer_replaces_the_index(path):
        if not writes:
            # Another process finishes a write now: CURRENT moves on and this generation is deleted.
            writes.append(save_index(tmp_path, _manifest(4), _chunks(4), _vectors(4)))
        return real_read(path)

    monkeypatch.setattr(generations.LexicalIndex, "read", staticmethod(read_while_a_writer_replaces_the_index))
    index = load_index(tmp_path)
    assert index.path == writes[0] and len(index.chunks) == 4


def test_a_generation_that_stays_live_but_is_damaged_is_reported(tmp_path):
    gen = save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3))
    (gen / "embeddings.npy").unlink()
    with pytest.raises(IndexCorruptError, match="unreadable.*rag index --rebuild"):
        load_index(tmp_path)
