"""The web UI end to end: `python app.py` in a subprocess on a loopback port, on an index built at
start-up from a copy of seeds/, driven by headless Chromium (Playwright) and by gradio_client."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.paths import REPO, SEEDS

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
CITIC_QUESTION = "Who is the chief economist at CITIC Securities?"
CITIC_FILE = "seeds/000_8ffd45b442800ac1.txt"
CITIC_TITLE = "Proactive policy in pipeline"
UPLOAD_NAME = "zorblat_harbour.txt"
UPLOAD_TEXT = (
    "Zorblat Harbour Report\n\n"
    "The lighthouse keeper of Zorblat Harbour is Captain Elvira Quanstrom. "
    "She has tended the Zorblat light since 1987 and logs every passing ship.\n"
)
SCREENSHOT_COPY = Path("/tmp/ui_screenshot.png")
# Where the layout screenshots go (1400 and 800 px wide, each tab); the closing note describes them.
SCREENSHOTS = Path(os.environ.get("RAG_SCREENSHOT_DIR", "/tmp/rag-ui-screenshots"))
TWO_PART_QUESTION = "How much did investment in high-tech manufacturing grow, and who said so?"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`python app.py` on a free port; the index is built at start-up from a copy of seeds/."""
    work = tmp_path_factory.mktemp("ui")
    shutil.copytree(SEEDS, work / "seeds")
    port = _free_port()
    log_path = work / "app.log"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONPATH": str(REPO),
        "RAG_INDEX_DIR": str(work / "index"),
        "RAG_CORPUS_DIR": str(work / "seeds"),
        "RAG_GENERATOR": "extractive",
        "RAG_WATCH": "1",  # the page's corpus is watched: test_a_file_written_into_the_corpus_is_answered
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 240
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{_log_tail(log_path)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer on {url}:\n{_log_tail(log_path)}")
            time.sleep(1)
        yield {"url": url, "work": work, "log": log_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log_path.read_text(errors="replace"), _log_tail(log_path)
    # SIGTERM ends it like Ctrl-C, so its exit handlers ran (they remove the conversation files).
    assert proc.returncode == 0, f"app.py ended with {proc.returncode} on SIGTERM:\n{_log_tail(log_path)}"


def test_index_was_built_at_startup_on_loopback(server):
    assert (server["work"] / "index" / "CURRENT").is_file()
    assert server["url"].startswith("http://127.0.0.1:")


def test_browser_chat_sources_upload_and_follow_up(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (Debian's package; no browser downloads)")

    upload = tmp_path / UPLOAD_NAME
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x00\x00binary")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(server["url"], wait_until="domcontentloaded")
            chat, sources, box = page.locator("#chatbot"), page.locator("#sources"), page.locator("#question textarea")

            def ask(question: str) -> None:
                box.fill(question)
                box.press("Enter")

            # A seed question: the answer streams into the chat, the cited passage into Sources.
            ask(CITIC_QUESTION)
            expect(chat).to_contain_text("Ming Ming")
            expect(chat).to_contain_text("[1]")
            expect(sources).to_contain_text(CITIC_TITLE)
            expect(sources).to_contain_text(CITIC_FILE)
            expect(sources.locator("mark").first).to_contain_text("Ming Ming")
            page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

            # A follow-up (sent with the Ask button) is searched together with the question before it.
            box.fill("What did he say?")
            page.locator("#ask-btn").click()
            expect(page.locator("#query-info")).to_contain_text(f"{CITIC_QUESTION} What did he say?")
            expect(chat.get_by_text("Policy direction will likely turn")).to_have_count(2)

            # Clear empties the conversation and the sources panel.
            page.locator("#clear-btn").click()
            expect(chat).not_to_contain_text("Ming Ming")
            expect(sources).not_to_contain_text(CITIC_TITLE)

            # Documents tab: a file type that is not allowed is refused in the page...
            page.get_by_role("tab", name="Documents").click()
            expect(page.locator("#documents-table")).to_contain_text(CITIC_FILE)
            page.locator("#upload input[type=file]").set_input_files(str(bad))
            expect(page.get_by_text("Invalid file type").first).to_be_visible()
            # ...and a small text file is uploaded and indexed.
            page.locator("#upload input[type=file]").set_input_files(str(upload))
            # Gradio shows the name and the extension in separate elements ("zorblat_harbour .txt").
            expect(page.locator("#upload")).to_contain_text(Path(UPLOAD_NAME).stem)
            page.locator("#add-btn").click()
            expect(page.locator("#doc-status")).to_contain_text(f"Added: uploads/{UPLOAD_NAME}", timeout=120_000)
            expect(page.locator("#documents-table")).to_contain_text("Zorblat Harbour Report")
            assert (server["work"] / "uploads" / UPLOAD_NAME).read_text(encoding="utf-8") == UPLOAD_TEXT

            # The uploaded document answers questions, with a citation to it.
            page.get_by_role("tab", name="Chat").click()
            ask("Who is the lighthouse keeper of Zorblat Harbour?")
            expect(chat).to_contain_text("Elvira Quanstrom")
            first_source = sources.locator(".rag-source").first
            expect(first_source).to_contain_text("Zorblat Harbour Report")
            expect(first_source).to_contain_text(UPLOAD_NAME)
            # The answer may quote the sentence after hers too ("She has tended…"): the first mark names her.
            expect(first_source.locator("mark").first).to_contain_text("Elvira Quanstrom")
            shot = tmp_path / "upload_answer.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            shutil.copyfile(shot, SCREENSHOT_COPY)

        finally:
            browser.close()


def test_browser_titles_playground_two_part_answer_export_and_layout(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(server["url"], wait_until="domcontentloaded")
            chat, sources = page.locator("#chatbot"), page.locator("#sources")

            # A two-part question: the part the documents do not answer is named, not dropped.
            page.locator("#question textarea").fill(TWO_PART_QUESTION)
            page.locator("#question textarea").press("Enter")
            expect(chat).to_contain_text("10 percent")
            expect(chat).to_contain_text("Not in the documents: Who said so?")
            expect(sources).to_contain_text("Not in the documents: Who said so?")
            # [n] in the answer is a link to source n.
            cite = chat.locator(".rag-cite").first
            expect(cite).to_have_text("[1]")
            cite.click()
            expect(page.locator("#rag-source-1")).to_have_class(re.compile("rag-flash"))
            assert page.evaluate(NO_SIDEWAYS_SCROLL)
            page.screenshot(path=str(SCREENSHOTS / "chat-1400.png"), full_page=True)

            # The conversation downloads as Markdown with its sources.
            with page.expect_download() as download:
                page.locator("#export-btn").click()
            exported = Path(download.value.path()).read_text(encoding="utf-8")
            assert f"## 1. {TWO_PART_QUESTION}" in exported and "*Not in the documents:* Who said so?" in exported
            assert f"`{CITIC_FILE}`" in exported and "[1] **Proactive policy in pipeline" in exported

            # Documents: each seed has a title a reader would give, none is page furniture.
            page.get_by_role("tab", name="Documents").click()
            expect(page.locator("#doc-counts")).to_contain_text("documents")
            rows = page.locator("#documents-table tr[data-doc^='seeds/0']")
            expect(rows).to_have_count(5)
            titles = rows.locator("td.rag-col-title").all_inner_texts()
            assert all(0 < len(t) <= 80 and t.strip() != "Advertisement" for t in titles), titles
            assert any(t.startswith("China sets") and t.endswith("as a key goal for the next 5 years") for t in titles)
            assert page.evaluate(NO_SIDEWAYS_SCROLL)
            page.screenshot(path=str(SCREENSHOTS / "documents-1400.png"), full_page=True)
            page.locator("#doc-search textarea").fill("five-year")
            expect(page.locator("#doc-counts")).to_contain_text("matching")
            assert all(
                "five-year" in (t + d).lower()
                for t, d in zip(
                    page.locator("#documents-table tr[data-doc] td.rag-col-title").all_inner_texts(),
                    page.locator("#documents-table tr[data-doc] td.rag-col-source").all_inner_texts(),
                    strict=True,
                )
            )

            # Retrieval playground: short heads that explain themselves, the passage on the first screen.
            page.get_by_role("tab", name="Retrieval playground").click()
            page.locator("#pg-query textarea").fill("chief economist CITIC Securities")
            page.locator("#pg-btn").click()
            expect(page.locator("#pg-info")).to_contain_text("ranked by hybrid search")
            table = page.locator("#pg-table")
            expect(table).to_contain_text(CITIC_FILE)
            passage = table.locator(".rag-passage").first
            expect(passage).to_be_in_viewport()
            expect(passage.locator("mark").first).to_be_visible()
            for head in table.locator("th").all():
                box = head.bounding_box()
                assert box and box["height"] < 48 and head.get_attribute("title"), head.inner_text()
            assert page.evaluate(NO_SIDEWAYS_SCROLL)
            page.screenshot(path=str(SCREENSHOTS / "playground-1400.png"), full_page=True)
            # With the cross-encoder (the packaged INT8 model), its logit is shown.
            page.get_by_label("hybrid + cross-encoder").check()
            page.locator("#pg-btn").click()
            expect(page.locator("#pg-info")).to_contain_text("reranked by ms-marco-MiniLM-L-12-v2")

            # 800 px wide: the same tabs, still no sideways scrolling.
            page.set_viewport_size({"width": 800, "height": 1000})
            for tab, name in (("Chat", "chat"), ("Documents", "documents"), ("Retrieval playground", "playground")):
                page.get_by_role("tab", name=tab).click()
                page.wait_for_timeout(300)
                assert page.evaluate(NO_SIDEWAYS_SCROLL), tab
                page.screenshot(path=str(SCREENSHOTS / f"{name}-800.png"), full_page=True)
        finally:
            browser.close()


def test_gradio_client_api(server):
    from gradio_client import Client

    client = Client(server["url"], verbose=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/chat", "/search"} <= set(endpoints)

    answer = client.predict(CITIC_QUESTION, api_name="/ask")
    assert not answer["refused"] and "Ming Ming" in answer["answer"] and "[1]" in answer["answer"]
    cited = answer["citations"][0]
    assert cited["source"] == CITIC_FILE and cited["title"].startswith(CITIC_TITLE) and "Ming Ming" in cited["quote"]

    follow = client.predict("What did he say?", 3, "extractive", CITIC_QUESTION, api_name="/ask")
    assert follow["search_query"] == f"{CITIC_QUESTION} What did he say?"
    assert follow["question"] == "What did he say?" and len(follow["passages"]) == 3

    refused = client.predict("What is the recipe for a chocolate souffle?", api_name="/ask")
    assert refused["refused"] and refused["citations"] == []

    records = client.predict("semiconductor self-reliance", 4, "hybrid", api_name="/search")
    assert [r["rank"] for r in records] == [1, 2, 3, 4]
    scores = [r["score"] for r in records]
    assert scores == sorted(scores, reverse=True) and all(r["text"] and r["source"] for r in records)
    assert {"dense_rank", "lexical_rank", "fused_rank", "bm25", "similarity"} <= set(records[0])
    lexical = client.predict("semiconductor self-reliance", 4, "lexical (BM25)", api_name="/search")
    assert all(r["lexical_rank"] == r["rank"] for r in lexical)

    # The chat endpoint streams; the last output holds the checked answer and its sources.
    job = client.submit(CITIC_QUESTION, [], "extractive", 5, "", "", api_name="/chat")
    history, question_box, sources, *_ = job.result(timeout=60)
    assert history[-1]["role"] == "assistant" and "Ming Ming" in history[-1]["content"][0]["text"]
    assert question_box == "" and CITIC_TITLE in sources and "<mark>" in sources

    # An LLM answer streams into the chat; the checked answer then replaces it, with a removed
    # citation and the sentence left without one flagged.
    from tests.support.fake_openai_server import FakeServer, Reply, delta

    with FakeServer() as fake:
        pieces = ["Ming Ming is the chief economist", " at CITIC Securities [1].", " He works in Beijing [7]."]
        fake.add(Reply(events=[delta(role="assistant"), *(delta(p) for p in pieces), delta(finish_reason="stop")]))
        job = client.submit(CITIC_QUESTION, [], "hosted", 5, fake.base_url, "loopback-model", api_name="/chat")
        history, _, sources, *_ = job.result(timeout=60)
        streamed = [o[0][-1]["content"][0]["text"] for o in job.outputs() if o[0] and o[0][-1]["role"] == "assistant"]
    assert fake.requests and fake.requests[0].body["model"] == "loopback-model"
    # A partial answer was shown before the end, under the quick answer, with the model's progress.
    partial = [m for m in streamed if m.endswith("Ming Ming is the chief economist")]
    assert partial and "The model is writing its answer (6 words so far)" in partial[0]
    assert partial[0].startswith("Ming Ming, chief economist at CITIC Securities")  # the quick answer stays
    final = history[-1]["content"][0]["text"]
    assert final.startswith("Ming Ming is the chief economist at CITIC Securities [1]. He works in Beijing.")
    assert "without a valid citation" in final and "[7]" not in final
    assert "removed citation [7]" in sources and "Not supported by a valid citation" in sources

    # Errors are one readable line in the chat, never a stack trace.
    down = f"http://127.0.0.1:{_free_port()}/v1"
    history, _, sources, *_ = client.predict(CITIC_QUESTION, [], "hosted", 5, down, "some-model", api_name="/chat")
    text = history[-1]["content"][0]["text"]
    assert text.startswith("⚠️") and "cannot connect" in text and "Traceback" not in text and "\n" not in text
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")


def test_a_file_written_into_the_corpus_is_answered_then_forgotten(server):
    from gradio_client import Client

    from rag.index.generations import load_index

    def indexed() -> set[str]:
        return set(load_index(server["work"] / "index").manifest.documents)

    def within(condition, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"not done within {seconds} s"
            time.sleep(0.2)

    question = "Who keeps the Wexmoor tide gauge?"
    path = server["work"] / "seeds" / "wexmoor.txt"
    path.write_text("Wexmoor tide gauge\n\nThe Wexmoor tide gauge is kept by harbour clerk Odile Varnham.\n")
    within(lambda: "seeds/wexmoor.txt" in indexed(), 10)
    client = Client(server["url"], verbose=False)
    answer = client.predict(question, api_name="/ask")
    assert "Odile Varnham" in answer["answer"] and answer["citations"][0]["source"] == "seeds/wexmoor.txt"
    path.unlink()
    within(lambda: "seeds/wexmoor.txt" not in indexed(), 10)
    answer = client.predict(question, api_name="/ask")
    assert all(c["source"] != "seeds/wexmoor.txt" for c in answer["citations"])


def test_ten_clients_ask_at_once(server):
    from gradio_client import Client

    rows = [json.loads(x) for x in (REPO / "eval" / "seed_questions.jsonl").read_text().splitlines() if x.strip()]
    by_id = {r["id"]: r for r in rows}
    chosen = [by_id[f"seed-{i:03d}"] for i in (1, 2, 3, 4, 5, 6, 7, 8, 11, 12)]
    clients = [Client(server["url"], verbose=False) for _ in chosen]

    def ask(pair):
        client, row = pair
        started = time.perf_counter()
        return row, client.predict(row["question"], api_name="/ask"), time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        results = list(pool.map(ask, zip(clients, chosen, strict=True)))
    elapsed = time.perf_counter() - started
    assert len(results) == 10
    for row, answer, _ in results:
        assert answer["question"] == row["question"]  # no answers crossed between clients
        assert not answer["refused"] and answer["citations"], row["id"]
        assert any(a.lower() in answer["answer"].lower() for a in row["answers"]), (row["id"], answer["answer"])
    # Queued, not serial with client overhead: well under ten separate slow round trips.
    assert elapsed < 60, elapsed
