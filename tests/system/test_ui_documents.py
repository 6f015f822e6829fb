"""The Documents tab on an index of 2,000 generated documents: counts, search, paging and sorting
happen on the server, in Chromium. The app runs in this process on the hash embedder (the
documents tab reads only the manifest; the real models are covered by test_app.py)."""

from __future__ import annotations

import socket

import pytest

from rag.config import load_settings
from rag.ingest.update import update_index
from tests.support.fakes import HashEmbedder
from tests.system.test_app import CHROMIUM, CHROMIUM_ARGS, NO_SIDEWAYS_SCROLL, SCREENSHOTS

pytestmark = pytest.mark.slow

DOCUMENTS = 2000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def big_index(tmp_path_factory):
    work = tmp_path_factory.mktemp("many")
    corpus = work / "reports"
    corpus.mkdir()
    for i in range(DOCUMENTS):
        kind = "Lighthouse log" if i % 10 == 0 else "Harbour report"
        (corpus / f"report-{i:04d}.txt").write_text(
            f"{kind} number {i}\n\nShip {i} passed the harbour wall at dawn and was logged by the keeper.\n",
            encoding="utf-8",
        )
    settings = load_settings(
        env={},
        overrides={
            "index_dir": str(work / "index"),
            "corpus_dir": str(corpus),
            "embedder": HashEmbedder.name,
            "generator": "extractive",
            "sentence_reranker": "",
        },
    )
    update_index(settings, embedder=HashEmbedder())
    return settings


def test_documents_tab_filters_pages_and_sorts_two_thousand_documents(big_index):
    from playwright.sync_api import expect, sync_playwright

    import app
    from rag.serve.ui import UiBackend

    demo = app.build_app(big_index, UiBackend(big_index, embedder=HashEmbedder()))
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=app.CSS, js=app.JS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(60_000)
                page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
                page.get_by_role("tab", name="Documents").click()
                counts, table = page.locator("#doc-counts"), page.locator("#documents-table")
                expect(counts).to_contain_text("2,000 documents")
                expect(counts).to_contain_text("page 1 of 80")
                expect(table.locator("tr[data-doc]")).to_have_count(25)  # one page is sent, not 2,000 rows
                assert page.evaluate(NO_SIDEWAYS_SCROLL)
                page.screenshot(path=str(SCREENSHOTS / "documents-2000-1400.png"), full_page=True)

                page.locator("#doc-search textarea").fill("lighthouse")
                expect(counts).to_contain_text("of 200 matching")
                titles = table.locator("td.rag-col-title")
                expect(titles).to_have_count(25)
                assert all(t.startswith("Lighthouse log") for t in titles.all_inner_texts())

                page.locator("#doc-next").click()
                expect(counts).to_contain_text("page 2 of 8")
                expect(table).to_contain_text("reports/report-0250.txt")  # ids 0, 10, …: page 2 starts at 250

                page.locator("#doc-search textarea").fill("report-1234")
                expect(table.locator("tr[data-doc]")).to_have_count(1)
                expect(table).to_contain_text("Harbour report number 1234")

                page.locator("#doc-search textarea").fill("")
                page.get_by_label("descending").check()
                expect(table.locator("tr[data-doc]").first).to_have_attribute("data-doc", "reports/report-1999.txt")
            finally:
                browser.close()
    finally:
        demo.close()
