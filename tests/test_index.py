import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError
from rag.index import SCHEMA_VERSION, FaissStore, check_index, index_lock, load_index, save_index
from rag.types import Chunk


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(f"d.txt:{i * 10}", "d.txt", "d.txt", "D", f"text {i}", i * 10, i * 10 + 6) for i in range(n)]


def _vectors(n: int, dim: int = 8) -> np.ndarray:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _manifest(n: int) -> dict:
    return {
        "embedder": {"name": "e", "dimension": 8},
        "chunker": {"chunk_size": 10, "chunk_overlap": 2, "tokenizer": "e"},
        "roots": [],
        "documents": {"d.txt": {"chunks": n, "sha256": "x"}},
    }


def test_round_trip_and_search(tmp_path):
    vectors = _vectors(5)
    save_index(tmp_path, _manifest(5), _chunks(5), vectors, "Flat")
    index = load_index(tmp_path)
    assert [c.chunk_id for c in index.chunks] == [c.chunk_id for c in _chunks(5)]
    assert index.manifest["schema_version"] == SCHEMA_VERSION
    scores, rows = index.store.search(vectors[3:4], 2)
    assert rows[0][0] == 3 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    assert check_index(index) == []


def test_new_generation_replaces_old(tmp_path):
    save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3), "Flat")
    save_index(tmp_path, _manifest(4), _chunks(4), _vectors(4), "Flat")
    assert len(load_index(tmp_path).chunks) == 4
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("gen-")]) == 1


def test_half_written_generation_is_ignored(tmp_path):
    save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3), "Flat")
    # What a writer killed before switching CURRENT leaves behind:
    (tmp_path / ".tmp-gen-x").mkdir()
    (tmp_path / ".tmp-gen-x" / "chunks.jsonl").write_text("{broken")
    (tmp_path / "gen-later").mkdir()
    assert len(load_index(tmp_path).chunks) == 3
    save_index(tmp_path, _manifest(2), _chunks(2), _vectors(2), "Flat")
    assert not (tmp_path / ".tmp-gen-x").exists() and not (tmp_path / "gen-later").exists()


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFoundError, match="rag index"):
        load_index(tmp_path / "none")


def test_older_schema_refused(tmp_path):
    gen = save_index(tmp_path, _manifest(2), _chunks(2), _vectors(2), "Flat")
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["schema_version"] = 0
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="schema version 0"):
        load_index(tmp_path)


def test_inconsistent_files_detected(tmp_path):
    gen = save_index(tmp_path, _manifest(3), _chunks(3), _vectors(3), "Flat")
    lines = (gen / "chunks.jsonl").read_text().splitlines()
    (gen / "chunks.jsonl").write_text("\n".join(lines[:2]) + "\n")
    with pytest.raises(IndexCorruptError, match="inconsistent"):
        load_index(tmp_path)


def test_damaged_pointer(tmp_path):
    save_index(tmp_path, _manifest(1), _chunks(1), _vectors(1), "Flat")
    (tmp_path / "CURRENT").write_text("../../etc")
    with pytest.raises(IndexCorruptError):
        load_index(tmp_path)


def test_other_factory_strings(tmp_path):
    store = FaissStore.build(_vectors(300, 16), "HNSW16")
    assert store.count == 300
    with pytest.raises(IndexMismatchError, match="not a valid FAISS"):
        FaissStore.build(_vectors(3), "NoSuchIndex")


def test_embedder_mismatch_message(tmp_path):
    save_index(tmp_path, _manifest(1), _chunks(1), _vectors(1), "Flat")
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
