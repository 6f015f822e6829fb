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
    DOCUMENT_HEADERS,
    HIT_HEADERS,
    MAX_UPLOAD_BYTES,
    UPLOAD_EXTENSIONS,
    ChatOptions,
    FinalAnswer,
    QuickAnswer,
    TextPiece,
    UiBackend,
    chat_text,
    format_error,
    hit_rows,
    quick_text,
    sources_html,
    standalone_query,
)

__all__ = ["build_app", "launch_options", "main", "CSS"]

log = logging.getLogger("rag.app")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_QUEUE_SIZE = 64  # requests waiting beyond this get Gradio's "queue is full" busy message
AUTH_USER_ENV = "RAG_UI_USER"
AUTH_PASSWORD_ENV = "RAG_UI_PASSWORD"

CSS = """
.rag-sources { font-size: 0.92em; }
.rag-source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 8px 10px; margin-bottom: 8px; }
.rag-marker { font-weight: 700; color: var(--color-accent); }
.rag-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 2px 0 4px; }
.rag-passage { white-space: pre-wrap; line-height: 1.45; }
.rag-passage mark { background: #ffe066; color: #111; padding: 0 1px; }
.rag-warn { color: #b45309; }
.rag-refused { font-style: italic; }
"""

_NO_SOURCES = '<div class="rag-sources"><p class="rag-meta">Sources of the latest answer appear here.</p></div>'
_SEARCHING = '<div class="rag-sources"><p class="rag-meta">Searching the documents…</p></div>'


