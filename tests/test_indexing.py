import pytest

from rag.errors import IndexMismatchError, InputError
from rag.index import check_index, load_index
from rag.indexing import update_index
from tests.conftest import HashEmbedder


def test_first_index_then_nothing_to_do(settings, embedder):
    report = update_index(settings, embedder=embedder)
    assert sorted(report.added) == ["apples.txt", "chips.html", "rivers.md"]
    assert report.written and report.chunks_embedded == report.chunk_count > 0
    embedder.embedded_texts.clear()
    again = update_index(settings, embedder=embedder)
    assert not again.written and again.unchanged == 3
    assert embedder.embedded_texts == []


def test_edit_reembeds_only_that_file(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    before = load_index(settings.index_dir)
    apples_before = [c for c in before.chunks if c.doc_id == "apples.txt"]
    embedder.embedded_texts.clear()
    (corpus / "rivers.md").write_text("# Rivers\n\nThe Mekong flows through six countries.\n")
    report = update_index(settings, embedder=embedder)
    assert report.updated == ["rivers.md"] and report.unchanged == 2
    after = load_index(settings.index_dir)
    rivers = [c for c in after.chunks if c.doc_id == "rivers.md"]
    assert embedder.embedded_texts == [c.text for c in rivers]
    assert "Mekong" in rivers[0].text and not any("Yangtze" in c.text for c in after.chunks)
    assert [c for c in after.chunks if c.doc_id == "apples.txt"] == apples_before
    assert check_index(after) == []


def test_deleted_file_is_removed(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    (corpus / "chips.html").unlink()
    report = update_index(settings, embedder=embedder)
    assert report.removed == ["chips.html"]
    index = load_index(settings.index_dir)
    assert {c.doc_id for c in index.chunks} == {"apples.txt", "rivers.md"}
    assert "chips.html" not in index.manifest["documents"]


def test_no_duplicate_chunks_after_many_updates(settings, embedder, corpus):
    for i in range(4):
        (corpus / "apples.txt").write_text(f"Apples version {i}. " * 40)
        update_index(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    ids = [c.chunk_id for c in index.chunks]
    assert len(ids) == len(set(ids))
    texts = [c.text for c in index.chunks if c.doc_id == "apples.txt"]
    assert all("version 3" in t for t in texts)


def test_new_path_is_added_to_roots(settings, embedder, tmp_path):
    update_index(settings, embedder=embedder)
    extra = tmp_path / "extra.txt"
    extra.write_text("Quantum computers use qubits.")
    report = update_index(settings, [extra], embedder=embedder)
    assert report.added == ["extra.txt"]
    # A plain re-run re-scans both roots and changes nothing.
    assert not update_index(settings, embedder=embedder).written


def test_unreadable_update_keeps_previous_version(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    (corpus / "apples.txt").write_bytes(b"\x00\x00binary now")
    report = update_index(settings, embedder=embedder)
    assert report.kept_unreadable == ["apples.txt"]
    index = load_index(settings.index_dir)
    assert any("Fuji" in c.text for c in index.chunks)


def test_other_embedder_refused_until_rebuild(settings, embedder):
    update_index(settings, embedder=embedder)
    other = settings.replace(embedder="another-model")
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        update_index(other, embedder=HashEmbedder(dimension=32))
    report = update_index(other, rebuild=True, embedder=HashEmbedder(dimension=32))
    assert report.written and load_index(settings.index_dir).manifest["embedder"] == {
        "name": "another-model",
        "dimension": 32,
    }


def test_other_chunker_refused(settings, embedder):
    update_index(settings, embedder=embedder)
    with pytest.raises(IndexMismatchError, match="chunker"):
        update_index(settings.replace(chunk_size=20), embedder=embedder)


def test_chunk_size_beyond_embedder_limit(settings):
    with pytest.raises(IndexMismatchError, match="lower chunk_size"):
        update_index(settings, embedder=HashEmbedder(max_tokens=10))


def test_missing_corpus(settings, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        update_index(settings.replace(corpus_dir=str(tmp_path / "nope")), embedder=HashEmbedder())


def test_factory_change_rebuilds_without_embedding(settings, embedder):
    update_index(settings, embedder=embedder)
    embedder.embedded_texts.clear()
    report = update_index(settings.replace(index_factory="HNSW8"), embedder=embedder)
    assert report.written and embedder.embedded_texts == []
    assert load_index(settings.index_dir).manifest["index_factory"] == "HNSW8"


def test_remove_document_and_keep_it_out_of_rescans(settings, embedder, corpus):
    from rag.indexing import remove_documents

    update_index(settings, embedder=embedder)
    embedder.embedded_texts.clear()
    report = remove_documents(settings, ["rivers.md"])
    assert report.removed == ["rivers.md"] and embedder.embedded_texts == []
    index = load_index(settings.index_dir)
    assert "rivers.md" not in {c.doc_id for c in index.chunks} and check_index(index) == []
    assert not update_index(settings, embedder=embedder).written, "a re-scan must not bring it back"
    back = update_index(settings, [corpus / "rivers.md"], embedder=embedder)
    assert back.added == ["rivers.md"]
    with pytest.raises(InputError, match="not in the index: nope.txt"):
        remove_documents(settings, ["nope.txt"])
