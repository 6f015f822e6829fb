"""PDF tables as header-named rows, and scanned pages read by Tesseract OCR (Debian's
tesseract-ocr, which `.ci/run` installs) or, without it, one warning naming the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.pipeline import RagPipeline
from rag.errors import InputError
from rag.index.generations import load_index
from rag.ingest.loaders import load_file
from rag.ingest.loaders.ocr import tesseract_available
from rag.ingest.update import update_index
from tests.support.documents import pdf_bytes


def _table_page() -> str:
    """A page that draws a 3x2 table with ruling lines, under a heading line."""
    ops = ["BT /F1 12 Tf 72 740 Td (Quarterly revenue by region.) Tj ET"]
    rows = [("Region", "Revenue"), ("East", "4.2"), ("West", "3.1")]
    top, height, left, width = 700, 24, 72, 150
    for r in range(len(rows) + 1):
        ops.append(f"{left} {top - r * height} m {left + 2 * width} {top - r * height} l S")
    for c in range(3):
        ops.append(f"{left + c * width} {top} m {left + c * width} {top - len(rows) * height} l S")
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            ops.append(f"BT /F1 11 Tf {left + c * width + 6} {top - (r + 1) * height + 8} Td ({cell}) Tj ET")
    return "\n".join(ops)


def _scan(path: Path, text: str) -> None:
    """A PDF whose only page is a picture of `text` (no text layer)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1700, 300), 255)
    ImageDraw.Draw(image).text((60, 110), text, fill=0, font=ImageFont.load_default(size=56))
    image.save(path, resolution=150)


def test_a_pdf_table_cell_is_retrieved_and_cited_with_its_page(settings, embedder, corpus):
    (corpus / "revenue.pdf").write_bytes(
        pdf_bytes("BT /F1 12 Tf 72 720 Td (Cover page of the report.) Tj ET", _table_page())
    )
    doc = load_file(corpus / "revenue.pdf", corpus)
    start, end = doc.pages[1]
    assert "Region: East; Revenue: 4.2" in doc.text[start:end] and "Region: West; Revenue: 3.1" in doc.text[start:end]
    update_index(settings, embedder=embedder)
    pipeline = RagPipeline(settings, embedder=embedder)
    top = pipeline.retrieve("Region: East; Revenue: 4.2", 1)[0].chunk
    row = top.start + top.text.index("Region: East; Revenue: 4.2")
    assert top.doc_id == "corpus/revenue.pdf" and top.page_at(row) == 2
    answer = pipeline.ask("What was the revenue of the East region?")
    assert {c.page for c in answer.citations if c.source == "corpus/revenue.pdf"} == {2}


@pytest.mark.skipif(not tesseract_available(), reason="needs the tesseract binary (apt-get install tesseract-ocr)")
def test_a_scanned_page_is_answered_after_ocr(settings, embedder, corpus):
    _scan(corpus / "scan.pdf", "The Kestrel lighthouse was automated in 1994.")
    update_index(settings, embedder=embedder)
    record = load_index(settings.index_dir).manifest.documents["corpus/scan.pdf"]
    assert any("OCR" in note for note in record.notes)
    answer = RagPipeline(settings, embedder=embedder).ask("When was the Kestrel lighthouse automated?")
    cited = [c for c in answer.citations if c.source == "corpus/scan.pdf"]
    assert cited and "1994" in cited[0].quote and cited[0].page == 1


@pytest.mark.skipif(not tesseract_available(), reason="needs the tesseract binary (apt-get install tesseract-ocr)")
def test_an_image_file_is_read_by_ocr(tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1400, 200), 255)
    ImageDraw.Draw(image).text(
        (40, 60), "Tide gauge at Wexmoor: 3.4 metres", fill=0, font=ImageFont.load_default(size=48)
    )
    image.save(tmp_path / "gauge.png")
    doc = load_file(tmp_path / "gauge.png", tmp_path)
    assert "Wexmoor" in doc.text and "3.4" in doc.text and doc.notes == ("text read by OCR (Tesseract)",)


def test_without_tesseract_a_scan_is_one_warning_naming_the_package(tmp_path, monkeypatch):
    import rag.ingest.loaders.image
    import rag.ingest.loaders.ocr

    monkeypatch.setattr(rag.ingest.loaders.ocr, "tesseract_available", lambda: False)
    monkeypatch.setattr(rag.ingest.loaders.image, "tesseract_available", lambda: False)
    _scan(tmp_path / "scan.pdf", "Nothing but pixels here.")
    with pytest.raises(InputError, match="apt-get install tesseract-ocr") as caught:
        load_file(tmp_path / "scan.pdf", tmp_path)
    assert "\n" not in str(caught.value)
    (tmp_path / "photo.png").write_bytes((tmp_path / "scan.pdf").read_bytes())
    with pytest.raises(InputError, match="needs OCR; install Tesseract"):
        load_file(tmp_path / "photo.png", tmp_path)
