"""Web UI: chat with cited, streamed answers, a documents tab and a retrieval playground.

    python app.py [--host 127.0.0.1] [--port 7860] [--config rag.toml] [--index-dir index]

Host and port default to $RAG_UI_HOST / $RAG_UI_PORT, else 127.0.0.1:7860 (loopback only: set a
host explicitly to open it to others). With $RAG_UI_USER and $RAG_UI_PASSWORD set, the page asks
for that user name and password (Gradio basic auth); serving a non-loopback host without them logs
a warning. The index is built
from `corpus_dir` at start-up when there is none. This is the only module that imports gradio;
the logic it shows lives in `rag.serve.ui` (which answers through `rag.answer.pipeline`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gradio as gr  # noqa: E402

from rag.config import Settings, load_settings  # noqa: E402
from rag.errors import ConfigError, RagError  # noqa: E402
from rag.serve.network import warn_if_exposed  # noqa: E402
from rag.serve.ui import (  # noqa: E402
    EMPTY_SOURCES,
    MAX_UPLOAD_BYTES,
    PLAYGROUND_MODES,
    SEARCHING_SOURCES,
    SORTABLE,
    UPLOAD_EXTENSIONS,
    ChatOptions,
    DocumentQuery,
    FinalAnswer,
    QuickAnswer,
    TextPiece,
    UiBackend,
    chat_text,
    document_table_html,
    error_sources_html,
    export_folder,
    format_error,
    hit_records,
    hits_table_html,
    page_asset,
    quick_text,
    session_key,
    sources_html,
    standalone_query,
    write_conversation,
    writing_text,
)

__all__ = ["build_app", "launch_options", "main", "CSS", "JS"]

log = logging.getLogger("rag.app")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_QUEUE_SIZE = 64  # requests waiting beyond this get Gradio's "queue is full" busy message
AUTH_USER_ENV = "RAG_UI_USER"
AUTH_PASSWORD_ENV = "RAG_UI_PASSWORD"


CSS = page_asset("page.css")
JS = page_asset("page.js")
DOCUMENTS_PAGE_SIZE = 25


def launch_options(host: str, env: Mapping[str, str] | None = None) -> dict:
    """The `demo.launch` arguments that decide who can reach the page: host and optional basic auth.

    Raises:
        ConfigError: only one of RAG_UI_USER / RAG_UI_PASSWORD is set.
    """
    env = os.environ if env is None else env
    user, password = env.get(AUTH_USER_ENV, ""), env.get(AUTH_PASSWORD_ENV, "")
    if bool(user) != bool(password):
        raise ConfigError(f"set both {AUTH_USER_ENV} and {AUTH_PASSWORD_ENV} to require a password, or neither")
    options: dict = {"server_name": host}
    if user:
        options["auth"] = [(user, password)]
        options["auth_message"] = "Sign in to ask the documents."
    else:
        warn_if_exposed(host, False, f"set {AUTH_USER_ENV} and {AUTH_PASSWORD_ENV} to require one")
    return options


def build_app(
    settings: Settings, backend: UiBackend | None = None, concurrency: int | None = None, queue_size: int | None = None
) -> gr.Blocks:
    """The Gradio app (queue enabled) on `settings`' index.

    Example:
        >>> demo = build_app(load_settings())
        >>> demo.launch(server_name="127.0.0.1", css=CSS)  # doctest: +SKIP
    """
    backend = backend or UiBackend(settings)
    choices = backend.generator_choices()
    default_generator = backend.default_generator()
    key_env = settings.hosted_api_key_env
    key_state = "set" if key_env and os.environ.get(key_env) else "not set"

    with gr.Blocks(title="rag — ask your documents", analytics_enabled=False) as demo:
        gr.Markdown(
            "### Ask your documents\nAnswers come only from the indexed documents; every sentence "
            "cites its passage with `[n]` (click one to see its source)."
        )
        previous = gr.State([])  # earlier user questions of this session, for follow-ups
        answers = gr.State([])  # this session's checked answers, for the export
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        chatbot = gr.Chatbot(
                            label="Conversation", elem_id="chatbot", height=440, feedback_options=None, buttons=["copy"]
                        )
                        question = gr.Textbox(
                            label="Question",
                            placeholder="Ask a question about the documents and press Enter",
                            elem_id="question",
                            max_lines=4,
                        )
                        with gr.Row():
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="ask-btn")
                            clear_btn = gr.Button("Clear", elem_id="clear-btn")
                            export_btn = gr.DownloadButton(
                                "Export as Markdown", elem_id="export-btn", interactive=False
                            )
                        query_info = gr.Markdown(elem_id="query-info")
                    with gr.Column(scale=2, min_width=280):
                        gr.Markdown("#### Sources")
                        sources = gr.HTML(EMPTY_SOURCES, elem_id="sources")
                with gr.Accordion("Settings", open=False, elem_id="settings"):
                    with gr.Row():
                        generator = gr.Radio(choices, value=default_generator, label="Generator", elem_id="generator")
                        top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages retrieved (top-k)")
                    with gr.Row(visible=default_generator == "hosted") as hosted_row:
                        base_url = gr.Textbox(settings.hosted_base_url, label="Hosted endpoint (OpenAI-compatible)")
                        model = gr.Textbox(settings.hosted_model, label="Hosted model name")
                        gr.Markdown(
                            f"API key: read from the environment variable `{key_env}` ({key_state}); "
                            "it is never shown or entered here."
                        )
            with gr.Tab("Documents", id="documents"):
                doc_counts = gr.Markdown(elem_id="doc-counts")
                with gr.Row(equal_height=True):
                    doc_search = gr.Textbox(
                        label="Search titles and sources", placeholder="type to filter", elem_id="doc-search", scale=3
                    )
                    doc_sort = gr.Dropdown(list(SORTABLE), value="source", label="Sort by", elem_id="doc-sort", scale=1)
                    doc_order = gr.Radio(["ascending", "descending"], value="ascending", label="Order", scale=1)
                    doc_page = gr.Number(1, label="Page", precision=0, minimum=1, elem_id="doc-page", scale=1)
                with gr.Row():
                    prev_btn = gr.Button("← Previous page", size="sm", elem_id="doc-prev")
                    next_btn = gr.Button("Next page →", size="sm", elem_id="doc-next")
                docs_table = gr.HTML(elem_id="documents-table")
                with gr.Row():
                    with gr.Column():
                        files = gr.File(
                            label=f"Add documents ({', '.join(UPLOAD_EXTENSIONS)}; at most "
                            f"{MAX_UPLOAD_BYTES // 2**20} MB each)",
                            file_count="multiple",
                            file_types=list(UPLOAD_EXTENSIONS),
                            elem_id="upload",
                        )
                        add_btn = gr.Button("Add to index", variant="primary", elem_id="add-btn")
                    with gr.Column():
                        doc_choice = gr.Dropdown(label="Document (of this page)", choices=[], elem_id="doc-choice")
                        remove_btn = gr.Button("Remove document", variant="stop", elem_id="remove-btn")
                        refresh_btn = gr.Button("Reload index from disk", size="sm")
                doc_status = gr.Markdown(elem_id="doc-status")
            with gr.Tab("Retrieval playground", id="playground"):
                with gr.Row():
                    pg_query = gr.Textbox(label="Query", scale=4, elem_id="pg-query")
                    pg_k = gr.Slider(1, 50, value=max(settings.top_k, 10), step=1, label="k", scale=1)
                pg_mode = gr.Radio(list(PLAYGROUND_MODES), value="hybrid", label="Ranking", elem_id="pg-mode")
                pg_btn = gr.Button("Search", variant="primary", elem_id="pg-btn")
                pg_info = gr.Markdown(elem_id="pg-info")
                pg_table = gr.HTML(elem_id="pg-table")

        # ---- chat
        def respond(message, history, earlier, done, gen_name, k, url, model_name, request: gr.Request):
            history = list(history or [])
            earlier = list(earlier or [])
            done = list(done or [])
            message = " ".join((message or "").split())
            if not message:
                yield history, "", gr.skip(), gr.skip(), earlier, done, gr.skip()
                return
            query = standalone_query(message, earlier)
            info = f"Follow-up searched as: *{query}*" if query else ""
            history += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
            yield history, "", SEARCHING_SOURCES, info, earlier, done, gr.skip()
            options = ChatOptions(gen_name, int(k), url, model_name)
            streamed, quick_answer = "", None
            try:
                for event in backend.stream(message, earlier, options):
                    match event:
                        case QuickAnswer(answer=quick):
                            quick_answer = quick
                            history[-1] = {"role": "assistant", "content": quick_text(quick)}
                            yield history, "", sources_html(quick), gr.skip(), earlier, done, gr.skip()
                        case TextPiece(text=text):
                            streamed += text
                            history[-1] = {"role": "assistant", "content": writing_text(quick_answer, streamed)}
                            yield history, "", gr.skip(), gr.skip(), earlier, done, gr.skip()
                        case FinalAnswer(answer=answer):
                            history[-1] = {"role": "assistant", "content": chat_text(answer)}
                            done = done + [answer]
                            export = gr.update(
                                value=str(write_conversation(done, export_dir, session_key(request))), interactive=True
                            )
                            yield history, "", sources_html(answer), info, earlier + [message], done, export
            except Exception as exc:  # shown in the chat; the page stays usable
                text = format_error(exc)
                history[-1] = {"role": "assistant", "content": text}
                yield history, "", error_sources_html(text), info, earlier, done, gr.skip()

        export_dir = export_folder()
        chat_inputs = [question, chatbot, previous, answers, generator, top_k, base_url, model]
        chat_outputs = [chatbot, question, sources, query_info, previous, answers, export_btn]
        submitted = question.submit(respond, chat_inputs, chat_outputs, api_name="chat")
        clicked = ask_btn.click(respond, chat_inputs, chat_outputs, api_visibility="private")
        cleared = ([], "", EMPTY_SOURCES, "", [], [], gr.update(value=None, interactive=False))
        clear_btn.click(
            lambda: cleared, None, chat_outputs, cancels=[submitted, clicked], queue=False, api_visibility="private"
        )
        # The chatbot's own trash icon clears the conversation too: forget the earlier questions.
        chatbot.clear(lambda: cleared[1:], None, chat_outputs[1:], api_visibility="private")
        generator.change(
            lambda g: gr.update(visible=g == "hosted"), generator, hosted_row, queue=False, api_visibility="private"
        )

        # ---- documents
        def documents_view(search="", sort="source", order="ascending", page=1, status: str = ""):
            query = DocumentQuery(
                search or "", sort or "source", order == "descending", int(page or 1), DOCUMENTS_PAGE_SIZE
            )
            try:
                shown = backend.documents(query)
            except Exception as exc:
                return "", "", gr.update(choices=[], value=None), 1, format_error(exc)
            return (
                shown.summary(),
                document_table_html(shown),
                gr.update(choices=shown.ids, value=None),
                shown.page,
                status,
            )

        view_inputs = [doc_search, doc_sort, doc_order, doc_page]
        view_outputs = [doc_counts, docs_table, doc_choice, doc_page, doc_status]

        def add_files(paths, search, sort, order, page, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
            if not paths:
                return *documents_view(search, sort, order, page, "Choose one or more files first."), None
            progress(0.05, desc="Checking files")
            try:
                message = backend.add_files([(p, Path(p).name) for p in paths], show_progress=True)
            except Exception as exc:
                message = format_error(exc)
            return *documents_view(search, sort, order, page, message.replace("\n", "  \n")), None

        def remove(doc_id, search, sort, order, page):
            try:
                message = backend.remove(doc_id)
            except Exception as exc:
                message = format_error(exc)
            return documents_view(search, sort, order, page, message)

        def reload_index(search, sort, order, page):
            backend.reload()
            return documents_view(search, sort, order, page, "Reloaded the index from disk.")

        def first_page(search, sort, order, _page):
            return documents_view(search, sort, order, 1)

        add_btn.click(add_files, [files, *view_inputs], [*view_outputs, files], api_visibility="private")
        remove_btn.click(remove, [doc_choice, *view_inputs], view_outputs, api_visibility="private")
        refresh_btn.click(reload_index, view_inputs, view_outputs, api_visibility="private")
        for control in (doc_search, doc_sort, doc_order):
            control.change(first_page, view_inputs, view_outputs, api_visibility="private")
        doc_page.submit(documents_view, view_inputs, view_outputs, api_visibility="private")
        for button, step in ((prev_btn, -1), (next_btn, 1)):
            button.click(
                lambda q, s, o, p, step=step: documents_view(q, s, o, max(1, int(p or 1) + step)),
                view_inputs,
                view_outputs,
                api_visibility="private",
            )
        demo.load(documents_view, view_inputs, view_outputs, api_visibility="private")

        # ---- retrieval playground
        def playground(query, k, choice):
            mode, rerank = PLAYGROUND_MODES.get(choice, PLAYGROUND_MODES["hybrid"])
            try:
                hits = backend.retrieve(query, int(k), mode, rerank)
            except Exception as exc:
                return "", format_error(exc)
            if not hits:
                return "", "No passages in the index."
            how = backend.ranking_description(mode, rerank)
            return hits_table_html(hits, query), f"{len(hits)} passages, {how}. Hover a column name for its meaning."

        pg_inputs = [pg_query, pg_k, pg_mode]
        pg_btn.click(playground, pg_inputs, [pg_table, pg_info], api_visibility="private")
        pg_query.submit(playground, pg_inputs, [pg_table, pg_info], api_visibility="private")

        # ---- plain JSON API for scripts (gradio_client): /ask and /search
        def ask(question: str, top_k: int = 0, generator: str = "", previous_question: str = "") -> dict:
            """Answer one question; returns the same JSON as `rag ask --json` (plus `search_query`).

            Args:
                question: the question.
                top_k: passages to retrieve (0: the configured default).
                generator: extractive, local or hosted ("": the page's default).
                previous_question: the question before, when this one is a follow-up.
            """
            options = ChatOptions(
                generator or default_generator, int(top_k) or None, settings.hosted_base_url, settings.hosted_model
            )
            try:
                answer = backend.ask(question, [previous_question] if previous_question else [], options)
            except RagError as exc:
                raise gr.Error(str(exc), print_exception=False) from None
            except Exception as exc:
                raise gr.Error(format_error(exc), print_exception=False) from None
            return answer.to_dict()

        def search(query: str, k: int = 10, ranking: str = "hybrid") -> list[dict]:
            """Rank passages for a query as the playground does; one record per passage, best first.

            Args:
                query: the search text.
                k: passages to return.
                ranking: hybrid, dense, "lexical (BM25)" or "hybrid + cross-encoder".
            """
            if ranking not in PLAYGROUND_MODES:
                raise gr.Error(f"ranking must be one of {', '.join(PLAYGROUND_MODES)}", print_exception=False)
            mode, rerank = PLAYGROUND_MODES[ranking]
            try:
                return hit_records(backend.retrieve(query, int(k), mode, rerank))
            except RagError as exc:
                raise gr.Error(str(exc), print_exception=False) from None

        gr.api(ask, api_name="ask")
        gr.api(search, api_name="search")

    limit = concurrency or int(os.environ.get("RAG_UI_CONCURRENCY", "4"))
    waiting = queue_size or int(os.environ.get("RAG_UI_QUEUE_SIZE", DEFAULT_QUEUE_SIZE))
    demo.queue(default_concurrency_limit=limit, max_size=waiting)
    return demo


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Web UI for asking questions about your documents.")
    parser.add_argument("--host", default=os.environ.get("RAG_UI_HOST", DEFAULT_HOST))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_UI_PORT", DEFAULT_PORT)))
    parser.add_argument("--config", help="a rag.toml file")
    parser.add_argument("--index-dir", help="index directory (default from settings)")
    parser.add_argument("--uploads-dir", help="where uploaded files are kept (default: uploads/ beside the index)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings(args.config, overrides={"index_dir": args.index_dir})
        exposure = launch_options(args.host)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    backend = UiBackend(settings, uploads_dir=args.uploads_dir)
    try:
        backend.ensure_index()
    except RagError as exc:  # the page still starts; questions show the problem
        log.warning("could not build the index: %s", exc)
    threading.Thread(target=_warm_up, args=(backend,), daemon=True).start()
    if settings.watch:
        from rag.ingest.watch import FolderWatcher

        FolderWatcher(settings, embedder=backend.embedder()).start(catch_up=True)
    demo = build_app(settings, backend)
    # A service manager stops the server with SIGTERM: exit as on Ctrl-C, so exit handlers run
    # (they remove the temporary conversation files).
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    demo.launch(
        **exposure,
        server_port=args.port,
        css=CSS,
        js=JS,
        max_file_size=MAX_UPLOAD_BYTES,
        show_error=False,
        inbrowser=False,
    )
    return 0


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _warm_up(backend: UiBackend) -> None:
    try:
        backend.warm_up()
        backend.index()
    except Exception as exc:  # reported again, readably, on the first question
        log.warning("warm-up: %s", exc)


if __name__ == "__main__":
    sys.exit(main())
