"""rag.ingest.titles: the titles a reader would give, and old indexes re-titled without embedding."""

from __future__ import annotations

import json
from pathlib import Path

from rag.index.generations import load_index
from rag.ingest.titles import OPENING_CHARS, TITLE_CHARS, TITLES_VERSION, document_title
from rag.ingest.update import update_index
from tests.support.fakes import HashEmbedder
from tests.support.paths import SEEDS


def test_every_seed_gets_a_readable_title():
    titles = {f.name: document_title(f.read_text(encoding="utf-8"), None, f.name) for f in sorted(SEEDS.iterdir())}
    assert all(0 < len(t) <= OPENING_CHARS for t in titles.values()), titles
    assert not any(t.lower() in ("advertisement", "share") for t in titles.values())
    assert titles["003_cfe4bc22fca850f4.txt"].startswith("China sets ‘technological self-reliance’")
    assert titles["000_8ffd45b442800ac1.txt"].startswith("Proactive policy in pipeline")
    assert titles["004_ad1c1e9e897a1e9b.txt"] == "2025 marks the final year of the 14th Five-Year Plan"
    assert titles["001_65bfde939c6d01b6.txt"].endswith("…")  # opening words, clipped at a word


def test_format_titles_headings_kickers_and_furniture():
    assert document_title("Body text here.", "  Annual   report  ", "a.pdf") == "Annual report"
    assert document_title("Body text here.", "Advertisement", "a.html") == "Body text here"
    assert document_title("Share\nBy Jane Doe\n# Tide tables\n\nText.", None, "t.md") == "Tide tables"
    assert document_title("Advertisement\nWorld\nThe harbour reopens after the storm season\n\nIt did.", None, "x") == (
        "The harbour reopens after the storm season"
    )
    assert document_title("Apples\n\nApples grow on trees in orchards. More.", None, "a.txt") == "Apples"
    assert document_title("", None, "empty.txt") == "empty.txt"
    long_heading = " ".join(["word"] * 60)
    assert len(document_title(long_heading, None, "x")) <= TITLE_CHARS


def test_a_stated_title_is_kept_whole_and_running_text_is_clipped():
    paper = (
        "Diabetes-induced effects on cardiomyocytes in chick embryonic heart micromass and mouse embryonic stem cells."
    )
    assert document_title(f"{paper}\n\nDiabetes mellitus during pregnancy is a challenge.", None, "p.txt") == paper[:-1]
    assert document_title(f"# {paper}\n\nBody.", None, "p.md") == paper
    assert document_title("Body.", paper, "p.pdf") == paper
    running = f"{paper} It goes on for a while. And on."
    clipped = document_title(f"{running}\nA second line of the same paragraph.", None, "r.txt")
    assert clipped.endswith("…") and len(clipped) <= OPENING_CHARS
    alone_but_last = document_title(paper, None, "only.txt")  # nothing after it: running text, not a title
    assert len(alone_but_last) <= OPENING_CHARS


def _index_titled_by_older_rules(settings, embedder, corpus) -> None:
    (corpus / "news.txt").write_text("Advertisement\nWorld\nThe harbour reopens after the storm\n\nIt did.\n")
    update_index(settings, embedder=embedder)
    gen = Path(settings.index_dir) / (Path(settings.index_dir) / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["titles"] = 0
    manifest["documents"]["corpus/news.txt"]["title"] = "Advertisement"
    (gen / "manifest.json").write_text(json.dumps(manifest))


def test_an_index_titled_by_older_rules_is_re_titled_without_embedding(settings, embedder, corpus):
    settings = settings.replace(chunk_embedding="text")
    _index_titled_by_older_rules(settings, embedder, corpus)
    counting = HashEmbedder()
    report = update_index(settings, embedder=counting)
    assert report.written and counting.embedded_texts == []
    index = load_index(settings.index_dir)
    assert index.manifest.titles == TITLES_VERSION
    assert index.manifest.documents["corpus/news.txt"].title == "The harbour reopens after the storm"
    assert {c.title for c in index.chunks if c.doc_id == "corpus/news.txt"} == {"The harbour reopens after the storm"}
    assert not update_index(settings, embedder=embedder).written


def test_an_index_embedded_under_its_titles_keeps_them_until_files_change(settings, embedder, corpus):
    settings = settings.replace(chunk_embedding="title+text")
    _index_titled_by_older_rules(settings, embedder, corpus)
    counting = HashEmbedder()
    assert not update_index(settings, embedder=counting).written and counting.embedded_texts == []
    assert load_index(settings.index_dir).manifest.documents["corpus/news.txt"].title == "Advertisement"
