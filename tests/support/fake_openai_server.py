"""A chat-completions server on 127.0.0.1 for tests: replies are scripted per test (JSON bodies
or chunked Server-Sent Events, errors, delays, dropped connections) and every request is recorded.

    with FakeServer() as server:
        server.add(Reply(body=completion("Yes [1].")))
        client = ChatClient(server.base_url, "test-model")
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["FakeServer", "Recorded", "Reply", "clear_proxies", "completion", "delta"]

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Reply:
    """One scripted server answer.

    `events` makes it a chunked SSE stream: a dict is sent as `data: <json>`, a str is sent raw
    (comments, or half an event to split it across chunks). `end` says how a stream finishes:
    "done" sends `data: [DONE]`, "drop" cuts the connection mid-body, "eof" is a close-delimited
    body (no chunking) that simply ends.
    """

    status: int = 200
    body: Any = None  # dict/list → JSON; bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    events: list[dict | str] | None = None
    end: str = "done"
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: dict


class FakeServer:
    """Chat-completions server whose replies are queued per test; records every request."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self
        # A short poll interval keeps the shutdown in each teardown fast.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def add(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self) -> Reply:
        return self.replies.popleft() if self.replies else Reply(status=599, body={"error": "no scripted reply"})


class _Server(ThreadingHTTPServer):
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client hanging up on a slow or broken reply is part of the script.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        fake.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw)))
        reply = fake.next_reply()
        if reply.delay and fake.stopping.wait(reply.delay):
            return
        if reply.events is None:
            self._send_body(reply)
        else:
            self._send_stream(reply)

    def _send_body(self, reply: Reply) -> None:
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers, "Content-Length": str(len(body))}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_stream(self, reply: Reply) -> None:
        chunked = reply.end != "eof"
        self.send_response(reply.status)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding" if chunked else "Connection", "chunked" if chunked else "close")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        texts = [e if isinstance(e, str) else f"data: {json.dumps(e)}\n\n" for e in reply.events or []]
        if reply.end == "done":
            texts.append("data: [DONE]\n\n")
        for text in texts:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
            time.sleep(0.005)  # separate TCP segments, so the client really reads piece by piece
        if reply.end == "done":
            self.wfile.write(b"0\r\n\r\n")
            return
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def completion(content: Any, finish_reason: str = "stop") -> dict:
    message = {"role": "assistant", "content": content}
    return {
        "id": "c1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


def delta(content: str | None = None, finish_reason: str | None = None, role: str | None = None) -> dict:
    d = {k: v for k, v in (("role", role), ("content", content)) if v is not None}
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": d, "finish_reason": finish_reason}]}


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to 127.0.0.1 must reach the fake server, not a proxy from the environment."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
