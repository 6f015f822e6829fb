"""Documents as users have them, end to end with the real packaged embedder through `rag`: two
folders sharing a file name, a PDF's page, tables in PDF and DOCX, a PPTX slide, a scanned page
read by OCR, and an index with the old ids upgraded without re-embedding."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.ingest.loaders.ocr import tesseract_available
from tests.ingest.test_document_ids import _to_legacy_ids
from tests.ingest.test_paged_and_office import docx_bytes, pptx_bytes
from tests.ingest.test_tables_and_ocr import _scan, _table_page
from tests.support.documents import pdf_bytes
from tests.support.paths import SEEDS

pytestmark = pytest.mark.slow

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAG_GENERATOR": "extractive"}


def rag(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "rag.serve.cli", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"rag {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
    return proc


def ask(question: str, cwd: Path) -> dict:
    return json.loads(rag("ask", question, "--json", cwd=cwd).stdout)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("documents")
    for folder, fact in (
        ("papers", "The Orla glacier retreated 40 metres during the summer of 2021."),
        ("diary", "The Pemberton ferry leaves the harbour at seven each morning."),
    ):
        (work / folder).mkdir()
        (work / folder / "notes.txt").write_text(f"Notes\n\n{fact}\n", encoding="utf-8")
    office = work / "office"
    office.mkdir()
    pages = [
        "BT /F1 12 Tf 72 720 Td (Harbour survey. The northern pier was inspected in March.) Tj ET",
        "BT /F1 12 Tf 72 720 Td (The Kestrel lighthouse on Tarn island was automated in 1994.) Tj ET",
        "BT /F1 12 Tf 72 720 Td (Appendix. Tide tables for the winter season follow.) Tj ET",
    ]
    (office / "survey.pdf").write_bytes(pdf_bytes(*pages))
    (office / "revenue.pdf").write_bytes(
        pdf_bytes("BT /F1 12 Tf 72 720 Td (Annual report cover.) Tj ET", _table_page())
    )
    (office / "report.docx").write_bytes(docx_bytes())
    (office / "mission.pptx").write_bytes(pptx_bytes())
    if tesseract_available():
        _scan(office / "scan.pdf", "The Saishiteng observatory opened near Lenghu in 2023.")
    rag("index", "papers", "diary", "office", cwd=work)
    return work


def test_two_folders_with_a_file_of_the_same_name(workdir):
    glacier = ask("How far did the Orla glacier retreat?", workdir)
    ferry = ask("When does the Pemberton ferry leave the harbour?", workdir)
    assert "40 metres" in glacier["answer"] and glacier["citations"][0]["source"] == "papers/notes.txt"
    assert "seven" in ferry["answer"] and ferry["citations"][0]["source"] == "diary/notes.txt"


def test_a_pdf_fact_is_cited_with_its_page(workdir):
    answer = ask("When was the Kestrel lighthouse automated?", workdir)
    cited = [c for c in answer["citations"] if c["source"] == "office/survey.pdf"]
    assert "1994" in answer["answer"] and cited and cited[0]["page"] == 2
    assert "p. 2" in rag("ask", "When was the Kestrel lighthouse automated?", cwd=workdir).stdout


def test_table_cells_in_pdf_and_docx_and_a_slide(workdir):
    pdf = ask("What was the revenue of the East region in the annual report?", workdir)
    assert any(c["source"] == "office/revenue.pdf" and c.get("page") == 2 for c in pdf["citations"]), pdf
    assert "4.2" in pdf["answer"]
    docx = ask("What revenue did the East region have in the regional revenue report?", workdir)
    assert any(c["source"] == "office/report.docx" for c in docx["citations"]) and "4.2" in docx["answer"]
    slide = ask("Who is the pilot on the mission team?", workdir)
    cited = [c for c in slide["citations"] if c["source"] == "office/mission.pptx"]
    assert "Jun Tanaka" in slide["answer"] and cited and cited[0]["slide"] == 3


def test_a_scanned_page_is_answered_after_ocr(workdir):
    if not tesseract_available():  # CI installs tesseract-ocr; say so rather than pass silently
        pytest.fail("tesseract is not installed: apt-get install tesseract-ocr (.ci/run installs it)")
    answer = ask("When did the Saishiteng observatory open?", workdir)
    assert "2023" in answer["answer"] and answer["citations"][0]["source"] == "office/scan.pdf"


def test_an_index_with_the_old_ids_upgrades_without_embedding(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    rag("index", "seeds", cwd=tmp_path)
    _to_legacy_ids(tmp_path / "index")
    report = json.loads(rag("index", "--json", cwd=tmp_path).stdout)
    assert report["written"] and report["chunks_embedded"] == 0 and report["unchanged"] == 5
    assert rag("index", "--check", cwd=tmp_path).stdout.startswith("ok: 5 documents")
    answer = ask("Who is the chief economist at CITIC Securities?", tmp_path)
    assert answer["citations"][0]["source"] == "seeds/000_8ffd45b442800ac1.txt"
