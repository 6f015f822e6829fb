import pytest

from rag.errors import IndexMismatchError, InputError
from rag.index.generations import check_index, load_index
from rag.ingest.update import update_index
from tests.support.fakes import HashEmbedder


def test_first_index_then_nothing_to_do(settings, embedder):
    report = update_index(settings, embedder=embedder)
    assert sorted(report.added) == ["corpus/apples.txt", "corpus/chips.html", "corpus/rivers.md"]
    assert report.written and report.chunks_embedded == report.chunk_count > 0
    embedder.embedded_texts.clear()
    again = update_index(settings, embedder=embedder)
    assert not again.written and again.unchanged == 3
    assert embedder.embedded_texts == []


def test_edit_reembeds_only_that_file(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    before = load_index(settings.index_dir)
    apples_before = [c for c in before.chunks if c.doc_id == "corpus/apples.txt"]
    embedder.embedded_texts.clear()
    (corpus / "rivers.md").write_text("# Rivers\n\nThe Mekong flows through six countries.\n")
    report = update_index(settings, embedder=embedder)
    assert report.updated == ["corpus/rivers.md"] and report.unchanged == 2
    after = load_index(settings.index_dir)
    rivers = [c for c in after.chunks if c.doc_id == "corpus/rivers.md"]
    assert embedder.embedded_texts == [c.text for c in rivers]
    assert "Mekong" in rivers[0].text and not any("Yangtze" in c.text for c in after.chunks)
    assert [c for c in after.chunks if c.doc_id == "corpus/apples.txt"] == apples_before
    assert check_index(after) == []


def test_deleted_file_is_removed(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    (corpus / "chips.html").unlink()
    report = update_index(settings, embedder=embedder)
    assert report.removed == ["corpus/chips.html"]
    index = load_index(settings.index_dir)
    assert {c.doc_id for c in index.chunks} == {"corpus/apples.txt", "corpus/rivers.md"}
    assert "corpus/chips.html" not in index.manifest.documents


def test_no_duplicate_chunks_after_many_updates(settings, embedder, corpus):
    for i in range(4):
        (corpus / "apples.txt").write_text(f"Apples version {i}. " * 40)
        update_index(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    ids = [c.chunk_id for c in index.chunks]
    assert len(ids) == len(set(ids))
    texts = [c.text for c in index.chunks if c.doc_id == "corpus/apples.txt"]
    assert all("version 3" in t for t in texts)


def test_new_path_is_added_to_roots(settings, embedder, tmp_path):
    update_index(settings, embedder=embedder)
    extra = tmp_path / "extra.txt"
    extra.write_text("Quantum computers use qubits.")
    report = update_index(settings, [extra], embedder=embedder)
    assert report.added == [f"{tmp_path.name}/extra.txt"]  # a file root is labelled by its folder
    # A plain re-run re-scans both roots and changes nothing.
    assert not update_index(settings, embedder=embedder).written


def test_unreadable_update_keeps_previous_version(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    (corpus / "apples.txt").write_bytes(b"\x00\x00binary now")
    report = update_index(settings, embedder=embedder)
    assert report.kept_unreadable == ["corpus/apples.txt"]
    index = load_index(settings.index_dir)
    assert any("Fuji" in c.text for c in index.chunks)


def test_other_embedder_refused_until_rebuild(settings, embedder):
    update_index(settings, embedder=embedder)
    other = settings.replace(embedder="another-model")
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        update_index(other, embedder=HashEmbedder(dimension=32))
    report = update_index(other, rebuild=True, embedder=HashEmbedder(dimension=32))
    manifest = load_index(settings.index_dir).manifest
    assert report.written and (manifest.embedder, manifest.dimension) == ("another-model", 32)


def test_reembed_keeps_roots_and_removed_files_under_a_new_embedder(settings, embedder, tmp_path):
    from rag.ingest.update import remove_documents

    extra = tmp_path / "extra.txt"
    extra.write_text("Quantum computers use qubits.")
    update_index(settings, embedder=embedder)
    update_index(settings, [extra], embedder=embedder)
    remove_documents(settings, ["corpus/rivers.md"])
    other = settings.replace(embedder="another-model", chunk_size=20)
    new_embedder = HashEmbedder(dimension=32)
    report = update_index(other, embedder=new_embedder, reembed=True)
    index = load_index(settings.index_dir)
    assert report.written and (index.manifest.embedder, index.manifest.dimension) == ("another-model", 32)
    assert sorted(index.manifest.documents) == ["corpus/apples.txt", "corpus/chips.html", f"{tmp_path.name}/extra.txt"]
    assert len(new_embedder.embedded_texts) == len(index.chunks) and check_index(index) == []
    assert not update_index(other, embedder=new_embedder, reembed=True).written


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
    with pytest.raises(InputError, match="missing: no such file"):
        update_index(settings, [tmp_path / "missing"], embedder=HashEmbedder())


def test_factory_change_rebuilds_without_embedding(settings, embedder):
    update_index(settings, embedder=embedder)
    embedder.embedded_texts.clear()
    report = update_index(settings.replace(index_factory="HNSW8"), embedder=embedder)
    assert report.written and embedder.embedded_texts == []
    assert load_index(settings.index_dir).manifest.index_factory == "HNSW8"


def test_remove_document_and_keep_it_out_of_rescans(settings, embedder, corpus):
    from rag.ingest.update import remove_documents

    update_index(settings, embedder=embedder)
    embedder.embedded_texts.clear()
    report = remove_documents(settings, ["corpus/rivers.md"])
    assert report.removed == ["corpus/rivers.md"] and embedder.embedded_texts == []
    index = load_index(settings.index_dir)
    assert "corpus/rivers.md" not in {c.doc_id for c in index.chunks} and check_index(index) == []
    assert not update_index(settings, embedder=embedder).written, "a re-scan must not bring it back"
    back = update_index(settings, [corpus / "rivers.md"], embedder=embedder)
    assert back.added == ["corpus/rivers.md"]
    with pytest.raises(InputError, match="not in the index: nope.txt"):
        remove_documents(settings, ["nope.txt"])


def _big_corpus(root, n_docs=40):
    for i in range(n_docs):
        words = " ".join(f"topic{i} word{j} river{j % 7}" for j in range(40))
        (root / f"doc{i:03d}.txt").write_text(f"Doc {i}\n\n{words}\n", encoding="utf-8")


class _DyingEmbedder(HashEmbedder):
    """Stands for a run killed mid-way: fails on its n-th batch."""

    def __init__(self, dies_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.dies_at = dies_at

    def embed_documents(self, texts, show_progress=False):
        self.calls += 1
        if self.calls == self.dies_at:
            raise KeyboardInterrupt
        return super().embed_documents(texts, show_progress)


def test_interrupted_run_resumes_and_embeds_only_the_rest(settings, corpus, tmp_path):
    import numpy as np

    from rag.ingest.checkpoint import CHECKPOINT_DIR

    _big_corpus(corpus)
    small = settings.replace(embed_batch_size=1)  # batches of ~16 chunks
    dying = _DyingEmbedder(dies_at=4)
    with pytest.raises(KeyboardInterrupt):
        update_index(small, embedder=dying)
    checkpoint = tmp_path / "index" / CHECKPOINT_DIR
    done_before = (checkpoint / "done.jsonl").read_text().splitlines()
    assert len(done_before) >= 3
    # A kill can also cut the last write short: a torn line and stray vector bytes.
    with (checkpoint / "done.jsonl").open("a") as fh:
        fh.write('{"doc_id": "doc0')
    with (checkpoint / "vectors.f32").open("ab") as fh:
        fh.write(b"\x00" * 100)
    again = HashEmbedder()
    report = update_index(small, embedder=again)
    assert report.written and report.resumed == len(done_before)
    assert 0 < report.chunks_embedded == len(again.embedded_texts) < report.chunk_count
    assert not checkpoint.exists()
    resumed = load_index(small.index_dir)
    assert check_index(resumed) == []
    # Same index as an uninterrupted run.
    clean = small.replace(index_dir=str(tmp_path / "clean"))
    update_index(clean, embedder=HashEmbedder())
    reference = load_index(clean.index_dir)
    assert [c.chunk_id for c in resumed.chunks] == [c.chunk_id for c in reference.chunks]
    assert np.allclose(resumed.embeddings, reference.embeddings)


def test_sigkilled_index_run_resumes(settings, corpus, tmp_path):
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    from rag.ingest.checkpoint import CHECKPOINT_DIR

    _big_corpus(corpus, 30)
    script = (
        "import sys, time\n"
        "from rag.config import load_settings\n"
        "from rag.ingest.update import update_index\n"
        "from tests.support.fakes import HashEmbedder\n"
        "class Slow(HashEmbedder):\n"
        "    def embed_documents(self, texts, show_progress=False):\n"
        "        time.sleep(0.3)\n"
        "        return super().embed_documents(texts, show_progress)\n"
        f"s = load_settings(env={{}}, overrides={json.loads(json.dumps(dict(index_dir=settings.index_dir, corpus_dir=str(corpus), embedder=HashEmbedder.name, chunk_size=30, chunk_overlap=5, embed_batch_size=1)))!r})\n"
        "update_index(s, embedder=Slow())\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=_repo_root())
    done = tmp_path / "index" / CHECKPOINT_DIR / "done.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if done.exists() and len(done.read_text().splitlines()) >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    embedded_before = len(done.read_text().splitlines())
    again = HashEmbedder()
    report = update_index(settings.replace(embed_batch_size=1), embedder=again)
    assert report.resumed >= embedded_before >= 4
    assert len(again.embedded_texts) == report.chunks_embedded < report.chunk_count
    assert check_index(load_index(settings.index_dir)) == []


def _repo_root():
    from tests.support.paths import REPO

    return REPO


def test_document_edited_between_interrupted_runs_is_taken_once(settings, corpus, tmp_path):
    from rag.ingest.checkpoint import CHECKPOINT_DIR

    _big_corpus(corpus, 12)
    small = settings.replace(embed_batch_size=1)
    with pytest.raises(KeyboardInterrupt):
        update_index(small, embedder=_DyingEmbedder(dies_at=3))
    done = (tmp_path / "index" / CHECKPOINT_DIR / "done.jsonl").read_text()
    assert '"corpus/apples.txt"' in done
    (corpus / "apples.txt").write_text("Apples\n\nNew text about pears and apples in many orchards.\n")
    with pytest.raises(KeyboardInterrupt):
        update_index(small, embedder=_DyingEmbedder(dies_at=2))  # apples.txt re-embedded, then killed
    report = update_index(small, embedder=HashEmbedder())
    index = load_index(small.index_dir)
    assert report.written and check_index(index) == []
    assert [c.text for c in index.chunks if c.doc_id == "corpus/apples.txt"] == [
        "Apples\n\nNew text about pears and apples in many orchards."
    ]


def test_rebuild_recovers_a_corrupt_index(settings, embedder):
    from pathlib import Path

    from rag.errors import IndexCorruptError

    update_index(settings, embedder=embedder)
    index_dir = Path(settings.index_dir)
    live = index_dir / (index_dir / "CURRENT").read_text().strip()
    (live / "chunks.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        update_index(settings, embedder=embedder)
    report = update_index(settings, rebuild=True, embedder=embedder)  # what the message advises
    assert report.written and not check_index(load_index(settings.index_dir))


def test_control_characters_in_a_file_name_stay_on_one_line(settings, embedder, corpus, caplog):
    bad = corpus / "two\nlines.txt"
    bad.write_bytes(b"\xff\xfe\x00binary\x00")
    update_index(settings, embedder=embedder)
    warnings = [r.getMessage() for r in caplog.records if "lines.txt" in r.getMessage()]
    assert warnings and all("\n" not in w and "two\\nlines.txt" in w for w in warnings)


def _downgrade_to_version_2(index_dir) -> None:
    """Make the live generation what schema 2 wrote: chunk records without spans."""
    import json
    from pathlib import Path

    live = Path(index_dir) / (Path(index_dir) / "CURRENT").read_text().strip()
    records = [json.loads(line) for line in (live / "chunks.jsonl").read_text().splitlines()]
    for record in records:
        del record["spans"]
    (live / "chunks.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    manifest = json.loads((live / "manifest.json").read_text())
    manifest["schema_version"] = 2
    (live / "manifest.json").write_text(json.dumps(manifest))


def _no_model(*args, **kwargs):
    raise AssertionError("no embedder should be created for a rewrite without new text")


def test_version_2_index_is_upgraded_without_embedding(settings, embedder, monkeypatch):
    import json

    import numpy as np

    from rag.index.manifest import SCHEMA_VERSION
    from rag.text import split_sentences

    update_index(settings, embedder=embedder)
    current = load_index(settings.index_dir)
    _downgrade_to_version_2(settings.index_dir)
    old = load_index(settings.index_dir)
    assert old.manifest.schema_version == 2 and check_index(old) == []
    assert old.chunks == current.chunks  # spans computed on load equal the stored ones
    for chunk in old.chunks:
        assert chunk.spans == tuple((s.start, s.end) for s in split_sentences(chunk.text))
    monkeypatch.setattr("rag.ingest.update.create_embedder", _no_model)
    report = update_index(settings)  # no embedder given, and none may be made
    assert report.written and report.chunks_embedded == 0 and report.unchanged == 3
    upgraded = load_index(settings.index_dir)
    assert upgraded.manifest.schema_version == SCHEMA_VERSION == 3
    assert upgraded.chunks == current.chunks and check_index(upgraded) == []
    assert np.array_equal(np.asarray(upgraded.embeddings), np.asarray(current.embeddings))
    assert upgraded.manifest.documents == current.manifest.documents
    records = [json.loads(line) for line in (upgraded.path / "chunks.jsonl").read_text().splitlines()]
    assert all(r["spans"] == [list(span) for span in c.spans] for r, c in zip(records, upgraded.chunks, strict=True))
    assert not update_index(settings).written  # now up to date


def test_version_2_index_with_an_edit_embeds_only_the_edit(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    before = load_index(settings.index_dir)
    _downgrade_to_version_2(settings.index_dir)
    (corpus / "rivers.md").write_text("# Rivers\n\nThe Mekong flows through six countries. It is long.\n")
    embedder.embedded_texts.clear()
    report = update_index(settings, embedder=embedder)
    after = load_index(settings.index_dir)
    rivers = [c for c in after.chunks if c.doc_id == "corpus/rivers.md"]
    assert report.updated == ["corpus/rivers.md"] and embedder.embedded_texts == [c.text for c in rivers]
    assert after.manifest.schema_version == 3 and check_index(after) == []
    assert [c for c in after.chunks if c.doc_id != "corpus/rivers.md"] == [
        c for c in before.chunks if c.doc_id != "corpus/rivers.md"
    ]


def test_stored_spans_are_the_chunkers(settings, embedder):
    from rag.text import split_sentences

    update_index(settings, embedder=embedder)
    for chunk in load_index(settings.index_dir).chunks:
        assert chunk.spans == tuple((s.start, s.end) for s in split_sentences(chunk.text))
        assert all(chunk.text[a:b].strip() for a, b in chunk.spans)


def test_with_title_text_every_chunk_is_embedded_under_its_document_title(settings, embedder, corpus):
    words = " ".join(f"Sentence {i} is about the delta and its mangroves." for i in range(12))
    (corpus / "delta.txt").write_text(f"Mekong Delta\n\n{words}\n", encoding="utf-8")
    settings = settings.replace(chunk_embedding="title+text")
    update_index(settings, embedder=embedder)
    chunks = [c for c in load_index(settings.index_dir).chunks if c.doc_id == "corpus/delta.txt"]
    assert len(chunks) > 2 and chunks[0].text.startswith("Mekong Delta")
    embedded = [t for t in embedder.embedded_texts if "Mekong" in t or "mangroves" in t]
    assert embedded[0] == chunks[0].text, "the first chunk already opens with its title"
    assert embedded[1:] == [f"Mekong Delta\n{c.text}" for c in chunks[1:]]
    assert not any(c.text.startswith("Mekong Delta") for c in chunks[1:]), "stored text stays the document's"
