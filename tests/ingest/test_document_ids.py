"""Document ids that name their root: folders sharing file names, an index with the old ids
migrated without re-embedding, duplicates embedded once, renamed files reusing their vectors,
and a root removed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.answer.pipeline import RagPipeline
from rag.errors import InputError
from rag.index.generations import check_index, load_index
from rag.ingest.plan import root_label
from rag.ingest.update import remove_root, update_index
from tests.support.fakes import HashEmbedder


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_two_folders_with_the_same_file_name_are_both_answerable(settings, embedder, tmp_path):
    papers = _folder(tmp_path / "papers", {"notes.txt": "Papers\n\nThe Orla glacier retreated 40 metres in 2021.\n"})
    diary = _folder(tmp_path / "diary", {"notes.txt": "Diary\n\nThe Pemberton ferry leaves at seven each morning.\n"})
    report = update_index(settings, [papers, diary], embedder=embedder)
    assert {"papers/notes.txt", "diary/notes.txt"} <= set(report.added) and not report.skipped
    pipeline = RagPipeline(settings, embedder=embedder)
    glacier = pipeline.ask("How far did the Orla glacier retreat?")
    ferry = pipeline.ask("When does the Pemberton ferry leave?")
    assert glacier.citations[0].source == "papers/notes.txt" and "40 metres" in glacier.text
    assert ferry.citations[0].source == "diary/notes.txt" and "seven" in ferry.text


def test_roots_with_the_same_folder_name_get_distinct_labels(settings, embedder, tmp_path):
    first = _folder(tmp_path / "a" / "notes", {"x.txt": "First\n\nThe first notes folder.\n"})
    second = _folder(tmp_path / "b" / "notes", {"x.txt": "Second\n\nThe second notes folder.\n"})
    update_index(settings, [first, second], embedder=embedder)
    manifest = load_index(settings.index_dir).manifest
    assert manifest.root_labels[str(first.resolve())] == "notes"
    assert manifest.root_labels[str(second.resolve())] == "notes-2"
    assert {"notes/x.txt", "notes-2/x.txt"} <= set(manifest.documents)
    assert root_label(str(first), {"notes", "notes-2"}) == "notes-3"


def _to_legacy_ids(index_dir: Path) -> None:
    """Rewrite the live generation as an index written before ids named their root."""
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["documents"] = {
        k.split("/", 1)[1]: {**v, "source": k.split("/", 1)[1]} for k, v in manifest["documents"].items()
    }
    manifest["excluded"] = [e.split("/", 1)[1] for e in manifest["excluded"]]
    manifest.pop("root_labels")
    (gen / "manifest.json").write_text(json.dumps(manifest))
    lines = []
    for line in (gen / "chunks.jsonl").read_text().splitlines():
        record = json.loads(line)
        old = record["doc_id"].split("/", 1)[1]
        record.update(doc_id=old, source=old, chunk_id=f"{old}:{record['start']}")
        lines.append(json.dumps(record))
    (gen / "chunks.jsonl").write_text("\n".join(lines) + "\n")


def test_an_index_with_the_old_ids_migrates_without_re_embedding(settings, embedder, corpus):
    from rag.ingest.removal import remove_documents

    update_index(settings, embedder=embedder)
    remove_documents(settings, ["corpus/chips.html"])
    current = load_index(settings.index_dir)
    _to_legacy_ids(Path(settings.index_dir))
    legacy = load_index(settings.index_dir)
    assert "apples.txt" in legacy.manifest.documents and legacy.manifest.excluded == ("chips.html",)
    counting = HashEmbedder()
    report = update_index(settings, embedder=counting)
    assert report.written and report.chunks_embedded == 0 and counting.embedded_texts == []
    migrated = load_index(settings.index_dir)
    assert set(migrated.manifest.documents) == {"corpus/apples.txt", "corpus/rivers.md"}
    assert migrated.manifest.excluded == ("corpus/chips.html",)  # still removed
    assert [c.chunk_id for c in migrated.chunks] == [c.chunk_id for c in current.chunks]
    assert np.array_equal(np.asarray(migrated.embeddings), np.asarray(current.embeddings))
    assert check_index(migrated) == [] and not update_index(settings, embedder=embedder).written


def test_identical_files_are_embedded_once_until_one_is_edited(settings, embedder, corpus):
    text = "Lighthouses\n\nThe Kestrel lighthouse stands on Tarn island.\n"
    (corpus / "a-copy.txt").write_text(text, encoding="utf-8")
    (corpus / "b-copy.txt").write_text(text, encoding="utf-8")
    update_index(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    docs = index.manifest.documents
    assert docs["corpus/b-copy.txt"].duplicate_of == "corpus/a-copy.txt" and docs["corpus/b-copy.txt"].chunks == 0
    assert docs["corpus/b-copy.txt"].title == "Lighthouses"
    assert {c.doc_id for c in index.chunks if "Kestrel" in c.text} == {"corpus/a-copy.txt"}
    assert check_index(index) == []
    (corpus / "b-copy.txt").write_text(text + "It was automated in 1994.\n", encoding="utf-8")
    update_index(settings, embedder=embedder)
    docs = load_index(settings.index_dir).manifest.documents
    assert docs["corpus/b-copy.txt"].duplicate_of == "" and docs["corpus/b-copy.txt"].chunks > 0
    # The original gone, the copy takes its chunks and vectors over without embedding.
    (corpus / "b-copy.txt").write_text(text, encoding="utf-8")
    update_index(settings, embedder=embedder)
    (corpus / "a-copy.txt").unlink()
    counting = HashEmbedder()
    report = update_index(settings, embedder=counting)
    assert counting.embedded_texts == [] and "corpus/a-copy.txt" in report.removed
    docs = load_index(settings.index_dir).manifest.documents
    assert docs["corpus/b-copy.txt"].chunks > 0 and not docs["corpus/b-copy.txt"].duplicate_of


def test_a_renamed_file_keeps_its_vectors(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    (corpus / "rivers.md").rename(corpus / "asian-rivers.md")
    counting = HashEmbedder()
    report = update_index(settings, embedder=counting)
    assert report.added == ["corpus/asian-rivers.md"] and report.removed == ["corpus/rivers.md"]
    assert counting.embedded_texts == [] and report.chunks_embedded == 0
    index = load_index(settings.index_dir)
    assert check_index(index) == [] and any(c.doc_id == "corpus/asian-rivers.md" for c in index.chunks)
    answer = RagPipeline(settings, embedder=embedder, index=index).ask("How long is the Yangtze?")
    assert answer.citations[0].source == "corpus/asian-rivers.md"


def test_removing_a_root_drops_its_documents(settings, embedder, corpus, tmp_path):
    extra = _folder(tmp_path / "extra", {"tide.txt": "Tides\n\nSpring tides follow the new moon.\n"})
    update_index(settings, embedder=embedder)
    update_index(settings, [extra], embedder=embedder)
    report = remove_root(settings, extra)
    assert report.removed == ["extra/tide.txt"]
    index = load_index(settings.index_dir)
    assert str(extra.resolve()) not in index.manifest.roots and check_index(index) == []
    assert not update_index(settings, embedder=embedder).written  # a re-scan does not bring it back
    with pytest.raises(InputError, match="not an indexed folder"):
        remove_root(settings, extra)


def test_rag_index_remove_on_the_command_line(settings, embedder, tmp_path, capsys, monkeypatch):
    from rag.serve import cli

    extra = _folder(tmp_path / "extra", {"tide.txt": "Tides\n\nSpring tides follow the new moon.\n"})
    update_index(settings, [extra], embedder=embedder)
    monkeypatch.setenv("RAG_EMBEDDER", settings.embedder)
    code = cli.main(["--index-dir", settings.index_dir, "index", "--remove", str(extra)])
    assert code == 0 and "removed" in capsys.readouterr().out
    assert cli.main(["--index-dir", settings.index_dir, "index", "--remove", str(tmp_path)]) == 2
    assert "not an indexed folder" in capsys.readouterr().err
