"""`rag serve`: an OpenAI-compatible HTTP API over the same pipeline as every other front end.

Routes: `GET /v1/models`, `POST /v1/chat/completions` (streaming as server-sent events or not),
`GET /health`. The last user message is the question; earlier user messages are the history a
follow-up is read with. System and assistant messages are not instructions to us (the prompt is
ours, and a client's system text is no more trusted than a document's), so they are ignored.

Besides the standard fields, a completion carries `citations` (each `[n]` marker resolved to its
passage) and `rag` (refused, per-sentence verdicts, notes, the passages retrieved), which
standard clients ignore. A streamed answer is sent as the model writes it; if the checks then
change it (a marker removed, an ungrounded answer refused), the checked text follows as
"Checked answer: ...", as in `rag ask`.

Errors have OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from rag.answer.pipeline import RagPipeline
from rag.errors import (
    ConfigError,
    GeneratorError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    InputError,
    ModelNotFoundError,
    RagError,
)
from rag.serve.chat_format import ApiError, ChatRequest, completion_body, parse_chat_request, stream_chunk, usage_of
from rag.serve.service import ChatOptions, RagService
from rag.types import Answer, FinalAnswer, TextPiece

__all__ = ["ApiLimits", "create_app", "model_table", "run_server", "serving_in_background"]

log = logging.getLogger("rag.serve.api")

API_KEY_ENV = "RAG_API_KEY"


@dataclass(frozen=True)
class ApiLimits:
    """How much one server takes on.

    Attributes:
        max_body_bytes: largest request body accepted (413 beyond).
        max_active: answers computed at once (one LLM on a laptop CPU: one at a time).
        max_waiting: requests queued behind them; more are refused with 429 and Retry-After.
        retry_after_s: the Retry-After a refused request is given.
    """

    max_body_bytes: int = 1_000_000
    max_active: int = 1
    max_waiting: int = 16
    retry_after_s: int = 5


def model_table(service: RagService, own_address: tuple[str, int] | None = None) -> dict[str, str]:
    """Model ids offered by the API and the answer writer each one uses: `rag` (the configured
    one), `rag-extractive`, `rag-local` when installed, `rag-hosted` when a hosted model is
    configured and its endpoint is not this server itself."""
    table = {"rag": service.default_generator()}
    for writer in service.generator_choices():
        if writer == "hosted" and not _hosted_usable(service, own_address):
            continue
        table[f"rag-{writer}"] = writer
    return table


def _hosted_usable(service: RagService, own_address: tuple[str, int] | None) -> bool:
    settings = service.settings
    if not settings.hosted_model:
        return False
    if own_address is None:
        return True
    url = urlsplit(settings.hosted_base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    loopback = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
    same_host = url.hostname == own_address[0] or (url.hostname in loopback and own_address[0] in loopback)
    return not (same_host and port == own_address[1])


class _Admission:
    """At most `max_active` answers at once and `max_waiting` queued; the rest are told to retry."""

    def __init__(self, limits: ApiLimits) -> None:
        self.limits = limits
        self.admitted = 0
        self.slots = asyncio.Semaphore(limits.max_active)

    def admit(self) -> None:
        if self.admitted >= self.limits.max_active + self.limits.max_waiting:
            raise ApiError(
                429,
                f"the server is busy ({self.admitted} requests in progress or waiting); retry shortly",
                type="rate_limit_error",
                code="rate_limit_exceeded",
            )
        self.admitted += 1

    def leave(self) -> None:
        self.admitted -= 1


def create_app(
    service: RagService,
    api_key: str | None = None,
    limits: ApiLimits | None = None,
    own_address: tuple[str, int] | None = None,
):
    """The ASGI app (Starlette). `api_key`: when set, every request except /health needs
    `Authorization: Bearer <api_key>`."""
    from starlette.applications import Starlette
    from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    limits = limits or ApiLimits()
    admission = _Admission(limits)
    models = model_table(service, own_address)

    def error_response(error: ApiError) -> JSONResponse:
        headers = {}
        if error.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if error.status == 429:
            headers["Retry-After"] = str(limits.retry_after_s)
        return JSONResponse(error.body(), status_code=error.status, headers=headers)

    def authorize(request: Request) -> None:
        if not api_key:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), api_key.encode()):
            raise ApiError(
                401,
                f"missing or incorrect API key: send Authorization: Bearer <key>, the key set in ${API_KEY_ENV}",
                code="invalid_api_key",
            )

    async def read_json(request: Request) -> dict:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limits.max_body_bytes:
            raise ApiError(413, f"request body over {limits.max_body_bytes} bytes", code="request_too_large")
        body = bytearray()
        async for part in request.stream():
            body += part
            if len(body) > limits.max_body_bytes:
                raise ApiError(413, f"request body over {limits.max_body_bytes} bytes", code="request_too_large")
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"the request body is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return data

    async def list_models(request: Request) -> JSONResponse:
        authorize(request)
        created = int(time.time())
        data = [
            {"id": model, "object": "model", "created": created, "owned_by": f"rag ({writer})"}
            for model, writer in models.items()
        ]
        return JSONResponse({"object": "list", "data": data})

    async def chat_completions(request: Request):
        authorize(request)
        chat = parse_chat_request(await read_json(request), models)
        options = ChatOptions(generator=models[chat.model], top_k=chat.top_k)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        admission.admit()
        if not chat.stream:
            try:
                async with admission.slots:
                    answer = await run_in_threadpool(service.ask, chat.question, chat.history, options)
                    usage = await run_in_threadpool(usage_of, answer, service.embedder())
            except RagError as exc:
                raise _api_error(exc) from None
            finally:
                admission.leave()
            return JSONResponse(completion_body(answer, chat.model, completion_id, created, usage))
        try:  # a missing index or writer is an error status, before the stream starts
            pipeline = await run_in_threadpool(service.pipeline, options)
        except RagError as exc:
            admission.leave()
            raise _api_error(exc) from None
        except BaseException:
            admission.leave()
            raise
        return StreamingResponse(
            _sse(service, pipeline, chat, completion_id, created, admission, iterate_in_threadpool, run_in_threadpool),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return error_response(
            ApiError(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}", code=code)
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error answering %s %s", request.method, request.url.path)
        message = f"internal error ({type(exc).__name__}); the server log has the details"
        return error_response(ApiError(500, message, type="server_error"))

    routes = [
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    handlers = {ApiError: on_api_error, HTTPException: on_http_error, Exception: on_unexpected}
    return Starlette(routes=routes, exception_handlers=handlers)


def _api_error(exc: RagError) -> ApiError:
    """A pipeline error as the client sees it: its own bad request (400), or the server not ready
    (503: no index, an index for another model, a model missing), or the hosted model failing (502)."""
    if isinstance(exc, IndexNotFoundError | IndexMismatchError | IndexCorruptError | ModelNotFoundError):
        return ApiError(503, str(exc), type="server_error", code="not_ready")
    if isinstance(exc, GeneratorError):
        return ApiError(502, str(exc), type="server_error", code="generator_failed")
    if isinstance(exc, InputError | ConfigError):
        return ApiError(400, str(exc))
    return ApiError(500, str(exc), type="server_error")


async def _sse(
    service: RagService,
    pipeline: RagPipeline,
    chat: ChatRequest,
    completion_id: str,
    created: int,
    admission: _Admission,
    iterate_in_threadpool,
    run_in_threadpool,
) -> AsyncIterator[str]:
    """The answer as server-sent events: a role chunk, content chunks, the checked answer's last
    chunk (finish_reason, citations, rag), a usage chunk when asked for, then [DONE]."""

    def event(data: dict) -> str:
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def chunk(delta: dict, **extra) -> str:
        return event(stream_chunk(completion_id, created, chat.model, delta, **extra))

    try:
        async with admission.slots:
            yield chunk({"role": "assistant", "content": ""})
            live = pipeline.generator is not None and pipeline.generator.streams
            streamed: list[str] = []
            answer: Answer | None = None
            events = pipeline.stream(chat.question, chat.top_k, history=chat.history)
            async for item in iterate_in_threadpool(events):
                if isinstance(item, TextPiece) and live and item.text:
                    streamed.append(item.text)
                    yield chunk({"content": item.text})
                elif isinstance(item, FinalAnswer):
                    answer = item.answer
            assert answer is not None
            shown = "".join(streamed).strip()
            if not live:
                yield chunk({"content": answer.text})
            elif shown != answer.text:
                yield chunk({"content": f"\n\nChecked answer: {answer.text}"})
            usage = await run_in_threadpool(usage_of, answer, service.embedder())
            body = completion_body(answer, chat.model, completion_id, created, usage)
            final_extra = {"citations": body["citations"], "rag": body["rag"]}
            if not chat.include_usage:
                final_extra["usage"] = usage
            yield chunk({}, finish_reason="stop", **final_extra)
            if chat.include_usage:
                yield event(stream_chunk(completion_id, created, chat.model, None, usage=usage))
    except RagError as exc:
        yield event(_api_error(exc).body())
    except Exception as exc:  # headers are sent: the error travels as an event, the traceback to the log
        log.exception("internal error while streaming an answer")
        yield event(ApiError(500, f"internal error ({type(exc).__name__})", type="server_error").body())
    finally:
        admission.leave()
    yield "data: [DONE]\n\n"


def run_server(
    settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ApiLimits | None = None,
    watch: bool = False,
) -> None:
    """Serve the API until Ctrl-C: the index and the embedder are loaded first, so a missing
    index is a one-line error before the port opens. `watch`: keep the index in line with its
    folders while serving (`rag.ingest.watch`)."""
    import os
    import sys

    import uvicorn

    from rag.serve.network import warn_if_exposed

    service = RagService(settings)
    service.index()
    service.warm_up()
    api_key = os.environ.get(API_KEY_ENV) or None
    warn_if_exposed(host, api_key is not None, f"set {API_KEY_ENV} to require a key")
    app = create_app(service, api_key, limits, own_address=(host, port))
    models = ", ".join(model_table(service, (host, port)))
    print(f"OpenAI-compatible API on http://{host}:{port}/v1 (models: {models}); Ctrl-C to stop", file=sys.stderr)
    watcher = None
    if watch:
        from rag.ingest.watch import FolderWatcher

        watcher = FolderWatcher(settings, embedder=service.embedder())
        watcher.start(catch_up=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        if watcher is not None:
            watcher.stop()


@contextmanager
def serving_in_background(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve an ASGI app (e.g. `create_app(service)`) from a thread of this process until the block
    ends, for notebooks, tests and benchmarks; yields its base URL. `port=0`: a free one."""
    import socket
    import threading

    import uvicorn

    if not port:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="rag-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the API did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