def _error_sources(message: str) -> str:
    import html

    return f'<div class="rag-sources"><p class="rag-warn">{html.escape(message)}</p></div>'


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
            "cites its passage with `[n]`."
        )
        previous = gr.State([])  # earlier user questions of this session, for follow-ups
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
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
                        query_info = gr.Markdown(elem_id="query-info")
                    with gr.Column(scale=2):
                        gr.Markdown("#### Sources")
                        sources = gr.HTML(_NO_SOURCES, elem_id="sources")
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
                docs_table = gr.Dataframe(
                    headers=DOCUMENT_HEADERS, interactive=False, elem_id="documents-table", wrap=True
                )
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
                        doc_choice = gr.Dropdown(label="Document", choices=[], elem_id="doc-choice")
                        remove_btn = gr.Button("Remove document", variant="stop", elem_id="remove-btn")
                        refresh_btn = gr.Button("Reload index from disk", size="sm")
                doc_status = gr.Markdown(elem_id="doc-status")
            with gr.Tab("Retrieval playground", id="playground"):
                with gr.Row():
                    pg_query = gr.Textbox(label="Query", scale=4, elem_id="pg-query")
                    pg_k = gr.Slider(1, 50, value=max(settings.top_k, 10), step=1, label="k", scale=1)
                pg_btn = gr.Button("Search", variant="primary", elem_id="pg-btn")
                pg_info = gr.Markdown(elem_id="pg-info")
                pg_table = gr.Dataframe(headers=HIT_HEADERS, interactive=False, wrap=True, elem_id="pg-table")

        # ---- chat
        def respond(message, history, earlier, gen_name, k, url, model_name):
            history = list(history or [])
            earlier = list(earlier or [])
            message = " ".join((message or "").split())
            if not message:
                yield history, "", gr.skip(), gr.skip(), earlier
                return
            query = standalone_query(message, earlier)
            info = f"Follow-up searched as: *{query}*" if query else ""
            history += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
            yield history, "", _SEARCHING, info, earlier
            options = ChatOptions(gen_name, int(k), url, model_name)
            streamed = ""
            try:
                for event in backend.stream(message, earlier, options):
                    match event:
                        case QuickAnswer(answer=quick):
                            history[-1] = {"role": "assistant", "content": quick_text(quick)}
                            yield history, "", sources_html(quick), gr.skip(), earlier
                        case TextPiece(text=text):
                            streamed += text
                            history[-1] = {"role": "assistant", "content": streamed}
                            yield history, "", gr.skip(), gr.skip(), earlier
                        case FinalAnswer(answer=answer):
                            history[-1] = {"role": "assistant", "content": chat_text(answer)}
                            yield history, "", sources_html(answer), info, earlier + [message]
            except Exception as exc:  # shown in the chat; the page stays usable
                text = format_error(exc)
                history[-1] = {"role": "assistant", "content": text}
                yield history, "", _error_sources(text), info, earlier

        chat_inputs = [question, chatbot, previous, generator, top_k, base_url, model]
        chat_outputs = [chatbot, question, sources, query_info, previous]
        submitted = question.submit(respond, chat_inputs, chat_outputs, api_name="chat")
        clicked = ask_btn.click(respond, chat_inputs, chat_outputs, api_visibility="private")
        clear_btn.click(
            lambda: ([], "", _NO_SOURCES, "", []),
            None,
            chat_outputs,
            cancels=[submitted, clicked],
            queue=False,
            api_visibility="private",
        )
        # The chatbot's own trash icon clears the conversation too: forget the earlier questions.
        chatbot.clear(lambda: ("", _NO_SOURCES, "", []), None, chat_outputs[1:], api_visibility="private")
        generator.change(
            lambda g: gr.update(visible=g == "hosted"), generator, hosted_row, queue=False, api_visibility="private"
        )

        # ---- documents
        def documents_view(status: str = ""):
            try:
                rows = backend.documents()
            except Exception as exc:
                return gr.update(value=[]), gr.update(choices=[], value=None), format_error(exc)
            ids = [r[0] for r in rows]
            return gr.update(value=rows), gr.update(choices=ids, value=None), status

        def add_files(paths, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (gradio's pattern)
            if not paths:
                return *documents_view("Choose one or more files first."), None
            progress(0.05, desc="Checking files")
            try:
                message = backend.add_files([(p, Path(p).name) for p in paths], show_progress=True)
            except Exception as exc:
                message = format_error(exc)
            return *documents_view(message.replace("\n", "  \n")), None

        def remove(doc_id):
            try:
                message = backend.remove(doc_id)
            except Exception as exc:
                message = format_error(exc)
            return documents_view(message)

        def reload_index():
            backend.reload()
            return documents_view("Reloaded the index from disk.")

        doc_outputs = [docs_table, doc_choice, doc_status]
        add_btn.click(add_files, files, [*doc_outputs, files], api_visibility="private")
        remove_btn.click(remove, doc_choice, doc_outputs, api_visibility="private")
        refresh_btn.click(reload_index, None, doc_outputs, api_visibility="private")
        demo.load(documents_view, None, doc_outputs, api_visibility="private")

        # ---- retrieval playground
        def playground(query, k):
            try:
                hits = backend.retrieve(query, int(k))
            except Exception as exc:
                return [], format_error(exc)
            if not hits:
                return [], "No passages in the index."
            return hit_rows(hits), f"{len(hits)} passages, {backend.ranking_description()}."

        pg_btn.click(playground, [pg_query, pg_k], [pg_table, pg_info], api_name="search")
        pg_query.submit(playground, [pg_query, pg_k], [pg_table, pg_info], api_visibility="private")

        # ---- plain JSON API for scripts (gradio_client): /ask
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

        gr.api(ask, api_name="ask")

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
    demo.launch(
        **exposure,
        server_port=args.port,
        css=CSS,
        max_file_size=MAX_UPLOAD_BYTES,
        show_error=False,
        inbrowser=False,
    )
    return 0


def _warm_up(backend: UiBackend) -> None:
    try:
        backend.warm_up()
        backend.index()
    except Exception as exc:  # reported again, readably, on the first question
        log.warning("warm-up: %s", exc)


if __name__ == "__main__":
    sys.exit(main())
