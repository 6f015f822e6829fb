"""Pages and slides carried from the file to the citation; DOCX, PPTX and CSV loaders with their
bad-file cases (fixtures written by python-docx/python-pptx themselves)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from rag.answer.pipeline import RagPipeline
from rag.errors import InputError
from rag.index.generations import load_index
from rag.ingest.loaders import load_file
from rag.ingest.update import update_index
from rag.serve.ui.render import sources_html
from tests.support.documents import pdf_bytes

PAGE_ONE = "Harbour survey. The northern pier was inspected in March by the port authority."
PAGE_TWO = "The Kestrel lighthouse on Tarn island was automated in 1994 by engineer Ilse Brand."
PAGE_THREE = "Appendix. Tide tables for the winter season follow in the next volume."


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Regional revenue report"
    document.add_heading("Revenue by region", level=1)
    document.add_paragraph("The eastern region grew fastest in the third quarter.")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("Region", "Revenue"), ("East", "4.2"), ("West", "3.1")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Figures are in billions of yuan.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx_bytes() -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    for title, body, notes in [
        ("Launch plan", "The rover leaves in spring.", ""),
        ("Budget", "The rover costs 80 million.", "Speaker: mention the reserve fund of 5 million."),
        ("Team", "Mission lead: Dr. Amara Osei.", ""),
    ]:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    table = presentation.slides[2].shapes.add_table(2, 2, Inches(1), Inches(4), Inches(4), Inches(1)).table
    for (r, c), value in {(0, 0): "Role", (0, 1): "Name", (1, 0): "Pilot", (1, 1): "Jun Tanaka"}.items():
        table.cell(r, c).text = value
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def test_docx_paragraphs_headings_and_tables(tmp_path: Path):
    path = tmp_path / "report.docx"
    path.write_bytes(docx_bytes())
    doc = load_file(path, tmp_path)
    assert doc.title == "Regional revenue report"
    assert "Revenue by region" in doc.text and "Region: East; Revenue: 4.2" in doc.text
    assert doc.text.index("grew fastest") < doc.text.index("Region: East") < doc.text.index("billions")
    assert doc.pages == ()


def test_pptx_slides_notes_and_tables_keep_their_slide(tmp_path: Path):
    path = tmp_path / "mission.pptx"
    path.write_bytes(pptx_bytes())
    doc = load_file(path, tmp_path)
    assert doc.title == "Launch plan" and doc.page_label == "slide" and len(doc.pages) == 3
    start, end = doc.pages[1]
    assert "80 million" in doc.text[start:end] and "Notes: Speaker: mention the reserve fund" in doc.text[start:end]
    start, end = doc.pages[2]
    assert "Role: Pilot; Name: Jun Tanaka" in doc.text[start:end]


def test_csv_rows_name_their_columns(tmp_path: Path):
    path = tmp_path / "stations.csv"
    path.write_text("station;depth_m;opened\nAurora;120;1998\nBorealis;;2004\n", encoding="utf-8")
    doc = load_file(path, tmp_path)
    assert doc.text.splitlines() == ["station: Aurora; depth_m: 120; opened: 1998", "station: Borealis; opened: 2004"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.docx", b"PK\x03\x04 this is not really a zip", "not a DOCX file"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "password-protected or legacy"),
        ("broken.pptx", b"definitely not a presentation", "not a PPTX file"),
        ("locked.pptx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "password-protected or legacy"),
        ("empty.csv", b"", "empty file"),
        ("header.csv", b"a,b,c\n", None),
    ],
)
def test_bad_office_and_csv_files_are_one_line(tmp_path: Path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    if reason is None:
        assert load_file(path, tmp_path).text == "a; b; c"
        return
    with pytest.raises(InputError, match=reason) as caught:
        load_file(path, tmp_path)
    assert "\n" not in str(caught.value)


def test_a_zip_that_is_not_a_docx(tmp_path: Path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    path = tmp_path / "fake.docx"
    path.write_bytes(out.getvalue())
    with pytest.raises(InputError, match="unreadable DOCX"):
        load_file(path, tmp_path)


def test_pdf_pages_reach_chunks_citations_json_and_the_sources_panel(settings, embedder, corpus):
    pages = (f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" for text in (PAGE_ONE, PAGE_TWO, PAGE_THREE))
    (corpus / "survey.pdf").write_bytes(pdf_bytes(*pages))
    update_index(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    assert index.manifest.documents["corpus/survey.pdf"].pages == 3
    kestrel = next(c for c in index.chunks if "Kestrel" in c.text)
    assert kestrel.page_at(kestrel.start + kestrel.text.index("Kestrel")) == 2
    answer = RagPipeline(settings, embedder=embedder, index=index).ask("When was the Kestrel lighthouse automated?")
    cited = [c for c in answer.citations if c.source == "corpus/survey.pdf"]
    assert cited and cited[0].page == 2 and "Kestrel" in cited[0].quote
    record = next(c for c in answer.to_dict()["citations"] if c["source"] == "corpus/survey.pdf")
    assert record["page"] == 2 and "pages" not in record
    assert "p. 2" in sources_html(answer)
    assert all("page" not in c for c in answer.to_dict()["citations"] if c["source"] != "corpus/survey.pdf")


def test_slides_reach_citations(settings, embedder, corpus):
    (corpus / "mission.pptx").write_bytes(pptx_bytes())
    update_index(settings, embedder=embedder)
    answer = RagPipeline(settings, embedder=embedder).ask("Who is the pilot, Jun Tanaka?")
    cited = [c for c in answer.to_dict()["citations"] if c["source"] == "corpus/mission.pptx"]
    assert cited and cited[0]["slide"] == 3


def test_a_quote_across_a_page_break_names_both_pages():
    from rag.types import Citation

    spanning = Citation(1, "c", "d", "s", "t", "p", "q", 0, 1, page=2, last_page=3)
    assert spanning.location() == {"pages": [2, 3]} and spanning.location_text() == "pp. 2-3"
    slide = Citation(1, "c", "d", "s", "t", "p", "q", 0, 1, page=4, last_page=4, page_label="slide")
    assert slide.location() == {"slide": 4} and slide.location_text() == "slide 4"
    assert Citation(1, "c", "d", "s", "t", "p", "q", 0, 1).location() == {}
