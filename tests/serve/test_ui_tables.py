"""rag.serve.ui.documents, .playground and .export: the Documents table, the playground table, the export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rag.index.manifest import DocumentRecord
from rag.serve.ui.documents import DocumentQuery, document_page, document_table_html
from rag.serve.ui.export import conversation_markdown, session_key, write_conversation
from rag.serve.ui.playground import hit_records, hits_table_html, mark_terms
from rag.types import Answer, Chunk, Citation, Hit, HitSignals

REPO = Path(__file__).resolve().parents[2]


def _documents(n: int) -> dict[str, DocumentRecord]:
    return {
        f"corpus/doc-{i:05d}.txt": DocumentRecord(
            source=f"doc-{i:05d}.txt",
            title=f"Harbour report {i}" if i % 10 else f"Lighthouse log {i}",
            chunks=1 + i % 3,
            indexed_at=f"2026-01-{1 + i % 28:02d}T00:00:00+0000",
        )
        for i in range(n)
    }


def test_document_page_searches_sorts_and_pages_on_the_server():
    documents = _documents(2000)
    first = document_page(documents, DocumentQuery(page_size=50))
    assert len(first.rows) == 50 and first.pages == 40 and first.matching == 2000
    assert first.documents == 2000 and first.chunks == sum(1 + i % 3 for i in range(2000))
    assert first.ids[0] == "corpus/doc-00000.txt" and "2,000 documents" in first.summary()
    # A search filters titles and sources, any case.
    found = document_page(documents, DocumentQuery(search="LIGHTHOUSE", page_size=50))
    assert found.matching == 200 and all("Lighthouse" in r.title for r in found.rows)
    assert "showing 1–50 of 200 matching" in found.summary()
    assert document_page(documents, DocumentQuery(search="doc-01234")).ids == ["corpus/doc-01234.txt"]
    # Pages past the end show the last page; sorting is over all matches, not one page.
    last = document_page(documents, DocumentQuery(search="lighthouse", page=99, page_size=50))
    assert last.page == 4 and len(last.rows) == 50
    by_chunks = document_page(documents, DocumentQuery(sort="chunks", descending=True, page_size=5))
    assert [r.chunks for r in by_chunks.rows] == [3] * 5
    assert document_page(documents, DocumentQuery(search="no such thing")).rows == ()
    with pytest.raises(ValueError, match="sort by"):
        DocumentQuery(sort="colour")


def test_document_rows_say_format_pages_ocr_and_warnings():
    documents = {
        "s/r.pdf": DocumentRecord(
            source="r.pdf", title="R", chunks=4, pages=3, notes=("text of 2 scanned pages read by OCR (Tesseract)",)
        ),
        "s/r-copy.pdf": DocumentRecord(source="r-copy.pdf", title="R", pages=3, duplicate_of="s/r.pdf"),
        "s/deck.pptx": DocumentRecord(source="deck.pptx", title="D", chunks=2, pages=5, page_label="slide"),
        "s/p.html": DocumentRecord(source="p.html", title="P <x>", chunks=3, flagged=3),
    }
    rows = {r.doc_id: r for r in document_page(documents).rows}
    assert rows["s/r.pdf"].format == "pdf" and rows["s/r.pdf"].ocr and not rows["s/deck.pptx"].ocr
    assert rows["s/r-copy.pdf"].notes.startswith("copy of s/r.pdf")
    assert rows["s/p.html"].notes == "held back: 3 of 3 chunks read as instructions to an AI"
    table = document_table_html(document_page(documents))
    assert "3 pages" in table and "5 slides" in table and "P &lt;x&gt;" in table and "<x>" not in table
    assert 'title="' in table  # every column head explains itself


def _hit(rank: int, text: str, rerank: float | None = None) -> Hit:
    chunk = Chunk(f"d:{rank}", "seeds/d.txt", "seeds/d.txt", "Title", text, 10, 10 + len(text), pages=((10, 2),))
    signals = HitSignals(0.51234, 7.5, rank, None, 0.6, rank, rerank)
    return Hit(chunk, rerank if rerank is not None else 0.6, rank, signals)


def test_playground_table_shows_the_passage_with_query_words_marked():
    table = hits_table_html(
        [_hit(1, "Ming Ming is the chief economist at CITIC Securities."), _hit(2, "Other <b> text.")],
        "chief economists",
    )
    assert "<mark>chief</mark> <mark>economist</mark>" in table and "Other &lt;b&gt; text." in table
    assert "0.512" in table and "0.51234" not in table  # three digits
    assert "page 2" in table and "seeds/d.txt" in table
    assert "–" in table  # the reranker did not read these: a dash, not "None"
    assert table.count('title="') == 7  # every column head explains itself
    marked = mark_terms("Economic policy, said the economist.", "economists' policy")
    assert marked == "<mark>Economic</mark> <mark>policy</mark>, said the <mark>economist</mark>."
    assert mark_terms("a < b", "") == "a &lt; b"
    records = hit_records([_hit(1, "Some text.", rerank=2.5)])
    assert records[0]["rank"] == 1 and records[0]["reranked"] == 2.5 and records[0]["text"] == "Some text."


def test_conversation_export_lists_each_answer_with_its_sources():
    chunk = Chunk("a:0", "seeds/a.pdf", "seeds/a.pdf", "Policy news", "Ming Ming said policy will turn.", 0, 33)
    cite = Citation(
        1,
        "a:0",
        "seeds/a.pdf",
        "seeds/a.pdf",
        "Policy news",
        chunk.text,
        "Ming Ming said policy will turn.",
        0,
        33,
        page=4,
    )
    answered = Answer(
        "Who said it, and when?",
        "Ming Ming said policy will turn. [1]",
        False,
        (cite,),
        (Hit(chunk, 0.9, 1),),
        "extractive",
        uncovered=("When?",),
    )
    refused = Answer("What is a souffle?", "I could not find this in the documents.", True, (), (), "extractive")
    text = conversation_markdown([answered, refused], when="2026-12-02 10:00")
    assert text.startswith("# Conversation with the documents (2026-12-02 10:00)")
    assert "## 1. Who said it, and when?" in text and "## 2. What is a souffle?" in text
    assert "[1] **Policy news** — `seeds/a.pdf`, p. 4: “Ming Ming said policy will turn.”" in text
    assert "*Not in the documents:* When?" in text and "*No source: the documents do not answer this.*" in text


def test_write_conversation(tmp_path):
    path = write_conversation([], tmp_path)
    assert path.parent == tmp_path and path.suffix == ".md" and path.read_text().startswith("# Conversation")
    first = write_conversation([], tmp_path, session="abc")
    assert write_conversation([], tmp_path, session="abc") == first == tmp_path / "abc" / "conversation.md"


def test_session_key_is_safe_in_a_file_name():
    class Request:
        session_hash = "ab/../c d"

    assert session_key(Request()) == "abcd" and session_key(None) == "default"


def test_the_export_folder_goes_when_the_process_exits(tmp_path):
    script = (
        "from rag.serve.ui.export import export_folder, write_conversation\n"
        "folder = export_folder()\n"
        "write_conversation([], folder, session='s')\n"
        "print(folder)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    folder = Path(done.stdout.strip())
    assert folder.name.startswith("rag-ui-exports-") and not folder.exists()
